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
