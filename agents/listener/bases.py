"""The models a listener is fine-tuned from: where each base comes from, where its adapter lives,
how much of it the adapter touches and the precision it runs in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from models.registry import qwen_path, smollm_path

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@dataclass(frozen=True)
class Base:
    name: str
    path: Callable[[], Path]
    adapter: Path
    rank: int
    top_layers: int | None  # the decoder layers, from the top, that carry adapters (None: every one)
    precision: str  # of the exported weights
    batch: int  # examples per training step
    steps: int | None  # a cap on training steps (None: the epochs decide)
    candidates: int  # replies written side by side for the reranker, at little more than the cost of one
    make_target: str  # what trains the adapter


# int8 for the 135M model: int4 cost it 4 points of perplexity on the held-out human replies
# (13.09 in float32, 13.16 in int8, 17.19 in int4).
SMOLLM = Base(
    "smollm2-135m", smollm_path, ARTIFACTS / "listener_lora.npz", rank=16, top_layers=None, precision="int8",
    batch=16, steps=None, candidates=6, make_target="train-listener",
)  # fmt: skip
# The 1.5B model took about 7 s a step of eight examples on two cores with AMX (11 s with AVX-512
# alone) with adapters on its upper half (the lower half then needs no backward pass), so it learns
# from 240 steps, 1,920 of the examples (28 minutes there); int4 weights, as decoding speed bounds it
# more than fit does.
QWEN = Base(
    "qwen2.5-1.5b", qwen_path, ARTIFACTS / "listener_qwen_lora.npz", rank=8, top_layers=14, precision="int4",
    batch=8, steps=240, candidates=3, make_target="train-local-listener",
)  # fmt: skip
BASES = {base.name: base for base in (SMOLLM, QWEN)}
