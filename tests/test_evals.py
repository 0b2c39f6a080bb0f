"""The benchmark commands that run fast enough to check in the suite."""

import json


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
