"""What listeners said in situations like this one: the MiniLM embeddings of the training contexts and
of the replies the listener learnt from (agents.listener.training: the EmpatheticDialogues listeners'
own, then the written ones), outside the held-out conversations. The reranker prefers the candidate
closest to those replies, so the listener answers a scare the way a scare was answered. Only
embeddings are kept, never the text.

    python -m agents.listener.examples --data ../shared/data/empathetic_dialogues   # make train-listener
"""

from __future__ import annotations

import argparse
import functools
from pathlib import Path

import numpy as np

ARTIFACT = Path(__file__).resolve().parent.parent / "artifacts" / "listener_examples.npz"
NEIGHBOURS = 8


def key_text(context: list[str]) -> str:
    """A context as it is looked up: the last two utterances, the message and what came before it."""
    return " ".join(context[-2:])


@functools.cache
def _index(path: Path = ARTIFACT) -> tuple[np.ndarray, np.ndarray] | None:
    if not path.exists():
        return None
    with np.load(path) as arrays:
        return arrays["contexts"].astype(np.float32), arrays["replies"].astype(np.float32)


def replies_like(context_vector: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray | None:
    """The embeddings of the replies to the `k` training contexts nearest to this one; None when the
    index has not been built."""
    index = _index()
    if index is None:
        return None
    contexts, replies = index
    nearest = np.argpartition(-(contexts @ context_vector), k)[:k]
    return replies[nearest]


def build(data: Path, out: Path = ARTIFACT) -> int:
    from agents.listener.training import training_rows
    from models.encoder import embed

    rows = training_rows(data)
    contexts = embed([key_text(r["context"]) for r in rows]).astype(np.float16)
    replies = embed([r["reply"] for r in rows]).astype(np.float16)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, contexts=contexts, replies=replies)
    return len(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="folder of the ED files")
    parser.add_argument("--out", type=Path, default=ARTIFACT)
    args = parser.parse_args(argv)
    print(f"{build(args.data, args.out)} replies indexed into {args.out}")


if __name__ == "__main__":
    main()
