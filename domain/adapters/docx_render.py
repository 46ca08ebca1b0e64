"""Render an `OfficialDocument` to .docx bytes in the layout of its format profile.

A profile (templates/formats/<regime>.yaml) holds every figure: page, margins, fonts, sizes,
spacing and the lines of the header, title and signature blocks, the "Kính gửi" lines of a
công văn, charts and landscape annexes; this module only places them.
Rendering is pure: the same document and profile give the same bytes (fixed zip entry dates
and core properties).
"""
from __future__ import annotations

import io
import itertools
import textwrap
import threading
import unicodedata
import zipfile
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import yaml
from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Length, Mm, Pt

from domain.model.documents import Annex, Block, Chart, OfficialDocument

FORMATS_DIR = Path(__file__).resolve().parents[2] / "templates" / "formats"
AUTHOR = "kehoach"
FIXED_TIME = datetime(1980, 1, 1)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
         "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}
FONT_ATTRS = ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs")
THEME_FONT_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")
TEXT_KINDS = ("paragraph", "heading1", "heading2", "heading3")


@lru_cache(maxsize=None)
def load_profile(regime: str) -> dict:
    """The format profile of a regime ("state", "party"). Cached: treat it as read-only."""
    path = FORMATS_DIR / f"{regime}.yaml"
    if not path.is_file():
        raise ValueError(f"no format profile for regime {regime!r} in {FORMATS_DIR}")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def render_docx(doc: OfficialDocument, *, profile: dict | None = None) -> bytes:
    """The .docx file of `doc`, laid out by `profile` (default: the profile of its regime)."""
    profile = load_profile(doc.regime) if profile is None else profile
    document = Document()
    _set_base_style(document, profile)
    section = document.sections[0]
    width = _set_page(section, profile)
    _add_page_numbers(section, profile)
    _add_header(document, doc, profile, width)
    if doc.doc_type or doc.title:  # a công văn has no tên loại: its trích yếu sits in the header
        _add_lines(document, profile["title_block"], doc, profile, width, "center")
    _add_addressees(document, doc.addressees, profile)
    for text in doc.preamble:
        _add_body_paragraph(document, [(text, {})], profile)
    for block in doc.blocks:
        _add_block(document, block, profile, width)
    _add_footer(document, doc, profile, width)
    for annex in doc.annexes:
        _add_annex(document, annex, profile)
    _set_core_properties(document, doc)
    return _stable_bytes(document)


# --- document-wide settings ---------------------------------------------------------------

def _set_base_style(document, profile: dict) -> None:
    """Font, body size and language on the document defaults and on Normal; body spacing on Normal."""
    body = profile["body"]
    defaults = document.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr")[0]
    normal = document.styles["Normal"]
    for rpr in (defaults, normal.element.get_or_add_rPr()):
        _set_font(rpr, profile["font"])
        rpr.sz_val = Pt(body["size"])
    defaults.find(qn("w:lang")).set(qn("w:val"), profile["language"])
    fmt = normal.paragraph_format
    fmt.space_after = Pt(body["space_after_pt"])
    fmt.line_spacing = body["line_spacing"]


def _set_page(section, profile: dict) -> Length:
    """Paper and margins; returns the text width."""
    page = profile["page"]
    margins = page["margins_mm"]
    section.page_width, section.page_height = Mm(page["width_mm"]), Mm(page["height_mm"])
    section.top_margin, section.bottom_margin = Mm(margins["top"]), Mm(margins["bottom"])
    section.left_margin, section.right_margin = Mm(margins["left"]), Mm(margins["right"])
    section.header_distance = Mm(page["header_distance_mm"])
    return Emu(section.page_width - section.left_margin - section.right_margin)


def _add_page_numbers(section, profile: dict) -> None:
    """A PAGE field centred in the top margin from page 2; page 1 gets an empty header."""
    section.different_first_page_header_footer = True
    section.first_page_header.is_linked_to_previous = False
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = " PAGE "
    for element in (_element("w:fldChar", fldCharType="begin"), instruction,
                    _element("w:fldChar", fldCharType="end")):
        _add_run(paragraph, "", profile["page_number"], profile["font"])._r.append(element)


