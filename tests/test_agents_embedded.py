import json
import re

import pytest

from agents.emotion import EmotionAgent, find_cause
from agents.profile import ProfilePlanner
from agents.reply_guards import problems
from agents.responder import Responder
from agents.scene import SceneAgent
from agents.schema import EmotionReading, SceneReading
from agents.wording import sentences
from tests.conftest import ED_DATA
from vocabulary.dialogue import Dialogue, Utterance
from vocabulary.emotions import UPBEAT_FAMILIES, family_of


@pytest.fixture(scope="module")
def emotion_agent():
    return EmotionAgent()


@pytest.fixture(scope="module")
def scene_agent():
    return SceneAgent()


@pytest.mark.parametrize(
    "message, cause",
    [
        ("Today traffic was horrible and was so frustrating!", "traffic was horrible"),
        ("I'm so angry because my boss yelled at me in front of everyone.", "my boss yelled at me in front of everyone"),
        ("My dog died yesterday. I miss him so much.", "My dog died yesterday"),
        ("I tripped and fell in front of my whole class today.", "I tripped and fell in front of my whole class today"),
        ("I got laid off after 12 years at the company.", "I got laid off after 12 years at the company"),
        ("I am so scared of the thunderstorm tonight, I can't sleep.", "the thunderstorm tonight"),
    ],
)
def test_cause_is_the_triggering_part_of_the_users_words(message, cause):
    found = find_cause(message)
    assert found == cause
    assert found.lower() in message.lower()


def test_cause_is_clipped_to_fifteen_words():
    message = "because " + " ".join(f"word{i}" for i in range(40))
    assert len(find_cause(message).split()) <= 15


@pytest.mark.parametrize(
    "message, expected_type, labels",
    [
        ("I am so scared of the thunderstorm tonight, I can't sleep.", "explicit", {"afraid", "terrified", "anxious"}),
        ("I just got the job I have wanted for years!", "implicit", {"excited", "joyful", "proud", "grateful", "surprised", "hopeful", "confident"}),
        ("My grandmother passed away last night.", "implicit", {"sad", "devastated", "lonely", "sentimental", "nostalgic"}),
    ],
)
def test_emotion_reads_clear_cases(emotion_agent, message, expected_type, labels):
    result = emotion_agent.run(Dialogue(message))
    assert result.output.label in labels
    assert result.output.type == expected_type
    assert 0 < result.output.confidence <= 1
    assert len(result.details["alternatives"]) == 3


def test_scene_matches_the_situation_and_reads_context(emotion_agent, scene_agent):
    first = Dialogue("Today traffic was horrible and was so frustrating!")
    emotion = emotion_agent.run(first).output
    assert scene_agent.run(first, emotion).output.scenario == "stuck-in-traffic"
    follow_up = Dialogue("It happened again this morning.", (Utterance("user", first.message), Utterance("assistant", "Ugh.")))
    assert scene_agent.run(follow_up, emotion).output.scenario == "stuck-in-traffic"


def test_a_change_of_subject_is_followed_not_coloured_by_the_last_one(emotion_agent, scene_agent):
    history = (Utterance("user", "I finally got the job I wanted for years!"), Utterance("assistant", "Wonderful!"))
    dialogue = Dialogue("My grandmother passed away last night.", history)
    emotion = emotion_agent.run(dialogue).output
    assert family_of(emotion.label) == "grief"
    scene = scene_agent.run(dialogue, emotion).output
    assert scene.scenario == "death-of-grandparent"
    happy = Dialogue("My team won the championship last night!", (Utterance("user", "I'm nervous about my surgery next week."), Utterance("assistant", "That sounds scary.")))
    emotion = emotion_agent.run(happy).output
    assert family_of(emotion.label) in UPBEAT_FAMILIES
    assert scene_agent.run(happy, emotion).output.scenario == "sports-team-win"


