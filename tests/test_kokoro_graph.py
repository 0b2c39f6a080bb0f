"""The rewrite of Kokoro's graph for the CPU computes what the quantized graph computes."""

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

from models.kokoro_graph import (
    GraphRewriteError,
    convolutions_in_2d,
    cpu_model_path,
    float_convolutions,
    stft_as_convolution,
    without_unread,
)
from models.registry import kokoro_model_path

RNG = np.random.default_rng(7)


def quantized_conv(prefix: str, source: str, out: str, channels: int, bias: bool) -> tuple[list, list]:
    """The pattern onnxruntime's dynamic quantizer writes for a 1-D Conv: nodes and initializers."""
    weight = RNG.integers(-127, 128, size=(channels, channels, 3)).astype(np.int8)
    inits = [
        numpy_helper.from_array(weight, f"{prefix}_w_quantized"),
        numpy_helper.from_array(np.array(3, dtype=np.int8), f"{prefix}_w_zero_point"),
        numpy_helper.from_array(np.array(0.01, dtype=np.float32), f"{prefix}_w_scale"),
    ]
    nodes = [
        helper.make_node("DynamicQuantizeLinear", [source], [f"{prefix}_xq", f"{prefix}_xs", f"{prefix}_xz"]),
        helper.make_node(
            "ConvInteger", [f"{prefix}_xq", f"{prefix}_w_quantized", f"{prefix}_xz", f"{prefix}_w_zero_point"],
            [f"{prefix}_int"], name=f"{prefix}_quant", kernel_shape=[3], pads=[1, 1],
        ),  # fmt: skip
        helper.make_node("Mul", [f"{prefix}_xs", f"{prefix}_w_scale"], [f"{prefix}_scale"]),
    ]
    total = f"{prefix}_int"
    if bias:
        inits += [
            numpy_helper.from_array(RNG.normal(size=channels).astype(np.float32), f"{prefix}_bias"),
            numpy_helper.from_array(np.array([1, -1, 1], dtype=np.int64), f"{prefix}_bias_shape"),
        ]
        nodes += [
            helper.make_node("Div", [f"{prefix}_bias", f"{prefix}_scale"], [f"{prefix}_bias_div"]),
            helper.make_node("Floor", [f"{prefix}_bias_div"], [f"{prefix}_bias_floor"]),
            helper.make_node("Cast", [f"{prefix}_bias_floor"], [f"{prefix}_bias_int"], to=TensorProto.INT32),
            helper.make_node("Reshape", [f"{prefix}_bias_int", f"{prefix}_bias_shape"], [f"{prefix}_bias_r"]),
            helper.make_node("Add", [total, f"{prefix}_bias_r"], [f"{prefix}_biased"]),
        ]
        total = f"{prefix}_biased"
    nodes += [
        helper.make_node("Cast", [total], [f"{prefix}_float"], to=TensorProto.FLOAT),
        helper.make_node("Mul", [f"{prefix}_float", f"{prefix}_scale"], [out]),
    ]
    return nodes, inits


def small_model() -> onnx.ModelProto:
    """Two quantized convolutions (with and without bias) and a float one, over (1, 8, 40)."""
    first, first_inits = quantized_conv("a", "x", "h1", 8, bias=True)
    second, second_inits = quantized_conv("b", "h1", "h2", 8, bias=False)
    last = helper.make_node("Conv", ["h2", "c_w"], ["y"], kernel_shape=[5], pads=[2, 2], dilations=[1])
    weight = numpy_helper.from_array(RNG.normal(size=(8, 8, 5)).astype(np.float32) * 0.1, "c_w")
    graph = helper.make_graph(
        [*first, *second, last], "small",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 40])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 40])],
        [*first_inits, *second_inits, weight],
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])


def stft_model(samples: int) -> onnx.ModelProto:
    """The harmonic source's STFT: a Hann window of 20, a step of 5, arguments as Constant nodes."""
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(20) / 20)).astype(np.float32)
    constants = {"step": np.array(5, dtype=np.int64), "length": np.array(20, dtype=np.int64), "window": window}
    nodes = [
        helper.make_node("Constant", [], [name], value=numpy_helper.from_array(value))
        for name, value in constants.items()
    ]
    nodes.append(helper.make_node("STFT", ["x", "step", "window", "length"], ["y"], onesided=1))
    graph = helper.make_graph(
        nodes, "stft", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, samples])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])


def run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


def test_the_rewritten_graph_computes_the_same_convolutions_in_float():
    model = small_model()
    x = RNG.normal(size=(1, 8, 40)).astype(np.float32)
    quantized = run(model, x)

    assert float_convolutions(model.graph) == 2
    assert convolutions_in_2d(model.graph) == 3
    without_unread(model.graph)
    onnx.checker.check_model(model)
    ops = [node.op_type for node in model.graph.node]
    assert "ConvInteger" not in ops and "DynamicQuantizeLinear" not in ops and ops.count("Conv") == 3
    rewritten = run(model, x)
    # only the activations' 8-bit rounding is gone, so the two agree to a few percent of the range
    assert rewritten.shape == quantized.shape
    assert np.abs(rewritten - quantized).max() < 0.03 * np.abs(quantized).max()


def test_the_stft_becomes_a_convolution_with_the_same_frames():
    model = stft_model(1000)
    x = RNG.normal(size=(1, 1000)).astype(np.float32)
    reference = run(model, x)

    assert stft_as_convolution(model.graph) == 1
    assert convolutions_in_2d(model.graph) == 1
    without_unread(model.graph)
    ops = [node.op_type for node in model.graph.node]
    assert "STFT" not in ops and "Constant" not in ops
    rewritten = run(model, x)
    assert rewritten.shape == reference.shape == (1, 197, 11, 2)
    np.testing.assert_allclose(rewritten, reference, atol=1e-4)


def test_an_unexpected_pattern_is_refused_not_guessed():
    model = small_model()
    quantize = model.graph.node[0]
    quantize.op_type = "QuantizeLinear"
    with pytest.raises(GraphRewriteError, match="dynamically quantized"):
        float_convolutions(model.graph)


def test_the_set_up_derives_kokoro_for_the_cpu_once():
    derived = cpu_model_path(kokoro_model_path())
    assert cpu_model_path(kokoro_model_path()) == derived
    graph = onnx.load(str(derived), load_external_data=False).graph
    weights = {init.name: init for init in graph.initializer}
    convolutions = [node for node in graph.node if node.op_type == "Conv" and node.input[1] in weights]
    assert not any(node.op_type in ("ConvInteger", "STFT") for node in graph.node)
    assert len(convolutions) == 89 and all(len(weights[node.input[1]].dims) == 4 for node in convolutions)


def test_a_derived_model_replaces_older_revisions(tmp_path):
    source = tmp_path / "tiny.int8.onnx"
    onnx.save(small_model(), str(source))
    stale = tmp_path / "tiny.cpu0.onnx"
    stale.write_bytes(b"an older rewrite")

    derived = cpu_model_path(source)
    assert derived.name.startswith("tiny.cpu") and derived.exists() and not stale.exists()
    assert source.exists() and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    x = RNG.normal(size=(1, 8, 40)).astype(np.float32)
    assert run(onnx.load(str(derived)), x).shape == (1, 8, 40)
