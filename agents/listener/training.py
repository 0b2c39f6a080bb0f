"""Fine-tunes the listener: a LoRA adapter on SmolLM2-135M-Instruct (or, for the opt-in local tier,
Qwen2.5-Coder-1.5B-Instruct), learning a listener's next reply conditioned on the speaker's emotion,
from two sources: the EmpatheticDialogues listeners' own replies, and the project's written replies
(`agents/knowledge/written_replies.jsonl`, 8,146: one reply each to 5,436 ED train-split situations,
162 to 199 per emotion; to 2,300 second turns of the dev conversations outside the held-out ones; and
410 short chats of what people also bring to a companion besides a story: a request for advice, a
question put to it, a worry about an outcome, small talk, a joke, a correction, a change of subject,
hostility).

Then, with `--rated ROUND`, it goes on from that adapter to learn from its own best: the candidates
of its own that readers rated 4 or 5 of 5 in that rating round (`agents/knowledge/rated_candidates.jsonl`,
see agents.listener.reranker and evals.rating), so that it writes more often what read well. The
shipped adapter learnt the first round only: learning the second as well made its replies more
alike without readers agreeing that they read better (the README's *Where the listener stands*).
With `--go-on` it goes on from the adapter over the human and written replies once more. The shipped
adapter learnt them four times, each time followed by the first round's best: blind readers rated
each adapter above the one that had learnt them once less (the README).

    python -m agents.listener.training --data ../shared/data/empathetic_dialogues   # make train-listener
    python -m agents.listener.training --data ../shared/data/empathetic_dialogues --rated 1 --lr 1e-4
    python -m agents.listener.training --data ../shared/data/empathetic_dialogues --go-on --lr 1e-4 --seed 1
    python -m agents.listener.training --data ../shared/data/empathetic_dialogues --rated 1 --lr 1e-4 --seed 1
    python -m agents.listener.training --data ../shared/data/empathetic_dialogues --go-on --lr 1e-4 --seed 2
    python -m agents.listener.training --data ../shared/data/empathetic_dialogues --rated 1 --lr 1e-4 --seed 2
    python -m agents.listener.training --data ../shared/data/empathetic_dialogues --go-on --lr 1e-4 --seed 3
    python -m agents.listener.training --data ../shared/data/empathetic_dialogues --rated 1 --lr 1e-4 --seed 3
    python -m agents.listener.training --data ... --base qwen2.5-1.5b               # make train-local-listener

No source holds a held-out conversation (agents.ed_split). The loss is on the reply alone; the
base's adapter is written to agents/artifacts (`listener_lora.npz` for the default, float16).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

import numpy as np
import torch

from agents.ed_split import is_held_out, listener_replies, read_jsonl
from agents.listener.bases import BASES
from agents.listener.choose import about_themselves
from agents.listener.lora import adapter_arrays, attach, load
from agents.listener.prompt import chat_text
from agents.listener.reranker import RATED
from models.precision import native_bfloat16

MAX_REPLY_WORDS = 45
WRITTEN = Path(__file__).resolve().parent.parent / "knowledge" / "written_replies.jsonl"
WELL_RATED = 4


def usable(row: dict) -> bool:
    """A reply to a greeting is the listener opening a story of their own; very long replies are
    monologues; a listener telling of their own life ("I have never had a dog", "I love to play
    Madden") turns the talk away from the person, and a companion has no such life to tell. None of
    these is what the listener should learn."""
    return (
        len(row["context"][-1].split()) >= 4
        and len(row["reply"].split()) <= MAX_REPLY_WORDS
        and not about_themselves(row["reply"])
    )


def training_rows(data: Path) -> list[dict]:
    """The usable human replies outside the held-out conversations, then the written ones."""
    human = [r for r in listener_replies(data / "listener_replies_dev.jsonl", held_out=False) if usable(r)]
    written = [r for r in read_jsonl(WRITTEN) if not is_held_out(r["context"])]
    return human + written


def well_rated_rows(round_: int, path: Path = RATED) -> list[dict]:
    """The listener's own candidates that readers rated WELL_RATED or more in rating round `round_`
    (the first round's rows carry no round)."""
    return [
        {"context": row["context"], "emotion": row["emotion"], "reply": c["reply"]}
        for row in read_jsonl(path)
        if row.get("round", 1) == round_ and not is_held_out(row["context"])
        for c in row["candidates"]
        if c["rating"] >= WELL_RATED
    ]


def encode(tokenizer, row: dict) -> tuple[list[int], int]:
    prompt = chat_text(row["context"], row["emotion"])
    full = chat_text(row["context"], row["emotion"], row["reply"].strip())
    prompt_ids = tokenizer(prompt, add_special_tokens=False).input_ids
    ids = tokenizer(full, add_special_tokens=False).input_ids
    return ids, len(prompt_ids)


def batches(examples: list[tuple[list[int], int]], size: int, rng: random.Random):
    """Examples of similar length together, so little is padding; batch order shuffled."""
    ordered = sorted(examples, key=lambda e: len(e[0]))
    groups = [ordered[i : i + size] for i in range(0, len(ordered), size)]
    rng.shuffle(groups)
    for group in groups:
        width = max(len(ids) for ids, _ in group)
        input_ids = torch.zeros(len(group), width, dtype=torch.long)
        labels = torch.full((len(group), width), -100, dtype=torch.long)
        mask = torch.zeros(len(group), width, dtype=torch.long)
        for row, (ids, start) in enumerate(group):
            input_ids[row, : len(ids)] = torch.tensor(ids)
            labels[row, start : len(ids)] = torch.tensor(ids[start:])
            mask[row, : len(ids)] = 1
        yield input_ids, labels, mask


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="folder of the ED files")
    parser.add_argument("--base", choices=sorted(BASES), default="smollm2-135m")
    parser.add_argument("--out", type=Path, help="default: the base's adapter in agents/artifacts")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rated", type=int, metavar="ROUND", help="go on from the adapter with that rating round's best")
    parser.add_argument("--go-on", action="store_true", help="go on from the adapter over the same replies again")
    args = parser.parse_args(argv)

    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = BASES[args.base]
    out = args.out or base.adapter
    rank, alpha = base.rank, 2.0 * base.rank
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    folder = base.path()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    model.config.use_cache = False
    params = attach(model, rank, alpha, base.top_layers)
    if args.rated is not None or args.go_on:
        with np.load(base.adapter) as saved:
            load(model, dict(saved))
    rows = well_rated_rows(args.rated) if args.rated is not None else training_rows(args.data)
    examples = [encode(tokenizer, r) for r in rows]
    steps_per_epoch = math.ceil(len(examples) / base.batch)
    total = int(steps_per_epoch * args.epochs)
    if base.steps is not None:
        total = min(total, base.steps)
    optimiser = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / 20) * 0.5 * (1 + math.cos(math.pi * min(s, total) / total))
    )
    bf16 = native_bfloat16()
    model.train()
    step, losses = 0, []
    while step < total:
        for input_ids, labels, mask in batches(examples, base.batch, rng):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            losses.append(loss.item())
            step += 1
            if step % 20 == 0:
                print(json.dumps({"step": step, "of": total, "loss": round(float(np.mean(losses[-20:])), 4),
                                  "s": round(time.perf_counter() - started)}), flush=True)  # fmt: skip
            if step >= total:
                break
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **adapter_arrays(model, rank, alpha))
    print(json.dumps({
        "examples": len(examples), "steps": step, "epochs": round(step * base.batch / len(examples), 2), "bfloat16": bf16,
        "final_loss": round(float(np.mean(losses[-20:])), 4), "base": base.name, "artifact_bytes": out.stat().st_size,
        "seconds": round(time.perf_counter() - started, 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
