"""The model cache: generated ONNX files under `build/models/`, named by a hash of what made them.

A model file is named `<name>-<16 hex digits>.onnx`, the digits being a SHA-256 over everything
its bytes depend on (the builder's source, its parameters, the versions of the exporter and of
the weight files). A change to any of those gives a new name, so a stale file is never used; the
older files of the same name are deleted when the new one is written. Builds are serialised with
a file lock, because pytest-xdist workers ask for the same model at the same moment, and written
to a temporary file first, so an interrupted build never leaves a truncated model behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CACHE_DIR = REPO_ROOT / "build" / "models"
# Lets CI or a user keep the cache elsewhere (e.g. outside a fresh clone).
CACHE_DIR_ENV = "NNTC_MODELS_DIR"

_DIGITS = 16


def cache_dir(directory: Path | str | None = None) -> Path:
    """The cache folder: `directory` if given, else $NNTC_MODELS_DIR, else `build/models/`."""
    if directory is not None:
        return Path(directory)
    env = os.environ.get(CACHE_DIR_ENV)
    return Path(env) if env else DEFAULT_CACHE_DIR


def content_key(parts: Iterable[str | bytes]) -> str:
    """A hex digest over `parts`; each part is length-prefixed so that ("ab", "c") != ("a", "bc")."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (for weight files and shipped models that feed a key)."""
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def cached_model(
    name: str,
    key_parts: Iterable[str | bytes],
    build: Callable[[Path], None],
    directory: Path | str | None = None,
) -> Path:
    """The path of model `name` for this key, calling `build(tmp_path)` first if it is missing.

    `build` must write a complete ONNX file at the path it is given.
    """
    if not re.fullmatch(r"[A-Za-z0-9_.]+(-[A-Za-z0-9_.]+)*", name):
        raise ValueError(f"model name {name!r} must be letters, digits, '_', '.' joined by '-'")
    folder = cache_dir(directory)
    target = folder / f"{name}-{content_key(key_parts)[:_DIGITS]}.onnx"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder / f".{name}.lock"):
        # Another process may have built it while this one waited for the lock.
        if target.is_file():
            return target
        tmp = folder / f".{target.name}.{os.getpid()}.tmp"
        try:
            build(tmp)
            if not tmp.is_file():
                raise RuntimeError(f"the builder of {name} wrote no file at {tmp}")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        stale = re.compile(re.escape(name) + rf"-[0-9a-f]{{{_DIGITS}}}\.onnx")
        for old in folder.iterdir():
            if old != target and stale.fullmatch(old.name):
                old.unlink(missing_ok=True)
    return target
