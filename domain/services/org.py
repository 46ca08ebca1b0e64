"""Load an organisation ("tổ chức"): bodies, users and their roles per body, in one transaction."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from domain.messages import DomainError, where
from domain.model.org import REGIMES, ROLES, Body, User
from domain.model.plan import line_of, nfc
from domain.services.workflow import record

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _text(node: dict, key: str, *, required: bool = False) -> str | None:
    value = node.get(key)
    if value in (None, ""):
        if required:
            raise DomainError("field_missing", field=key, where=where(line_of(node)))
        return None
    if not isinstance(value, (str, int)):
        raise DomainError("field_type", field=key, where=where(line_of(node, key)), expected="một chuỗi chữ")
    return nfc(str(value))


def _email(node: dict, owner: str) -> str | None:
    email = _text(node, "email")
    if email and not EMAIL.match(email):
        raise DomainError("bad_email", email=email, owner=owner)
    return email


def _list(data: dict, key: str) -> list[dict]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise DomainError("field_type", field=key, where=where(line_of(data, key)),
                          expected="một danh sách các mục khóa: giá trị")
    return value


def parse_organisation(data: Any, *, source: str) -> tuple[list[Body], list[tuple[User, list[tuple[str, str]]]]]:
    """Bodies and users with their (body, role) grants, every reference checked."""
    if not isinstance(data, dict):
        raise DomainError("yaml_not_mapping", file=source)
    bodies: list[Body] = []
    for node in _list(data, "bodies"):
        body_id = _text(node, "id", required=True)
        regime = _text(node, "regime") or "state"
        if regime not in REGIMES:
            raise DomainError("field_value", value=regime, field="regime", where=where(line_of(node, "regime")),
                              hint="«state» (chính quyền) hoặc «party» (Đảng)")
        bodies.append(Body(
            id=body_id, name=_text(node, "name", required=True), regime=regime, abbr=_text(node, "abbr"),
            parent=_text(node, "parent"), email=_email(node, body_id), place=_text(node, "place"),
            superior=_text(node, "superior"), term=_text(node, "term"), head=_text(node, "head"),
        ))
    users: list[tuple[User, list[tuple[str, str]]]] = []
    for node in _list(data, "users"):
        user_id = _text(node, "id", required=True)
        grants = []
        roles = node.get("roles") or {}
        if not isinstance(roles, dict):
            raise DomainError("field_type", field="roles", where=where(line_of(node, "roles")),
                              expected="bảng «mã cơ quan: [vai trò, ...]»")
        for body_id, names in roles.items():
            for role in [names] if isinstance(names, str) else list(names or []):
                if role not in ROLES:
                    raise DomainError("unknown_role", role=role, roles=", ".join(ROLES))
                grants.append((nfc(str(body_id)), role))
        users.append((User(id=user_id, full_name=_text(node, "name", required=True),
                           email=_email(node, user_id)), grants))
    return bodies, users


def load_organisation(*, uow, data: Any, source: str, actor: str, now: datetime) -> dict[str, int]:
    """Create or update every body and user of the file; all or nothing."""
    bodies, users = parse_organisation(data, source=source)
    _check_duplicates([b.id for b in bodies], "cơ quan")
    _check_duplicates([u.id for u, _ in users], "người dùng")
    in_file = {b.id for b in bodies}
    for body in bodies:
        if body.parent and body.parent not in in_file and uow.bodies.get(body.parent) is None:
            raise DomainError("unknown_body", body=body.parent)
    for body in bodies:  # a body may name a parent listed after it: link parents once all exist
        uow.bodies.upsert(replace(body, parent=None))
    uow.flush()
    for body in bodies:
        uow.bodies.upsert(body)
        _check_no_cycle(uow, body)
    uow.flush()
    for user, grants in users:
        for body_id, _ in grants:
            if uow.bodies.get(body_id) is None:
                raise DomainError("unknown_body", body=body_id)
        uow.users.upsert(user)
        uow.flush()
        uow.users.replace_grants(user.id, grants)
    for body in bodies:
        if body.head and uow.users.get(body.head) is None:
            raise DomainError("unknown_head", body=body.id, user=body.head)
    record(uow=uow, actor=actor, action="load_organisation", now=now, data={
        "source": source, "bodies": sorted(b.id for b in bodies), "users": sorted(u.id for u, _ in users)})
    uow.commit()
    return {"bodies": len(bodies), "users": len(users), "grants": sum(len(g) for _, g in users)}


def _check_duplicates(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise DomainError("duplicate_id", id=i, where="", what=what)
        seen.add(i)


def _check_no_cycle(uow, body: Body) -> None:
    seen = {body.id}
    parent = body.parent
    while parent:
        if parent in seen:
            raise DomainError("parent_cycle", body=body.id)
        seen.add(parent)
        parent_body = uow.bodies.get(parent)
        parent = parent_body.parent if parent_body else None