def _set_core_properties(document, doc: OfficialDocument) -> None:
    props = document.core_properties
    props.author = props.last_modified_by = AUTHOR
    props.created = props.modified = props.last_printed = FIXED_TIME
    props.title = doc.title or doc.subject or ""
    props.comments = ""
    props.revision = 1


def _stable_bytes(document) -> bytes:
    """Save, then rewrite the zip with fixed entry dates in a stable order."""
    raw = io.BytesIO()
    document.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in sorted(src.namelist(), key=lambda n: (n != "[Content_Types].xml", n)):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            dst.writestr(info, src.read(name))
    return out.getvalue()


# --- runs and paragraphs ------------------------------------------------------------------

def _set_font(rpr, name: str) -> None:
    """Every script in `name`; theme fonts would override it, so they go."""
    fonts = rpr.get_or_add_rFonts()
    for attr in THEME_FONT_ATTRS:
        fonts.attrib.pop(qn(attr), None)
    for attr in FONT_ATTRS:
        fonts.set(qn(attr), name)


def _add_run(paragraph, text: str, style: dict, font: str):
    run = paragraph.add_run(unicodedata.normalize("NFC", text))
    _set_font(run._r.get_or_add_rPr(), font)
    run.font.size = Pt(style["size"])
    run.bold = style.get("bold") or None
    run.italic = style.get("italic") or None
    run.underline = style.get("underline") or None
    return run


def _compact(paragraph, profile: dict, align: str) -> None:
    fmt = paragraph.paragraph_format
    fmt.alignment = ALIGN[align]
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(profile["compact"]["space_after_pt"])
    fmt.line_spacing = profile["compact"]["line_spacing"]


def _add_body_paragraph(container, runs: list[tuple[str, dict]], profile: dict):
    """A justified paragraph with first-line indent; spacing comes from Normal."""
    body = profile["body"]
    paragraph = container.add_paragraph()
    paragraph.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    paragraph.paragraph_format.first_line_indent = Cm(body["first_line_indent_cm"])
    for text, style in runs:
        if text:
            _add_run(paragraph, text, {"size": body["size"], **style}, profile["font"])
    return paragraph


# --- line items: header cells, title block, signature -------------------------------------

def _add_lines(container, items: list[dict], doc: OfficialDocument, profile: dict,
               width: Length, align: str) -> None:
    for item in items:
        paragraphs = _add_item(container, item, doc, profile, width, align)
        if paragraphs:
            paragraphs[0].paragraph_format.space_before = Pt(item.get("space_before_pt", 0))
            paragraphs[-1].paragraph_format.space_after = Pt(item.get("space_after_pt", 0))


def _add_item(container, item: dict, doc: OfficialDocument, profile: dict, width: Length,
              align: str) -> list:
    if "rule" in item:
        return [_add_rule(container, width, item["rule"], profile)]
    texts = [""] * item["blank"] if "blank" in item else _item_texts(item, doc)
    paragraphs = []
    for text in texts:
        paragraph = container.add_paragraph()
        _compact(paragraph, profile, align)
        if text:
            _add_run(paragraph, text, item, profile["font"])
        paragraphs.append(paragraph)
    return paragraphs


def _item_texts(item: dict, doc: OfficialDocument) -> list[str]:
    value = item["text"] if "text" in item else getattr(doc, item["field"])
    texts = [value] if isinstance(value, str) else list(value or ())
    return [text.upper() if item.get("upper") else text for text in texts if text]


def _add_rule(container, width: Length, share: float, profile: dict):
    """An empty, short line whose bottom border is a centred rule `share` of `width` long."""
    paragraph = container.add_paragraph()
    border = _element("w:bottom", val="single", sz=str(round(profile["rule"]["weight_pt"] * 8)),
                      space="1", color="auto")
    borders = OxmlElement("w:pBdr")
    borders.append(border)
    # pBdr goes in first: the formatting set below is inserted after it in schema order.
    paragraph._p.get_or_add_pPr().append(borders)
    _set_exact_height(paragraph, profile["rule"]["height_pt"])
    indent = Emu(round(width * (1 - share) / 2))
    paragraph.paragraph_format.left_indent = paragraph.paragraph_format.right_indent = indent
    return paragraph


