import re
import unicodedata

import pytest

from agents.safety import CrisisSignal, crisis_resources, safety_reply
from tools.speech.text import speakable, speech_chunks

FORBIDDEN = set('@#*_~|<>{}[]^=\\$%&+/`"()')


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("call or text 988", "call or text 9 8 8"),
        ("call 116 123, free, day or night", "call 1 1 6, 1 2 3, free, day or night"),
        ("call 13 11 14", "call 1 3, 1 1, 1 4"),
        ("the US National Domestic Violence Hotline 1-800-799-7233", "the US National Domestic Violence Hotline 1, 8 0 0, 7 9 9, 7 2 3 3"),
        ("the UK National Domestic Abuse Helpline 0808 2000 247", "the UK National Domestic Abuse Helpline 0 8 0 8, 2 0 0 0, 2 4 7"),
        ("findahelpline.com lists free lines", "findahelpline dot com lists free lines"),
        ("Text HOME to 741741.", "Text HOME to 7 4 1 7 4 1."),
        ("or 911 in the US", "or 9 1 1 in the US"),
        ("call (800) 799-7233", "call 8 0 0, 7 9 9, 7 2 3 3"),
        ("+44 20 7946 0958", "plus 4 4, 2 0, 7 9 4 6, 0 9 5 8"),
    ],
)  # fmt: skip
def test_helpline_numbers_are_read_digit_by_digit(text, spoken):
    assert speakable(text) == spoken


def test_speakable_text_is_left_as_it_is():
    reply = safety_reply(CrisisSignal("abuse", "hitting me"), crisis_resources())
    mixed = "It's $3.50, 50% off, the 21st at 3:30 pm, Dr. Lee etc. Then 24/7 a@b.org +44 20 7946 0958 10-15 mins"
    for text in (reply, mixed):
        assert speakable(speakable(text)) == speakable(text)


@pytest.mark.parametrize(
    "text",
    ["I'm 42 years old", "back in 2019", "it took 3.5 hours", "call 2 friends", "between 2019 2020", "about 1.25"],
)
def test_ordinary_numbers_stay_numbers(text):
    assert speakable(text) == text


def test_number_ranges_and_thousands():
    assert speakable("10-15 minutes, 2019–2020, 10,000 people") == "10 to 15 minutes, 2019 to 2020, 10000 people"


