"""Chatbot replies made speakable for Kokoro (espeak-ng phonemes), and cut into chunks for streaming synthesis.

espeak reads emoji names, symbols and helpline numbers literally ("one million eight hundred ..."), so
`speakable` rewrites them as a listener expects; `speech_chunks` keeps the first chunk short so audio starts early.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from vocabulary.text import ONES, SCALES, TENS

_QUOTES = str.maketrans({"‘": "'", "’": "'", "ʼ": "'", "“": '"', "”": '"'})
_LIST_MARKER = re.compile(r"^\s*(?:[-*+•>]\s+|#{1,6}\s+|\d{1,2}[.)]\s+|```\w*)")
_CONTINUES = re.compile(r"\W*[a-z]")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_ELLIPSIS = re.compile(r"\s*(?:\.{3,}|…)+")
_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-]+)@([\w-]+(?:\.[\w-]+)+)\b")
_URL = re.compile(
    r"(?<![\w.-])(?P<prefix>https?://(?:www\.)?|www\.)?(?P<host>(?:[\w-]+\.)+(?P<tld>[A-Za-z]{2,}))\b"
    r"(?P<path>[/?#]\S*)?"
)
_URL_END = ".,;:!?)]'\""
# Without a scheme or www, only these endings mark a domain; "sad.It" is a missing space, not a host.
_TLDS = frozenset(
    {"com", "org", "net", "gov", "edu", "info", "io", "uk", "au", "ca", "nz", "ie", "us", "eu", "co"}
)
_CURRENCY = re.compile(r"([$£€])\s?(\d+(?:,\d{3})*)(?:\.(\d{1,2}))?(?!\d)")
_UNITS = {"$": ("dollar", "cents"), "£": ("pound", "pence"), "€": ("euro", "cents")}
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s?%")
_AREA_CODE = re.compile(r"\((\d{2,5})\)\s?(?=\d)")
_NUMBER = re.compile(r"(?<![\w.,:])(\+\s?)?\d+(?:[ .-]\d+)*(?!\w|[.,:]\d)")
_GROUP_SEPARATOR = re.compile(r"[ .-]")
_CALLED = re.compile(
    r"\b(?:call|text|dial|ring|phone)(?:\s+(?:or|and)\s+[a-z]+)?(?:\s+(?:us|them|me|on|at|free))*\s+$",
    re.IGNORECASE,
)
_EMERGENCY = frozenset({"112", "911", "988", "999"})
_RANGE = re.compile(r"\b(\d+(?:\s?[ap]\.?m\b\.?)?)\s?[-–]\s?(?=\d)", re.IGNORECASE)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_TIME = re.compile(r"\b(\d{1,2})(?:([:.])(\d{2}))?(?:\s?([ap])\.?m\b\.?)?", re.IGNORECASE)
_DURATION = re.compile(r"\b(\d+(?:\.\d+)?)\s?(min|hr)s?\b\.?", re.IGNORECASE)
_ORDINAL = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b", re.IGNORECASE)
_LAST_WORD = re.compile(r"[a-z]+$")
_TITLE = re.compile(r"\b(Dr|Mrs|Mr|Ms)(?:\.|\b(?=\s+[A-Z]))")
_TITLES = {"Dr": "Doctor", "Mr": "Mister", "Mrs": "Missus", "Ms": "Miz"}
_SAINT = re.compile(r"\bSt\.?(?=\s+[A-Z])")
_STREET = re.compile(r"\bSt\b\.?")
_SHORTHAND = re.compile(
    r"\b(?:(?:e\.g|i\.e|etc|vs|approx|jr)\b\.?|(?:btw|imo|asap|fyi|tbh|ok)\b)", re.IGNORECASE
)
_EXPANSIONS = {
    "eg": "for example", "ie": "that is", "etc": "et cetera", "vs": "versus", "approx": "approximately",
    "jr": "Junior", "btw": "by the way", "imo": "in my opinion", "asap": "as soon as possible",
    "fyi": "for your information", "tbh": "to be honest", "ok": "okay",
}  # fmt: skip
_CAN_END_SENTENCE = frozenset({"etc", "approx", "jr"})
_NEXT_SENTENCE = re.compile(r"\s*$|\s+[A-Z]")
_ALWAYS = re.compile(r"\b24\s?/\s?7\b")
_AND_OR = re.compile(r"\b(and)/(or)\b", re.IGNORECASE)
_OR = re.compile(r"(?<=[^\W\d_])/(?=[^\W\d_])")
_DASH = re.compile(r"\s+[-–—]+\s+|\s*(?:-{2,}|[–—])\s*")
_UNSPEAKABLE = re.compile(r"[^\w\s.,!?;:'\-—]|_")
_STRAY = re.compile(r"\B'|'\B|(?<!\w)-+|-+(?!\w)")
_SPACE_BEFORE_MARK = re.compile(r"\s+(?=[.,!?;:])")
_MARK_RUN = re.compile(r"[.,!?;:—](?:\s*[.,!?;:—])+")
_LEADING_MARKS = re.compile(r"^[\s.,!?;:—]+")
_TRAILING_MARK = re.compile(r"\s*[,;:—]$")

_ORDINAL_WORDS = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth", "nine": "ninth",
    "twelve": "twelfth",
}  # fmt: skip


def _cardinal(n: int) -> str:
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + (f"-{ONES[n % 10]}" if n % 10 else "")
    name, size = next((name, size) for name, size in SCALES.items() if n >= size)
    head, rest = divmod(n, size)
    return f"{_cardinal(head)} {name}" + (f" {_cardinal(rest)}" if rest else "")


def _ordinal_word(word: re.Match[str]) -> str:
    w = word[0]
    return _ORDINAL_WORDS.get(w) or (w[:-1] + "ieth" if w.endswith("y") else w + "th")


def _ordinal(m: re.Match[str]) -> str:
    return _LAST_WORD.sub(_ordinal_word, _cardinal(int(m[1])))


def _with_end(m: re.Match[str], words: str) -> str:
    """`words` for a match that swallowed a final dot, keeping the dot when it also ended the sentence."""
    ends = m[0].endswith(".") and _NEXT_SENTENCE.match(m.string, m.end())
    return words + "." if ends else words


def _join_lines(text: str) -> str:
    # Bullets and headings rarely end in punctuation; a full stop keeps each one its own sentence,
    # unless the next line carries on in lower case (a wrapped sentence).
    lines = [line for line in (_LIST_MARKER.sub("", raw).strip() for raw in text.splitlines()) if line]
    return " ".join(
        line + "." if following and not _CONTINUES.match(following) and line[-1] not in ".!?,;:" else line
        for line, following in zip(lines, [*lines[1:], ""])
    )


def _email(m: re.Match[str]) -> str:
    user = m[1].replace(".", " dot ").replace("_", " underscore ").replace("+", " plus ")
    return f"{user} at {m[2].replace('.', ' dot ')}"


def _url(m: re.Match[str]) -> str:
    if not m["prefix"] and m["tld"] not in _TLDS:
        return m[0]
    path = m["path"] or ""
    return (
        m["host"].replace(".", " dot ") + path[len(path.rstrip(_URL_END)) :]
    )  # keep the sentence's own marks


def _money(m: re.Match[str]) -> str:
    unit, small = _UNITS[m[1]]
    whole, cents = m[2], str(int(m[3].ljust(2, "0"))) if m[3] else ""
    if whole == "0" and cents:
        return f"{cents} {small}"
    amount = f"{whole} {unit}{'' if whole == '1' else 's'}"
    return f"{amount} {cents}" if cents and cents != "0" else amount


def _is_phone(groups: list[str], span: str, called: bool) -> bool:
    lengths = [len(g) for g in groups]
    digits = sum(lengths)
    if (len(groups) == 2 and "." in span) or (len(groups) > 1 and max(lengths) == 1):
        return False  # a decimal, or digits already spaced out
    return (
        (called and digits >= 3)
        or (len(groups) >= 3 and digits >= 6)
        or lengths == [3, 4]
        or (lengths == [3, 3] and "-" not in span)
        or (groups[0].startswith("0") and digits >= 3)
        or (len(groups) == 1 and (digits >= 5 or span in _EMERGENCY))
    )


def _number(m: re.Match[str]) -> str:
    """Phone and helpline numbers digit by digit, a comma between the groups as written."""
    plus = m[1] or ""
    span = m[0][len(plus) :]
    groups = _GROUP_SEPARATOR.split(span)
    called = bool(_CALLED.search(m.string, max(0, m.start() - 60), m.start()))
    if not _is_phone(groups, span, called):
        return m[0]
    return ("plus " if plus else "") + ", ".join(" ".join(group) for group in groups)


def _time(m: re.Match[str]) -> str:
    hour, separator, minute, half = m[1], m[2], m[3], m[4]
    if not half and separator != ":":
        return m[0]
    words = [hour]
    if minute and minute != "00":
        words.append(f"oh {minute[1]}" if minute[0] == "0" else minute)
    elif minute and not half:
        words.append("o'clock")
    if half:
        words.append(f"{half.upper()} M")
    return _with_end(m, " ".join(words))


def _duration(m: re.Match[str]) -> str:
    unit = "minute" if m[2].lower() == "min" else "hour"
    return _with_end(m, f"{m[1]} {unit}{'' if m[1] == '1' else 's'}")


def _shorthand(m: re.Match[str]) -> str:
    key = m[0].lower().replace(".", "")
    words = _EXPANSIONS[key]
    before = m.string[: m.start()].rstrip()
    if not before or before[-1] in ".!?":
        words = words[0].upper() + words[1:]
    return _with_end(m, words) if key in _CAN_END_SENTENCE else words


def _strongest_mark(m: re.Match[str]) -> str:
    marks = m[0].replace(" ", "")
    return next((mark for mark in marks if mark in ".!?"), marks[0])


# Order matters: addresses before numbers, numbers before times, symbols last.
_STEPS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (_ELLIPSIS, ", "),
    (_EMAIL, _email),
    (_URL, _url),
    (_CURRENCY, _money),
    (_PERCENT, r"\1 percent"),
    (_AREA_CODE, r"\1 "),
    (_NUMBER, _number),
    (_RANGE, r"\1 to "),
    (_THOUSANDS, ""),
    (_TIME, _time),
    (_DURATION, _duration),
    (_ORDINAL, _ordinal),
    (_TITLE, lambda m: _TITLES[m[1]]),
    (_SAINT, "Saint"),
    (_STREET, lambda m: _with_end(m, "Street")),
    (_SHORTHAND, _shorthand),
    (_ALWAYS, "twenty-four seven"),
    (_AND_OR, r"\1 \2"),
    (_OR, " or "),
    (re.compile(r"\s*&\s*"), " and "),
    (re.compile(r"\s*\+\s*"), " plus "),
    (_DASH, " — "),
    (_UNSPEAKABLE, " "),
    (_STRAY, " "),
]


def speakable(text: str) -> str:
    """Plain text espeak reads as a listener expects: no emoji or markup, numbers and symbols as words."""
    text = _join_lines(_LINK.sub(r"\1", unicodedata.normalize("NFC", text).translate(_QUOTES)))
    for pattern, replacement in _STEPS:
        text = pattern.sub(replacement, text)
    text = _SPACE_BEFORE_MARK.sub("", " ".join(text.split()))
    text = _MARK_RUN.sub(_strongest_mark, text)
    # A reply that trails off ("Take care…", a list's colon) still ends as a sentence.
    return _TRAILING_MARK.sub(".", _LEADING_MARKS.sub("", text))


_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\b[A-HJ-Z]\.)\s+")  # not after an initial ("J. Smith")
_CLAUSE_END = re.compile(r"(?<=[,;:—])\s+")
_MIN_SIDE_WORDS = 3


def _fit(sentence: str, limit: int) -> list[str]:
    """A sentence as chunks of at most `limit` characters: whole clauses where they fit, else whole words."""
    if len(sentence) <= limit:
        return [sentence]
    packed: list[str] = []
    for clause in _CLAUSE_END.split(sentence):
        for piece in [clause] if len(clause) <= limit else clause.split():
            if packed and len(packed[-1]) + 1 + len(piece) <= limit:
                packed[-1] += " " + piece
            else:
                packed.append(piece)
    return packed


# Words that open a phrase, where a sentence with no comma can still be cut without breaking its sense:
# clause openers first, then prepositions, then a subject starting a clause with no "that" before it.
_OPENERS = {
    **dict.fromkeys("because when while if that which who and but so until since although unless".split(), 0),
    **dict.fromkeys(
        "about through with without for to of in on at after before like into from over".split(), 1
    ),
    **dict.fromkeys("you you're you've you'll i i'm i've we we're it it's they they're".split(), 2),
    **dict.fromkeys("a an the your my his her their our this these those".split(), 3),
}
_ANY_WORD = 4  # a long sentence with no opener in reach is cut at its last word that fits


def _cut_first(chunk: str, limit: int) -> list[str]:
    """The first chunk cut at a clause mark, else before a phrase opener, into a head of at most `limit`
    characters that can be played while the rest is made."""
    for mark in _CLAUSE_END.finditer(chunk):
        head, tail = chunk[: mark.start()], chunk[mark.end() :]
        if len(head) > limit or len(tail.split()) < _MIN_SIDE_WORDS:
            break
        if len(head.split()) >= _MIN_SIDE_WORDS:
            return [head, tail]
    words = chunk.split()
    long = len(chunk) > 2 * limit
    cuts = [
        (_OPENERS.get(word.lower(), _ANY_WORD), -i, i)
        for i, word in enumerate(words)
        if _MIN_SIDE_WORDS <= i <= len(words) - _MIN_SIDE_WORDS
        and (word.lower() in _OPENERS or long)
        and len(" ".join(words[:i])) <= limit
    ]
    if not cuts:
        return [chunk]
    at = min(cuts)[2]
    return [" ".join(words[:at]), " ".join(words[at:])]


def speech_chunks(text: str, first_max_chars: int = 32, max_chars: int = 220) -> list[str]:
    """Speakable text in reading order, a sentence (or clauses of a long one) per chunk, the first kept short."""
    text = " ".join(text.split())
    chunks = [
        piece for sentence in _SENTENCE_END.split(text) if sentence for piece in _fit(sentence, max_chars)
    ]
    if chunks and len(chunks[0]) > first_max_chars:
        chunks[:1] = _cut_first(chunks[0], first_max_chars)
    return chunks