def _set_exact_height(paragraph, height_pt: float) -> None:
    fmt = paragraph.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing = Pt(height_pt)


# --- header and footer tables -------------------------------------------------------------

def _add_header(document, doc: OfficialDocument, profile: dict, width: Length) -> None:
    spec = profile["header"]
    table, widths = _layout_table(document, len(spec["rows"]), spec["column_shares"], width)
    for row, row_spec in zip(table.rows, spec["rows"]):
        for cell, side, cell_width in zip(row.cells, ("left", "right"), widths):
            _fill_cell(cell, row_spec.get(side, []), doc, profile, cell_width, "center")


def _add_footer(document, doc: OfficialDocument, profile: dict, width: Length) -> None:
    spec = profile["footer"]
    table, widths = _layout_table(document, 1, spec["column_shares"], width)
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))  # never split over pages
    left, right = table.rows[0].cells
    _fill_cell(left, _recipient_items(doc.recipients, spec["recipients"]), doc, profile, widths[0], "left")
    _fill_cell(right, spec["signature"], doc, profile, widths[1], "center")


def _recipient_items(recipients: tuple[str, ...], spec: dict) -> list[dict]:
    """ "Nơi nhận:" then "- <line>;" per recipient, the last one ending with "."."""
    if not recipients:
        return []
    texts = [line.strip().rstrip(";,.").rstrip() for line in recipients]
    ends = [spec["separator"]] * (len(texts) - 1) + [spec["end"]]
    lines = [{**spec["line"], "text": f"{spec['bullet']}{text}{end}"} for text, end in zip(texts, ends)]
    return [spec["heading"], *lines]


def _fill_cell(cell, items: list[dict], doc: OfficialDocument, profile: dict, width: Length,
               align: str) -> None:
    """Replace the cell's initial empty paragraph by the lines of `items`."""
    initial = cell.paragraphs[0]
    _add_lines(cell, items, doc, profile, width, align)
    if len(cell.paragraphs) > 1:
        initial._p.getparent().remove(initial._p)


def _layout_table(document, rows: int, shares: list[float], width: Length):
    """A borderless table without cell padding, columns `shares` of `width`."""
    table = document.add_table(rows=rows, cols=len(shares))
    widths = [Emu(round(width * share)) for share in shares]
    _set_widths(table, widths)
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(_element(f"w:{edge}", val="nil"))
    tbl_pr.insert_element_before(borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook",
                                 "w:tblCaption", "w:tblDescription", "w:tblPrChange")
    margins = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        margins.append(_element(f"w:{edge}", w="0", type="dxa"))
    tbl_pr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription",
                                 "w:tblPrChange")
    return table, widths


def _set_widths(table, widths: list[Length]) -> None:
    """Fixed column widths, written to the grid, every cell and the table width."""
    table.autofit = False
    tbl_w = table._tbl.tblPr.find(qn("w:tblW"))
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(sum(w.twips for w in widths)))
    for column, width in zip(table.columns, widths):
        column.width = width
        for cell in column.cells:
            cell.width = width


def _element(tag: str, **attrs: str):
    element = OxmlElement(tag)
    for key, value in attrs.items():
        element.set(qn(f"w:{key}"), value)
    return element


# --- body blocks --------------------------------------------------------------------------

def _add_block(document, block: Block, profile: dict, width: Length) -> None:
    if block.kind == "table":
        _add_table(document, block.rows, block.header_rows, profile, width)
        return
    if block.kind == "chart":
        _add_chart(document, block, profile, width)
        return
    paragraph = _add_body_paragraph(document, _block_runs(block, profile["body"]), profile)
    if block.kind.startswith("heading"):
        paragraph.paragraph_format.keep_with_next = True


def _block_runs(block: Block, body: dict) -> list[tuple[str, dict]]:
    emphasis = body["emphasis"]
    if block.kind == "item":
        return [(body["item_prefix"] + block.text, {})]
    if block.kind == "label":
        return [(body["item_prefix"], {}), (block.label or "", emphasis["label"]), (block.text, {})]
    if block.kind in TEXT_KINDS:
        return [(block.text, emphasis.get(block.kind, {}))]
    raise ValueError(f"unknown block kind {block.kind!r}")


