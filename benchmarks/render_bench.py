"""How fast kehoach renders a seed-size plan, against docxtpl filling an equivalent template.

    .venv/bin/python benchmarks/render_bench.py [--runs N] [--seed FILE]

The plan is the shared seed ../shared/seeds/000_b876d5dba2e8f99f.txt (a Party plan of about
16 KB, exported to text with markdown-ish `*`/`**`/`#` marks): its marks are stripped and its
lines become an `OfficialDocument`. docxtpl (`pip install -e '.[bench]'`) fills a template that
this script builds with python-docx from the same format profile: the same header table, title
block, one Jinja loop over the blocks giving paragraphs with the same run styles, and the same
footer table. Each renderer is warmed up, then timed N times; the medians are compared.
"""
from __future__ import annotations

import argparse
import io
import re
import statistics
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docx import Document  # noqa: E402
from docx.enum.text import WD_ALIGN_PARAGRAPH  # noqa: E402
from docx.oxml import OxmlElement  # noqa: E402
from docx.oxml.ns import qn  # noqa: E402
from docx.shared import Cm, Emu, Mm, Pt  # noqa: E402

from domain.adapters.docx_render import load_profile, render_docx  # noqa: E402
from domain.model.documents import Block, OfficialDocument  # noqa: E402

SEED = ROOT.parent / "shared" / "seeds" / "000_b876d5dba2e8f99f.txt"
# The seed's page header was lost in its export: it keeps the "*" and the number only. These
# stand in for the rest; the date is left blank as on a draft awaiting signature.
STAND_INS = dict(superior="ĐẢNG BỘ THỊ XÃ", issuer_name="ĐẢNG ỦY PHƯỜNG",
                 date_line="ngày     tháng     năm 2022")

ROMAN = re.compile(r"^[IVXLC]+\s*[-.:)]\s*")
HEADING2 = re.compile(r"^\d+\.\s")
HEADING3 = re.compile(r"^\d+(\.\d+)+\.?\s")
LABELLED = re.compile(r"^-\s*\*([^*]+?):?\*:?\s*(.*)$")  # "- *Cơ quan lãnh đạo*: Đảng ủy"
CAPACITY = re.compile(r"^(T/M|K/T|TM\.|KT\.|Q\.|TL\.|TUQ\.)\s")


def strip_marks(line: str) -> str:
    """ "**KẾ HOẠCH**" -> "KẾ HOẠCH", "# I- ..." -> "I- ..."; NFC, single spaces."""
    line = re.sub(r"^#+\s*", "", line.strip())
    line = line.replace("*", "")
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", line)).strip()


def seed_document(path: Path = SEED) -> OfficialDocument:
    """The seed plan as an `OfficialDocument`: header fields, title, body blocks, nơi nhận, signer."""
    lines = [raw.strip() for raw in path.read_text(encoding="utf-8").splitlines()]
    fields: dict = {"regime": "party", **STAND_INS, "number_line": "", "doc_type": ""}
    preamble: list[str] = []
    blocks: list[Block] = []
    recipients: list[str] = []
    signer: list[str] = []
    part = "header"
    title: list[str] = []
    for raw in lines:
        text = strip_marks(raw)
        if part == "header":
            if re.match(r"^Số\s*:?\s*\d", text):
                fields["number_line"] = re.sub(r"\s*-\s*", "-", text)  # "Số 48 -KH/ĐU" -> "Số 48-KH/ĐU"
            elif text in ("KẾ HOẠCH", "BÁO CÁO", "CHƯƠNG TRÌNH"):
                fields["doc_type"], part = text, "title"
            continue
        if part == "title":
            if text:
                title.append(text)
            elif title:
                part = "body"
            continue
        if not text:
            continue
        if part == "body" and text.startswith("Nơi nhận"):
            part = "recipients"
        elif part == "body":
            labelled = LABELLED.match(raw)
            if ROMAN.match(text):
                blocks.append(Block("heading1", text))
            elif HEADING3.match(text):
                blocks.append(Block("heading3", text))
            elif HEADING2.match(text):
                blocks.append(Block("heading2", text))
            elif labelled:
                label, rest = (strip_marks(group) for group in labelled.groups())
                blocks.append(Block("label", rest, label=label + ": "))
            elif text.startswith("- "):
                blocks.append(Block("item", text[2:]))
            elif not blocks:
                preamble.append(text)
            else:
                blocks.append(Block("paragraph", text))
        elif part == "recipients" and text.startswith("- "):
            recipients.append(text[2:].rstrip(";,."))
        else:
            part = "signer"
            signer.append(text)
    capacity = tuple(line for line in signer if CAPACITY.match(line))
    rest = [line for line in signer if line not in capacity]
    return OfficialDocument(
        **fields, title=" ".join(title), preamble=tuple(preamble), blocks=tuple(blocks),
        recipients=tuple(recipients), signer_capacity=capacity,
        signer_title=rest[0] if len(rest) > 1 else "", signer_name=rest[-1] if rest else "",
    )


