"""Trains the embedded emotion classifier's head on EmpatheticDialogues.

    python -m agents.emotion_training --data ../shared/data/empathetic_dialogues

Frozen MiniLM sentence embeddings of every training situation and its paraphrase feed a
multinomial logistic regression; a temperature fitted on the validation situations calibrates
its probabilities. The head is saved in fp16 (about 25 KB).
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np

from agents.emotion import ARTIFACT, format_context

REGULARISATION_C = 1.0  # chosen on dialogues_dev.jsonl among 0.25, 0.5, 1, 4, 16


def read_situations(path: Path) -> tuple[list[str], list[str], list[int]]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["aug_text"] for r in rows], [int(r["label"]) for r in rows]


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood on held-out data."""
    from scipy.optimize import minimize_scalar

    def nll(t: float) -> float:
        z = logits / t
        z -= z.max(axis=1, keepdims=True)
        log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-log_probs[np.arange(len(labels)), labels].mean())

    return float(minimize_scalar(nll, bounds=(0.05, 10.0), method="bounded").x)


def main(argv: list[str] | None = None) -> None:
    from sklearn.linear_model import LogisticRegression

    from agents.encoder import embed

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="folder of the ED files")
    parser.add_argument("--out", type=Path, default=ARTIFACT)
    args = parser.parse_args(argv)

    names = json.loads((args.data / "situation_labels.json").read_text())
    labels = [names[str(i)] for i in range(len(names))]
    started = time.perf_counter()
    text, aug, y = read_situations(args.data / "situations_train.csv")
    features = embed(text + aug)
    targets = np.array(y + y)
    head = LogisticRegression(C=REGULARISATION_C, max_iter=2000).fit(features, targets)

    valid_text, _, valid_y = read_situations(args.data / "situations_valid.csv")
    valid_logits = head.decision_function(embed(valid_text))
    temperature = fit_temperature(valid_logits, np.array(valid_y))
    report = {
        "train_rows": len(targets),
        "valid_situations_accuracy": float((valid_logits.argmax(1) == np.array(valid_y)).mean()),
        "temperature": round(temperature, 4),
    }
    dev_path = args.data / "dialogues_dev.jsonl"
    if dev_path.exists():
        dev = [json.loads(line) for line in dev_path.open(encoding="utf-8")]
        dev_logits = head.decision_function(embed([format_context(d["context"]) for d in dev]))
        gold = np.array([labels.index(d["emotion"]) for d in dev])
        report["dev_dialogues_accuracy"] = float((dev_logits.argmax(1) == gold).mean())

    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        weights=head.coef_.astype(np.float16),
        bias=head.intercept_.astype(np.float32),
        temperature=np.float32(temperature),
        labels=np.array([labels[c] for c in head.classes_]),
    )
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
