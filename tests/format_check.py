"""The shared official-format checker (../shared/tools/docx_check.py), run in-process.

Its rules are used as they are. One defect is worked around: it de-duplicates paragraphs by
`id(p._p)` without keeping them, and lxml frees those proxies at once, so later paragraphs reuse
the ids and are skipped (55 of 83 in a plan whose header, table and footer are Word tables).
We keep every paragraph it visits alive while it runs, so each `id` stays unique.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

CHECKER = Path(__file__).resolve().parents[1].parent / "shared" / "tools" / "docx_check.py"


def _load():
    if not CHECKER.is_file():
        pytest.skip(f"the official format checker is absent: {CHECKER}")
    spec = importlib.util.spec_from_file_location("docx_check", CHECKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    walk = module.all_paragraphs

    def all_paragraphs_kept(doc, _kept=[]):  # noqa: B006 - deliberately lives as long as the module
        _kept.clear()
        for p in walk(doc):
            _kept.append(p)
            yield p

    module.all_paragraphs = all_paragraphs_kept
    return module


def format_faults(path: Path, regime: str, source: Path | None = None) -> dict:
    """The checks that do not hold (empty when the file passes), as the checker reports them."""
    checker = _load()
    result = checker.check(str(path), regime, str(source) if source else None)
    return {k: v for k, v in result.items() if not checker.ok(v)}
