"""The benchmark commands that run fast enough to check in the suite."""

import json

import pytest

from tests.conftest import can_hide_avx512


def test_the_response_benchmark_reports_its_figures(tmp_path):
    """`python -m evals.responses` on a few contexts: every figure present, every reply written."""
    from evals.responses import quality, run

    contexts = tmp_path / "contexts.jsonl"
    lines = [
        {"context": [c], "emotion": "sad"}
        for c in ("My dog died yesterday.", "I passed my exam!", "I lost my keys.")
    ]
    contexts.write_text("\n".join(json.dumps(line) for line in lines))
    report = run(contexts, None, tmp_path / "replies.jsonl")
    assert {
        "n",
        "dist1",
        "dist2",
        "corpus_dist1",
        "corpus_dist2",
        "unique_share",
        "specific_share",
        "safety_failures",
    } <= set(report)
    assert report["n"] == 3 and report["safety_failures"] == 0
    assert len((tmp_path / "replies.jsonl").read_text().splitlines()) == 3
    assert quality(["you fool, it is your fault"], ["x"])["safety_failures"] == 1


def test_the_bench_report_checks_every_target_and_draws_its_plots(tmp_path, monkeypatch):
    from evals import bench

    monkeypatch.setattr(bench, "RESULTS", tmp_path)
    reports = {
        "latency": {"meta_p50_ms": 80, "meta_p95_ms": 95, "first_audio_p50_s": 1.2, "first_audio_p95_s": 1.5,
                    "speech_p50_s": 3.2, "speech_p95_s": 4.0, "video_p50_s": 3.4, "video_p95_s": 4.3,
                    "turn_p50_s": 3.5, "turn_p95_s": 4.4, "peak_rss_mb": 1600, "nodes_mean_ms": {"emotion": 40.0}},
        "responses": {"n": 500, "corpus_dist1": 0.12, "corpus_dist2": 0.4, "unique_share": 0.99, "safety_failures": 0},
    }  # fmt: skip
    rows = {r["figure"]: r["met"] for r in bench.checks(reports) if r["benchmark"] in reports}
    assert rows["meta_p50_ms"] and not rows["first_audio_p50_s"] and rows["turn_p50_s"]
    assert rows["corpus_dist1"] and not rows["corpus_dist2"] and rows["safety_failures"]
    images = bench.plots(reports)
    assert images == ["latency.png", "nodes.png", "diversity.png"] and all(
        (tmp_path / i).stat().st_size > 1000 for i in images
    )
    text = bench.markdown(reports, bench.checks(reports), images, bench.provenance())
    assert (
        "| first speech audio after the message, p50 (s) | 1.2 | <= 1.0 | no |" in text
        and "![latency.png](latency.png)" in text
    )


@pytest.mark.slow
def test_the_load_benchmark_drives_a_served_app_with_concurrent_clients():
    """`python -m evals.load` with two text clients: every turn stored in its own session, each
    timed to its first written sentence and to its end."""
    from evals.load import run

    report = run(None, clients=2, turns=1, media=False)
    assert report["succeeded"] == report["turns"] == 2 and report["errors"] == []
    assert report["crosstalk"] == 0 and report["sessions_with_missing_turns"] == 0
    assert 0 < report["first_text_p50_s"] <= report["turn_p50_s"]
    assert report["machine"]["cpu"]


def test_every_report_says_which_kernels_and_number_formats_this_cpu_took():
    from evals.provenance import provenance
    from models.precision import amx_bfloat16

    stamp = provenance()
    assert stamp["paths"]["torch_kernels"] in {"DEFAULT", "AVX2", "AVX512", "SVE256"}
    assert stamp["paths"]["mpnet"] == ("bfloat16" if amx_bfloat16() else "int8")
    assert stamp["paths"]["minilm"] == "float32"
    assert json.loads(json.dumps(stamp)) == stamp


def test_one_precision_path_can_be_named_and_a_wrong_name_is_refused(monkeypatch):
    from models.encoder import precision

    monkeypatch.setenv("EMPATHYEAR_ENCODER_PRECISION", "float32")
    assert precision("mpnet") == "float32" and precision("minilm") == "float32"
    monkeypatch.setenv("EMPATHYEAR_ENCODER_PRECISION", "fp8")
    with pytest.raises(ValueError, match="EMPATHYEAR_ENCODER_PRECISION='fp8'"):
        precision("mpnet")


def test_bfloat16_is_not_taken_where_onednn_is_held_below_it(monkeypatch):
    from models.precision import amx_bfloat16, native_bfloat16

    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert not native_bfloat16() and not amx_bfloat16()


@pytest.mark.skipif(not can_hide_avx512(), reason="needs a CPU that can make CPUID fault, and cc")
def test_a_command_run_as_on_a_cpu_without_avx512_takes_the_avx2_kernels_and_says_so():
    """torch reads the CPU through CPUID, as ONNX Runtime and oneDNN do; the report reads the flags."""
    import subprocess
    import sys

    probe = (
        "import json, torch; from evals.provenance import provenance;"
        "from models.precision import native_bfloat16;"
        "print(json.dumps([torch.backends.cpu.get_cpu_capability(), native_bfloat16(),"
        " provenance()['machine']['vector_extensions']]))"
    )
    done = subprocess.run(
        [sys.executable, "-m", "evals.avx2_only", "--", sys.executable, "-X", "faulthandler", "-c", probe],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    capability, bfloat16, extensions = json.loads(done.stdout.splitlines()[-1])
    assert capability == "AVX2" and not bfloat16
    assert "avx2" in extensions and not [f for f in extensions if f.startswith(("avx512", "amx", "avx_vnni"))]
    failed = subprocess.run([sys.executable, "-m", "evals.avx2_only", "--", sys.executable, "-c", "exit(7)"])
    assert failed.returncode == 7
    # A real fault still ends the command, after the handler it set (faulthandler) has had its say.
    crash = "import ctypes; ctypes.string_at(0)"
    crashed = subprocess.run(
        [sys.executable, "-m", "evals.avx2_only", "--", sys.executable, "-X", "faulthandler", "-c", crash],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert crashed.returncode == 128 + 11 and "Segmentation fault" in crashed.stderr
    # So does one sent to it, which no instruction raises again.
    sent = "import os, signal; os.kill(os.getpid(), signal.SIGSEGV); print('survived')"
    killed = subprocess.run(
        [sys.executable, "-m", "evals.avx2_only", "--", sys.executable, "-c", sent], capture_output=True, text=True
    )
    assert killed.returncode == 128 + 11 and "survived" not in killed.stdout


def test_flags_hidden_from_the_process_are_not_read_as_its_own(monkeypatch):
    from models.precision import HIDDEN_FLAGS_ENV, cpu_flags

    cpu_flags.cache_clear()
    monkeypatch.setenv(HIDDEN_FLAGS_ENV, "avx512,amx")
    try:
        assert not [f for f in cpu_flags() if f.startswith(("avx512", "amx"))]
    finally:
        monkeypatch.delenv(HIDDEN_FLAGS_ENV)
        cpu_flags.cache_clear()
