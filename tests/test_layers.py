"""The pure core imports no framework: domain/model and domain/services stay testable in milliseconds."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"prefect", "sqlmodel", "sqlalchemy", "docx", "emails", "jinja2", "flows", "aiosmtpd", "smtplib", "yaml"}


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
            if node.module.startswith("domain.adapters"):
                names.add("domain.adapters")
    return names


def test_the_model_and_the_services_import_no_framework_nor_adapter():
    offenders = {}
    for folder in ("domain/model", "domain/services"):
        for path in (ROOT / folder).rglob("*.py"):
            bad = imported_modules(path) & (FORBIDDEN | {"domain.adapters"})
            if bad:
                offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_the_layer_check_sees_a_forbidden_import(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("from prefect import flow\nimport docx\nfrom domain.adapters.db import migrate\n")
    assert {"prefect", "docx", "domain.adapters"} <= imported_modules(sample)
