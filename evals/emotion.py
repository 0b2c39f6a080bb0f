"""The 32-way emotion benchmark on EmpatheticDialogues-format contexts.

    python -m evals.emotion --data ../shared/data/empathetic_dialogues/dialogues_dev.jsonl --json
    python -m evals.emotion --data ../shared/data/empathetic_dialogues/dialogues_dev.jsonl --held-out --json

Each line is {"context": [speaker, listener, ..., speaker], "emotion": label}. Every context goes
through the Emotion agent exactly as a live turn does (history plus new message), one at a time.
With EMPATHYEAR_LLM set to a backend, the LLM policy is measured too. --held-out reads only the
conversations that no head was trained on (agents.ed_split): the accuracy to compare between the
precision paths; the rest of dev_dialogues.jsonl was learnt by the committed heads.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from settings import quiet_libraries


def read_contexts(path: Path, limit: int | None, held_out: bool = False) -> list[dict]:
    """The first `limit` contexts; with `held_out`, only those of the held-out conversations."""
    from agents.ed_split import is_held_out

    items = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            item = json.loads(line)
            if held_out and not is_held_out(item["context"]):
                continue
            items.append(item)
            if limit and len(items) >= limit:
                break
    return items


def scores(gold: list[str], predicted: list[str]) -> dict:
    """Accuracy, macro-F1 over the gold labels, and per-label precision, recall and F1."""
    per_label = {}
    for label in sorted(set(gold)):
        tp = sum(g == p == label for g, p in zip(gold, predicted))
        n_pred = sum(p == label for p in predicted)
        n_gold = sum(g == label for g in gold)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_gold
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = {
            "n": n_gold,
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
        }
    accuracy = sum(g == p for g, p in zip(gold, predicted)) / len(gold)
    macro_f1 = sum(v["f1"] for v in per_label.values()) / len(per_label)
    return {"accuracy": round(accuracy, 4), "macro_f1": round(macro_f1, 4), "per_label": per_label}


def evaluate(agent, items: list[dict], embedded_only: bool) -> dict:
    from vocabulary.dialogue import Dialogue

    predicted, elapsed, fallbacks = [], [], 0
    for item in items:
        dialogue = Dialogue.from_ed_context(item["context"])
        started = time.perf_counter()
        result = agent.embedded(dialogue) if embedded_only else agent.run(dialogue)
        elapsed.append(time.perf_counter() - started)
        predicted.append(result.output.label)
        fallbacks += any(f.startswith(("label", "all fields")) for f in result.fallbacks)
    report = {"n": len(items), **scores([i["emotion"] for i in items], predicted)}
    report["ms_per_item"] = round(1000 * sum(elapsed) / len(elapsed), 2)
    report["p50_ms"] = round(1000 * sorted(elapsed)[int(0.5 * (len(elapsed) - 1))], 2)
    report["p95_ms"] = round(1000 * sorted(elapsed)[int(0.95 * (len(elapsed) - 1))], 2)
    if not embedded_only:
        report["label_fallback_share"] = round(fallbacks / len(items), 4)
    report["confusions"] = [
        {"gold": g, "predicted": p, "n": n}
        for (g, p), n in Counter(
            (i["emotion"], p) for i, p in zip(items, predicted) if i["emotion"] != p
        ).most_common(10)
    ]
    return report


def main(argv: list[str] | None = None) -> int:
    quiet_libraries()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, required=True, help="JSON lines: context and emotion")
    parser.add_argument("--limit", type=int, help="only the first N contexts")
    parser.add_argument("--held-out", action="store_true", help="only the conversations no head was trained on")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"error: no such file {args.data}", file=sys.stderr)
        return 2

    from agents.emotion import EmotionAgent, default_classifier
    from evals.provenance import provenance
    from graph.backends import load_chat_model
    from settings import Settings
    from vocabulary.dialogue import Dialogue

    items = read_contexts(args.data, args.limit, args.held_out)
    started = time.perf_counter()
    import sentence_transformers  # noqa: F401 - library import, timed apart from model loading

    imported = time.perf_counter()
    agent = EmotionAgent()
    agent.embedded(Dialogue("warming up"))  # loads the encoder and the classifier
    report = {
        "benchmark": "emotion",
        **provenance(),
        "data": str(args.data),
        "contexts": "held-out conversations" if args.held_out else "all",
        "import_s": round(imported - started, 3),
        "load_s": round(time.perf_counter() - imported, 3),
    }
    report["embedded"] = evaluate(agent, items, embedded_only=True)
    report.update(
        {k: report["embedded"][k] for k in ("n", "accuracy", "macro_f1", "ms_per_item", "p50_ms", "per_label")}
    )
    settings = Settings()
    if settings.llm != "embedded":
        llm_agent = EmotionAgent(load_chat_model(settings), default_classifier())
        report["llm"] = {"backend": settings.llm, **evaluate(llm_agent, items, embedded_only=False)}

    if args.json:
        print(json.dumps(report))
    else:
        for policy in ("embedded", "llm"):
            if policy in report:
                r = report[policy]
                print(
                    f"{policy}: n={r['n']} accuracy={r['accuracy']:.4f} macro_f1={r['macro_f1']:.4f} {r['ms_per_item']} ms/item"
                )
        print(f"load {report['load_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
