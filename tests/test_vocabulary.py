"""Every per-emotion table is keyed by the 32 labels and agrees with the one emotion table."""

import pytest

from agents.emotion_fusion import COMPATIBLE
from agents.profile import GENDER_BY_FAMILY, TIMBRE_BY_EMOTION
from agents.strategies import strategy_bank
from tools.face import eat, expression
from tools.speech import delivery
from vocabulary.emotions import FAMILIES, family_of, valence_of
from vocabulary.taxonomy import EMOTIONS, FEELING_PHRASES

PER_EMOTION = {
    "voice delivery": delivery.TABLE,
    "facial expression": expression.TABLE,
    "EAT emotion": eat.TO_EAT,
    "voice timbre": TIMBRE_BY_EMOTION,
    "feeling phrase": FEELING_PHRASES,
}
# The sides a facial or vocal class shows; a neutral or surprised face fits either.
HAPPY_SIDE, SAD_SIDE = {"happy"}, {"sad", "fear", "angry", "disgusted", "disgust", "contempt"}


def test_every_emotion_is_in_exactly_one_family():
    members = [label for labels in FAMILIES.values() for label in labels]
    assert sorted(members) == sorted(EMOTIONS)
    with pytest.raises(KeyError, match="no emotion family"):
        family_of("hungry")


@pytest.mark.parametrize("table", sorted(PER_EMOTION))
def test_every_per_emotion_table_covers_the_32_labels(table):
    assert sorted(PER_EMOTION[table]) == sorted(EMOTIONS)


def test_per_family_tables_cover_the_families():
    assert set(strategy_bank()["families"]) == set(FAMILIES)
    assert set(GENDER_BY_FAMILY) == set(FAMILIES)


def test_faces_and_cues_take_the_side_of_the_emotion_table():
    shown = {label: [cls] for label, cls in eat.TO_EAT.items()}
    for cls, labels in COMPATIBLE.items():
        for label in labels:
            shown.setdefault(label, []).append(cls)
    for label, classes in shown.items():
        for cls in classes:
            if cls in HAPPY_SIDE:
                assert valence_of(label) != "negative", (label, cls)
            if cls in SAD_SIDE:
                assert valence_of(label) != "positive", (label, cls)


def test_a_lively_voice_is_never_given_to_a_hard_feeling():
    for label, (*_, style) in delivery.TABLE.items():
        if style == "lively":
            assert valence_of(label) != "negative", label
