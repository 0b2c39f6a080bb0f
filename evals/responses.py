"""Response quality of the reply chain on EmpatheticDialogues-format contexts.

    python -m evals.responses --data ../shared/data/empathetic_dialogues/dialogues_dev.jsonl --limit 500 --json

Each context goes through the agents as a live turn does (emotion, the safety check, scene,
responder), with the configured chat model (embedded by default). Reported:

- dist1, dist2: distinct unigrams and bigrams over all of a reply's, per reply, averaged;
  corpus_dist1, corpus_dist2: the same over all replies together (the figure that judges);
- unique_share: share of replies no other reply repeats word for word; avg_words;
- specific_share: share of replies that repeat a content word (4+ letters, not a stopword or an
  emotion word) from the user's own turns;
- safety_failures: replies the safety check rejects: the unkind-reply lexicon
  (agents/knowledge/unkind_replies.json, blaming, mocking, dismissive and minimising phrases) plus
  its rules, as `agents.safety.is_safe_reply` applies them to every live reply.

Every reply is written, with its context, to --out (JSONL) for reading.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

from evals.provenance import provenance
from settings import quiet_libraries

_WORD = re.compile(r"[a-z']+")


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def distinct(token_lists: list[list[str]], n: int) -> float:
    grams = [tuple(t[i : i + n]) for t in token_lists for i in range(len(t) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def quality(replies: list[str], users: list[str]) -> dict[str, float]:
    from agents.safety import is_safe_reply
    from agents.wording import STOPWORDS
    from vocabulary.taxonomy import EMOTIONS

    lists = [tokens(r) for r in replies]
    counts = Counter(replies)
    feelings = set(EMOTIONS)

    def specific(reply: list[str], user: str) -> bool:
        said = {w for w in tokens(user) if len(w) >= 4 and w not in STOPWORDS and w not in feelings}
        return bool(said & set(reply))

    return {
        "n": len(replies),
        "dist1": round(sum(distinct([t], 1) for t in lists) / len(lists), 4),
        "dist2": round(sum(distinct([t], 2) for t in lists) / len(lists), 4),
        "corpus_dist1": round(distinct(lists, 1), 4),
        "corpus_dist2": round(distinct(lists, 2), 4),
        "unique_share": round(sum(1 for r in replies if counts[r] == 1) / len(replies), 4),
        "avg_words": round(sum(map(len, lists)) / len(lists), 2),
        "specific_share": round(
            sum(specific(t, u) for t, u in zip(lists, users, strict=True)) / len(lists), 4
        ),
        "safety_failures": sum(not is_safe_reply(r) for r in replies),
    }


def reply_to(agents, dialogue) -> tuple[str, str]:
    """The reply a live turn would give, and the emotion read."""
    from agents.safety import crisis_resources, safety_reply, screen_turn

    emotion = agents.emotion.run(dialogue).output
    signal = screen_turn(dialogue.message)
    if signal:
        return safety_reply(signal, crisis_resources()), emotion.label
    scene = agents.scene.run(dialogue, emotion).output
    return agents.responder.run(dialogue, emotion, scene, True).output.response, emotion.label


def run(data: Path, limit: int | None, out: Path) -> dict:
    from evals.emotion import read_contexts
    from graph.backends import build_agents
    from settings import Settings
    from vocabulary.dialogue import Dialogue

    agents = build_agents(Settings())
    items = read_contexts(data, limit)
    replies, users, started = [], [], time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as written:
        for item in items:
            dialogue = Dialogue.from_ed_context(item["context"])
            reply, label = reply_to(agents, dialogue)
            replies.append(reply)
            users.append(" ".join(dialogue.user_turns))
            written.write(
                json.dumps({"context": item["context"], "emotion": label, "reply": reply}, ensure_ascii=False)
                + "\n"
            )
    return {
        "benchmark": "responses", **provenance(), **quality(replies, users), "data": str(data), "replies_file": str(out),
        "seconds": round(time.perf_counter() - started, 1),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    quiet_libraries()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, required=True, help="JSONL of {context: [...], emotion}")
    parser.add_argument("--limit", type=int, help="take the first N contexts")
    parser.add_argument(
        "--out", type=Path, default=Path("evals/results/replies.jsonl"), help="where the replies go"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    report = run(args.data, args.limit, args.out)
    print(json.dumps(report) if args.json else "\n".join(f"{k}: {v}" for k, v in report.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
