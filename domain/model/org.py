"""The organisation: bodies ("cơ quan, đơn vị"), users and the roles they hold per body."""
from __future__ import annotations

from dataclasses import dataclass

ROLES = {
    "drafter": "soạn thảo",
    "approver": "duyệt",
    "signer": "ký ban hành",
    "clerk": "văn thư",
    "reporter": "báo cáo",
}
REGIMES = ("state", "party")


@dataclass(frozen=True)
class Body:
    """A body ("cơ quan"): issuer, recipient or executing unit.

    `abbr` is the body's part of the symbol ("UBND", "ĐU"); `superior` is the line printed
    above its name ("cơ quan chủ quản" / "cấp trên trực tiếp"); `term` is the Party term
    ("nhiệm kỳ", e.g. "2025-2030") that numbers Party documents; `head` is the user account of
    its head ("thủ trưởng"), who is told when the body's report is overdue.
    """

    id: str
    name: str
    regime: str = "state"
    abbr: str | None = None
    parent: str | None = None
    email: str | None = None
    place: str | None = None
    superior: str | None = None
    term: str | None = None
    head: str | None = None


@dataclass(frozen=True)
class User:
    """A person with an account; the roles are `Grant`s."""

    id: str
    full_name: str
    email: str | None = None


@dataclass(frozen=True)
class Grant:
    """`user` holds `role` for `body`."""

    user: str
    body: str
    role: str
