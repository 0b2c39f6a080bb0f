"""Recognises when a user names a feeling outright (explicit emotion)."""

from __future__ import annotations

import functools
import json
import re

from agents.catalogue import KNOWLEDGE_DIR


@functools.lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    table = json.loads((KNOWLEDGE_DIR / "emotion_words.json").read_text("utf-8"))
    patterns = {}
    for label, entries in table.items():
        if label.startswith("_"):
            continue
        alternatives = [
            re.escape(e[:-1]) + r"[a-z]*" if e.endswith("*") else re.escape(e) for e in entries
        ]
        patterns[label] = re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.IGNORECASE)
    return patterns


def named_feelings(text: str) -> set[str]:
    """Every label whose words appear in the text."""
    return {label for label, pattern in _patterns().items() if pattern.search(text)}


@functools.lru_cache(maxsize=1)
def _any_feeling() -> re.Pattern[str]:
    return re.compile("|".join(p.pattern for p in _patterns().values()), re.IGNORECASE)


def is_feeling_word(word: str) -> bool:
    return bool(_any_feeling().fullmatch(word))


@functools.lru_cache(maxsize=1)
def _feeling_statement() -> re.Pattern[str]:
    return re.compile(
        r"^(?:i|we)(?:'m|'ve been| am| was| were| feel| felt| get| got| have been| had been)?\s+"
        r"(?:(?:so|really|very|pretty|quite|a bit|kind of|kinda|super|extremely|absolutely|just)\s+)*"
        r"(?:" + _any_feeling().pattern + r")"
        r"(?:\s+(?:of|about|that|because|when|by|with|for|at|over|to see|to hear|to find out))?\s+",
        re.IGNORECASE,
    )


def strip_feeling_statement(clause: str) -> str:
    """'I am so scared of the storm tonight' -> 'the storm tonight': the trigger, not the feeling."""
    rest = _feeling_statement().sub("", clause, count=1)
    return rest if rest and rest != clause and len(rest.split()) >= 2 else clause
