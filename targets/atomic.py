"""Writing output files atomically, so that no tool ever leaves a half-written file behind.

The data goes to a temporary file in the target's own folder (same file system), which is renamed
over the target only when it is complete; on any error the temporary file is removed. The result
gets the mode a plain `open(path, "w")` would give it (mkstemp's files are 0600).
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np


def umask() -> int:
    """The process's file-creation mask (reading it means setting it, so it is set back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _default_mode() -> int:
    return 0o666 & ~umask()


@contextmanager
def atomic_path(path: str | Path, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path to write; on a clean exit it replaces `path`."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, _default_mode())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_atomically(path: str | Path, data: str | bytes) -> None:
    """Write text or bytes to `path` atomically."""
    with atomic_path(path) as tmp:
        if isinstance(data, str):
            tmp.write_text(data)
        else:
            tmp.write_bytes(data)


def npz_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    """The bytes `np.savez` would write for `arrays`."""
    stream = io.BytesIO()
    np.savez(stream, **arrays)  # type: ignore[arg-type]
    return stream.getvalue()


def save_npz_atomically(path: str | Path, arrays: Mapping[str, np.ndarray]) -> None:
    """`np.savez` to `path` without ever leaving a half-written file."""
    write_atomically(path, npz_bytes(arrays))
