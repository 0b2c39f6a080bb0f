"""Readers' ratings of the listener's own candidates: what it learns on from (`make train-listener`,
`--rated`) and what the reranker's weights are fitted to (agents.listener.reranker).

    python -m evals.rating write --data ../shared/data/empathetic_dialogues --situations 350 --later 250 --round 2 --out DIR
    python -m evals.rating take --candidates DIR/candidates.jsonl --ratings DIR/ratings-1.json ... --round 2

`write` picks contexts the listener never learnt and readers never rated, outside the held-out
conversations (agents.ed_split): ED train-split situations, sentence-cased, and later turns of dev
conversations. Each goes through the emotion agent as a live turn does, so the emotion kept with it
is the one a live prompt would carry; then every candidate whose opening passes the guards is
written on to its whole reply, the way the reply would go on had the reranker picked it. It writes
`candidates.jsonl` and sheets of --per-sheet contexts (`sheet-1.md`, ...) for readers, who are told
nothing about how the replies were made and rate each 1-5 ("would a caring, attentive friend say
this?") into a JSON object {"<context number>": {"A": 4, "B": 2, ...}}.

`take` joins the ratings to the candidates and adds every context with at least one rated
candidate to `agents/knowledge/rated_candidates.jsonl`, marked with its round; candidates left
unrated are dropped.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import string
import sys
from pathlib import Path

from agents.ed_split import is_held_out, read_jsonl
from agents.listener.reranker import RATED
from agents.listener.training import WRITTEN
from evals.blind import INSTRUCTIONS


def _sentence_cased(text: str) -> str:
    text = re.sub(r"\bi\b", "I", " ".join(text.split()))
    return text[:1].upper() + text[1:]


def fresh_contexts(data: Path, situations: int, later: int, seed: int) -> list[list[str]]:
    """Contexts no training set, rating round or held-out conversation holds."""
    known = [r["context"] for path in (WRITTEN, RATED, data / "listener_replies_dev.jsonl") for r in read_jsonl(path)]
    seen = {tuple(c) for c in known} | {(c[0].lower(),) for c in known}
    with (data / "situations_train.csv").open(encoding="utf-8") as f:
        told = [[_sentence_cased(row["text"])] for row in csv.DictReader(f) if len(row["text"].split()) >= 6]
    told = [c for c in told if (c[0].lower(),) not in seen and not is_held_out(c)]
    turns = [r["context"] for r in read_jsonl(data / "dialogues_dev.jsonl") if len(r["context"]) >= 3]
    turns = [c for c in turns if tuple(c) not in seen and not is_held_out(c)]
    rng = random.Random(seed)
    chosen = rng.sample(told, min(situations, len(told))) + rng.sample(turns, min(later, len(turns)))
    rng.shuffle(chosen)
    return list({tuple(c): c for c in chosen}.values())


def candidates_for(contexts: list[list[str]]) -> list[dict]:
    """Per context the agents would answer with the listener: every candidate that passed the guards,
    written on to its whole reply."""
    import dataclasses

    from agents.responder import Responder
    from agents.safety import screen_turn
    from agents.wording import looks_english
    from graph.backends import build_agents
    from settings import Settings
    from vocabulary.dialogue import Dialogue

    agents = build_agents(dataclasses.replace(Settings(), listener="trained"), chat_model=None)
    rows = []
    for number, context in enumerate(contexts, 1):
        dialogue = Dialogue.from_ed_context(context)
        if screen_turn(dialogue.message) or Responder.fixed_words(dialogue) or not looks_english(dialogue.message):
            continue  # answered by fixed words, never the listener
        emotion = agents.emotion.run(dialogue).output
        written = {c["reply"]: c for c in agents.responder.every_reply(dialogue, emotion)}  # the same reply once
        rows.append({"context": context, "emotion": emotion.label, "candidates": list(written.values())})
        if number % 50 == 0:
            print(json.dumps({"contexts": number, "of": len(contexts)}), file=sys.stderr, flush=True)
    return rows


def sheets(rows: list[dict], per_sheet: int) -> list[str]:
    """Reading sheets, the contexts numbered across them from 1 and each one's replies lettered."""
    pages = []
    for start in range(0, len(rows), per_sheet):
        lines = list(INSTRUCTIONS)
        for number, row in enumerate(rows[start : start + per_sheet], start + 1):
            lines.append(f"## {number}")
            lines += [f"> {('Them', 'Friend')[i % 2]}: {turn}" for i, turn in enumerate(row["context"])]
            lines.append("")
            lines += [f"- {letter}: {c['reply']}" for letter, c in zip(string.ascii_uppercase, row["candidates"])]
            lines.append("")
        pages.append("\n".join(lines))
    return pages


def write(data: Path, situations: int, later: int, round_: int, out: Path, per_sheet: int, seed: int) -> dict:
    rows = [{**r, "round": round_} for r in candidates_for(fresh_contexts(data, situations, later, seed)) if r["candidates"]]
    out.mkdir(parents=True, exist_ok=True)
    with (out / "candidates.jsonl").open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    pages = sheets(rows, per_sheet)
    for number, page in enumerate(pages, 1):
        (out / f"sheet-{number}.md").write_text(page, encoding="utf-8")
    return {"contexts": len(rows), "candidates": sum(len(r["candidates"]) for r in rows), "sheets": len(pages)}


def take(candidates: Path, ratings: list[Path], round_: int, into: Path = RATED) -> dict:
    rows = read_jsonl(candidates)
    given: dict[str, dict] = {}
    for path in ratings:
        given.update(json.loads(path.read_text(encoding="utf-8")))
    kept = []
    for number, row in enumerate(rows, 1):
        letters = given.get(str(number)) or {}
        rated = [{**c, "rating": int(letters[letter])} for letter, c in zip(string.ascii_uppercase, row["candidates"])
                 if letters.get(letter) is not None]  # fmt: skip
        if rated:
            kept.append({"context": row["context"], "emotion": row["emotion"], "candidates": rated, "round": round_})
    with into.open("a", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in kept)
    return {"contexts": len(kept), "ratings": sum(len(r["candidates"]) for r in kept), "into": str(into)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    w = commands.add_parser("write")
    w.add_argument("--data", type=Path, required=True, help="folder of the ED files")
    w.add_argument("--situations", type=int, default=350)
    w.add_argument("--later", type=int, default=250)
    w.add_argument("--round", type=int, required=True)
    w.add_argument("--out", type=Path, required=True)
    w.add_argument("--per-sheet", type=int, default=100)
    w.add_argument("--seed", type=int, default=0)
    t = commands.add_parser("take")
    t.add_argument("--candidates", type=Path, required=True)
    t.add_argument("--ratings", type=Path, action="append", required=True)
    t.add_argument("--round", type=int, required=True)
    args = parser.parse_args(argv)
    if args.command == "write":
        report = write(args.data, args.situations, args.later, args.round, args.out, args.per_sheet, args.seed)
    else:
        report = take(args.candidates, args.ratings, args.round)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