def test_safety_reply_reads_every_resource_sensibly():
    spoken = speakable(safety_reply(CrisisSignal("suicide", "kill myself"), crisis_resources()))
    for line in ("call or text 9 8 8", "call 1 1 6, 1 2 3, free", "call 1 3, 1 1, 1 4", "findahelpline dot com"):
        assert line in spoken
    assert "9 1 1 in the US" in spoken and "9 8 8 Suicide and Crisis Lifeline" in spoken
    assert not re.search(r"\d\d", spoken)  # no helpline number left for espeak to read as an amount
    assert not FORBIDDEN & set(spoken)


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("https://www.findahelpline.com/path?x=1", "findahelpline dot com"),
        ("Visit www.samaritans.org.", "Visit samaritans dot org."),
        ("See http://example.xyz/a/b, then rest.", "See example dot xyz, then rest."),
        ("988lifeline.org is open", "988lifeline dot org is open"),
        ("(findahelpline.com)", "findahelpline dot com"),
        ("Write to jo@samaritans.org today.", "Write to jo at samaritans dot org today."),
        ("a@b.org", "a at b dot org"),
        ("[Find a helpline](https://findahelpline.com) is there.", "Find a helpline is there."),
    ],
)
def test_addresses_are_spoken_as_hosts(text, spoken):
    assert speakable(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("$20", "20 dollars"),
        ("$3.50", "3 dollars 50"),
        ("$1", "1 dollar"),
        ("$0.50", "50 cents"),
        ("£5", "5 pounds"),
        ("€10", "10 euros"),
        ("$1,000", "1000 dollars"),
        ("50%", "50 percent"),
        ("3.5%", "3.5 percent"),
    ],
)
def test_money_and_percentages(text, spoken):
    assert speakable(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("2nd", "second"),
        ("21st", "twenty-first"),
        ("3rd", "third"),
        ("4th", "fourth"),
        ("12th", "twelfth"),
        ("40th", "fortieth"),
        ("100th", "one hundredth"),
        ("1000th", "one thousandth"),
    ],
)
def test_ordinals_become_words(text, spoken):
    assert speakable(f"my {text} try") == f"my {spoken} try"


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("at 3:30 pm", "at 3 30 P M"),
        ("at 10am", "at 10 A M"),
        ("at 9 a.m. tomorrow", "at 9 A M tomorrow"),
        ("at 7:05 AM", "at 7 oh 5 A M"),
        ("at 12:00", "at 12 o'clock"),
        ("open 9am-5pm", "open 9 A M to 5 P M"),
        ("Come at 9 p.m. Then rest.", "Come at 9 P M. Then rest."),
    ],
)
def test_times(text, spoken):
    assert speakable(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("you & me", "you and me"),
        ("rock+roll", "rock plus roll"),
        ("friends and/or family", "friends and or family"),
        ("talk to him/her", "talk to him or her"),
        ("open 24/7", "open twenty-four seven"),
    ],
)
def test_symbols_become_words(text, spoken):
    assert speakable(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("Dr. Lee", "Doctor Lee"),
        ("ask Dr Lee", "ask Doctor Lee"),
        ("Mr. and Mrs. Smith", "Mister and Missus Smith"),
        ("Ms. Jones", "Miz Jones"),
        ("St. Paul's", "Saint Paul's"),
        ("on Baker St.", "on Baker Street."),
        ("Martin Luther King Jr. said", "Martin Luther King Junior said"),
        ("rest, e.g. a nap", "rest, for example a nap"),
        ("E.g. a nap", "For example a nap"),
        ("the basics, i.e. sleep", "the basics, that is sleep"),
        ("tea vs. coffee vs water", "tea versus coffee versus water"),
        ("approx. 20", "Approximately 20"),
        ("take 5 mins", "take 5 minutes"),
        ("1 min", "1 minute"),
        ("2 hrs or 1hr", "2 hours or 1 hour"),
        ("BTW, it helps", "By the way, it helps"),
        ("rest asap", "rest as soon as possible"),
        ("IMO you did well", "In my opinion you did well"),
        ("so fyi and tbh", "so for your information and to be honest"),
        ("It's OK. ok?", "It's okay. Okay?"),
    ],
)
def test_abbreviations_are_expanded(text, spoken):
    assert speakable(text) == spoken


@pytest.mark.parametrize("text", ["Drake", "Stan and Okra", "Imogen", "Mrsa", "viscount", "the okapi", "Ms"])
def test_abbreviations_only_as_whole_words(text):
    assert speakable(text) == text


def test_expanded_abbreviation_keeps_the_sentence_end():
    spoken = speakable("Sleep, food, water etc. Then rest.")
    assert spoken == "Sleep, food, water et cetera. Then rest."
    assert speech_chunks(spoken) == ["Sleep, food, water et cetera.", "Then rest."]
    assert speakable("Bring snacks, water etc. and rest.") == "Bring snacks, water et cetera and rest."


def test_markdown_markup_is_removed_and_text_kept():
    text = "# Ideas\n**Breathe** slowly and *notice* your `feet`.\n- Walk outside\n- Drink __water__\n1. Sleep"
    assert speakable(text) == "Ideas. Breathe slowly and notice your feet. Walk outside. Drink water. Sleep"


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("That's great!!!", "That's great!"),
        ("Really?!", "Really?"),
        ("Wait... what", "Wait, what"),
        ("I hear you… it's a lot", "I hear you, it's a lot"),
        ("Take care...", "Take care."),
        ('She said "no" (twice) [really]', "She said no twice really"),
        ("the dogs' 'toys'", "the dogs toys"),
        ("It's  a\n\tlong   day", "It's a long day"),
        ("a line\nA new one", "a line. A new one"),
        ("hard -- really hard - today", "hard — really hard — today"),
    ],
)
def test_punctuation_is_tidied(text, spoken):
    assert speakable(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("I'm proud of you 😊", "I'm proud of you"),
        ("Great job 👍🏽 really", "Great job really"),
        ("Family 👨‍👩‍👧 time ❤️!", "Family time!"),
        ("🎉🎉 Well done", "Well done"),
        ("Hi😊there", "Hi there"),
        ("café, naïve, Zoë", "café, naïve, Zoë"),
    ],
)
def test_emoji_are_removed_and_letters_kept(text, spoken):
    assert speakable(text) == spoken