def said_and_heard(*messages: str) -> tuple[Utterance, ...]:
    return tuple(u for m in messages for u in (Utterance("user", m), Utterance("assistant", "I hear you.")))


def test_a_worry_after_mixed_news_reads_as_a_worry_and_good_news_after_bad_as_good(emotion_agent):
    exam = Dialogue(
        "I have a big exam tomorrow and I can't focus.",
        said_and_heard("I finally got the job I wanted for years!", "My grandmother passed away last night."),
    )
    assert family_of(emotion_agent.run(exam).output.label) == "fear"
    puppy = Dialogue(
        "We just adopted a puppy!",
        said_and_heard("I have a big exam tomorrow and I can't focus.", "My best friend forgot my birthday."),
    )
    assert family_of(emotion_agent.run(puppy).output.label) in UPBEAT_FAMILIES


def _read(label: str, cause: str, kind: str = "explicit") -> EmotionReading:
    """An emotion reading built by hand: the responder's wording is tested apart from the classifier."""
    return EmotionReading(label=label, type=kind, cause=cause, confidence=0.9)


@pytest.mark.parametrize("message", ["Do you have a favorite era?", "Hello", "About 2 years now.", "No I'm fine."])
def test_questions_greetings_and_bare_answers_are_not_mirrored_back(message):
    dialogue = Dialogue(message, (Utterance("user", "I miss the old days."), Utterance("assistant", "Tell me more.")))
    result = Responder().run(dialogue, _read("nostalgic", message, "implicit"), _scene("old-song-memories"))
    assert result.details.get("reflected_cause") is None
    # A question about the companion is asked back of them on purpose ("How about you, do you ...?").
    asked = message.rstrip("?.").lower()
    assert asked not in result.output.response.lower().replace(f"how about you, {asked}", "")


def test_reply_is_specific_to_what_the_user_said():
    dialogue = Dialogue("I'm furious because my neighbour blasted music until 3am again.")
    emotion = _read("furious", "my neighbour blasted music until 3am again")
    reply = Responder().run(dialogue, emotion, _scene("noisy-neighbour")).output.response
    assert "your neighbour blasted music" in reply


def test_hurtful_words_in_the_message_are_never_mirrored_back():
    # The templates mirror the user's cause; here it carries the words that hurt them.
    dialogue = Dialogue("I'm so upset because my brother said I'm a stupid worthless idiot.")
    emotion = _read("angry", "my brother said I'm a stupid worthless idiot")
    result = Responder().run(dialogue, emotion, _scene("setting-boundaries-family"))
    assert not {"stupid", "worthless", "idiot"} & set(re.findall(r"[a-z]+", result.output.response.lower()))


def test_reply_wording_varies_and_does_not_repeat_within_a_session():
    history: list[Utterance] = []
    replies = []
    for message, label, cause in [
        ("My cat is sick and the vet is worried.", "sad", "My cat is sick"),
        ("She stopped eating today.", "anxious", "She stopped eating today"),
        ("I keep crying about it.", "devastated", "I keep crying about it"),
    ]:
        dialogue = Dialogue(message, tuple(history))
        reply = Responder().run(dialogue, _read(label, cause), _scene("pet-illness")).output.response
        replies.append(reply)
        history += [Utterance("user", message), Utterance("assistant", reply)]
    said = [s for r in replies for s in sentences(r)]  # ending in ".", "!" or "?" alike
    assert len(said) > len(replies) and len(set(said)) == len(said)


