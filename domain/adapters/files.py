"""The archive folder of issued documents: written once, atomically, never overwritten silently."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from domain.messages import DomainError, message


def write_files(directory: Path, files: list[tuple[str, bytes]]) -> list[Path]:
    """Write each (name, bytes) unless an identical file is already there; returns the paths written.

    A file already there with other bytes is an issued document changed on disk: it is left as it is (the
    evidence `kehoach audit verify` names) and, once the others are written, refused with its name and the
    SHA-256 of the bytes issued, saying how many files were written and how many were already there."""
    directory.mkdir(parents=True, exist_ok=True)
    written, present, differing = [], 0, []
    for name, data in files:
        path = directory / name
        if path.exists():
            if path.read_bytes() != data:
                differing.append(message("archive_file_expected", name=name, sha256=hashlib.sha256(data).hexdigest()))
            else:
                present += 1
            continue
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        written.append(path)
    if differing:
        raise DomainError("archive_file_differs", directory=directory, files="; ".join(differing),
                          count=len(differing), written=len(written), present=present)
    return written


def reader(directory: Path):
    """A function name -> bytes (or None when absent) over `directory`."""

    def read(name: str) -> bytes | None:
        path = directory / name
        return path.read_bytes() if path.is_file() else None

    return read


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all (a temporary file renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
