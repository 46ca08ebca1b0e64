"""Citations of a higher body's plan ("Thực hiện Kế hoạch số 41/KH-UBND ngày 20/01/2026 của …"), read
so that they can be matched with the plans of the register. Pure."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from domain.messages import DomainError
from domain.model.plan import nfc

_ID = re.compile(r"#?\s*(\d+)")
_REFERENCE = re.compile(
    r"(?:số\s*:?\s*)?(?P<number>\d+)\s*(?P<sep>[/-])\s*(?P<symbol>[^\s,;]+)"
    r"(?:\s*,?\s*ngày\s+(?P<d>\d{1,2})\s*[/.-]\s*(?P<m>\d{1,2})\s*[/.-]\s*(?P<y>\d{4}))?"
    r"(?:\s*,?\s*của\s+(?P<body>.+?))?\s*[.;]?", re.IGNORECASE)


@dataclass(frozen=True)
class Citation:
    """A plan cited by id ("#3") or by its number and symbol, with the date and the issuer when given."""

    text: str
    plan_id: int | None = None
    number: int | None = None
    separator: str = ""
    symbol: str = ""
    issued_on: date | None = None
    body: str | None = None


def read_citation(cited: str | int) -> Citation | None:
    """The plan a citation names; None when it names a document of another kind (Chỉ thị 33/CT-TTg …).

    "#3", "3" -> plan 3; "Số 41/KH-UBND ngày 20/01/2026", "41/KH-UBND", "Số 48-KH/ĐU ngày 05/3/2026 của
    Đảng ủy phường Hòa Bình" -> by reference ("KH" is the type of a plan, NĐ 30/2020 and HD 36).
    A date that is no day of the calendar is refused.
    """
    text = nfc(str(cited))
    if isinstance(cited, int) or _ID.fullmatch(text):
        return Citation(text=text, plan_id=int(_ID.fullmatch(text).group(1)))
    m = _REFERENCE.fullmatch(text)
    if m is None:
        return None
    symbol = m["symbol"].upper()
    if not re.match(r"KH(?:[-/]|$)", symbol):
        return None
    issued_on = None
    if m["y"]:
        try:
            issued_on = date(int(m["y"]), int(m["m"]), int(m["d"]))
        except ValueError:
            raise DomainError("implements_bad_date", cited=text) from None
    return Citation(text=text, number=int(m["number"]), separator=m["sep"], symbol=symbol, issued_on=issued_on,
                    body=m["body"].strip() if m["body"] else None)


def matches(citation: Citation, reference: str, issued_on: date, body_name: str) -> bool:
    """Whether an issued plan (its reference "01/KH-UBND", date and issuer's name) is the one cited."""
    m = _REFERENCE.fullmatch(nfc(reference))
    if m is None or citation.number is None:
        return False
    return (int(m["number"]) == citation.number and m["sep"] == citation.separator
            and m["symbol"].upper() == citation.symbol
            and (citation.issued_on is None or citation.issued_on == issued_on)
            and (citation.body is None or citation.body.casefold() == body_name.casefold()))
