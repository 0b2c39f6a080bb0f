"""A message's characters as they are stored and shown: without control or bidi-override
characters, normalised, and cut at a sentence end when it is too long; and the words numbers are
spoken and read in."""

from __future__ import annotations

import re
import unicodedata

# Number words, as the companion speaks numbers (tools.speech.text) and reads them (agents.wording).
ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)  # fmt: skip
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
SCALES = {"billion": 10**9, "million": 10**6, "thousand": 1000, "hundred": 100}  # largest first

# Control characters, and the bidirectional overrides, embeddings and isolates that can make shown
# text read differently from what it holds (U+202A-202E, U+2066-2069).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """The text without control or bidi-override characters: what is stored and shown."""
    return _CONTROL.sub("", text)


def normalise_text(text: str) -> str:
    """NFC, no control characters, single spaces."""
    text = strip_controls(unicodedata.normalize("NFC", text))
    return re.sub(r"[ \t]+", " ", text).strip()


def truncate_message(text: str, limit: int) -> str:
    """Cut at the last sentence end before the limit, else at the last space; a text within the
    limit is kept whole."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    cut = max(head.rfind(". "), head.rfind("! "), head.rfind("? "))
    if cut < limit // 2:
        cut = head.rfind(" ")
    return head[: cut + 1].strip() if cut > 0 else head