# --- the docxtpl side ---------------------------------------------------------------------

def docxtpl_template(regime: str) -> bytes:
    """A docxtpl template laid out like kehoach's renderer, from the same format profile."""
    profile = load_profile(regime)
    font, body = profile["font"], profile["body"]
    document = Document()
    for rpr in (document.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr")[0],
                document.styles["Normal"].element.get_or_add_rPr()):
        fonts = rpr.get_or_add_rFonts()
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attr), None)
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), font)
        rpr.sz_val = Pt(body["size"])
    normal = document.styles["Normal"].paragraph_format
    normal.space_after, normal.line_spacing = Pt(body["space_after_pt"]), body["line_spacing"]
    page, section = profile["page"], document.sections[0]
    section.page_width, section.page_height = Mm(page["width_mm"]), Mm(page["height_mm"])
    for side in ("top", "bottom", "left", "right"):
        setattr(section, f"{side}_margin", Mm(page["margins_mm"][side]))
    section.header_distance = Mm(page["header_distance_mm"])
    section.different_first_page_header_footer = True
    section.first_page_header.is_linked_to_previous = False
    _page_field(section.header.paragraphs[0], profile)
    width = Emu(section.page_width - section.left_margin - section.right_margin)

    header = _table(document, len(profile["header"]["rows"]), profile["header"]["column_shares"], width)
    shares = profile["header"]["column_shares"]
    for row, spec in zip(header.rows, profile["header"]["rows"]):
        for cell, side, share in zip(row.cells, ("left", "right"), shares):
            _lines(cell, spec.get(side, []), profile, "center", width * share)
    _lines(document, profile["title_block"], profile, "center", width)
    _loop(document, "for text in preamble", [[("{{ text }}", {})]], profile)
    emphasis = body["emphasis"]
    _loop(document, "for b in blocks", [
        "if b.kind == 'heading1'", [("{{ b.text }}", emphasis["heading1"])],
        "elif b.kind == 'heading2'", [("{{ b.text }}", emphasis["heading2"])],
        "elif b.kind == 'heading3'", [("{{ b.text }}", emphasis["heading3"])],
        "elif b.kind == 'item'", [(body["item_prefix"] + "{{ b.text }}", {})],
        "elif b.kind == 'label'", [(body["item_prefix"], {}), ("{{ b.label }}", emphasis["label"]),
                                   ("{{ b.text }}", {})],
        "else", [("{{ b.text }}", {})],
    ], profile)
    footer = _table(document, 1, profile["footer"]["column_shares"], width)
    left, right = footer.rows[0].cells
    spec = profile["footer"]["recipients"]
    _lines(left, [spec["heading"]], profile, "left", width)
    _tag(left, "for line in recipients")
    _lines(left, [{**spec["line"], "text": spec["bullet"] + "{{ line }}"}], profile, "left", width)
    _tag(left, "endfor")
    for item in profile["footer"]["signature"]:
        if item.get("field") == "signer_capacity":
            _tag(right, "for line in signer_capacity")
            _lines(right, [{**item, "text": "{{ line }}", "upper": False}], profile, "center", width)
            _tag(right, "endfor")
        elif "field" in item:
            _lines(right, [{**item, "text": "{{ %s }}" % item["field"], "upper": False}], profile, "center",
                   width)
        else:
            _lines(right, [item], profile, "center", width)
    for cell in (*header._cells, left, right):
        cell._tc.remove(cell._tc.p_lst[0])  # the cell's own empty first paragraph
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docxtpl_context(doc: OfficialDocument, regime: str) -> dict:
    """The same data, with the recipients' punctuation worked out as the renderer does it."""
    spec = load_profile(regime)["footer"]["recipients"]
    ends = [spec["separator"]] * (len(doc.recipients) - 1) + [spec["end"]]
    return dict(
        superior=doc.superior, issuer_name=doc.issuer_name, number_line=doc.number_line,
        date_line=doc.date_line, doc_type=doc.doc_type, title=doc.title, preamble=doc.preamble,
        blocks=doc.blocks, recipients=[line + end for line, end in zip(doc.recipients, ends)],
        signer_capacity=[line.upper() for line in doc.signer_capacity],
        signer_title=doc.signer_title.upper(), signer_name=doc.signer_name,
    )


def render_docxtpl(template: bytes, context: dict) -> bytes:
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(io.BytesIO(template))
    tpl.render(context, autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def _run(paragraph, text: str, style: dict, font: str) -> None:
    run = paragraph.add_run(text)
    fonts = run._r.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), font)
    run.font.size = Pt(style["size"])
    run.bold, run.italic = style.get("bold") or None, style.get("italic") or None
    run.underline = style.get("underline") or None


