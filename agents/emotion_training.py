"""Trains the embedded emotion classifier on EmpatheticDialogues.

    python -m agents.emotion_training --data ../shared/data/empathetic_dialogues [--members minilm,tfidf,mpnet]

Each member is a multinomial logistic regression over one view of the text: MiniLM or mpnet
sentence embeddings (frozen), or word uni+bigram TF-IDF. First the heads learn the 17,802
training situations and their paraphrases; the validation dialogues (dialogues_dev.jsonl) outside
the held-out conversations (agents.ed_split), split by conversation, give a selection half, which
picks the mixing weights and the temperature, and a report half, which nothing is fitted on at
first. Then, unless --no-refit, the saved heads are refitted with the same choices on the training
situations with their paraphrases and both halves. The held-out conversations, which the listener's
figures are measured on, are never learnt: their accuracy is printed at the end. Nor are the
validation situations, which are those conversations' own prompts.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import json
import time
from pathlib import Path

import numpy as np

from agents.ed_split import is_held_out
from agents.emotion_classifier import ARTIFACT, dense_features, format_context, log_softmax
from agents.tfidf import TfidfFeatures

REGULARISATION = {"minilm": 1.0, "mpnet": 1.0, "tfidf": 2.0}  # chosen on the selection half
MIX_STEP = 0.1


def read_situations(path: Path) -> tuple[list[str], list[str], list[int]]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["aug_text"] for r in rows], [int(r["label"]) for r in rows]


def split_by_conversation(dialogues: list[dict]) -> tuple[list[dict], list[dict]]:
    """Alternate whole conversations (consecutive lines sharing an opening turn) between halves."""
    halves: tuple[list[dict], list[dict]] = ([], [])
    conversation, previous = -1, None
    for item in dialogues:
        if item["context"][0] != previous:
            conversation, previous = conversation + 1, item["context"][0]
        halves[conversation % 2].append(item)
    return halves


def cached(cache: Path | None, name: str, texts: list[str], compute):
    if cache is None:
        return compute(texts)
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = cache / f"{name}-{key}.npy"
    if path.exists():
        return np.load(path)
    cache.mkdir(parents=True, exist_ok=True)
    features = compute(texts)
    np.save(path, features)
    return features


def fit_temperature(log_probs: np.ndarray, gold: np.ndarray) -> float:
    from scipy.optimize import minimize_scalar

    def nll(t: float) -> float:
        return float(-log_softmax(log_probs / t)[np.arange(len(gold)), gold].mean())

    return float(minimize_scalar(nll, bounds=(0.05, 10.0), method="bounded").x)


def best_mix(member_log_probs: list[np.ndarray], gold: np.ndarray) -> tuple[float, ...]:
    """Mixing weights on a simplex grid, by accuracy, then by negative log-likelihood."""
    steps = int(round(1 / MIX_STEP))
    best, best_key = None, None
    for combo in itertools.product(range(steps + 1), repeat=len(member_log_probs)):
        if sum(combo) != steps:
            continue
        weights = tuple(c / steps for c in combo)
        mixed = sum(w * lp for w, lp in zip(weights, member_log_probs))
        accuracy = float((mixed.argmax(1) == gold).mean())
        nll = float(-log_softmax(mixed)[np.arange(len(gold)), gold].mean())
        if best_key is None or (accuracy, -nll) > best_key:
            best, best_key = weights, (accuracy, -nll)
    return best


def fit_member(member: str, parts: list[list[str]], gold: np.ndarray, cache: Path | None):
    """One member's head on the training texts, given in parts (each part's embeddings are cached
    on their own): the arrays to save and a function giving log-probabilities."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    head = LogisticRegression(C=REGULARISATION[member], max_iter=3000)
    texts = [t for part in parts for t in part]
    if member == "tfidf":
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(texts)
        head.fit(vectorizer.transform(texts), gold)
        vocabulary = vectorizer.get_feature_names_out()
        features = TfidfFeatures(list(vocabulary), vectorizer.idf_)
        saved = {"tfidf_vocabulary": vocabulary.astype(str), "tfidf_idf": vectorizer.idf_.astype(np.float32)}

        def view(batch: list[str]) -> np.ndarray:
            return log_softmax(features.scores(batch, head.coef_.astype(np.float32), head.intercept_))
    else:

        def embed(batch: list[str]) -> np.ndarray:
            return cached(cache, member, batch, lambda t: dense_features(member, t))

        head.fit(np.vstack([embed(part) for part in parts]), gold)
        saved = {}

        def view(batch: list[str]) -> np.ndarray:
            return log_softmax(embed(batch) @ head.coef_.T + head.intercept_)

    saved |= {f"{member}_weights": head.coef_.astype(np.float16), f"{member}_bias": head.intercept_.astype(np.float32)}
    return saved, view


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="folder of the ED files")
    parser.add_argument("--out", type=Path, default=ARTIFACT)
    parser.add_argument("--members", default="tfidf,mpnet", help="comma-separated: minilm, mpnet, tfidf")
    parser.add_argument("--cache", type=Path, help="folder to keep sentence embeddings between runs")
    parser.add_argument("--no-refit", action="store_true", help="save the heads trained on the situations only")
    args = parser.parse_args(argv)
    members = args.members.split(",")

    started = time.perf_counter()
    names = json.loads((args.data / "situation_labels.json").read_text())
    labels = [names[str(i)] for i in range(len(names))]
    text, aug, y = read_situations(args.data / "situations_train.csv")
    dialogues = [json.loads(line) for line in (args.data / "dialogues_dev.jsonl").open(encoding="utf-8")]
    held_out = [d for d in dialogues if is_held_out(d["context"])]
    select, report = split_by_conversation([d for d in dialogues if not is_held_out(d["context"])])
    select_texts = [format_context(d["context"]) for d in select]
    report_texts = [format_context(d["context"]) for d in report]
    select_gold = np.array([labels.index(d["emotion"]) for d in select])
    report_gold = np.array([labels.index(d["emotion"]) for d in report])

    # 1. Heads on the situations; mixing and temperature chosen on the selection half.
    train_parts, train_gold = [text, aug], np.array(y + y)
    select_lp, report_lp, summary, saved, views = [], [], {}, {}, []
    for member in members:
        arrays, view = fit_member(member, train_parts, train_gold, args.cache)
        saved |= arrays
        views.append(view)
        select_lp.append(view(select_texts))
        report_lp.append(view(report_texts))
        summary[member] = {"report_half_accuracy": round(float((report_lp[-1].argmax(1) == report_gold).mean()), 4)}
    mix = best_mix(select_lp, select_gold)
    mixed_select = sum(w * lp for w, lp in zip(mix, select_lp))
    temperature = fit_temperature(mixed_select, select_gold)
    mixed_report = sum(w * lp for w, lp in zip(mix, report_lp))

    # 2. The committed heads also learn from the dialogue contexts outside the held-out
    #    conversations, with the choices made above.
    if not args.no_refit:
        train_parts = train_parts + [select_texts, report_texts]
        train_gold = np.concatenate([train_gold, select_gold, report_gold])
        saved, views = {}, []
        for member in members:
            arrays, view = fit_member(member, train_parts, train_gold, args.cache)
            saved |= arrays
            views.append(view)
    # The saved heads read the held-out conversations, which nothing was fitted on.
    held_texts = [format_context(d["context"]) for d in held_out]
    held_gold = np.array([labels.index(d["emotion"]) for d in held_out])
    mixed_held = sum(w * view(held_texts) for w, view in zip(mix, views))

    saved |= {"labels": np.array(labels), "members": np.array(members), "temperature": np.float32(temperature)}
    for member, weight in zip(members, mix):
        saved[f"{member}_mix"] = np.float32(weight)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **saved)
    print(json.dumps({
        "members": summary,
        "mix": dict(zip(members, mix)),
        "temperature": round(temperature, 4),
        "selection_half": {"n": len(select), "accuracy": round(float((mixed_select.argmax(1) == select_gold).mean()), 4)},
        "report_half_before_refit": {"n": len(report), "accuracy": round(float((mixed_report.argmax(1) == report_gold).mean()), 4)},
        "held_out_conversations": {"n": len(held_out), "accuracy": round(float((mixed_held.argmax(1) == held_gold).mean()), 4)},
        "saved_heads_trained_on": f"{len(train_gold)} rows: training situations and paraphrases"
        + ("" if args.no_refit else ", and the validation dialogue contexts outside the held-out conversations"),
        "artifact_bytes": args.out.stat().st_size,
        "seconds": round(time.perf_counter() - started, 1),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
