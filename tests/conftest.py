"""Shared fixtures: a migrated SQLite database per test, the example organisation, a fixed clock."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from domain.adapters.db import SqlUnitOfWork, migrate
from domain.adapters.yaml_source import load_yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 23, 9, 30, tzinfo=HCM)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'kehoach.db'}"
    migrate(url)
    return url


@pytest.fixture
def uow_factory(db_url: str):
    return lambda: SqlUnitOfWork(db_url)


@pytest.fixture
def org(uow_factory, now):
    """The example organisation (examples/org.yaml) loaded."""
    from domain.services.org import load_organisation

    with uow_factory() as uow:
        load_organisation(uow=uow, data=load_yaml(EXAMPLES / "org.yaml"), source="org.yaml", actor="system", now=now)
    return uow_factory


@pytest.fixture
def plan_data():
    return load_yaml(EXAMPLES / "plan.yaml")


@pytest.fixture
def docs_dir(tmp_path: Path) -> Path:
    return tmp_path / "documents"


@pytest.fixture
def cli(monkeypatch, db_url, docs_dir):
    """Run `kehoach ...` against the test database; returns (exit code, output with spaces collapsed)."""
    from typer.testing import CliRunner

    from domain.settings import get_settings
    from flows.cli import app

    monkeypatch.setenv("KEHOACH_DATABASE_URL", db_url)
    monkeypatch.setenv("KEHOACH_DOCUMENTS_DIR", str(docs_dir))
    monkeypatch.setenv("COLUMNS", "300")  # wide tables: no cell wrapped over lines
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, list(args))
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, " ".join(result.output.split())

    yield invoke
    get_settings.cache_clear()