def _compact(paragraph, profile: dict, align: str) -> None:
    fmt = paragraph.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER if align == "center" else WD_ALIGN_PARAGRAPH.LEFT
    fmt.space_before, fmt.space_after = Pt(0), Pt(profile["compact"]["space_after_pt"])
    fmt.line_spacing = profile["compact"]["line_spacing"]


def _lines(container, items: list[dict], profile: dict, align: str, width: float) -> None:
    """The profile's line items, a field becoming a Jinja expression (a tuple field: a loop)."""
    for item in items:
        if "rule" in item:
            paragraph = container.add_paragraph()
            borders = OxmlElement("w:pBdr")
            bottom = OxmlElement("w:bottom")
            for key, value in (("val", "single"), ("sz", str(round(profile["rule"]["weight_pt"] * 8))),
                               ("space", "1"), ("color", "auto")):
                bottom.set(qn(f"w:{key}"), value)
            borders.append(bottom)
            paragraph._p.get_or_add_pPr().append(borders)
            fmt = paragraph.paragraph_format
            fmt.space_before = fmt.space_after = Pt(0)
            fmt.line_spacing = Pt(profile["rule"]["height_pt"])
            fmt.left_indent = fmt.right_indent = Emu(round(width * (1 - item["rule"]) / 2))
            continue
        texts = [""] * item["blank"] if "blank" in item else [item.get("text") or "{{ %s }}" % item["field"]]
        guard = "field" in item and "text" not in item
        if guard:
            _tag(container, f"if {item['field']}")
        for text in texts:
            paragraph = container.add_paragraph()
            _compact(paragraph, profile, align)
            paragraph.paragraph_format.space_before = Pt(item.get("space_before_pt", 0))
            paragraph.paragraph_format.space_after = Pt(item.get("space_after_pt", 0))
            if text:
                _run(paragraph, text, item, profile["font"])
        if guard:
            _tag(container, "endif")


def _loop(container, head: str, branches: list, profile: dict) -> None:
    """{%p head %} then, per branch, {%p condition %} and a body paragraph of styled runs."""
    body = profile["body"]
    _tag(container, head)
    conditional = isinstance(branches[0], str)
    pairs = zip(branches[::2], branches[1::2]) if conditional else [(None, branches[0])]
    for condition, runs in pairs:
        if condition:
            _tag(container, condition)
        paragraph = container.add_paragraph()
        paragraph.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        paragraph.paragraph_format.first_line_indent = Cm(body["first_line_indent_cm"])
        if condition and "heading" in condition:
            paragraph.paragraph_format.keep_with_next = True
        for text, style in runs:
            _run(paragraph, text, {"size": body["size"], **style}, profile["font"])
    if conditional:
        _tag(container, "endif")
    _tag(container, "end" + head.split()[0])


def _tag(container, statement: str) -> None:
    container.add_paragraph().add_run("{%p " + statement + " %}")


def _page_field(paragraph, profile: dict) -> None:
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run()
    run.font.size = Pt(profile["page_number"]["size"])
    for kind in ("begin", None, "end"):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = " PAGE "
        run._r.append(element)


def _table(document, rows: int, shares: list[float], width):
    table = document.add_table(rows=rows, cols=len(shares))
    table.autofit = False
    for column, share in zip(table.columns, shares):
        column.width = Emu(round(width * share))
        for cell in column.cells:
            cell.width = Emu(round(width * share))
    return table


# --- timing -------------------------------------------------------------------------------

def median_ms(render, runs: int) -> float:
    for _ in range(max(3, runs // 10)):  # warm-up: imports, caches, lazily built parts
        render()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        render()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="timed runs of each renderer (default 50)")
    parser.add_argument("--seed", type=Path, default=SEED, help="the plan exported to text")
    args = parser.parse_args(argv)
    try:
        import docxtpl  # noqa: F401
    except ImportError:
        print("docxtpl is not installed, so there is nothing to compare with. Install it with:\n"
              "    .venv/bin/pip install -e '.[bench]'", file=sys.stderr)
        return 2
    doc = seed_document(args.seed)
    template, context = docxtpl_template(doc.regime), docxtpl_context(doc, doc.regime)
    ours = median_ms(lambda: render_docx(doc), args.runs)
    theirs = median_ms(lambda: render_docxtpl(template, context), args.runs)
    size = len(args.seed.read_bytes()) / 1024
    print(f"seed: {args.seed.name} ({size:.0f} KB of text, {len(doc.blocks)} blocks), median of {args.runs} runs")
    print(f"kehoach render_docx: {ours:7.2f} ms")
    print(f"docxtpl fill:        {theirs:7.2f} ms")
    if ours <= theirs:
        print(f"kehoach is {theirs / ours:.1f}× faster than docxtpl")
    else:
        print(f"kehoach is {ours / theirs:.1f}× slower than docxtpl")
    return 0


if __name__ == "__main__":
    sys.exit(main())