def test_nasty_input_leaves_nothing_espeak_would_spell_out():
    text = (
        "**Hey** @sam #1 ~ {x} [y] <z> a_b | c ^ d = e \\ f `g` 100% $5 & 2+2 a/b 😊🏽‍ ➡️ ★ © ™ → \u200b "
        "email me_now@x.co.uk, http://a.b/c?d=e#f ... !!! ???"
    )
    spoken = speakable(text)
    assert not FORBIDDEN & set(spoken), spoken
    assert all(unicodedata.category(ch)[0] in "LNPZ" for ch in spoken), spoken
    assert "me underscore now at x dot co dot uk" in spoken


@pytest.mark.parametrize("text", ["", "   ", "😊", "**", "\n\n- \n"])
def test_nothing_speakable(text):
    assert speakable(text) == ""
    assert speech_chunks(speakable(text)) == []


def test_chunks_split_at_sentence_ends_keeping_the_marks():
    text = "I'm here. That sounds hard! Do you want to talk? It took 3.5 hours and Mister J. Smith helped."
    assert speech_chunks(text) == [
        "I'm here.",
        "That sounds hard!",
        "Do you want to talk?",
        "It took 3.5 hours and Mister J. Smith helped.",
    ]


def test_first_chunk_is_cut_at_a_clause_so_audio_starts_quickly():
    text = "I'm really glad you told me, and I'm so sorry you're carrying this much pain. You matter."
    chunks = speech_chunks(text)
    assert chunks == ["I'm really glad you told me,", "and I'm so sorry you're carrying this much pain.", "You matter."]
    later = "It is fine. I'm really glad you told me, and I'm so sorry you're carrying this much pain."
    assert speech_chunks(later) == [
        "It is fine.",
        "I'm really glad you told me, and I'm so sorry you're carrying this much pain.",
    ]


def test_first_chunk_cut_needs_a_few_words_on_each_side():
    short_tail = "I am, truly."
    assert speech_chunks(short_tail, first_max_chars=5) == [short_tail]
    assert speech_chunks("A short one, really.", first_max_chars=10) == ["A short one, really."]


@pytest.mark.parametrize(
    ("sentence", "head"),
    [
        ("I'm so sorry you're going through this.", "I'm so sorry"),  # a subject starts the clause
        ("It sounds like you have a lot on your mind right now.", "It sounds like you have a lot"),
        ("You have every right to be upset about that.", "You have every right"),
        ("Oh, I am so sorry to hear that your week has been this hard on you today.", "Oh, I am so sorry to hear"),
    ],
)
def test_a_first_sentence_without_a_usable_comma_is_cut_before_a_phrase(sentence, head):
    chunks = speech_chunks(sentence + " Tell me more.")
    assert chunks[0] == head and " ".join(chunks[:2]) == sentence


def test_long_sentence_is_split_at_clauses_then_words():
    clause = "this has been a long and heavy stretch for you"
    text = f"{clause}, {clause}; {clause}: and {' '.join([clause] * 8)}."
    chunks = speech_chunks(text, max_chars=80)
    words = text.split()
    assert " ".join(chunks).split() == words
    assert all(0 < len(c) <= 80 for c in chunks)
    assert all(set(c.split()) <= set(words) for c in chunks)  # no word was cut in two
    assert chunks[1].endswith(",") and chunks[-1].endswith(".")  # the first is cut short to start sooner


def test_chunks_round_trip_a_speakable_reply():
    reply = speakable(safety_reply(CrisisSignal("abuse", "hitting me"), crisis_resources()))
    chunks = speech_chunks(reply)
    assert " ".join(chunks) == " ".join(reply.split())
    assert len(chunks[0]) <= 32  # cut before a phrase: "I'm so sorry | this is happening to you."
    assert all(c.strip() and len(c) <= 220 for c in chunks)
    assert all(c[-1] in ".!?,;:—" for c in chunks[1:-1])


def test_a_long_first_sentence_with_no_opener_in_reach_is_cut_at_a_word_that_fits():
    sentence = "Hearing that you were extremely lucky when your girlfriend said yes is the best kind of news."
    head, tail, *_ = speech_chunks(sentence)
    assert len(head) <= 32 and f"{head} {tail}" == sentence and len(head.split()) >= 3


def test_a_word_longer_than_the_limit_stays_whole():
    word = "a" * 50
    assert speech_chunks(f"{word} and more words here.", max_chars=20) == [word, "and more words here."]
