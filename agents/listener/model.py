"""The trained listener at run time: SmolLM2-135M-Instruct with its LoRA adapter merged in,
exported to ONNX Runtime with int8 weights (agents.listener.export) and loaded once. It writes a few
candidates side by side up to their first sentence, a reranker picks one (agents.listener.choose),
and each sentence is handed on as it is done; the sentence after the opening is again one of several
written side by side, ranked by the same readings.

The prompt is read once and its key/value cache copied to every candidate; on two cores a decoding
step took 7.1 ms for one candidate and 12.6 ms for five, so more candidates cost little."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from agents.listener.bases import SMOLLM, Base
from agents.listener.export import exported
from agents.listener.prompt import SHARED_START, chat_text
from models.precision import vector_extensions
from models.scheduling import PriorityLock
from vocabulary.emotions import valence_of

MAX_NEW_TOKENS = 48
MAX_SENTENCES = 3
QUESTION_TOKENS = 24  # a question added to a reply that asked none (see TrainedListener._ask)
# A question after the person themselves, which fits whatever happened and so cannot misread it.
CHECKS_IN = re.compile(
    r"(how are you (holding up|doing|feeling|coping)|are you (okay|ok|alright|all right|safe)|"
    r"did you get hurt|were you hurt|is there (someone|anyone) you can (talk|turn) to)\b[^?]*\?$",
    re.IGNORECASE,
)
TEMPERATURE, TOP_P = 0.7, 0.9
# What the chosen candidate writes on is sampled nearly greedily: the sentence a short opening waits for,
# and, without a ranking of what follows (`write(go_on=None)`), the rest of the reply. A single sampled
# sentence is where a small model wanders ("...or was she poisoned?").
CONTINUE_TEMPERATURE = 0.3
TOP_K = 64  # the nucleus is looked for among the likeliest tokens only: it is always far smaller


@dataclass
class Candidate:
    text: str
    mean_logprob: float


@dataclass
class _Row:
    """One candidate being written: its tokens, and where its decoding stopped, to go on from."""

    tokens: list[int] = field(default_factory=list)
    logprob: float = 0.0
    steps: int = 0  # tokens sampled, its end among them
    ended: bool = False
    rest: tuple[list[np.ndarray], int, int] | None = None  # its cache, last token unread, and length

    def add(self, token: int, logprob: float, end_ids: set[int]) -> None:
        self.steps += 1
        if self.ended:
            return
        if token in end_ids:
            self.ended = True
        else:
            self.tokens.append(token)
            self.logprob += logprob

    def mean_logprob(self) -> float:
        return self.logprob / max(1, len(self.tokens))


class ListenerUnavailable(RuntimeError):
    """The base model, the adapter or its export is missing."""


class TrainedListener:
    def __init__(self, base: Base = SMOLLM, threads: int | None = None):
        self.base = base
        self.threads = threads
        self._session = None
        self._tokenizer = None
        self._end_ids: set[int] = set()
        self._loading = threading.Lock()
        # One decoder pass at a time, and every turn's opening before anyone's later sentences: with
        # several turns at once, each pass goes to the turn next in line (see `write`).
        self._passes = PriorityLock()
        self.load_s: float | None = None
        self.missing: str | None = None  # why the model could not be loaded (the templates answer)

    def load(self) -> None:
        if self._session is not None:
            return
        with self._loading:
            if self._session is not None:
                return
            started = time.perf_counter()
            import onnxruntime as ort
            from tokenizers import Tokenizer

            from models.registry import ModelMissing

            try:
                folder = exported(self.base)
            except ModelMissing as exc:
                self.missing = str(exc)
                raise ListenerUnavailable(str(exc)) from exc
            options = ort.SessionOptions()
            if self.threads:
                options.intra_op_num_threads = self.threads
            session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
            decoder = json.loads((folder / "genai_config.json").read_text())["model"]["decoder"]
            self._past_shape = (decoder["num_key_value_heads"], decoder["head_size"])
            self._past_names = [i.name for i in session.get_inputs() if i.name.startswith("past_key_values.")]
            self._outputs = ["logits", *(n.replace("past_key_values.", "present.") for n in self._past_names)]
            tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
            self._end_ids = {tokenizer.token_to_id("<|im_end|>"), tokenizer.token_to_id("<|endoftext|>")}
            self._tokenizer, self._session = tokenizer, session
            # Every prompt begins the same way (the system line): it is read once here, and each turn
            # reads only what follows it. On two cores held to AVX2 that was about a third of the prompt.
            self._shared = tokenizer.encode(SHARED_START, add_special_tokens=False).ids
            _, self._shared_past = self._step(np.array([self._shared], np.int64), self._empty(), len(self._shared))
            self.load_s = round(time.perf_counter() - started, 3)

    def describe(self) -> dict:
        """The path the listener runs on, for the server's start-up line; `missing` says why the
        templates answer instead."""
        path = {"engine": "onnxruntime", "model": self.base.name, "weights": self.base.precision,
                "cpu_kernels": vector_extensions()}  # fmt: skip
        return path | {"missing": self.missing} if self.missing else path

    def _empty(self) -> list[np.ndarray]:
        """The key/value cache of no tokens."""
        return [np.zeros((1, self._past_shape[0], 0, self._past_shape[1]), np.float32)] * len(self._past_names)

    def _step(
        self, ids: np.ndarray, past: list[np.ndarray], length: int, priority: int = 0
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """One pass of the decoder over `ids` (rows, new tokens) after `past`; the last position's
        logits per row and the grown cache. Passes of concurrent turns take turns: the lowest
        `priority` first, then whoever has waited longest, so four turns write their openings side by
        side rather than the last waiting for three whole replies."""
        feed = {"input_ids": ids, "attention_mask": np.ones((ids.shape[0], length), np.int64)}
        feed.update(zip(self._past_names, past, strict=True))
        with self._passes.held(priority):
            logits, *present = self._session.run(self._outputs, feed)
        return logits[:, -1], present

    def _read(self, prompt: list[int], n: int, priority: int = 0) -> tuple[np.ndarray, list[np.ndarray]]:
        """The last logits and the cache after `prompt`, read once and copied to `n` rows; the shared
        start's cache is reused."""
        shared, length = len(self._shared), len(prompt)
        if prompt[:shared] == self._shared:
            rest = np.array([prompt[shared:]], np.int64)
            logits, past = self._step(rest, self._shared_past, length, priority)
        else:  # a tokenizer that joined the start to what follows
            logits, past = self._step(np.array([prompt], np.int64), self._empty(), length, priority)
        return np.repeat(logits, n, 0), [np.repeat(p, n, 0) for p in past]

    @staticmethod
    def _seed(turns: list[str], emotion: str, draw: int = 0) -> int:
        """The same message in the same conversation is answered the same way; a later `draw` of
        candidates for it differently."""
        key = "\x1f".join([emotion, *turns, *([str(draw)] if draw else [])]).encode("utf-8")
        return int.from_bytes(hashlib.sha256(key).digest()[:8], "big")

    def write(
        self, turns: list[str], emotion: str, opening: Callable[[list[Candidate]], int | None],
        accept: Callable[[str], str | None], on_sentence: Callable[[str], None] | None = None, n: int = 3,
        go_on: Callable[[list[str], list[float]], list[int]] | None = None, draw: int = 0,
    ) -> tuple[list[Candidate], str | None]:  # fmt: skip
        """Writes `n` candidates side by side until each has its opening (a first whole sentence of
        at least four words, or its end); `opening` picks one of them (None: none will do). Only that
        one is written on: with `go_on`, the sentence after it is one of `n` written side by side,
        the one `go_on` ranks first (TrainedListener._go_on); without, the model's next sentences
        nearly greedily. `accept` gives each sentence's spoken form, or None to refuse it; each
        accepted sentence goes to `on_sentence` as soon as it is whole, the opening first, and the
        first refused one ends the reply. Returns the candidates' openings and the reply (None when
        no opening was picked). A later `draw` samples other candidates for the same turn."""

        def one(openings: list[Candidate]) -> list[int]:
            picked = opening(openings)
            return [] if picked is None else [picked]

        openings, replies = self._write(
            turns, emotion, one, lambda _: Reply(on_sentence, accept, go_on is not None), n, go_on, draw
        )
        return openings, replies[0] if replies else None

    def write_each(
        self, turns: list[str], emotion: str, which: Callable[[list[Candidate]], list[int]],
        accept_for: Callable[[int], Callable[[str], str | None]], n: int = 3,
        go_on: Callable[[list[str], list[float]], list[int]] | None = None,
    ) -> tuple[list[Candidate], list[str | None]]:  # fmt: skip
        """As `write`, but every candidate `which` picks by its opening is written on, side by side,
        each sentence checked by its own `accept_for(candidate)`: every reply the reranker could have
        chosen, for readers to rate. Returns the openings and the picked candidates' replies."""
        return self._write(
            turns, emotion, which, lambda i: Reply(None, accept_for(i), go_on is not None), n, go_on
        )

    def _write(
        self, turns: list[str], emotion: str, which: Callable[[list[Candidate]], list[int]],
        reply_for: Callable[[int], Reply], n: int,
        go_on: Callable[[list[str], list[float]], list[int]] | None = None, draw: int = 0,
    ) -> tuple[list[Candidate], list[str | None]]:  # fmt: skip
        self.load()
        prompt = self._tokenizer.encode(chat_text(turns, emotion), add_special_tokens=False).ids
        rng = np.random.default_rng(self._seed(turns, emotion, draw))
        logits, past = self._read(prompt, n)
        rows = self._side_by_side(
            logits, past, len(prompt), rng, MAX_NEW_TOKENS, self._has_opening, leave=False
        )
        openings = [Candidate(opening_of(self._text(row)) or self._text(row).strip(), row.mean_logprob())
                    for row in rows]  # fmt: skip
        chosen = which(openings)
        replies = []
        for i in chosen:
            reply = reply_for(i)
            self._finish(rows[i], reply, rng)
            # What follows is drawn per opening, so that a reply reads the same whether it was the
            # one picked (write) or one of every candidate written out (write_each).
            after = np.random.default_rng(self._seed([*turns, reply.text() or ""], emotion))
            if go_on is not None and reply.has_room():
                self._go_on(turns, emotion, reply, n, after, go_on)
            if reply.asks_nothing() and valence_of(emotion) == "negative":
                self._ask(turns, emotion, reply, n, after)
            replies.append(reply.text())
        return openings, replies

    def _text(self, row: _Row) -> str:
        return self._tokenizer.decode(row.tokens)

    def _has_opening(self, row: _Row) -> bool:
        return row.ended or opening_of(self._text(row)) is not None

    def _side_by_side(
        self, logits: np.ndarray, past: list[np.ndarray], length: int, rng: np.random.Generator, budget: int,
        whole: Callable[[_Row], bool], leave: bool, priority: int = 0,
    ) -> list[_Row]:  # fmt: skip
        """Candidates sampled side by side, one from each row of `logits` and `past`, until each is
        `whole` or has `budget` tokens, each with its cache kept to go on from. With `leave`, one
        that is whole leaves the pass at once: a row's logits do not depend on the rows beside it and
        each row keeps its own draw of every step, so its words are the same, and a step costs less
        with fewer rows (held to AVX2, 21 ms for six, 15 ms for four, 10 ms for one). Without, every
        row is written on until the last is whole, and its confidence is read over those words too,
        as it was when readers' ratings taught the reranker its weights. Openings are written so: read
        over an opening's own words, even with the weights fitted anew to confidences read so, the
        reranker picked worse (see README, *Where the listener stands*)."""
        n = len(logits)
        rows = [_Row() for _ in range(n)]
        live = list(range(n))  # the rows still written, in the order of their cache
        for _ in range(budget):
            picked, logprobs = _sample(logits, rng.random((n, 1))[live], TEMPERATURE)
            stay = []
            for k, i in enumerate(live):
                row = rows[i]
                row.add(int(picked[k]), float(logprobs[k]), self._end_ids)
                if not (whole(row) or row.steps == budget):
                    stay.append(k)
            if not leave and stay:
                stay = list(range(len(live)))
            # Copies while the pass goes on: a view would keep its whole cache alive until the reply
            # is written. Once every row has left, that cache is theirs alone and views will do.
            for k in set(range(len(live))) - set(stay):
                kept = [p[k : k + 1].copy() if stay else p[k : k + 1] for p in past]
                rows[live[k]].rest = (kept, int(picked[k]), length)
            if not stay:
                break
            if len(stay) < len(live):
                past, picked = [p[stay] for p in past], picked[stay]
                live = [live[k] for k in stay]
            length += 1
            logits, past = self._step(picked.reshape(-1, 1).astype(np.int64), past, length, priority)
        return rows

    def _finish(self, row: _Row, reply: Reply, rng: np.random.Generator) -> None:
        """Writes the chosen candidate on from its opening, nearly greedily, until `reply` is over
        (with a ranking of what follows, once its opening is spoken: see Reply); words cut off by
        the token budget are dropped."""
        past, token, length = row.rest
        while not (reply.take(self._text(row), row.ended) or row.ended or row.steps >= MAX_NEW_TOKENS):
            length += 1
            logits, past = self._step(np.array([[token]], np.int64), past, length, 1)
            picked, logprobs = _sample(logits, rng.random((1, 1)), CONTINUE_TEMPERATURE)
            token = int(picked[0])
            row.add(token, float(logprobs[0]), self._end_ids)
        reply.take(self._text(row), row.ended)
        reply.close()

    def _go_on(
        self, turns: list[str], emotion: str, reply: Reply, n: int, rng: np.random.Generator,
        rank: Callable[[list[str], list[float]], list[int]],
    ) -> None:  # fmt: skip
        """The sentence after the opening: `n` written side by side, and the one `rank` puts first
        is offered; refused, or with every one ranked out, the reply ends at its opening. Where the
        model would end the reply after its opening, nothing is added. Written nearly greedily
        instead, one sentence was all it had, and where it misread ("What did you study?" to failed
        finals) nothing else was there to choose. Two blind readers of 60 of the 142 held-out
        replies this changed rated them 3.35 and 3.23 against 3.17 and 3.10 before (better in 22 and
        21, worse in 12 and 14); two others, of a first draw, 3.06 and 3.10 against 2.94 and 2.92."""
        written = self._next_sentences(turns, emotion, reply, n, rng, stop_where_it_would=True)
        if written:
            said = reply.text()
            texts = [f"{said} {sentence}" for _, sentence in written]
            if ranked := rank(texts, [logprob for logprob, _ in written]):
                reply.offer(written[ranked[0]][1])

    def _ask(self, turns: list[str], emotion: str, reply: Reply, n: int, rng: np.random.Generator) -> None:
        """A reply to bad news that ended without a question (its own was refused, or it stopped at
        its opening: "I'm so sorry about your dog.") is offered `n` questions written side by side
        after what it said, the likeliest first; the first that asks after the person (CHECKS_IN)
        and passes its guards is added. Read blind (two readers, 42 replies that had asked
        nothing), the nine that gained such a question ("How are you holding up?" to a dog's death,
        "Did you get hurt?" to a tree falling on the platform) read 3.89 against 3.11 before; a
        question about the details of what happened read worse than none (2.52 against 2.88: "What
        did you get?" to a raffle won, "Did you get any help from the police?" to a friend who
        threw up)."""
        written = self._next_sentences(turns, emotion, reply, n, rng)
        checks_in = [(logprob, question) for logprob, question in written if CHECKS_IN.match(question)]
        for _, question in sorted(checks_in, key=lambda pair: -pair[0]):
            if reply.offer(question):
                return

    def _next_sentences(
        self, turns: list[str], emotion: str, reply: Reply, n: int, rng: np.random.Generator,
        stop_where_it_would: bool = False,
    ) -> list[tuple[float, str]]:  # fmt: skip
        """`n` sentences written side by side after what `reply` has said, each with the model's mean
        log-probability of it."""
        said = chat_text(turns, emotion) + reply.text()
        prompt = self._tokenizer.encode(said, add_special_tokens=False).ids
        length = len(prompt)
        logits, past = self._read(prompt, n, priority=1)
        if stop_where_it_would and int(np.argmax(logits[0])) in self._end_ids:
            return []  # the model would end the reply here

        def asked(row: _Row) -> str | None:
            """Its first whole sentence, once written; the leading space of its first token is kept,
            so that a sentence end must follow it."""
            written = self._tokenizer.decode(row.tokens) + (" " if row.ended else "")
            match = _SENTENCE_END.search(written)
            return written[: match.end()].strip() if match else None

        def whole(row: _Row) -> bool:
            return row.ended or asked(row) is not None

        rows = self._side_by_side(logits, past, length, rng, QUESTION_TOKENS, whole, leave=True, priority=1)
        return [(row.mean_logprob(), text) for row in rows if (text := asked(row))]


