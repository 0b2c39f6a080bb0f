"""How much each reading of a candidate opening counts (agents.listener.choose.READINGS), learnt
from readers' ratings.

The ratings (`agents/knowledge/rated_candidates.jsonl`) are of the listener's own candidates: for
1,123 EmpatheticDialogues train-split situations it never learnt and 314 later turns of dev
conversations outside the held-out ones, every candidate that passed the guards was written on to
its whole reply, and readers told nothing about how they were made rated each 1-5 ("would a
caring, attentive friend say this?"), 7,561 ratings; then, in a second round (evals.rating), the
candidates of the adapter that had learnt the first, for 333 more situations and 177 later turns,
2,681 ratings. The candidates of one context are
compared with each other only: a ridge regression of each rating less its context's mean on the
readings less theirs. Its weights, divided by each reading's spread, go to
`agents/artifacts/listener_reranker.json`, with what picking by them is worth in a five-fold check
by context: the mean rating of the candidate picked, of any candidate, and of the best each time.
The confidences are the model's own as it wrote each candidate; an adapter trained afresh is read
with these weights until its own candidates are rated.

    python -m agents.listener.reranker   # make train-listener
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np

from agents.ed_split import is_held_out, read_jsonl
from agents.listener.choose import READINGS, RERANKER, readings

RATED = Path(__file__).resolve().parent.parent / "knowledge" / "rated_candidates.jsonl"
ALPHA = 100.0  # ridge penalty on standardised readings: the five-fold check changed little from 10 to 5,000
FOLDS = 5


def rated_contexts(path: Path = RATED) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per rated context: its candidates' readings and their ratings."""
    groups = []
    for row in read_jsonl(path):
        if is_held_out(row["context"]):  # never: the ratings are of training-side contexts only
            continue
        candidates = row["candidates"]
        values, _ = readings([c["opening"] for c in candidates], [c["confidence"] for c in candidates],
                             row["context"], row["emotion"])  # fmt: skip
        groups.append((values, np.array([c["rating"] for c in candidates], dtype=np.float64)))
    return groups


def fit(groups: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Weights per unit of each reading."""
    from sklearn.linear_model import Ridge

    x = np.vstack([values - values.mean(0) for values, _ in groups])
    y = np.concatenate([ratings - ratings.mean() for _, ratings in groups])
    spread = x.std(0) + 1e-9
    model = Ridge(alpha=ALPHA, fit_intercept=False).fit(x / spread, y)
    return model.coef_ / spread


def picked(groups: list[tuple[np.ndarray, np.ndarray]], weights: np.ndarray) -> list[float]:
    """The rating of the candidate the weights pick, per context."""
    return [float(ratings[int(np.argmax(values @ weights))]) for values, ratings in groups]


def check(groups: list[tuple[np.ndarray, np.ndarray]], seed: int = 0) -> dict:
    order = list(range(len(groups)))
    random.Random(seed).shuffle(order)
    chosen = []
    for fold in range(FOLDS):
        held = set(order[fold::FOLDS])
        weights = fit([g for i, g in enumerate(groups) if i not in held])
        chosen += picked([groups[i] for i in sorted(held)], weights)
    return {
        "contexts": len(groups),
        "ratings": int(sum(len(r) for _, r in groups)),
        "picked_mean": round(float(np.mean(chosen)), 3),
        "any_mean": round(float(np.mean([r.mean() for _, r in groups])), 3),
        "best_mean": round(float(np.mean([r.max() for _, r in groups])), 3),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ratings", type=Path, default=RATED)
    parser.add_argument("--out", type=Path, default=RERANKER)
    args = parser.parse_args(argv)
    groups = rated_contexts(args.ratings)
    report = check(groups)
    weights = fit(groups)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    learnt = {"weights": dict(zip(READINGS, np.round(weights, 5).tolist(), strict=True)), "check": report}
    args.out.write_text(json.dumps(learnt, indent=1) + "\n")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
