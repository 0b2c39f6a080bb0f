"""The conformance checks (tools.conformance, agents.chat_models.conformance) over every built-in tool,
backend and chat model and over the breathing example; what they say about an object that breaks its
contract; and a plugin that breaks it left out at registration, saying what it lacks."""

import asyncio
import dataclasses
import importlib
import sys
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np
import pytest
from pydantic import BaseModel

from agents.chat_models.conformance import ChatModelContractError, validate_chat_model
from agents.schema import AvatarProfile, EmotionReading
from settings import Settings
from tests.conftest import ROOT
from tools.conformance import (
    ContractError,
    validate_speech_backend,
    validate_speech_recognizer,
    validate_talking_face_backend,
    validate_tool,
)
from tools.contract import LLM_CALLABLE, PRODUCES_AUDIO, BaseTool
from tools.feed import Feed

BUILT_IN_TOOLS = {
    "perception": "tools.perception.tool", "voice_retrieval": "tools.voice_library",
    "speech": "tools.speech.tool", "face_retrieval": "tools.face_library", "talking_face": "tools.face.tool",
}  # fmt: skip
EXAMPLE = ROOT / "examples" / "empathyear-breathing"


def built_in(role: str) -> Any:
    return importlib.import_module(BUILT_IN_TOOLS[role]).create(Settings())


# --- every built-in keeps its contract


@pytest.mark.parametrize("role", BUILT_IN_TOOLS)
def test_every_built_in_tool_keeps_the_contract(home, role):
    tool = built_in(role)
    validate_tool(tool, role)
    assert isinstance(tool, BaseTool)


def graph_arguments(role: str) -> list[dict[str, Any]]:
    """What graph/nodes.py passes each media tool, in each of its ways."""
    emotion = EmotionReading(label="anxious", type="explicit", cause="my exam", confidence=0.8).model_dump()
    profile = AvatarProfile(timbre="soft", gender="female", age="young adults").model_dump()
    media = {"out_dir": "/tmp/turn", "emotion": emotion}
    return {
        "perception": [{"audio": "/tmp/a.wav", "video": None}, {"audio": None, "video": "/tmp/v.mp4"}],
        "voice_retrieval": [{"profile": profile, "emotion": "anxious", "pinned": None},
                            {"profile": profile, "emotion": "anxious", "pinned": "heart"}],
        "speech": [{**media, "voice": None, "steady": True, "text": "I'm here.", "on_chunk": print},
                   {**media, "voice": {"id": "heart"}, "steady": False, "sentences": Feed(),
                    "on_chunk": print}],
        "face_retrieval": [{"profile": profile, "emotion": "anxious", "pinned": None}],
        "talking_face": [{**media, "face": None, "speech_feed": Feed()},
                         {**media, "face": {"id": "sofia"}, "speech": "/tmp/turn/speech.wav"}],
    }[role]  # fmt: skip


@pytest.mark.parametrize("role", BUILT_IN_TOOLS)
def test_each_built_in_schema_accepts_what_the_graph_passes_it(home, role):
    schema = built_in(role).args_schema
    for arguments in graph_arguments(role):
        checked = schema.model_validate(arguments)
        for key, value in arguments.items():  # the feeds and callbacks come through as themselves
            assert getattr(checked, key) is value or getattr(checked, key) == value


def test_a_built_in_tool_can_be_awaited(home):
    from asset_index.voices import load_catalogue

    voice = load_catalogue().voices[0]
    profile = {"gender": voice.gender, "age": voice.ages[0], "timbre": voice.timbres[0]}
    found = asyncio.run(built_in("voice_retrieval").ainvoke({"profile": profile, "pinned": voice.id}))
    assert found["voice"]["id"] == voice.id  # a pinned voice comes back without the index


def test_the_breathing_example_keeps_the_contract(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE))
    try:
        example = importlib.import_module("empathyear_breathing")
        validate_tool(example.create(None), "support")
    finally:
        for name in [m for m in sys.modules if m.split(".")[0] == "empathyear_breathing"]:
            del sys.modules[name]