def _sample(logits: np.ndarray, draws: np.ndarray, temperature: float) -> tuple[np.ndarray, np.ndarray]:
    """Nucleus sampling, one token per row by that row's uniform draw in `draws` (rows, 1), with each
    picked token's log-probability. The whole vocabulary is read in float32 (a float64 copy of every
    logit took a sixth of a decoding step on two cores), the few likeliest tokens in float64."""
    top = np.argpartition(-logits, TOP_K, axis=1)[:, :TOP_K]
    top_scores = np.take_along_axis(logits, top, 1).astype(np.float64) / temperature
    order = np.argsort(-top_scores, axis=1)
    top, top_scores = np.take_along_axis(top, order, 1), np.take_along_axis(top_scores, order, 1)
    peak = logits.max(1, keepdims=True)
    log_total = peak[:, 0].astype(np.float64) / temperature + np.log(
        np.exp((logits - peak) / np.float32(temperature)).sum(1, dtype=np.float64)
    )
    probs = np.exp(top_scores - log_total[:, None])
    probs = probs * (probs.cumsum(1) - probs < TOP_P)
    probs /= probs.sum(1, keepdims=True)
    picks = (probs.cumsum(1) < draws).sum(1).clip(max=TOP_K - 1)
    rows = np.arange(len(probs))
    return top[rows, picks], top_scores[rows, picks] - log_total


