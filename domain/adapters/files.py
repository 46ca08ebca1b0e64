"""The archive folder of issued documents: written once, atomically, never overwritten silently."""
from __future__ import annotations

import os
from pathlib import Path


def write_files(directory: Path, files: list[tuple[str, bytes]]) -> list[Path]:
    """Write each (name, bytes) unless an identical file is already there; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in files:
        path = directory / name
        if path.exists() and path.read_bytes() == data:
            continue
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        written.append(path)
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