def test_every_built_in_backend_keeps_its_contract(tmp_path):
    from tools.face.eat import EATTalkingFace
    from tools.face.renderer import AvatarRenderer
    from tools.perception.listening import WhisperRecognizer
    from tools.speech.kokoro import KokoroSpeech
    from tools.speech.piper import PiperSpeech
    from tools.speech.styletts2 import StyleTTS2Speech

    # Constructing them loads nothing: each loads its model on first use.
    styletts2 = StyleTTS2Speech(tmp_path / "model.pth", tmp_path / "config.yml")
    for speech in (KokoroSpeech(), PiperSpeech(), styletts2):
        validate_speech_backend(speech)
    for face in (AvatarRenderer(), EATTalkingFace("eat --audio {audio} --image {image} {emotion} {output}")):
        validate_talking_face_backend(face)
    validate_speech_recognizer(WhisperRecognizer())


def test_every_built_in_chat_model_keeps_its_contract(home, tmp_path):
    from graph.backends import load_chat_model

    settings = Settings()
    assert load_chat_model(dataclasses.replace(settings, llm="embedded")) is None  # nothing to check
    # Neither contacts its server nor loads weights until it is asked for a reply.
    url = "http://127.0.0.1:9/v1"
    openai = load_chat_model(dataclasses.replace(settings, llm="openai", llm_base_url=url))
    local = load_chat_model(dataclasses.replace(settings, llm="transformers", llm_path=str(tmp_path)))
    for model in (openai, local):
        validate_chat_model(model)
    assert hasattr(openai, "complete_with_tools")  # so its tool-calling signature was checked too


# --- what the checks say about an object that breaks its contract


class Arguments(BaseModel):
    minutes: int = 2


class Speaking(BaseTool):
    name: ClassVar[str] = "speaking"
    role: ClassVar[str] = "speech"
    description: ClassVar[str] = "Speaks."
    args_schema: ClassVar[type[BaseModel]] = Arguments
    capabilities: ClassVar[frozenset[str]] = frozenset({PRODUCES_AUDIO})

    def invoke(self, args):
        return {"speech": None}


class Gentle(Speaking):
    name: ClassVar[str] = "gentle"
    role: ClassVar[str] = "support"

    def offer(self, context):
        return {"minutes": 3}

    def invoke(self, args):
        return {"text": "Take a slow breath."}


class Voice:
    role = "speech_backend"
    name = "voice"
    sample_rate = 16000
    controls_speed = True
    clones_from_audio = False
    catalogue_voices = False

    def synthesize(self, text, voice, speed=1.0):
        return np.zeros(1600, dtype=np.float32)


class Face:
    role = "talking_face_backend"
    name = "face"

    def render(self, request):
        return request.out_path


class Ears:
    role = "speech_recognition"
    name = "ears"

    def transcribe(self, audio):
        return "hello"


class Chat:
    role = "chat_model"
    name = "chat"

    def complete(self, messages):
        return "Hello."


CHECKS = [
    (lambda t: validate_tool(t, "speech"), Speaking,
     ("name", "role", "description", "args_schema", "capabilities", "invoke", "ainvoke")),
    (lambda t: validate_tool(t, "support"), Gentle, ("offer",)),
    (validate_speech_backend, Voice,
     ("name", "sample_rate", "controls_speed", "clones_from_audio", "catalogue_voices", "synthesize")),
    (validate_talking_face_backend, Face, ("name", "render")),
    (validate_speech_recognizer, Ears, ("name", "transcribe")),
    (validate_chat_model, Chat, ("name", "complete")),
]  # fmt: skip


def without(target: Any, member: str | None) -> SimpleNamespace:
    """A copy of `target`'s public members, but `member`."""
    names = {n for n in dir(target) if not n.startswith("_") and n != member}
    return SimpleNamespace(**{n: getattr(target, n) for n in names})


