"""How upbeat a text reads: two logistic heads on MiniLM embeddings, one for the person's message and
one for a listener's reply, the same vectors the reranker already
has for every candidate, so reading a candidate's tone costs a dot product. It learns from the
EmpatheticDialogues train-split situations and from the listeners' replies outside the held-out
conversations (agents.ed_split), each labelled by whether its emotion is on the happy side (surprise,
felt at both, left out). The message head learns the situations alone; the reply head the replies
too, weighted up: situations alone read a reply's "Will you try again?" as cheerful, and the replies
blur how a message reads. It is a
reader apart from the harness's emotion classifier (mpnet), which judges the replies.

    python -m agents.listener.valence --data ../shared/data/empathetic_dialogues   # make train-listener
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
from pathlib import Path

import numpy as np

ARTIFACT = Path(__file__).resolve().parent.parent / "artifacts" / "valence_head.npz"


READERS = ("message", "reply")  # what the person says, and what a listener says back


@functools.cache
def _heads(path: Path = ARTIFACT) -> dict[str, tuple[np.ndarray, float]] | None:
    if not path.exists():
        return None
    with np.load(path) as arrays:
        return {r: (arrays[f"{r}_weights"].astype(np.float32), float(arrays[f"{r}_bias"])) for r in READERS}


def upbeat(vectors: np.ndarray, reader: str = "reply") -> np.ndarray | None:
    """The probability that each MiniLM vector's text is on the happy side, read as a `reader`
    ("message" or "reply"); None without the heads."""
    heads = _heads()
    if heads is None:
        return None
    weights, bias = heads[reader]
    return 1.0 / (1.0 + np.exp(-(vectors @ weights + bias)))


def build(data: Path, out: Path = ARTIFACT) -> dict:
    from sklearn.linear_model import LogisticRegression

    from agents.ed_split import listener_replies
    from models.encoder import embed
    from vocabulary.emotions import UPBEAT_FAMILIES, family_of

    names = json.loads((data / "situation_labels.json").read_text())
    with (data / "situations_train.csv").open(encoding="utf-8") as f:
        rows = [(r["text"].strip(), names[r["label"]]) for r in csv.DictReader(f) if r["text"].strip()]
    rows = [(t, e) for t, e in rows if e != "surprised"]  # felt at good news and bad alike
    replies = [(r["reply"], r["emotion"]) for r in listener_replies(data / "listener_replies_dev.jsonl", held_out=False)
               if r["emotion"] != "surprised"]  # fmt: skip
    rng = np.random.default_rng(0)
    order = rng.permutation(len(replies))
    checked = [replies[i] for i in order[: len(replies) // 10]]  # a tenth of the replies checks the head
    learned = rows + [replies[i] for i in order[len(replies) // 10 :]]

    def arrays(pairs):
        return embed([t for t, _ in pairs]), np.array([family_of(e) in UPBEAT_FAMILIES for _, e in pairs], np.int64)

    vectors, labels = arrays(learned)
    situations = len(rows)
    split = situations * 9 // 10  # the message head is checked on the last tenth of the situations first
    checking = LogisticRegression(C=4.0, max_iter=2000).fit(vectors[:split], labels[:split])
    message_accuracy = float((checking.predict(vectors[split:situations]) == labels[split:situations]).mean())
    message = LogisticRegression(C=4.0, max_iter=2000).fit(vectors[:situations], labels[:situations])
    weights = np.where(np.arange(len(learned)) >= situations, 3.0, 1.0)  # replies are what it reads
    reply = LogisticRegression(C=4.0, max_iter=2000).fit(vectors, labels, sample_weight=weights)
    check_vectors, check_labels = arrays(checked)
    reply_accuracy = float((reply.predict(check_vectors) == check_labels).mean())
    out.parent.mkdir(parents=True, exist_ok=True)
    heads = {f"{name}_{part}": value for name, model in (("message", message), ("reply", reply))
             for part, value in (("weights", model.coef_[0].astype(np.float32)), ("bias", np.float32(model.intercept_[0])))}  # fmt: skip
    np.savez(out, **heads)
    return {"situations": situations, "replies": len(learned) - situations,
            "message_check_accuracy": round(message_accuracy, 4), "reply_check_accuracy": round(reply_accuracy, 4)}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="folder of the ED files")
    parser.add_argument("--out", type=Path, default=ARTIFACT)
    args = parser.parse_args(argv)
    print(json.dumps(build(args.data, args.out)))


if __name__ == "__main__":
    main()
