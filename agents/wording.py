"""Small text operations the embedded policies share: sentences, clauses, pronoun reflection."""

from __future__ import annotations

import re

from vocabulary.text import ONES, SCALES, TENS

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_CLAUSE = re.compile(
    r"\s*[,;:]\s*|\s+(?=(?:and|but|because|since|though|although|while|cause|'cause)\b)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z']+")

# Words that introduce the reason for a feeling; the clause after them is the likely cause.
CAUSAL_OPENERS = ("because", "since", "cause", "'cause")
_LEADING_FILLER = re.compile(
    r"^(?:(?:and|but|so|because|since|after|when|as|though|although|while|cause|'cause|well|"
    r"oh|ok|okay|yeah|honestly|actually|today|tonight|yesterday|lately|recently|now|then|just|"
    r"this (?:morning|afternoon|evening|week|weekend|year)|last (?:night|week|month|year|weekend)|"
    r"the other day|a (?:few|couple of) (?:days|weeks|months|years) ago)\b[\s,]*)+",
    re.IGNORECASE,
)

STOPWORDS = frozenset(
    """a an the i me my myself we our us you your he him his she her it its they them their
    this that these those am is are was were be been being have has had do does did will would
    shall should can could may might must to of in on at by for with about from up down out
    over under again then once here there all any both each few more most other some such no
    nor not only own same so than too very just and but if or because as until while really
    feel feeling felt so much lot got get""".split()
)

_REFLECT = {
    "i": "you", "me": "you", "my": "your", "mine": "yours", "myself": "yourself",
    "i'm": "you're", "im": "you're", "i've": "you've", "i'll": "you'll", "i'd": "you'd",
    "we": "you", "us": "you", "our": "your", "ours": "yours", "ourselves": "yourselves",
    "we're": "you're", "we've": "you've", "we'll": "you'll",
}  # fmt: skip
_AFTER_I = {"am": "are", "was": "were"}


# Words that can open a clause as its subject; "and fell over" has none and belongs to the clause before.
SUBJECTS = frozenset(
    """i you he she we they it my your his her our their this that these those there the a an
    someone somebody everyone everybody nobody no one people i'm i've i'd i'll it's that's""".split()
)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def clauses(sentence: str) -> list[str]:
    """Clauses of a sentence; one opened by 'and'/'but' without a subject of its own stays joined
    to the one before ("I tripped and fell over")."""
    joined: list[str] = []
    for part in (c.strip(" .!?\"") for c in _CLAUSE.split(sentence)):
        if not part:
            continue
        tokens = part.lower().split()
        if joined and tokens[0] in ("and", "but") and len(tokens) > 1 and tokens[1] not in SUBJECTS:
            joined[-1] = f"{joined[-1]} {part}"
        else:
            joined.append(part)
    return joined


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS and len(w) > 1]


def strip_leading_filler(clause: str) -> str:
    return _LEADING_FILLER.sub("", clause).strip()


def clip_words(text: str, limit: int) -> str:
    tokens = text.split()
    return " ".join(tokens[:limit])


def reflect(text: str) -> str:
    """First person to second person, so a user's clause can be mirrored back to them."""
    out: list[str] = []
    previous = ""
    for token in re.findall(r"[A-Za-z']+|[^A-Za-z']+", text):
        lower = token.lower()
        if lower in _REFLECT:
            token = _REFLECT[lower]
        elif lower in _AFTER_I and previous in ("i", "we"):
            token = _AFTER_I[lower]
        if token.strip():
            previous = lower if token[0].isalpha() else previous
        out.append(token)
    return "".join(out)


# English function words; a message of several words with none of them is likely not English.
_ENGLISH_MARKERS = frozenset(
    "the a an i you he she it we they is are was were am be to of and in on my me your that "
    "this what how why so not but have has had do did can just feel with for at "
    "oh no yes really very that's it's i'm you're don't can't".split()
)


# Function words of the languages written in Latin letters that users most often send instead;
# "me" or "a" alone is not English when the words around them are Spanish.
_OTHER_MARKERS = frozenset(
    "el la los las que por porque muy mi es un una y con para pero del estoy siento hoy "
    "le les des est et je tu il nous vous pas une avec pour très mais suis "
    "der die das und ich nicht ist ein eine mit sehr aber bin "
    "il che non sono per con ma molto ho "
    "os não com uma muito eu estou".split()
)


_UNITS = {word: n for n, word in enumerate(ONES)} | {word: 10 * n for n, word in enumerate(TENS) if word}
_NUMERAL = re.compile(r"\d[\d,]*(?:\.\d+)?|[a-z]+")


def numbers(text: str, lone: bool = False) -> set[float]:
    """The numbers a text states, in digits or in words ("twenty-three", "five hundred", "1,200",
    "26.2"). A lone "one" or "two" counts only with `lone`: in a reply, "one of those days" and "you
    two" state no number, while what the person said may give one so ("two weeks")."""
    found: set[float] = set()
    run: list[str] = []

    def close() -> None:
        if run and (lone or not (len(run) == 1 and run[0] in ("one", "two"))):
            total = current = 0
            for w in run:
                if w in _UNITS:
                    current += _UNITS[w]
                elif w == "hundred":
                    current = max(current, 1) * 100
                else:
                    total, current = total + max(current, 1) * SCALES[w], 0
            found.add(float(total + current))
        run.clear()

    for token in _NUMERAL.findall(text.lower()):
        if token[0].isdigit():
            close()
            found.add(float(token.replace(",", "")))
        elif token in _UNITS or token in SCALES:
            run.append(token)
        elif not (token == "and" and run):  # "two hundred and fifty"
            close()
    close()
    return found


def looks_english(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return True  # digits or emoji only: nothing to judge, let the agents cope
    if sum(ch.isascii() for ch in letters) / len(letters) < 0.7:
        return False
    tokens = words(text)
    if len(tokens) < 4:
        return True
    english = sum(t in _ENGLISH_MARKERS for t in tokens)
    other = sum(t in _OTHER_MARKERS and t not in _ENGLISH_MARKERS for t in tokens)
    return english > 0 and other <= 2 * english
