"""The correction letter ("công văn đính chính"): a new numbered document that corrects an issued one.

NĐ 30/2020 has no tên loại for a correction of an administrative document; offices send a công văn
"V/v đính chính Kế hoạch số …" listing each error as written and as it should read ("đã viết …,
nay sửa lại là …"), and say that everything else stands. A plan rewritten in substance is replaced
instead: a new KẾ HOẠCH that says "Kế hoạch này thay thế Kế hoạch số …" (documents.plan_document).
Pure: same data, same document.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.messages import DomainError
from domain.model import numbering
from domain.model.documents import Block, OfficialDocument, file_stem, header_fields
from domain.model.forms import dmy
from domain.model.org import Body
from domain.model.plan import PlanContent

# A change of an issued document's standing -> the message ("thư báo") each body that received it gets:
# the correction letter attached, the replacement plan attached, or the withdrawal with its reason.
MARK_NOTICES: dict[str, str] = {"correct": "correction", "replace": "replacement", "withdraw": "withdrawal"}
MARK_NOTICE_KINDS: tuple[str, ...] = tuple(MARK_NOTICES.values())


def notice_recipients(received: Iterable[str], *, receiving_anyway: Iterable[str] = ()) -> list[str]:
    """Who is told of a correction, replacement or withdrawal: each body the document was sent to, once, in
    the order it was sent, except those that receive the new document anyway (a replacement plan's own
    recipients get it by its distribution, which says what it replaces)."""
    skip = set(receiving_anyway)
    return [body for body in dict.fromkeys(received) if body not in skip]


@dataclass(frozen=True)
class Correction:
    """One error corrected ("đính chính"): where it is, what was written, what it should read."""

    at: str
    was: str
    now: str

    def to_dict(self) -> dict[str, str]:
        return {"at": self.at, "was": self.was, "now": self.now}


@dataclass(frozen=True)
class Original:
    """The document being corrected, as the letter cites it."""

    reference: str
    issued_on: date
    doc_type: str  # "KẾ HOẠCH", "BÁO CÁO", "CÔNG VĂN"
    subject: str


def parse_corrections(data: Any, *, source: str = "") -> tuple[Correction, ...]:
    """A list of {at, was, now} (from a YAML file or the command line); Vietnamese errors otherwise."""
    where = f" trong {source}" if source else ""
    if not isinstance(data, list) or not data:
        raise DomainError("corrections_empty", where=where)
    out = []
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict):
            raise DomainError("correction_fields", index=i, where=where)
        values = {k: str(item.get(k) or "").strip() for k in ("at", "was", "now")}
        missing = [k for k, v in values.items() if not v]
        if missing:
            raise DomainError("correction_fields", index=i, where=where)
        if values["was"] == values["now"]:
            raise DomainError("correction_same", index=i, where=where, text=values["was"])
        out.append(Correction(**values))
    return tuple(out)


def type_name(doc_type: str) -> str:
    """ "KẾ HOẠCH" -> "Kế hoạch", "CÔNG VĂN" -> "Công văn": a type as running text cites it."""
    return doc_type[:1].upper() + doc_type[1:].lower()


def correction_subject(original: Original) -> str:
    return f"V/v đính chính {type_name(original.doc_type)} số {original.reference} ngày {dmy(original.issued_on)}"


def correction_letter(*, content: PlanContent, issuer: Body, names: dict[str, str], number: int | None,
                      issued_on: date | None, original: Original, corrections: tuple[Correction, ...],
                      addressees: tuple[str, ...]) -> OfficialDocument:
    """The công văn đính chính, signed with the original's signing block and sent to its recipients."""
    issuer_name = names.get(issuer.id, issuer.name)
    cited = f"{type_name(original.doc_type)} số {original.reference} ngày {dmy(original.issued_on)}"
    about = original.subject.removeprefix("V/v ").strip()
    about = about[:1].lower() + about[1:]
    blocks = [Block("paragraph", f"Ngày {dmy(original.issued_on)}, {issuer_name} ban hành {cited} về {about}. "
                                 f"Do sơ suất trong quá trình soạn thảo, văn bản có sai sót; {issuer_name} "
                                 f"đính chính như sau:")]
    blocks += [Block("paragraph", f"{i}. Tại {c.at}, đã viết: “{c.was}”; nay sửa lại là: “{c.now}”.")
               for i, c in enumerate(corrections, 1)]
    blocks.append(Block("paragraph", f"Các nội dung khác của {cited} giữ nguyên. {issuer_name} thông báo để các "
                                     f"cơ quan, đơn vị biết, thực hiện./."))
    signer = content.signer
    archive = tuple(r.line() for r in content.recipients if r.line().startswith("Lưu")) or ("Lưu: VT",)
    return OfficialDocument(
        **{**header_fields(issuer=issuer, regime=issuer.regime, doc_type=numbering.LETTER, number=number,
                           issued_on=issued_on, place=content.place), "doc_type": ""},
        title="",
        subject=correction_subject(original),
        addressees=addressees,
        blocks=tuple(blocks),
        recipients=("Như trên", *archive),
        signer_capacity=signer.capacity if signer else (),
        signer_title=signer.title if signer else "",
        signer_name=signer.name if signer else "",
        file_stem=file_stem(numbering.LETTER, number, issuer, issued_on,
                            f"Đính chính {type_name(original.doc_type)} {original.reference}"),
    )