OPENING_WORDS = 4  # what is spoken first is a clause worth speaking, not an interjection


def opening_end(text: str) -> int | None:
    """Where the leading whole sentences of `text` end once they hold at least OPENING_WORDS words;
    None before that."""
    for match in _SENTENCE_END.finditer(text):
        if len(text[: match.end()].split()) >= OPENING_WORDS:
            return match.end()
    return None


def opening_of(text: str) -> str | None:
    end = opening_end(text)
    return text[:end].strip() if end else None


_SENTENCE_END = re.compile(r"[.!?]+(?=\s)|\n")


def _repeats(sentence: str, earlier: list[str]) -> bool:
    """A sentence that mostly says again what an earlier one said (small models loop)."""
    mine = set(re.findall(r"[a-z']+", sentence.lower()))
    for before in earlier:
        theirs = set(re.findall(r"[a-z']+", before.lower()))
        if mine and len(mine & theirs) / len(mine) >= 0.7:
            return True
    return False


class Reply:
    """The chosen candidate's sentences, each checked and handed on as soon as it is whole."""

    def __init__(
        self, on_sentence: Callable[[str], None] | None, accept: Callable[[str], str | None],
        opening_only: bool = False,
    ):  # fmt: skip
        self._on_sentence = on_sentence
        self._accept = accept
        self._opening_only = opening_only  # what follows the opening is chosen apart (TrainedListener.write)
        self._sentences: list[str] = []
        self._held: str | None = None  # an opening cut below OPENING_WORDS, to be spoken with what follows
        self._used = 0  # characters of the candidate's text already taken
        self._stopped = False

    def take(self, text: str, finished: bool) -> bool:
        """Takes the sentences completed in `text` (and its last words when the model `finished`
        there); True once the reply is over: a refused sentence, a new line (the model writing the
        other side of the conversation), or three sentences."""
        while not self._stopped:
            rest = text[self._used :]
            if self._sentences:
                match = _SENTENCE_END.search(rest)
                end = match.end() if match else None
            else:  # the first piece handed on is the opening, which may be two short sentences
                end = opening_end(rest)
            if end is None:
                if not (finished and rest.strip()):
                    break
                end = len(rest)
            piece = rest[:end]
            self._used += end
            accepted = self._accept(piece.strip()) if piece.strip() else None
            if not self._fits(accepted):
                self._stopped = True
                break
            if self._held is not None:
                accepted, self._held = f"{self._held} {accepted}", None
            elif not self._sentences and len(accepted.split()) < OPENING_WORDS and not piece.endswith("\n"):
                # Its spoken form came out shorter than the opening it was chosen as ("That's so
                # frustrating, especially when..." said without the clause): it waits for the next
                # sentence, so that what is heard first is still a whole clause.
                self._held = accepted
                continue
            self._speak(accepted)
            if piece.endswith("\n") or self._count() >= MAX_SENTENCES or self._opening_only:
                self._stopped = True
        if self._stopped or finished:
            self.close()
        return self._stopped

    def has_room(self) -> bool:
        """Said something, and may say more."""
        return bool(self._sentences) and self._count() < MAX_SENTENCES

    def asks_nothing(self) -> bool:
        """Said something, asked nothing, and has room for a question."""
        return self.has_room() and not any(sentence.endswith("?") for sentence in self._sentences)

    def offer(self, sentence: str) -> bool:
        """Adds `sentence` to a finished reply if its guards accept it and it says something new."""
        accepted = self._accept(sentence)
        if not self._fits(accepted):
            return False
        self._speak(accepted)
        return True

    def _fits(self, accepted: str | None) -> bool:
        """An accepted sentence that says something new and leaves the reply within MAX_SENTENCES."""
        said = [*self._sentences, *([self._held] if self._held else [])]
        if accepted is None or _repeats(accepted, said):
            return False
        return self._count(accepted) <= MAX_SENTENCES

    def close(self) -> None:
        """Speaks an opening still held back: nothing followed it."""
        if self._held is not None:
            held, self._held = self._held, None
            self._speak(held)

    def _speak(self, sentence: str) -> None:
        self._sentences.append(sentence)
        if self._on_sentence is not None:
            self._on_sentence(sentence)

    def _count(self, adding: str = "") -> int:
        """Sentences spoken so far, with `adding`: a piece may hold two (a short opening, or a gentle
        word put before it)."""
        return len(_SENTENCE_END.findall(" ".join([*self._sentences, self._held or "", adding]) + " "))

    def text(self) -> str | None:
        return " ".join(self._sentences) or None