def _add_table(document, rows: tuple[tuple[str, ...], ...], header_rows: int, profile: dict,
               width: Length) -> None:
    """A bordered Word table; the first `header_rows` rows are bold, centred header rows
    repeated on every page. A row with an empty cell (left for the reader to fill) is at
    least the profile's height, so there is room to write.

    An empty line of the profile's gap height follows, so that Word never joins the table
    to a following one (another block or the footer).
    """
    if not rows:
        return
    spec = profile["table"]
    columns = max(len(row) for row in rows)
    table = document.add_table(rows=len(rows), cols=columns)
    table.style = document.styles["Table Grid"]
    _set_widths(table, _column_widths(rows, width, spec))
    for index, (row, values) in enumerate(zip(table.rows, rows)):
        header = index < header_rows
        values = tuple(values) + ("",) * (columns - len(values))
        tr_pr = row._tr.get_or_add_trPr()
        if "" in values:
            tr_pr.append(_element("w:trHeight", val=str(Pt(spec["empty_row_min_height_pt"]).twips),
                                  hRule="atLeast"))
        if header:
            tr_pr.append(OxmlElement("w:tblHeader"))
        for cell, value in zip(row.cells, values):
            paragraph = cell.paragraphs[0]
            _compact(paragraph, profile, "center" if header else "left")
            paragraph.paragraph_format.space_before = Pt(spec["cell_padding_pt"])
            paragraph.paragraph_format.space_after = Pt(spec["cell_padding_pt"])
            if value:
                _add_run(paragraph, value, {"size": spec["size"], "bold": header}, profile["font"])
    _set_exact_height(document.add_paragraph(), spec["gap_after_pt"])


def _column_widths(rows, width: Length, spec: dict) -> list[Length]:
    """Widths in proportion to each column's longest text, clamped to the profile's bounds."""
    columns = itertools.zip_longest(*rows, fillvalue="")
    weights = [min(max(spec["min_column_chars"], *(len(v) for v in column)), spec["max_column_chars"])
               for column in columns]
    return [Emu(round(width * w / sum(weights))) for w in weights]


# --- charts -------------------------------------------------------------------------------

def _add_chart(document, block: Block, profile: dict, width: Length) -> None:
    """The chart as a picture the width of the text, its caption (`block.text`) under it."""
    if block.chart is None:
        raise ValueError("a chart block needs a chart")
    spec = profile["chart"]
    paragraph = document.add_paragraph()
    _compact(paragraph, profile, "center")
    paragraph.paragraph_format.space_before = Pt(spec["space_before_pt"])
    paragraph.paragraph_format.keep_with_next = bool(block.text)
    png = chart_png(block.chart, width_mm=width.mm, spec=_frozen(spec))
    picture = paragraph.add_run().add_picture(io.BytesIO(png), width=width)
    picture._inline.docPr.set("descr", unicodedata.normalize("NFC", block.chart.title))
    if block.text:
        caption = document.add_paragraph()
        _compact(caption, profile, "center")
        _add_run(caption, block.text, spec["caption"], profile["font"])
        paragraph = caption
    paragraph.paragraph_format.space_after = Pt(spec["space_after_pt"])


_CHART_LOCK = threading.Lock()


def _frozen(value):
    """A hashable copy of a profile fragment, for the chart cache."""
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


