"""What kind of news each held-out message tells, as readers take it: the side a reply is held to by
the wrong-tone figure of `evals.listener`.

    python -m evals.news write --out sheet.md
    python -m evals.news take --ratings reader-1.json --ratings reader-2.json

A conversation's ED label is the feeling its whole situation was written for, not always the news
of the message a reply answers: "grateful" is the label of "The transmission in my car died last
week", whose gratitude comes later, and "apprehensive" of "Can you believe that I learned to ride a
bike at age 15?". Readers who see no reply and no label say, for each held-out message, whether it
tells the person's good news, bad news or neither (neutral, mixed, unclear). `write` makes the
sheet; each reader answers {"<item number>": "good" | "bad" | "neither"}; `take` stores every
reader's word per message in `evals/news.jsonl`, keyed by a digest of the context, and prints how
often the readers agree. A message is held to a side only where every reader gave it the same one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

NEWS = Path(__file__).with_name("news.jsonl")
ED = Path(__file__).resolve().parents[2] / "shared" / "data" / "empathetic_dialogues"
KINDS = ("good", "bad", "neither")
SIDES = {"good": "positive", "bad": "negative"}

INSTRUCTIONS = (
    "# What kind of news?",
    "",
    "Each item is the start of a conversation between a Speaker and a Listener. Read the Speaker's LAST message",
    "(the earlier lines are there only so you know what it refers to) and say what kind of news it tells,",
    "for the Speaker:",
    "",
    "- good: it tells of something good for them or something they are glad, proud, excited or grateful about;",
    "- bad: it tells of something bad for them or something they are sad, afraid, angry, worried, ashamed or hurt about;",
    "- neither: neutral, mixed, both at once, or you cannot tell (small talk, a question, a bare statement).",
    "",
    "Judge the message itself, as a reader would take it; do not guess at what comes later.",
    "",
)


def context_key(context: list[str]) -> str:
    return hashlib.sha256("\x1f".join(context).encode("utf-8")).hexdigest()[:16]


def held_out(data: Path) -> list[dict]:
    from agents.ed_split import listener_replies

    return listener_replies(data / "listener_replies_dev.jsonl", held_out=True)


def write(data: Path, sheet: Path) -> dict:
    lines = list(INSTRUCTIONS)
    rows = held_out(data)
    for number, row in enumerate(rows, 1):
        lines.append(f"## {number}")
        lines += [f"{('Speaker', 'Listener')[i % 2]}: {turn}" for i, turn in enumerate(row["context"])]
        lines.append("")
    sheet.parent.mkdir(parents=True, exist_ok=True)
    sheet.write_text("\n".join(lines), encoding="utf-8")
    return {"messages": len(rows), "sheet": str(sheet)}


def take(data: Path, ratings: list[Path], out: Path = NEWS) -> dict:
    readers = [json.loads(path.read_text(encoding="utf-8")) for path in ratings]
    rows = held_out(data)
    with out.open("w", encoding="utf-8") as f:
        for number, row in enumerate(rows, 1):
            said = [reader[str(number)] for reader in readers]
            if unknown := set(said) - set(KINDS):
                raise SystemExit(f"item {number}: {sorted(unknown)} is not one of {KINDS}")
            f.write(json.dumps({"key": context_key(row["context"]), "readers": said}) + "\n")
    agreed = sum(len(set(reader[str(n)] for reader in readers)) == 1 for n in range(1, len(rows) + 1))
    return {"messages": len(rows), "readers": len(readers), "agreed": agreed, "news": str(out)}


def sides(contexts: list[list[str]], path: Path = NEWS) -> list[str | None]:
    """Per context, "positive" or "negative" where every reader took its message as good or bad news
    alike; None where they called it neither, differed, or never read it."""
    told = {}
    if path.exists():
        for line in path.open(encoding="utf-8"):
            row = json.loads(line)
            told[row["key"]] = row["readers"]
    found = []
    for context in contexts:
        said = set(told.get(context_key(context), ["neither"]))
        found.append(SIDES.get(said.pop()) if len(said) == 1 else None)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ED, help="folder of the ED files")
    commands = parser.add_subparsers(dest="command", required=True)
    w = commands.add_parser("write")
    w.add_argument("--out", type=Path, required=True)
    t = commands.add_parser("take")
    t.add_argument("--ratings", action="append", type=Path, required=True)
    args = parser.parse_args(argv)
    report = write(args.data, args.out) if args.command == "write" else take(args.data, args.ratings)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
