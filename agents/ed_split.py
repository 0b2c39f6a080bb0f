"""The EmpatheticDialogues listener replies, and the part of them held out from every training set,
retrieval pool and index. The split is by conversation: contexts that share their first utterance
are one conversation, and the reference replies also appear inside `dialogues_dev.jsonl`, so a
split by row would leak."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

HELD_OUT_PERCENT = 15


def conversation_key(context: list[str]) -> str:
    return context[0].strip()


def is_held_out(context: list[str]) -> bool:
    digest = hashlib.sha256(conversation_key(context).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 100 < HELD_OUT_PERCENT


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def listener_replies(path: Path, held_out: bool) -> list[dict]:
    """`{"context", "emotion", "reply"}` rows of one side of the split."""
    return [row for row in read_jsonl(path) if is_held_out(row["context"]) == held_out]
