"""Read a plan's source file (.docx or .txt) into lines and tables for the importer, and a unit's
filled report form (.docx) into its identity and rows (`read_filled_form`).

A .docx is read in body order: each paragraph gives its lines (line breaks and tabs kept,
a blank line after it, as text exports write them); a layout table (the header or the
signature block: at most two columns) is read cell by cell, left then right, row by row; any
other table is kept as a `Table` (an annexed form). Text typed in the legacy .VnTime fonts
(TCVN3) is converted. Text files are decoded by domain.model.legacy_text.decode_text.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

from docx import Document
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph
from lxml import etree

from domain.messages import DomainError
from domain.model.importer import Table
from domain.model.legacy_text import decode_text, looks_tcvn3, tcvn3_to_unicode
from domain.model.report_form import FilledForm, read_form


def read_source(path: Path) -> tuple[list[str | Table], list[str]]:
    """The document's items in reading order, and notes on conversions made (e.g. "tcvn3")."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise DomainError("file_missing", file=path)
    if suffix in (".txt", ".md", ".text"):
        text, note = decode_text(path.read_bytes())
        if not text.strip():
            raise DomainError("import_empty", file=path)
        return [text], [note] if note else []
    if suffix != ".docx":
        raise DomainError("import_format", file=path, suffix=suffix or "(không có)")
    try:
        document = Document(str(path))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        raise DomainError("import_unreadable", file=path, problem=exc) from None
    items = list(_items(document))
    notes: list[str] = []
    joined = "\n".join(i for i in items if isinstance(i, str))
    if _uses_vn_fonts(document) or looks_tcvn3(joined):
        items = [tcvn3_to_unicode(i) if isinstance(i, str) else
                 Table(tuple(tuple(tcvn3_to_unicode(c) for c in r) for r in i.rows), i.header_rows) for i in items]
        notes.append("tcvn3")
    else:
        decode_text(joined.encode("utf-8"))  # refuses a mix of TCVN3 and Unicode
    if not any(isinstance(i, Table) or i.strip() for i in items):
        raise DomainError("import_empty", file=path)
    return items, notes


def read_docx_bytes(data: bytes) -> list[str | Table]:
    """The items of a .docx given as bytes, as `read_source` reads them (TCVN3 converted); a text file (its
    text export) as one item; [] when the bytes are neither (`kehoach verify` then has no text to go by)."""
    try:
        document = Document(io.BytesIO(data))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError):
        try:
            text, _ = decode_text(data)
        except DomainError:
            return []
        return [text] if "\x00" not in text else []
    items = list(_items(document))
    if _uses_vn_fonts(document) or looks_tcvn3("\n".join(i for i in items if isinstance(i, str))):
        items = [tcvn3_to_unicode(i) if isinstance(i, str) else i for i in items]
    return items


def _items(document):
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            yield Paragraph(child, document).text + "\n"
        elif child.tag == qn("w:tbl"):
            table = DocxTable(child, document)
            rows = [tuple(_cell_text(c) for c in row.cells) for row in table.rows]
            if rows and len(table.columns) <= 2 and not rows[0][0].strip().upper().startswith(("STT", "TT")):
                for row in table.rows:
                    for cell in _unique_cells(row.cells):
                        yield "\n".join(p.text for p in cell.paragraphs) + "\n"
            else:
                yield Table(tuple(rows))


def _unique_cells(cells):
    seen = set()
    for cell in cells:
        if id(cell._tc) not in seen:
            seen.add(id(cell._tc))
            yield cell


def _cell_text(cell) -> str:
    return " ".join(p.text.strip() for p in cell.paragraphs if p.text.strip())


def _uses_vn_fonts(document) -> bool:
    """A run or style set in a TCVN3 font (.VnTime, .VnTimeH, .VnArial ...)."""
    for element in document.element.body.iter(qn("w:rFonts")):
        if (element.get(qn("w:ascii")) or "").startswith(".Vn"):
            return True
    return False


# --- a unit's filled report form -------------------------------------------------------------

def read_filled_form(path: Path) -> FilledForm:
    """The identity and rows of a report form as a person filled it in Word (or LibreOffice): typed
    text, tracked insertions kept and tracked deletions left out, a cell's paragraphs one per line,
    the custom document properties the form was issued with."""
    if not path.is_file():
        raise DomainError("file_missing", file=path)
    if path.suffix.lower() != ".docx":
        raise DomainError("report_file_format", file=path.name, suffix=path.suffix or "(không có)")
    data = path.read_bytes()
    try:
        document = Document(io.BytesIO(data))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        raise DomainError("report_file_unreadable", file=path.name, problem=exc) from None
    form = read_form(list(_form_items(document.element.body)), _custom_properties(data))
    if not form.tables:
        raise DomainError("not_a_report_form", file=path.name)
    return form


def _form_items(container):
    """Paragraph texts and tables (rows of cell texts) in reading order; content controls opened."""
    for child in container.iterchildren():
        if child.tag == qn("w:p"):
            yield _paragraph_text(child)
        elif child.tag == qn("w:tbl"):
            yield [[_tc_text(tc) for tc in _row_cells(tr)] for tr in child.iterchildren(qn("w:tr"))]
        elif child.tag == qn("w:sdt"):
            for content in child.iterchildren(qn("w:sdtContent")):
                yield from _form_items(content)


def _row_cells(tr):
    """A row's cells, a cell spanning n grid columns given n times (the columns stay in place)."""
    for tc in tr.iter(qn("w:tc")):
        if next(tc.iterancestors(qn("w:tr"))) is not tr:
            continue  # a nested table's cell
        span = tc.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}")
        for _ in range(int(span.get(qn("w:val"))) if span is not None else 1):
            yield tc


def _tc_text(tc) -> str:
    return "\n".join(_paragraph_text(p) for p in tc.iter(qn("w:p"))
                     if next(p.iterancestors(qn("w:tc"))) is tc)


_RUN_CONTENT = (qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr"), qn("w:noBreakHyphen"))
_DELETED = (qn("w:del"), qn("w:moveFrom"))


def _paragraph_text(p) -> str:
    out = []
    for element in p.iter(*_RUN_CONTENT):
        if element.getparent().tag != qn("w:r") or any(a.tag in _DELETED for a in element.iterancestors()):
            continue
        if element.tag == qn("w:t"):
            out.append(element.text or "")
        else:
            out.append("-" if element.tag == qn("w:noBreakHyphen") else " " if element.tag == qn("w:tab") else "\n")
    return "".join(out)


def _custom_properties(data: bytes) -> dict[str, str]:
    """The file's custom document properties (docProps/custom.xml), name -> text."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        names = [n for n in package.namelist() if n.lower() == "docprops/custom.xml"]
        if not names:
            return {}
        try:
            root = etree.fromstring(package.read(names[0]))
        except etree.XMLSyntaxError:
            return {}
    return {prop.get("name", ""): "".join(prop.itertext()).strip() for prop in root if prop.get("name")}