@pytest.mark.parametrize(
    "validate, make, member", [(v, m, member) for v, m, members in CHECKS for member in members],
    ids=[f"{m.__name__}-{member}" for _, m, members in CHECKS for member in members],
)  # fmt: skip
def test_a_missing_member_is_named(validate, make, member):
    validate(make())
    validate(without(make(), None))  # a whole copy passes: the one member is what the check misses
    with pytest.raises((ContractError, ChatModelContractError), match=rf"\blacks (\w+, )*{member}\b"):
        validate(without(make(), member))


def changed(make: type, **members: Any) -> Any:
    return type(f"Changed{make.__name__}", (make,), members)()


@pytest.mark.parametrize(
    "validate, target, says",
    [
        (lambda t: validate_tool(t, "perception"), Speaking(), "role is 'speech', not 'perception'"),
        (lambda t: validate_tool(t, "speech"), changed(Speaking, args_schema=dict),
         "args_schema must be a pydantic BaseModel subclass"),
        (lambda t: validate_tool(t, "speech"), changed(Speaking, capabilities={PRODUCES_AUDIO}),
         "capabilities must be a frozenset, not set"),
        (lambda t: validate_tool(t, "speech"), changed(Speaking, capabilities=frozenset({"streams_video"})),
         "capabilities has unknown flags streams_video"),
        (lambda t: validate_tool(t, "speech"), changed(Speaking, ainvoke=lambda self, args: {}),
         "ainvoke must be a coroutine function"),
        (lambda t: validate_tool(t, "speech"), changed(Speaking, invoke=lambda self: {}),
         "invoke must take (args)"),
        (lambda t: validate_tool(t, "speech"), changed(Speaking, name=""), "name must be a non-empty str"),
        (validate_speech_backend, changed(Voice, sample_rate="16000"), "sample_rate must be a positive int"),
        (validate_speech_backend, changed(Voice, controls_speed=1), "controls_speed must be a bool, not 1"),
        (validate_speech_backend, changed(Voice, synthesize=lambda self, text, voice: None),
         "synthesize must take (text, voice, speed)"),
        (validate_talking_face_backend, changed(Face, live=lambda self: None), "live must take (request)"),
        (validate_chat_model, changed(Chat, complete_with_tools=lambda self, messages: ("", [])),
         "complete_with_tools must take (messages, tools)"),
    ],
)  # fmt: skip
def test_a_wrong_member_is_named(validate, target, says):
    with pytest.raises((ContractError, ChatModelContractError)) as raised:
        validate(target)
    assert says in str(raised.value)


def test_a_support_tool_only_a_chat_model_calls_needs_no_offer():
    called = without(changed(Gentle, capabilities=frozenset({LLM_CALLABLE})), "offer")
    validate_tool(called, "support")
    with pytest.raises(ContractError, match="lacks offer"):
        validate_tool(without(Gentle(), "offer"), "support")


def test_the_deep_checks_call_the_backend_once():
    validate_speech_backend(Voice(), deep=True)
    stereo = changed(Voice, synthesize=lambda self, text, voice, speed=1.0: np.zeros((10, 2), np.int16))
    with pytest.raises(ContractError, match=r"synthesize returned int16 \(10, 2\), not mono float32"):
        validate_speech_backend(stereo, deep=True)
    validate_chat_model(Chat(), deep=True)
    with pytest.raises(ChatModelContractError, match="complete returned NoneType, not str"):
        validate_chat_model(changed(Chat, complete=lambda self, messages: None), deep=True)


def test_the_checks_only_look():
    """No member is called without `deep`: a backend whose every method raises still passes."""

    def refuse(self, *args, **kwargs):
        raise AssertionError("called")

    async def refuse_async(self, args):
        raise AssertionError("called")

    validate_tool(changed(Gentle, invoke=refuse, ainvoke=refuse_async, offer=refuse), "support")
    validate_speech_backend(changed(Voice, synthesize=refuse))
    validate_chat_model(changed(Chat, complete=refuse))


# --- registration: plugins that break the contract


def bare_support_tool(settings):
    return without(changed(Gentle, name="bare"), "description")


def gentle_support_tool(settings):
    return Gentle()


def mute_speech_backend(settings):
    return without(changed(Voice, name="mute"), "synthesize")


def blind_face_backend(settings):
    return without(changed(Face, name="blind"), "render")