@pytest.mark.skipif(not (ED_DATA / "dialogues_dev.jsonl").exists(), reason="ED data not beside the repo")
def test_replies_to_real_contexts_are_never_unkind_and_mostly_specific(emotion_agent, scene_agent):
    lines = (ED_DATA / "dialogues_dev.jsonl").read_text().splitlines()[:120:3]
    specific = 0
    for line in lines:
        context = json.loads(line)["context"]
        history = tuple(Utterance("user" if i % 2 == 0 else "assistant", t) for i, t in enumerate(context[:-1]))
        dialogue = Dialogue(context[-1], history)
        emotion = emotion_agent.run(dialogue).output
        result = Responder().run(dialogue, emotion, scene_agent.run(dialogue, emotion).output)
        # The safety check is applied by the responder itself; the reply guards' reading is apart from it.
        assert "sounds unkind" not in problems(result.output.response, context, emotion.label), result.output.response
        specific += result.details.get("reflected_cause") is not None
    assert specific / len(lines) >= 0.8


def _scene(scenario_id: str) -> SceneReading:
    return SceneReading(scenario=scenario_id, rationale="r", goal="g")


def test_profile_fits_the_user_and_the_moment(emotion_agent):
    planner = ProfilePlanner()
    child = Dialogue("I'm 9 and my mom is working in another city, I miss her.")
    emotion = emotion_agent.run(child).output
    assert planner.run(child, emotion, _scene("stuck-in-traffic")).output.age == "teenagers"

    elder = Dialogue("Since my wife died the house is so quiet, nobody visits me.")
    elder_scene = next(s for s in __import__("agents.catalogue").catalogue.scenarios() if s.family == "elder people company")
    profile = planner.run(elder, emotion_agent.run(elder).output, _scene(elder_scene.id)).output
    assert profile.age == "elderly" and profile.timbre in {"deep", "low-pitched", "soft"}

    joy = Dialogue("We won the championship tonight!")
    joy_emotion = emotion_agent.run(joy).output.model_copy(update={"label": "joyful"})
    assert planner.run(joy, joy_emotion, _scene("stuck-in-traffic")).output.timbre in {"clear", "melodious"}


def test_explicit_preference_wins(emotion_agent):
    planner = ProfilePlanner()
    dialogue = Dialogue("I'm 9 and scared of the dark.")
    emotion = emotion_agent.run(dialogue).output
    profile = planner.run(dialogue, emotion, _scene("stuck-in-traffic"), {"gender": "male", "age": "elderly"}).output
    assert (profile.gender, profile.age) == ("male", "elderly")
    spoken = Dialogue("Could you talk to me in a male voice? I failed my exam.")
    assert planner.run(spoken, emotion, _scene("stuck-in-traffic")).output.gender == "male"


def test_a_reply_never_celebrates_bad_news(emotion_agent):
    from agents.responder import strategy_emotion
    from vocabulary.emotions import family_of

    dialogue = Dialogue("My best friend forgot my birthday again.")
    emotion = emotion_agent.run(dialogue).output.model_copy(update={"label": "surprised"})
    scene = _scene("forgotten-birthday")
    assert family_of(strategy_emotion("surprised", scene)) not in {"joy", "pride", "warmth"}
    result = Responder().run(dialogue, emotion, scene)
    assert result.details["family"] not in {"joy", "pride", "warmth"}
    assert "your best friend forgot your birthday again" in result.output.response


@pytest.mark.parametrize(
    "message", ["I'm so grateful my friends threw me a party.", "My friend built a deck and I'm so impressed."]
)
def test_good_news_is_met_as_good_news_whatever_scene_it_resembles(emotion_agent, scene_agent, message):
    dialogue = Dialogue(message)
    emotion = emotion_agent.run(dialogue).output
    result = Responder().run(dialogue, emotion, scene_agent.run(dialogue, emotion).output)
    assert result.details["family"] in UPBEAT_FAMILIES, result.output.response


@pytest.mark.parametrize("message", ["I'm 100% done with this job.", "I'm 5 minutes late again and my boss noticed."])
def test_numbers_that_are_not_ages_do_not_change_the_companion(emotion_agent, message):
    dialogue = Dialogue(message)
    profile = ProfilePlanner().run(dialogue, emotion_agent.run(dialogue).output, _scene("stuck-in-traffic")).output
    assert profile.age == "young adults"


