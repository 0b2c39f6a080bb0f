"""Reading a turn's request body: a form (multipart or urlencoded) with the message and, maybe, an
audio or video file, read from the bytes as they arrive rather than from what the headers claim.

Each file part goes straight into the session's upload folder and is refused (413) the moment it
passes its kind's limit, whether the body is chunked or its Content-Length lies; a body that takes
longer than its time limit is cut off (408); a multipart body without its closing boundary was cut
off by the client (400); an upload the server cannot write (a full or unwritable disk) is 503; text
is decoded as UTF-8 with replacement, never as Latin-1. Whatever way
the read ends short of a whole form, the files it wrote are removed.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl

from python_multipart.multipart import MultipartParser, parse_options_header

from tools.perception.media import LIMITS

ACCEPTED = ("multipart/form-data", "application/x-www-form-urlencoded")
FIELD_LIMIT = 64 * 2**10  # a form field: the message is cut at 4,000 characters anyway
_EXTENSION = re.compile(r"^\.[a-z0-9]{1,5}$")


class BodyError(ValueError):
    """A body that cannot be read as a turn; `status` is the HTTP answer."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status, self.detail = status, detail


@dataclass
class TurnForm:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)  # "audio" | "video" -> where it was written


async def _timed(chunks: AsyncIterator[bytes], seconds: float) -> AsyncIterator[bytes]:
    """The body's chunks, cut off once the whole body has taken longer than `seconds`."""
    deadline = time.monotonic() + seconds
    iterator = chunks.__aiter__()
    while True:
        try:
            chunk = await asyncio.wait_for(iterator.__anext__(), max(0.0, deadline - time.monotonic()))
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise BodyError(408, f"the upload took longer than {seconds:.0f} s and was stopped") from None
        yield chunk


async def read_turn_form(
    content_type: str | None, chunks: AsyncIterator[bytes], folder: Path, seconds: float
) -> TurnForm:
    """Reads a turn's form from `chunks`, writing its files into `folder`."""
    kind, options = parse_options_header(content_type or "")
    kind = kind.decode("latin-1").lower()
    if kind not in ACCEPTED:
        raise BodyError(415, f"send the turn as {' or '.join(ACCEPTED)}, not {kind or 'a body without a type'}")
    form = TurnForm()
    try:
        if kind == ACCEPTED[1]:
            await _urlencoded(form, _timed(chunks, seconds))
        else:
            boundary = options.get(b"boundary")
            if not boundary:
                raise BodyError(400, "the multipart body has no boundary")
            await _multipart(form, boundary, _timed(chunks, seconds), folder)
    except BaseException:  # refused, cut off, or the client went away: nothing of it is kept
        for path in form.files.values():
            path.unlink(missing_ok=True)
        raise
    return form


async def _urlencoded(form: TurnForm, chunks: AsyncIterator[bytes]) -> None:
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > FIELD_LIMIT:
            raise BodyError(413, f"the form is larger than {FIELD_LIMIT // 1024} KB; send files as multipart")
    text = body.decode("ascii", errors="replace")
    form.fields.update(parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="replace"))


class _Parts:
    """The multipart parser's callbacks: one part at a time, a field into memory, a file to disk."""

    def __init__(self, form: TurnForm, folder: Path):
        self.form, self.folder = form, folder
        self.ended = False
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, bytes] = {}
        self._name = ""
        self._value = bytearray()
        self._file = None
        self._size = 0
        self._limit = 0

    def on_part_begin(self) -> None:
        self._headers, self._value, self._file, self._size = {}, bytearray(), None, 0

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_field.decode("latin-1").lower()] = bytes(self._header_value)
        self._header_field, self._header_value = bytearray(), bytearray()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get("content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", errors="replace")
        filename = options.get(b"filename")
        if filename is None:
            return
        if self._name not in LIMITS:
            raise BodyError(400, f"a file may be sent as {' or '.join(LIMITS)}, not as {self._name or 'a nameless part'}")
        if not filename:  # an empty file input of a browser form: no file chosen
            return
        suffix = Path(filename.decode("utf-8", errors="replace")).suffix.lower()
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{uuid.uuid4().hex}{suffix if _EXTENSION.match(suffix) else '.bin'}"
        self.form.files[self._name] = path
        self._file, self._limit = path.open("wb"), LIMITS[self._name][0]

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self._size += end - start
        if self._file is not None:
            if self._size > self._limit:
                self._file.close()
                raise BodyError(413, f"the {self._name} file is larger than {self._limit // 2**20} MB")
            self._file.write(data[start:end])
        elif self._size > FIELD_LIMIT:
            raise BodyError(413, f"the {self._name or 'form'} field is larger than {FIELD_LIMIT // 1024} KB")
        else:
            self._value += data[start:end]

    def on_part_end(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        elif self._name:
            self.form.fields[self._name] = self._value.decode("utf-8", errors="replace")

    def on_end(self) -> None:
        self.ended = True

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


async def _multipart(form: TurnForm, boundary: bytes, chunks: AsyncIterator[bytes], folder: Path) -> None:
    parts = _Parts(form, folder)
    callbacks = {name: getattr(parts, name) for name in dir(parts) if name.startswith("on_")}
    parser = MultipartParser(boundary, callbacks)
    try:
        async for chunk in chunks:
            try:
                parser.write(chunk)
            except BodyError:
                raise
            except OSError as exc:  # the server's disk, not the client: a full or unwritable folder
                raise BodyError(503, "the upload could not be saved on the server: nothing of it was kept, please try again later") from exc
            except Exception as exc:  # the parser's own errors: a malformed body
                raise BodyError(400, "the multipart body is malformed") from exc
    finally:
        parts.close()
    if not parts.ended:
        raise BodyError(400, "the multipart body was cut off before its end: nothing of it was used")