def deaf_recognizer(settings):
    return without(changed(Ears, name="deaf"), "transcribe")


def silent_chat_model(settings):
    return without(changed(Chat, name="silent"), "complete")


FAKES = {
    "conformance_bare": "bare_support_tool", "conformance_gentle": "gentle_support_tool",
    "conformance_mute": "mute_speech_backend", "conformance_blind": "blind_face_backend",
    "conformance_deaf": "deaf_recognizer", "conformance_silent": "silent_chat_model",
}  # fmt: skip


@pytest.fixture
def fake_plugins(home, tmp_path, monkeypatch):
    """A distribution on the path whose entry points name the factories above: importlib.metadata finds
    it as it finds an installed plugin."""
    info = tmp_path / "site" / "conformance_fakes-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: conformance-fakes\nVersion: 0.1\n")
    lines = "".join(f"{name} = {__name__}:{factory}\n" for name, factory in FAKES.items())
    (info / "entry_points.txt").write_text(f"[empathyear.tools]\n{lines}")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))


def test_a_tool_plugin_that_breaks_the_contract_is_left_out_saying_what_it_lacks(fake_plugins, caplog):
    from tools.registry import ToolRegistry, describe, discover

    lacks = "support tool bare lacks description (tools.contract)"
    with caplog.at_level("WARNING", logger="tools.registry"):
        found = {i.entry_point: i for i in discover(Settings())}
    assert found["conformance_bare"].target is None
    assert found["conformance_bare"].problem == f"ContractError: {lacks}"
    assert "conformance_bare" in caplog.text and lacks in caplog.text
    assert found["conformance_gentle"].problem is None and found["conformance_gentle"].target is not None
    assert [t.name for t in ToolRegistry(Settings()).support()] == ["gentle"]
    (row,) = [r for r in describe(Settings()) if r["entry_point"] == "conformance_bare"]
    assert row["problem"] == f"ContractError: {lacks}" and not row["active"]


def test_a_backend_plugin_that_breaks_its_contract_is_not_used_and_turns_say_why(fake_plugins, monkeypatch):
    from tools.registry import plugin_backend

    monkeypatch.setenv("EMPATHYEAR_SPEECH", "conformance_mute")
    monkeypatch.setenv("EMPATHYEAR_FACE", "conformance_blind")
    with pytest.raises(ContractError, match=r"speech backend mute lacks synthesize"):
        plugin_backend(Settings(), "speech_backend", "conformance_mute")
    speech, face = built_in("speech"), built_in("talking_face")
    assert [b.name for b in speech.backends] == ["kokoro", "piper"]
    assert speech.setup_warnings == [
        "speech: speech backend mute lacks synthesize (tools.speech.backend.SpeechBackend); "
        "Kokoro speaks instead"
    ]
    assert [b.name for b in face.backends] == ["avatar"]
    assert face.setup_warnings == [
        "video: talking-face backend blind lacks render (tools.face.backend.TalkingFaceBackend); "
        "the avatar renderer is used"
    ]


def test_a_speech_recognizer_that_breaks_its_contract_leaves_perception_out(fake_plugins, monkeypatch):
    from tools.registry import discover

    monkeypatch.setenv("EMPATHYEAR_ASR", "conformance_deaf")
    (perception,) = [i for i in discover(Settings()) if i.entry_point == "perception"]
    assert perception.target is None
    assert perception.problem == (
        "ContractError: speech recognizer deaf lacks transcribe (tools.perception.listening.SpeechRecognizer)"
    )


def test_a_chat_model_plugin_that_breaks_its_contract_stops_the_start(fake_plugins, monkeypatch):
    from graph.backends import load_chat_model

    monkeypatch.setenv("EMPATHYEAR_LLM", "conformance_silent")
    lacks = r"chat model silent lacks complete \(agents.chat_models.ChatModel\)"
    with pytest.raises(ValueError, match=lacks) as raised:
        load_chat_model(Settings())
    assert isinstance(raised.value, ChatModelContractError)  # the CLI answers a ValueError with `error: ...`