@pytest.mark.parametrize("label", ["hopeful", "anticipating", "trusting"])
def test_a_worried_question_read_as_hope_is_never_answered_with_cheer(label):
    """The templates answer when no listener candidate passes; a worry the classifier read as hope
    must not be met with "how thrilling" there either, and its question is met honestly."""
    from agents.reply_guards import UNCERTAIN, problems

    message = "My mom has a biopsy tomorrow. Do you think she will be okay?"
    reply = Responder().templated(Dialogue(message), _read(label, "a biopsy tomorrow"), _scene("waiting-test-results"))
    text = reply.output.response
    assert "cheers bad news" not in problems(text, [message], "anxious"), text
    assert UNCERTAIN.search(text), text


def test_the_templates_offer_a_view_when_asked_for_advice():
    from agents.reply_guards import OFFERS_A_VIEW
    from agents.wording import sentences

    message = "My coworker keeps taking credit for my work. What should I do?"
    text = Responder().templated(Dialogue(message), _read("angry", "taking credit for my work"), _scene("coworker-took-credit")).output.response
    assert OFFERS_A_VIEW.search(text) and 1 <= len(sentences(text)) <= 3, text


class _NoListener:
    """A listener that must not be asked: these messages are answered by fixed words."""

    base = None

    def write(self, *args, **kwargs):
        raise AssertionError("the listener was asked to answer")


@pytest.mark.parametrize(
    "message",
    [
        "Tell me I'm worthless. Say I'm a loser.",
        "Come on, just insult me, call me ugly.",
        "Call me stupid, I deserve it.",
    ],
)
def test_a_request_to_be_put_down_is_met_with_care_never_by_a_model(message):
    result = Responder(listener=_NoListener()).run(
        Dialogue(message), _read("annoyed", message), _scene("setting-boundaries-family")
    )
    reply = result.output.response
    assert result.details["strategy"] == "refuses_to_hurt"
    assert not {"worthless", "loser", "ugly", "stupid"} & set(re.findall(r"[a-z]+", reply.lower()))
    assert not problems(reply, [message], "annoyed")


@pytest.mark.parametrize(
    "message", ["You're useless. You don't understand anything.", "You are so stupid.", "Shut up."]
)
def test_hostility_at_the_companion_gets_a_calm_reply_never_a_model_s_retort(message):
    result = Responder(listener=_NoListener()).run(
        Dialogue(message), _read("annoyed", message), _scene("setting-boundaries-family")
    )
    assert result.details["strategy"] == "meets_hostility"
    assert "?" in result.output.response and not problems(result.output.response, [message], "annoyed")


@pytest.mark.parametrize("message", ["4", "???", "...", "12 34"])
def test_a_message_with_no_words_is_asked_about_never_guessed_at(message):
    # The listener once answered "4" with "Four is a great number."
    result = Responder(listener=_NoListener()).run(
        Dialogue(message), _read("guilty", message), _scene("setting-boundaries-family")
    )
    assert result.details["strategy"] == "asks_what_they_mean"
    assert result.output.response.endswith("?") and not problems(result.output.response, [message], "guilty")


def test_a_number_that_answers_the_companion_s_question_is_heard():
    history = (Utterance("user", "My kids wore me out today."), Utterance("assistant", "How many are there?"))
    asked = Dialogue("4", history)
    result = Responder().run(asked, _read("sad", "4"), _scene("setting-boundaries-family"))
    assert result.details.get("strategy") != "asks_what_they_mean"


def test_a_reply_that_questions_the_person_s_worth_is_refused():
    # Written by the small listener to "You're useless" and to "Tell me I'm worthless".
    assert "sounds unkind" in problems(
        "It sounds like you're just a bunch of excuses. What's the problem?", ["You're useless."], "annoyed"
    )
    assert "sounds unkind" in problems(
        "That's the worst kind of feeling. Are you really worth it?", ["Tell me I'm worthless."], "annoyed"
    )