@lru_cache(maxsize=64)
def chart_png(chart: Chart, *, width_mm: float, spec: tuple) -> bytes:
    """A grouped bar chart as PNG bytes: the same chart and spec give the same bytes.

    matplotlib is imported here, so documents without a chart never load it. Its settings are
    global: the default style plus the profile's font, under a lock, whatever matplotlibrc says.
    """
    import matplotlib
    import matplotlib.style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    spec = dict(spec)
    nfc = lambda text: unicodedata.normalize("NFC", text)  # noqa: E731
    with _CHART_LOCK, matplotlib.style.context("default"), matplotlib.rc_context(_chart_rc(spec)):
        figure = Figure(figsize=(width_mm / 25.4, spec["height_mm"] / 25.4), dpi=spec["dpi"],
                        layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        count = max(len(chart.series), 1)
        bar = spec["group_width"] / count
        positions = range(len(chart.categories))
        for index, ((name, values), colour) in enumerate(zip(chart.series, itertools.cycle(spec["colours"]))):
            offset = (index - (count - 1) / 2) * bar
            heights = [float("nan") if v is None else v for v in values]
            bars = axes.bar([p + offset for p in positions], heights, bar, label=nfc(name), color=colour)
            axes.bar_label(bars, labels=["" if v is None else _number(v) for v in values],
                           padding=2, fontsize=spec["value_size"])
        axes.set_xticks(list(positions), [_wrap(nfc(c), spec["label_wrap_chars"]) for c in chart.categories])
        axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _number(v)))
        axes.set_title(nfc(chart.title), fontsize=spec["title_size"], fontweight="bold")
        if chart.unit:
            axes.set_ylabel(nfc(chart.unit))
        axes.margins(y=0.15)
        axes.spines[["top", "right"]].set_visible(False)
        if chart.series:
            figure.legend(loc="outside lower center", ncols=len(chart.series), frameon=False)
        out = io.BytesIO()
        figure.savefig(out, format="png", dpi=spec["dpi"], metadata={"Software": None})
    return out.getvalue()


def _chart_rc(spec: dict) -> dict:
    return {"font.family": "sans-serif", "font.sans-serif": [spec["font"]], "font.size": spec["font_size"],
            "axes.unicode_minus": False}


def _number(value: float) -> str:
    """Vietnamese notation: 1.250,5 (dot for thousands, comma for decimals); no trailing zeros."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


# --- công văn: Kính gửi -------------------------------------------------------------------

def _add_addressees(document, addressees: tuple[str, ...], profile: dict) -> None:
    """ "Kính gửi: X." on one line for one addressee; else "Kính gửi:" then "- X;" lines."""
    if not addressees:
        return
    spec = profile["addressees"]
    texts = [unicodedata.normalize("NFC", a).strip().rstrip(";,.").rstrip() for a in addressees]
    if len(texts) == 1:
        lines = [(f"{spec['label']} {texts[0]}{spec['end']}", spec["single"])]
    else:
        ends = [spec["separator"]] * (len(texts) - 1) + [spec["end"]]
        lines = [(spec["label"], spec["several"]["label"])]
        lines += [(f"{spec['bullet']}{t}{e}", spec["several"]["line"]) for t, e in zip(texts, ends)]
    paragraphs = []
    for text, layout in lines:
        paragraph = document.add_paragraph()
        _compact(paragraph, profile, layout["align"])
        paragraph.paragraph_format.left_indent = Cm(layout.get("indent_cm", 0)) or None
        _add_run(paragraph, text, spec, profile["font"])
        paragraphs.append(paragraph)
    paragraphs[0].paragraph_format.space_before = Pt(spec["space_before_pt"])
    paragraphs[-1].paragraph_format.space_after = Pt(spec["space_after_pt"])


# --- annexes ------------------------------------------------------------------------------

def _add_annex(document, annex: Annex, profile: dict) -> None:
    """A new landscape section: heading, title, note, then the table. Page numbers go on."""
    spec = profile["annex"]
    section = document.add_section(WD_SECTION.NEW_PAGE)
    section.different_first_page_header_footer = False  # the page number shows on its first page
    section.orientation = WD_ORIENT.LANDSCAPE
    width = _set_page(section, {"page": spec["page"]})
    paragraph = None
    for key in ("heading", "title", "note"):
        text = getattr(annex, key)
        if text:
            paragraph = document.add_paragraph()
            _compact(paragraph, profile, "center")
            paragraph.paragraph_format.keep_with_next = True
            _add_run(paragraph, text, spec[key], profile["font"])
    if paragraph is not None:
        paragraph.paragraph_format.space_after = Pt(spec["space_after_pt"])
    _add_table(document, annex.rows, annex.header_rows, {**profile, "table": spec["table"]}, width)
