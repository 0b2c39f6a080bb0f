"""all-mpnet-base-v2 as an ONNX Runtime graph with int8 matrix products, derived once per models
folder from the registry weights, for CPUs without AMX.

Why: on two cores of an AMD EPYC with AVX-512 the emotion agent's encoder took 89 ms a context in
torch float32, 44 ms in bfloat16 and 30 ms as this graph; on AVX2, where bfloat16 is only emulated,
torch float32 is the only other way, and ONNX Runtime picks its AVX2, AVX-512 VNNI or AMX kernels for
the running CPU from the one file.

What is quantized: the attention projections of every layer, and the feed-forward output
projections of layers 0-5 and 11, per output channel. The output projections of layers 6-10 read
activations with a few very large features, which one per-tensor int8 scale flattens (cosine to the
float32 embedding 0.95-0.99 for each of them alone, 0.87 with everything quantized), so they and
the feed-forward input projections stay float32. Weights keep to seven bits, so that CPUs without
VNNI compute the same (see `_quantize`). The result keeps a mean cosine of 0.995 to the float32
embedding over 300 ED validation situations (minimum 0.984), with AVX-512 VNNI kernels and with
AVX2 ones (`evals.avx2_only`) alike, and the emotion classifier's held-out accuracy does not move
(see the README).

The graph takes token ids and their mask and gives the mean-pooled, unit-length sentence embedding,
the same as sentence-transformers' pipeline for this model.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path

import numpy as np

REVISION = 3  # part of the folder's name: a change to the recipe (or to PROBES) derives the graph anew
FLOAT_OUTPUT_LAYERS = frozenset(range(6, 11))
# Embedded by the float32 graph when the int8 one is derived (probes.npy), so that the int8 graph can
# be checked against them on whatever CPU loads it (models.encoder).
PROBES = (
    "My dog died this morning and I can't stop crying.",
    "I just got the job I wanted for years!",
    "My brother came home from prison today and I don't know what to say to him.",
    "ok",
)


def int8_graph_path(source: Path) -> Path:
    """The derived folder (model.onnx and the tokenizer files) beside `source`, built on first use."""
    from models.registry import assembling

    target = source.with_name(f"{source.name}-int8-r{REVISION}")
    if (target / "model.onnx").exists():
        return target
    with assembling(target) as folder, tempfile.TemporaryDirectory(dir=target.parent) as work:
        float_graph = Path(work) / "float.onnx"
        _export(source, float_graph)
        _quantize(float_graph, folder / "model.onnx")
        np.save(folder / "probes.npy", _embed_probes(float_graph, source))
        for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
            (folder / name).write_bytes((source / name).read_bytes())
        config = json.loads((source / "sentence_bert_config.json").read_text())
        (folder / "encoder.json").write_text(json.dumps({"max_seq_length": config["max_seq_length"]}))
    return target


def _embed_probes(graph: Path, source: Path):
    import onnxruntime
    from transformers import AutoTokenizer

    tokens = AutoTokenizer.from_pretrained(source)(list(PROBES), padding=True, return_tensors="np")
    session = onnxruntime.InferenceSession(str(graph), providers=["CPUExecutionProvider"])
    feeds = {name: tokens[name].astype(np.int64) for name in ("input_ids", "attention_mask")}
    return session.run(None, feeds)[0].astype(np.float32)


def _export(source: Path, out: Path) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    class Pooled(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            weight = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * weight).sum(1) / weight.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=-1)

    model = AutoModel.from_pretrained(source, dtype=torch.float32).eval()
    example = AutoTokenizer.from_pretrained(source)(["a sentence to trace"], return_tensors="pt")
    axes = {0: "batch", 1: "tokens"}
    # The tracer warns of shapes it takes as constants; none of them varies with the input here.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Pooled(model), (example["input_ids"], example["attention_mask"]), str(out),
            input_names=["input_ids", "attention_mask"], output_names=["embedding"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "embedding": {0: "batch"}},
            opset_version=17, dynamo=False,
        )  # fmt: skip


def _quantize(float_graph: Path, out: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(float_graph), load_external_data=False).graph
    weights = {i.name for i in graph.initializer}
    chosen = [
        node.name for node in graph.node
        if node.op_type == "MatMul" and node.input[1] in weights and _quantized(node.name)
    ]  # fmt: skip
    # Seven-bit weights: without VNNI (AVX2, or AVX-512 before it), ONNX Runtime multiplies the
    # unsigned activation bytes by the signed weight bytes in pairs summed into 16 bits, and full
    # eight-bit weights saturate them. With eight there, the embeddings came out at a cosine as low as
    # 0.10 to the float32 model's and the emotion agent's held-out accuracy fell from 0.51 to 0.32.
    quantize_dynamic(
        str(float_graph), str(out), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True,
        nodes_to_quantize=chosen, extra_options={"MatMulConstBOnly": True},
    )  # fmt: skip


def _quantized(node_name: str) -> bool:
    """Node names from the export read like /model/encoder/layer.7/output/dense/MatMul."""
    if "/attention/" in node_name:
        return True
    if "/output/dense/" in node_name:
        layer = int(node_name.split("/layer.")[1].split("/")[0])
        return layer not in FLOAT_OUTPUT_LAYERS
    return False


class Int8Encoder:
    """The derived graph behind the one call `models.encoder.embed` makes of an encoder."""

    def __init__(self, folder: Path):
        import onnxruntime
        from transformers import AutoTokenizer

        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        self._tokenizer = AutoTokenizer.from_pretrained(folder)
        self._max_tokens = json.loads((folder / "encoder.json").read_text())["max_seq_length"]

    def encode(self, texts: list[str], batch_size: int):
        rows = []
        for start in range(0, len(texts), batch_size):
            tokens = self._tokenizer(
                texts[start : start + batch_size], truncation=True, max_length=self._max_tokens, padding=True, return_tensors="np"
            )
            feeds = {"input_ids": tokens["input_ids"].astype(np.int64), "attention_mask": tokens["attention_mask"].astype(np.int64)}
            rows.append(self._session.run(None, feeds)[0])
        return np.vstack(rows) if rows else np.zeros((0, self._session.get_outputs()[0].shape[1]), np.float32)
