"""Kokoro's int8 graph rewritten for onnxruntime's fastest CPU kernels, derived once per models folder.

The registry model quantizes every convolution (ConvInteger), and its convolutions are 1-D. On the
CPU both are slow paths: ConvInteger and 1-D Conv run as im2col plus a matrix product, while a 2-D
float Conv gets the blocked (NCHWc) kernels. So each ConvInteger becomes a float Conv on weights
dequantized once, and each 1-D Conv a 2-D Conv of height one. The harmonic source's STFT, which
onnxruntime computes one frame at a time, becomes a strided Conv with the DFT as its kernels.
Speech comes out about 20% sooner on two cores; the weights take about 250 MB more memory.
Matrix products stay int8, where they are fast.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

REVISION = 2  # part of the derived file's name: a change to the rewrite derives the model anew
HEIGHT_AXIS = "kokoro_graph_height_axis"
CHANNEL_AXIS = "kokoro_graph_channel_axis"


class GraphRewriteError(RuntimeError):
    """The model does not have the shape this rewrite expects."""


def cpu_model_path(source: Path) -> Path:
    """The rewritten model next to `source`, derived on first use."""
    target = source.with_name(f"{source.stem.removesuffix('.int8')}.cpu{REVISION}.onnx")
    if target.exists():
        return target
    import onnx

    model = onnx.load(str(source))
    float_convolutions(model.graph)
    stft_as_convolution(model.graph)
    convolutions_in_2d(model.graph)
    without_unread(model.graph)
    onnx.checker.check_model(model)
    # Another process may derive it at the same time; each writes its own file and the last one wins.
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    os.close(handle)
    try:
        onnx.save(model, partial)
        os.chmod(partial, 0o644)
        os.replace(partial, target)
    finally:
        Path(partial).unlink(missing_ok=True)
    for stale in target.parent.glob(f"{source.stem.removesuffix('.int8')}.cpu*.onnx"):
        if stale != target:
            stale.unlink(missing_ok=True)
    return target


def float_convolutions(graph) -> int:
    """ConvInteger(DynamicQuantizeLinear(x), Wq) [+ quantized bias] -> Cast -> Mul(scale) becomes
    Conv(x, W, bias). Returns how many were rewritten."""
    from onnx import helper, numpy_helper

    producer = {out: node for node in graph.node for out in node.output}
    readers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            readers.setdefault(name, []).append(node)
    weights = {init.name: init for init in graph.initializer}

    def array(name: str) -> np.ndarray:
        if name not in weights:
            raise GraphRewriteError(f"{name} is not a constant")
        return numpy_helper.to_array(weights[name])

    def only_reader(name: str, *op_types: str):
        found = readers.get(name, [])
        if len(found) != 1 or found[0].op_type not in op_types:
            raise GraphRewriteError(f"{name} is not read by one {' or '.join(op_types)}")
        return found[0]

    replaced, removed, new_weights = {}, set(), []
    for node in graph.node:
        if node.op_type != "ConvInteger":
            continue
        quantize = producer.get(node.input[0])
        if quantize is None or quantize.op_type != "DynamicQuantizeLinear":
            raise GraphRewriteError(f"{node.name} does not read a dynamically quantized input")
        quantized = node.input[1]
        scale = array(quantized.removesuffix("_quantized") + "_scale")
        weight = (array(quantized).astype(np.float32) - array(node.input[3]).astype(np.float32)) * scale
        inputs = [quantize.input[0], f"{node.name}_float_weight"]
        new_weights.append(numpy_helper.from_array(weight.astype(np.float32), inputs[1]))
        chain, step = [node], only_reader(node.output[0], "Add", "Cast")
        if step.op_type == "Add":  # the bias, quantized at run time: Reshape(Cast(Floor(Div(bias, scale))))
            bias = producer[producer[producer[producer[step.input[1]].input[0]].input[0]].input[0]]
            if bias.op_type != "Div":
                raise GraphRewriteError(f"{node.name}'s bias is not quantized the expected way")
            inputs.append(bias.input[0])
            chain.append(step)
            step = only_reader(step.output[0], "Cast")
        rescale = only_reader(step.output[0], "Mul")
        chain += [step, rescale]
        conv = helper.make_node("Conv", inputs, [rescale.output[0]], name=node.name.removesuffix("_quant"))
        conv.attribute.extend(node.attribute)
        replaced[rescale.output[0]] = conv
        removed.update(n.output[0] for n in chain)

    # nodes are keyed by their first output: protobuf wrappers have no stable identity
    nodes = [
        replaced.get(n.output[0], n) for n in graph.node
        if n.output[0] not in removed or n.output[0] in replaced
    ]  # fmt: skip
    graph.initializer.extend(new_weights)
    _replace_nodes(graph, nodes)
    return len(replaced)


def convolutions_in_2d(graph) -> int:
    """Conv over (N, C, T) with a constant (O, I, K) weight becomes Squeeze(Conv2D(Unsqueeze(x)))
    over (N, C, 1, T). Returns how many were rewritten."""
    from onnx import helper, numpy_helper

    weights = {init.name: init for init in graph.initializer}
    nodes, count = [], 0
    for node in graph.node:
        weight = weights.get(node.input[1]) if node.op_type == "Conv" else None
        if weight is None or len(weight.dims) != 3:
            nodes.append(node)
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            raise GraphRewriteError(f"{node.name} pads automatically")
        weight.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(weight)[:, :, None, :], weight.name))
        before, after = list(attrs.get("pads", [0, 0]))
        tall_in, tall_out = f"{node.name}_2d_input", f"{node.name}_2d_output"
        nodes += [
            helper.make_node("Unsqueeze", [node.input[0], HEIGHT_AXIS], [tall_in]),
            helper.make_node(
                "Conv", [tall_in, *node.input[1:]], [tall_out], name=node.name,
                kernel_shape=[1, *attrs["kernel_shape"]], pads=[0, before, 0, after],
                strides=[1, *attrs.get("strides", [1])], dilations=[1, *attrs.get("dilations", [1])],
                group=attrs.get("group", 1),
            ),  # fmt: skip
            helper.make_node("Squeeze", [tall_out, HEIGHT_AXIS], [node.output[0]]),
        ]
        count += 1
    if count:
        graph.initializer.append(numpy_helper.from_array(np.array([2], dtype=np.int64), HEIGHT_AXIS))
    _replace_nodes(graph, nodes)
    return count


def stft_as_convolution(graph) -> int:
    """STFT(signal (N, T), step, window, length), one-sided, becomes a Conv over (N, 1, T) whose
    kernels are the windowed cosines and negated sines of each bin, reshaped to STFT's
    (N, frames, bins, 2). Returns how many were rewritten."""
    from onnx import helper, numpy_helper

    constants = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute[0].name == "value":
            constants[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
    nodes, new_weights, count = [], [], 0
    for node in graph.node:
        if node.op_type != "STFT":
            nodes.append(node)
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        try:
            step, window, length = (constants[name] for name in node.input[1:4])
        except (KeyError, ValueError) as exc:
            raise GraphRewriteError(f"{node.name} has no constant step, window and length") from exc
        if attrs.get("onesided", 1) != 1 or len(window) != int(length):
            raise GraphRewriteError(f"{node.name} is not a one-sided STFT with a full window")
        bins = int(length) // 2 + 1
        angle = 2 * np.pi * np.outer(np.arange(bins), np.arange(int(length))) / int(length)
        kernels = np.concatenate([window * np.cos(angle), -window * np.sin(angle)])[:, None, :]
        names = {part: f"{node.name}_dft_{part}" for part in ("kernels", "shape", "signal", "bins")}
        new_weights += [
            numpy_helper.from_array(kernels.astype(np.float32), names["kernels"]),
            numpy_helper.from_array(np.array([0, 2, bins, -1], dtype=np.int64), names["shape"]),
        ]
        nodes += [
            helper.make_node("Unsqueeze", [node.input[0], CHANNEL_AXIS], [names["signal"]]),
            helper.make_node(
                "Conv", [names["signal"], names["kernels"]], [names["bins"]], name=f"{node.name}_dft",
                kernel_shape=[int(length)], strides=[int(step)],
            ),  # fmt: skip
            helper.make_node("Reshape", [names["bins"], names["shape"]], [f"{node.name}_dft_parts"]),
            helper.make_node("Transpose", [f"{node.name}_dft_parts"], [node.output[0]], perm=[0, 3, 2, 1]),
        ]
        count += 1
    if count:
        new_weights.append(numpy_helper.from_array(np.array([1], dtype=np.int64), CHANNEL_AXIS))
        graph.initializer.extend(new_weights)
    _replace_nodes(graph, nodes)
    return count


def without_unread(graph) -> None:
    """Drops the nodes and constants nothing reads any more (the quantizers and STFT's arguments)."""
    nodes, outputs = list(graph.node), {out.name for out in graph.output}
    while True:
        read = {name for node in nodes for name in node.input} | outputs
        kept = [node for node in nodes if any(out in read for out in node.output)]
        if len(kept) == len(nodes):
            break
        nodes = kept
    _replace_nodes(graph, nodes)
    initializers = [init for init in graph.initializer if init.name in read]
    del graph.initializer[:]
    graph.initializer.extend(initializers)


def _replace_nodes(graph, nodes: list) -> None:
    copies = [type(node)() for node in nodes]
    for copy, node in zip(copies, nodes):
        copy.CopyFrom(node)
    del graph.node[:]
    graph.node.extend(copies)
