"""Word uni- and bigram TF-IDF features, stored as plain arrays (no pickles): lower-case tokens
of two or more word characters, sublinear term frequency, l2-normalised rows."""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def terms(text: str) -> list[str]:
    tokens = _TOKEN.findall(text.lower())
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]


class TfidfFeatures:
    def __init__(self, vocabulary: list[str], idf: np.ndarray):
        self.index = {term: i for i, term in enumerate(vocabulary)}
        self.idf = idf.astype(np.float32)

    def transform(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """One sparse row per text, as (column indices, values)."""
        rows = []
        for text in texts:
            counts = Counter(self.index[t] for t in terms(text) if t in self.index)
            columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
            values = np.array([(1 + math.log(n)) for n in counts.values()], dtype=np.float32)
            values *= self.idf[columns]
            norm = float(np.linalg.norm(values))
            rows.append((columns, values / norm if norm else values))
        return rows

    def scores(self, texts: list[str], weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
        """Linear-head logits, `weights` being (classes, features)."""
        return np.stack([weights[:, c] @ v for c, v in self.transform(texts)]) + bias
