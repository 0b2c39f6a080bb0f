import pytest

from agents.safety import detect_crisis, is_safe_reply, unkind_phrases

CRISES = {
    "suicide": [
        "I want to kill myself", "i wanna die", "I want to kill my self", "I want to be dead",
        "I'd rather be dead", "I'm going to end it tonight", "I'm going to jump off a bridge tonight",
        "nobody would care if I died", "I don't want to live anymore", "I am not okay and want to die",
        "I feel like ending it all", "I have been having suicidal thoughts",
    ],
    "self_harm": [
        "I cut my wrists last night", "I want to slit my wrists", "I've been cutting again",
        "I took a bunch of pills", "I am cutting myself again",
    ],
    "abuse": [
        "My husband keeps hitting me", "he's hitting me again", "my boyfriend was hitting me",
        "He pushed me down the stairs", "my stepdad touches me at night", "My husband hits me at home",
        "my ex threatened to kill me",
    ],
}  # fmt: skip
FIGURES_OF_SPEECH = [
    "This exam is killing me.", "I could die of embarrassment after that meeting.",
    "I'm dying to see the new Marvel movie!", "My boss will kill me if I'm late again.",
    "I killed it at my presentation today!", "My brother beat me at chess again",
    "she hit me up on instagram", "I cut myself shaving this morning", "I hurt myself at the gym",
    "I burn myself on this oven all the time", "I overdosed on coffee today",
    "I'm scared she'll kill me when she sees my grades", "the suicide squad movie was fun",
    "I would never hurt myself", "I don't want to kill myself, I just feel tired",
]  # fmt: skip


@pytest.mark.parametrize("kind, text", [(k, t) for k, texts in CRISES.items() for t in texts])
def test_real_signals_are_caught(kind, text):
    signal = detect_crisis(text)
    assert signal is not None and signal.kind == kind


@pytest.mark.parametrize("text", FIGURES_OF_SPEECH)
def test_figures_of_speech_and_reassurance_do_not_fire(text):
    assert detect_crisis(text) is None


def test_unkind_replies_are_recognised():
    assert unkind_phrases("lol just get over it") == ["get over it", "lol"]
    assert not is_safe_reply("It's your own fault, you deserved it.")
    assert is_safe_reply("That sounds really hard. Whatever you need, I'm here.")
    assert not is_safe_reply("   ")
