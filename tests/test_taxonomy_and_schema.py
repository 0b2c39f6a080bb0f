import pytest
from pydantic import ValidationError

from agents.catalogue import families, scenarios
from agents.schema import MetaResponse
from vocabulary.emotions import family_of
from vocabulary.taxonomy import AGE_GROUPS, EMOTIONS, GENDERS, TIMBRES

FAMILIES = {
    "daily common conversation", "elder people company", "left-behind children company",
    "healthcare assistance", "bereavement support", "job loss", "academic stress",
    "financial difficulties", "cultural adjustments", "addiction recovery", "domestic violence support",
    "LGBTQ+ community support", "postpartum depression", "intelligent customer service", "game NPCs",
    "legal consultation", "post-traumatic syndrome", "peer pressure", "culture shock", "social anxiety",
    "childhood trauma healing", "work-life balance struggles", "retirement adjustments",
    "immigration challenges", "support for war veterans", "chronic insomnia", "body image",
    "crisis intervention", "emotional counselling after divorce",
}  # fmt: skip


def valid_meta(**changes):
    meta = {
        "emotion": {"label": "annoyed", "type": "explicit", "cause": "traffic was horrible", "confidence": 0.6},
        "scene": {"scenario": "stuck-in-traffic", "rationale": "Traffic steals time.", "goal": "Let them vent."},
        "response": "That sounds maddening.",
        "profile": {"timbre": "soft", "gender": "female", "age": "young adults"},
    }
    for path, value in changes.items():
        section, _, key = path.partition(".")
        if key:
            meta[section][key] = value
        else:
            meta[section] = value
    return meta


def test_vocabularies_have_the_specified_sizes():
    assert len(EMOTIONS) == 32 and len(set(EMOTIONS)) == 32
    assert set(GENDERS) == {"male", "female"}
    assert len(AGE_GROUPS) == 6 and len(TIMBRES) == 12
    assert all(label == label.lower() for label in EMOTIONS)


def test_scene_catalogue_covers_every_family_with_concrete_scenarios():
    catalogue = scenarios()
    assert len(catalogue) >= 200
    assert set(families()) == FAMILIES
    assert len({s.id for s in catalogue}) == len(catalogue)
    for scenario in catalogue:
        assert scenario.description and "\n" not in scenario.description
        assert set(scenario.emotions) <= set(EMOTIONS)


def test_every_emotion_has_a_reply_strategy():
    assert {family_of(label) for label in EMOTIONS} >= {"grief", "joy"}


def test_meta_response_accepts_a_valid_object():
    assert MetaResponse.model_validate(valid_meta()).scene.scenario == "stuck-in-traffic"


@pytest.mark.parametrize(
    "change",
    [
        {"emotion.label": "happy"},
        {"emotion.type": "obvious"},
        {"emotion.confidence": 1.5},
        {"scene.scenario": "a made-up scene"},
        {"profile.timbre": "squeaky"},
        {"profile.age": "toddlers"},
        {"profile.gender": "robot"},
        {"response": ""},
    ],
)
def test_meta_response_rejects_anything_outside_the_taxonomy(change):
    with pytest.raises(ValidationError):
        MetaResponse.model_validate(valid_meta(**change))
