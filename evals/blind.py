"""A blind reading of replies: several systems' replies to the same held-out contexts, shuffled and
unlabelled, for a reader to rate 1-5 ("would a caring, attentive friend say this?"), then scored.

    python -m evals.blind write --replies evals/results/listener_replies.jsonl --n 60 --out sheet.md --key key.json
    python -m evals.blind write --replies now.jsonl --replies before=then.jsonl ...   # two runs side by side
    python -m evals.blind score --key key.json --ratings ratings.json --json

`write` takes the replies file of `evals.listener` (the human listener's reply joins as one more
system); more files of the same contexts may join it, their systems named `NAME/system` when given
as `NAME=path` (the listener before and after a change). It picks N contexts at random and writes a
sheet a reader fills in: each context once, its replies lettered in a shuffled order. The key (which letter is which system) stays apart. The
ratings are a JSON object {"<context number>": {"A": 4, "B": 2, ...}}. `score` prints each
system's count, mean and standard error.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import string
import sys
from pathlib import Path


# What every reading sheet opens with: the one question readers answer, and the scale.
INSTRUCTIONS = (
    "# Rate each reply 1-5: would a caring, attentive friend say this?",
    "",
    "5 = exactly what a caring friend would say; 3 = acceptable but flat or slightly off;",
    "1 = unkind, wrong, confusing or broken. Rate every reply of every context on its own.",
    "",
)


def read_replies(sources: list[str]) -> list[dict]:
    """The rows of the first replies file, each with the systems of every file merged in."""
    merged: list[dict] | None = None
    for source in sources:
        name, _, path = source.rpartition("=")
        rows = [json.loads(line) for line in Path(path).open(encoding="utf-8")]
        if merged is None:
            merged = [{**row, "replies": {}} for row in rows]
        if [r["context"] for r in rows] != [r["context"] for r in merged]:
            raise SystemExit(f"{path} does not answer the same contexts in the same order as {sources[0]}")
        for into, row in zip(merged, rows, strict=True):
            into["replies"].update({f"{name}/{s}" if name else s: text for s, text in row["replies"].items()})
    return merged or []


def write(sources: list[str], n: int, sheet: Path, key: Path, seed: int) -> dict:
    rows = read_replies(sources)
    rng = random.Random(seed)
    chosen = rng.sample(rows, min(n, len(rows)))
    lines = list(INSTRUCTIONS)
    mapping = {}
    for number, row in enumerate(chosen, 1):
        options = [("human", row["reply"])] + list(row["replies"].items())
        rng.shuffle(options)
        letters = string.ascii_uppercase[: len(options)]
        mapping[str(number)] = {letter: system for letter, (system, _) in zip(letters, options)}
        lines.append(f"## {number}")
        # Contexts open and close with the person who is talking to the friend.
        lines += [f"> {('Them', 'Friend')[i % 2]}: {turn}" for i, turn in enumerate(row["context"])]
        lines.append("")
        lines += [f"- {letter}: {text}" for letter, (_, text) in zip(letters, options)]
        lines.append("")
    for path in (sheet, key):
        path.parent.mkdir(parents=True, exist_ok=True)
    sheet.write_text("\n".join(lines), encoding="utf-8")
    key.write_text(json.dumps(mapping, indent=1), encoding="utf-8")
    return {"contexts": len(chosen), "sheet": str(sheet), "key": str(key)}


def score(key: Path, ratings: Path) -> dict:
    mapping = json.loads(key.read_text(encoding="utf-8"))
    given = json.loads(ratings.read_text(encoding="utf-8"))
    per_system: dict[str, list[int]] = {}
    for number, letters in mapping.items():
        for letter, system in letters.items():
            rating = (given.get(number) or {}).get(letter)
            if rating is not None:
                per_system.setdefault(system, []).append(int(rating))
    report = {}
    for system, values in sorted(per_system.items()):
        mean = sum(values) / len(values)
        spread = math.sqrt(sum((v - mean) ** 2 for v in values) / max(1, len(values) - 1))
        report[system] = {"n": len(values), "mean": round(mean, 3), "stderr": round(spread / math.sqrt(len(values)), 3)}
    return {"benchmark": "blind_reading", "systems": report}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    w = commands.add_parser("write")
    w.add_argument("--replies", action="append", required=True, metavar="[NAME=]PATH")
    w.add_argument("--n", type=int, default=60)
    w.add_argument("--out", type=Path, required=True)
    w.add_argument("--key", type=Path, required=True)
    w.add_argument("--seed", type=int, default=0)
    s = commands.add_parser("score")
    s.add_argument("--key", type=Path, required=True)
    s.add_argument("--ratings", type=Path, required=True)
    s.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "write":
        report = write(args.replies, args.n, args.out, args.key, args.seed)
    else:
        report = score(args.key, args.ratings)
    print(json.dumps(report) if getattr(args, "json", True) else json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
