"""The page's plain-language panels, from a turn's result."""

from ui.web import help_box, why_panel


def test_the_help_resources_show_only_when_the_safety_route_answered(tmp_path):
    broken = tmp_path / "resources.json"
    broken.write_text("{not json")
    crisis = {"kind": "suicide", "evidence": "want to live"}
    shown = help_box({"crisis": crisis, "timings_ms": {"safety": 2.0}, "meta": {}}, broken)
    assert shown["visible"] and "988" in shown["value"] and "Samaritans" in shown["value"]
    assert help_box({"crisis": None, "timings_ms": {"scene": 2.0}, "meta": {}}, None)["visible"] is False


def test_the_why_panel_reads_as_sentences():
    result = {
        "meta": {
            "emotion": {"label": "sad", "type": "implicit", "confidence": 0.74, "cause": "My dog died"},
            "scene": {"scenario": "pet-death", "rationale": "A pet is family.", "goal": "Comfort them."},
            "profile": {"timbre": "soft", "gender": "female", "age": "young adults"},
        },
        "voice": {"name": "Nova", "reason": "female, young adults, tagged soft"}, "face": {"name": "Sofia"},
        "perception": {"transcript": "my dog died", "voice": {"dominant": "sad", "distribution": {"sad": 0.6}}},
        "warnings": ["no face was visible in the video"],
    }  # fmt: skip
    why = why_panel(result)
    assert '**How you seem to feel:** sad (implicit, 74% sure), because "My dog died"' in why
    assert "pet death" in why and "Comfort them." in why and "voice Nova" in why and "face Sofia" in why
    assert (
        '**What I heard:** "my dog died"' in why
        and "mostly sad (60%)" in why
        and "no face was visible" in why
    )
    assert why_panel({"meta": {"emotion": None, "scene": None, "profile": None}, "warnings": []}) == ""


def test_a_replay_reads_as_a_before_and_after_table():
    from ui.web import prompt_text, replay_table

    outcome = {
        "restarted_at": "responder", "change": {"prompts": ["responder"], "chat_model": "openai:default"},
        "diff": [{"field": "response", "old": "A | long reply.", "new": "Short."}],
        "unchanged": ["emotion.label", "scene.scenario"],
    }  # fmt: skip
    table = replay_table(outcome)
    assert "| response | A \\| long reply. | Short. |" in table and "Unchanged: emotion.label, scene.scenario." in table
    assert "changed nothing" in replay_table({**outcome, "diff": []})
    assert "You are EmpathyEar" in prompt_text("responder")