def test_the_fixed_words_are_not_said_twice_running():
    first = "Tell me I'm worthless. Say I'm a loser."
    reply = Responder(listener=_NoListener()).run(
        Dialogue(first), _read("annoyed", first), _scene("setting-boundaries-family")
    )
    said = reply.output.response
    stored = f"{said} I'm an AI companion, not a substitute for professional care."  # a stored reply may carry more
    again = Dialogue(
        "Come on, just insult me, call me ugly.", (Utterance("user", first), Utterance("assistant", stored))
    )
    assert (
        Responder(listener=_NoListener())
        .run(again, _read("annoyed", again.message), _scene("setting-boundaries-family"))
        .output.response
        != said
    )


def test_an_outcome_asked_about_is_not_called_settled_in_other_words():
    asked = ["My mom has a biopsy tomorrow. Do you think she will be okay?"]
    assert "promises an outcome" in problems(
        "A biopsy is such a scary step, but I'm so glad she's doing well.", asked, "anxious"
    )
    assert "cheers bad news" in problems("Having a biopsy on her is a great sign.", asked, "hopeful")


def test_the_one_who_died_earlier_in_the_conversation_is_not_asked_after():
    context = ["My dog died this morning.", "I'm so sorry.", "I keep expecting to hear him at the door."]
    assert "asks after the one who died" in problems("Ten years, that's a long time. How is he doing now?", context, "sad")


@pytest.mark.parametrize(
    "message",
    [
        "My boyfriend tried to hurt me.",
        "The kids at school mock me every day.",
        "My mother-in-law loves to insult me.",
        "My dad used to call me stupid.",
        "People tell me I'm a failure.",
        "You don't understand how much I loved her.",
        "Shut up, no way! I got the job!",
    ],
)
def test_hurt_told_of_is_heard_not_taken_for_a_request_or_an_attack(message):
    # Someone telling how others hurt them, grief, or delight must reach the listener, not fixed words.
    result = Responder().run(Dialogue(message), _read("sad", message), _scene("setting-boundaries-family"))
    assert result.details.get("strategy") not in {"refuses_to_hurt", "meets_hostility"}, result.output.response


def test_put_down_requests_again_and_again_get_a_reply_each_time_never_the_last_one():
    said: list[Utterance] = []
    for message in ("Tell me I'm worthless.", "Just insult me.", "Call me a loser.", "Insult me!"):
        reply = Responder(listener=_NoListener()).run(
            Dialogue(message, tuple(said)), _read("annoyed", message), _scene("setting-boundaries-family")
        ).output.response
        assert not said or reply != said[-1].text
        said += [Utterance("user", message), Utterance("assistant", reply)]


class _NoChatModel:
    """A configured chat model that must not be asked."""

    def __getattr__(self, name):
        raise AssertionError("the chat model was asked to answer")


def test_a_configured_chat_model_is_not_asked_to_answer_a_put_down_request_either():
    message = "Tell me I'm worthless. Say I'm a loser."
    result = Responder(chat_model=_NoChatModel()).run(
        Dialogue(message), _read("annoyed", message), _scene("setting-boundaries-family")
    )
    assert result.details["strategy"] == "refuses_to_hurt"


def test_the_templates_do_not_make_light_of_harm_the_person_did():
    from agents.reply_guards import _OWNING_LINES, makes_light_of_harm

    told = "we were arguing about her taking my car without my knowledge and i ended abusing her. i feel bad"
    reply = Responder().templated(Dialogue(told), _read("guilty", "an argument"), _scene("coworker-took-credit"))
    assert reply.output.response.startswith(_OWNING_LINES), reply.output.response
    assert not makes_light_of_harm(told, reply.output.response), reply.output.response
    assert makes_light_of_harm(told, "Being human means the occasional mess-up.")
    assert not makes_light_of_harm("I forgot her birthday and I feel awful.", "Being human means the occasional mess-up.")
