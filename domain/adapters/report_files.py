"""Read the file a unit reports with: its filled report form (.docx) or a structured file (.yaml, .json)."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from domain.adapters.docx_read import read_filled_form
from domain.adapters.yaml_source import load_yaml
from domain.messages import DomainError
from domain.model.report_form import FilledForm

STRUCTURED = (".yaml", ".yml", ".json")


def read_report_file(path: Path) -> tuple[FilledForm | dict[str, Any], dict[str, str]]:
    """(the filled form, or the structured file's mapping: figures, note, tasks, unit, period) and the
    file it came from ({"file": name, "sha256": ...})."""
    if not path.is_file():
        raise DomainError("file_missing", file=path)
    suffix = path.suffix.lower()
    if suffix == ".docx":
        report: FilledForm | dict[str, Any] = read_filled_form(path)
    elif suffix in STRUCTURED:
        data = load_yaml(path)
        if not isinstance(data, dict):
            raise DomainError("yaml_not_mapping", file=str(path))
        report = dict(data)
    else:
        raise DomainError("report_file_format", file=path.name, suffix=path.suffix or "(không có)")
    return report, {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
