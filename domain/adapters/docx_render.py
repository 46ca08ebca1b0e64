"""Render an `OfficialDocument` to .docx bytes in the layout of its format profile.

A profile (templates/formats/<regime>.yaml) holds every figure: page, margins, fonts, sizes,
spacing and the lines of the header, title and signature blocks, the "Kính gửi" lines of a
công văn, charts and landscape annexes; this module only places them.

How it is fast: python-docx builds the package once per profile (styles and document defaults,
page and margins, the page-number headers, the landscape annex section, core properties) and
that package is zipped once and kept. Each document then only adds two parts to a copy of that
zip: its core properties and its body, word/document.xml, written as escaped XML text in the
same elements python-docx would write (and, when it has any, its custom properties: a report
form's identity). Pictures (charts) go into the package through
python-docx too. Rendering is pure: the same document and profile give the same bytes (fixed
zip entry dates, a fixed order of entries, no clock in the core properties).
"""
from __future__ import annotations

import io
import itertools
import json
import re
import textwrap
import threading
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import yaml
from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.shape import CT_Inline
from docx.shared import Cm, Emu, Mm, Pt
from lxml import etree

from domain.model.documents import Annex, Block, Chart, OfficialDocument

FORMATS_DIR = Path(__file__).resolve().parents[2] / "templates" / "formats"
AUTHOR = "kehoach"
FIXED_TIME = datetime(1980, 1, 1)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FONT_ATTRS = ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs")
THEME_FONT_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")
TEXT_KINDS = ("paragraph", "heading1", "heading2", "heading3")
JC = {"left": "left", "center": "center", "justify": "both"}
BODY_PARTS = ("docProps/core.xml", "word/document.xml")  # the parts written per document
TITLE_MARK = "kehoach-title-0f3a9c"  # stands for the title in the cached core properties
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
PICTURE_NAME = "image.png"  # as python-docx names a picture added from a stream


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
    package = _package(json.dumps(profile, sort_keys=True, ensure_ascii=False))
    body = _Body(profile, package)
    body.header(doc)
    if doc.doc_type or doc.title:  # a công văn has no tên loại: its trích yếu sits in the header
        body.lines(profile["title_block"], doc, package.width, "center")
    body.addressees(doc.addressees)
    for text in doc.preamble:
        body.body_paragraph([(text, {})])
    for block in doc.blocks:
        body.block(block)
    body.footer(doc)
    for annex in doc.annexes:
        body.annex(annex)
    base, picture_ids = package.with_pictures(tuple(body.pictures))
    document_xml = body.document_xml(picture_ids)
    core_xml = package.core_xml.replace(TITLE_MARK, _escape(_nfc(doc.title or doc.subject or "")))
    parts = {"docProps/core.xml": core_xml, "word/document.xml": document_xml}
    if doc.properties:
        base = _with_custom_part(base)
        parts[CUSTOM_PART] = _custom_xml(doc.properties)
    return _add_parts(base, parts)


# --- the package, built once per profile with python-docx ---------------------------------

@dataclass(frozen=True)
class _Package:
    """Everything but the body, built by python-docx for one profile."""

    docx: bytes  # the package as python-docx saved it (no body text)
    zipped: bytes  # its parts but BODY_PARTS, zipped in a stable order with fixed dates
    core_xml: str  # docProps/core.xml with TITLE_MARK for the title
    document_start: str  # word/document.xml up to and including <w:body>
    section: str  # the page's w:sectPr: A4 portrait, margins, page-number headers from page 2
    annex_section: str  # the annexes' w:sectPr: landscape, headers inherited, number on page 1
    width: int  # text width (EMU) of the page
    annex_width: int  # and of an annex page

    def with_pictures(self, pictures: tuple[bytes, ...]) -> tuple[bytes, list[tuple[str, int, int]]]:
        """The zipped base with the pictures added by python-docx, and (rId, cx, cy) of each
        picture shown the width of the text."""
        if not pictures:
            return self.zipped, []
        return _with_pictures(self, pictures)


@lru_cache(maxsize=16)
def _package(profile_json: str) -> _Package:
    profile = json.loads(profile_json)
    document = Document()
    _set_base_style(document, profile)
    section = document.sections[0]
    width = _set_page(section, profile["page"])
    _add_page_numbers(section, profile)
    annex_width = width
    if "annex" in profile:
        annex = document.add_section(WD_SECTION.NEW_PAGE)
        annex.different_first_page_header_footer = False  # the page number shows on its first page
        annex.orientation = WD_ORIENT.LANDSCAPE
        annex_width = _set_page(annex, profile["annex"]["page"])
    _set_core_properties(document)
    raw = io.BytesIO()
    document.save(raw)
    parts = _parts(raw.getvalue())
    xml = parts["word/document.xml"].decode("utf-8")
    sections = re.findall(r"<w:sectPr\b.*?</w:sectPr>", xml, re.S)
    return _Package(
        docx=raw.getvalue(),
        zipped=_zip({name: data for name, data in parts.items() if name not in BODY_PARTS}),
        core_xml=parts["docProps/core.xml"].decode("utf-8"),
        document_start=xml[:xml.index("<w:body>") + len("<w:body>")],
        section=sections[0],
        annex_section=sections[-1],
        width=width,
        annex_width=annex_width,
    )


@lru_cache(maxsize=16)
def _with_pictures(package: _Package, pictures: tuple[bytes, ...]) -> tuple[bytes, list]:
    """python-docx adds each picture part (its relationship, content type and media name)."""
    document = Document(io.BytesIO(package.docx))
    placed = []
    for png in pictures:
        rid, image = document.part.get_or_add_image(io.BytesIO(png))
        cx, cy = image.scaled_dimensions(Emu(package.width), None)
        placed.append((rid, cx, cy))
    raw = io.BytesIO()
    document.save(raw)
    parts = _parts(raw.getvalue())
    return _zip({name: data for name, data in parts.items() if name not in BODY_PARTS}), placed


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


def _set_font(rpr, name: str) -> None:
    """Every script in `name`; theme fonts would override it, so they go."""
    fonts = rpr.get_or_add_rFonts()
    for attr in THEME_FONT_ATTRS:
        fonts.attrib.pop(qn(attr), None)
    for attr in FONT_ATTRS:
        fonts.set(qn(attr), name)


def _set_page(section, page: dict) -> int:
    """Paper and margins; returns the text width (EMU)."""
    margins = page["margins_mm"]
    section.page_width, section.page_height = Mm(page["width_mm"]), Mm(page["height_mm"])
    section.top_margin, section.bottom_margin = Mm(margins["top"]), Mm(margins["bottom"])
    section.left_margin, section.right_margin = Mm(margins["left"]), Mm(margins["right"])
    section.header_distance = Mm(page["header_distance_mm"])
    return int(section.page_width - section.left_margin - section.right_margin)


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
        run = paragraph.add_run()
        _set_font(run._r.get_or_add_rPr(), profile["font"])
        run.font.size = Pt(profile["page_number"]["size"])
        run._r.append(element)


def _element(tag: str, **attrs: str):
    element = OxmlElement(tag)
    for key, value in attrs.items():
        element.set(qn(f"w:{key}"), value)
    return element


def _set_core_properties(document) -> None:
    props = document.core_properties
    props.author = props.last_modified_by = AUTHOR
    props.created = props.modified = props.last_printed = FIXED_TIME
    props.title = TITLE_MARK
    props.comments = ""
    props.revision = 1


# --- the zip ------------------------------------------------------------------------------

def _parts(docx: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        return {name: package.read(name) for name in package.namelist()}


def _zip(parts: dict[str, bytes]) -> bytes:
    """[Content_Types].xml first, then by name; fixed entry dates."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name in sorted(parts, key=lambda n: (n != "[Content_Types].xml", n)):
            _write(package, name, parts[name])
    return out.getvalue()


def _add_parts(base: bytes, parts: dict[str, str]) -> bytes:
    """A copy of the zipped `base` with `parts` appended: the base's entries are not compressed again."""
    out = io.BytesIO(base)
    out.seek(0, io.SEEK_END)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as package:
        for name in (*BODY_PARTS, *sorted(set(parts) - set(BODY_PARTS))):
            _write(package, name, parts[name].encode("utf-8"))
    return out.getvalue()


# --- custom document properties (docProps/custom.xml) ---------------------------------------

CUSTOM_PART = "docProps/custom.xml"
CUSTOM_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
CUSTOM_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"  # the one format id of user-defined properties


@lru_cache(maxsize=16)
def _with_custom_part(base: bytes) -> bytes:
    """`base` declaring a custom properties part (its content type and package relationship)."""
    parts = _parts(base)
    types = parts["[Content_Types].xml"].decode("utf-8")
    parts["[Content_Types].xml"] = types.replace(
        "</Types>", f'<Override PartName="/{CUSTOM_PART}" ContentType="{CUSTOM_CONTENT_TYPE}"/></Types>').encode()
    rels = parts["_rels/.rels"].decode("utf-8")
    parts["_rels/.rels"] = rels.replace(
        "</Relationships>",
        f'<Relationship Id="rIdCustomProperties" Type="{CUSTOM_REL_TYPE}" Target="{CUSTOM_PART}"/>'
        "</Relationships>").encode()
    return _zip(parts)


def _custom_xml(properties: tuple[tuple[str, str], ...]) -> str:
    """The custom properties as Word writes them: text values, property ids from 2."""
    items = "".join(f'<property fmtid="{CUSTOM_FMTID}" pid="{pid}" name="{_escape(_nfc(name))}">'
                    f"<vt:lpwstr>{_escape(_nfc(value))}</vt:lpwstr></property>"
                    for pid, (name, value) in enumerate(properties, 2))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Properties xmlns="{CUSTOM_NS}" xmlns:vt="{VT_NS}">{items}</Properties>')


def _write(package: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 0
    package.writestr(info, data)


# --- the body, as WordprocessingML text ---------------------------------------------------

def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _escape(text: str) -> str:
    """Text for an element or a double-quoted attribute; refuses what XML cannot hold, as lxml does."""
    bad = NOT_XML.search(text)
    if bad:
        raise ValueError(f"text holds a character XML cannot carry ({bad.group()!r}): {text[:60]!r}")
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _twips(length: int) -> int:
    return Emu(length).twips


def _half_points(size: float) -> int:
    return int(Pt(size).pt * 2)


class _Body:
    """Writes word/document.xml's body, element by element as python-docx would build it."""

    def __init__(self, profile: dict, package: _Package):
        self.profile = profile
        self.package = package
        self.parts: list[str] = []
        self.pictures: list[bytes] = []  # PNG bytes, in order of appearance
        self.picture_titles: list[str] = []  # each picture's description
        self.in_annex = False  # past the signature, in the landscape annex sections
        font = _escape(profile["font"])
        self.fonts = f'<w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:eastAsia="{font}" w:cs="{font}"/>'
        compact = profile["compact"]
        self.compact_after = Pt(compact["space_after_pt"]).twips
        self.compact_line = round(compact["line_spacing"] * 240)
        self.body_indent = Cm(profile["body"]["first_line_indent_cm"]).twips

    def document_xml(self, picture_ids: list[tuple[str, int, int]]) -> str:
        xml = "".join(self.parts)
        for index, (rid, cx, cy) in enumerate(picture_ids, 1):
            inline = CT_Inline.new_pic_inline(index, rid, PICTURE_NAME, Emu(cx), Emu(cy))
            inline.docPr.set("descr", self.picture_titles[index - 1])
            xml = xml.replace(f"\x00picture{index}\x00", etree.tostring(inline, encoding="unicode"), 1)
        return self.package.document_start + xml + self.last_section + "</w:body></w:document>"

    @property
    def last_section(self) -> str:
        return self.package.annex_section if self.in_annex else self.package.section

    # runs and paragraphs

    def run(self, text: str, style: dict) -> str:
        """A run of NFC text; tabs and line breaks become w:tab and w:br, as python-docx writes them."""
        rpr = (self.fonts + ("<w:b/>" if style.get("bold") else "") + ("<w:i/>" if style.get("italic") else "")
               + f'<w:sz w:val="{_half_points(style["size"])}"/>'
               + ('<w:u w:val="single"/>' if style.get("underline") else ""))
        return f"<w:r><w:rPr>{rpr}</w:rPr>{_run_content(_nfc(text))}</w:r>"

    def paragraph(self, content: str = "", *, keep_next: bool = False, border: str = "",
                  spacing: tuple | None = None, indent: tuple = (), jc: str | None = None,
                  section: str = "") -> str:
        """A w:p; `spacing` is (before, after, line, lineRule), `indent` pairs of (attr, twips)."""
        ppr = ("<w:keepNext/>" if keep_next else "") + border
        if spacing is not None:
            before, after, line, rule = spacing
            ppr += (f'<w:spacing w:before="{before}" w:after="{after}" w:line="{line}" '
                    f'w:lineRule="{rule}"/>')
        if indent:
            ppr += "<w:ind " + " ".join(f'w:{attr}="{value}"' for attr, value in indent) + "/>"
        if jc:
            ppr += f'<w:jc w:val="{jc}"/>'
        ppr += section
        return (f"<w:p><w:pPr>{ppr}</w:pPr>{content}</w:p>" if ppr else f"<w:p>{content}</w:p>")

    def compact(self, content: str, align: str, *, before: int = 0, after: int | None = None, **kw) -> str:
        """A line of the header, title block, recipients or signature: single-spaced, no gap."""
        after = self.compact_after if after is None else after
        return self.paragraph(content, spacing=(before, after, self.compact_line, "auto"), jc=JC[align], **kw)

    def body_paragraph(self, runs: list[tuple[str, dict]], *, keep_next: bool = False) -> None:
        """A justified paragraph with first-line indent; spacing comes from Normal."""
        size = self.profile["body"]["size"]
        content = "".join(self.run(text, {"size": size, **style}) for text, style in runs if text)
        self.parts.append(self.paragraph(content, keep_next=keep_next,
                                         indent=(("firstLine", self.body_indent),), jc="both"))

    def rule(self, width: int, share: float, before: int = 0, after: int = 0) -> str:
        """An empty, short line whose bottom border is a centred rule `share` of `width` long."""
        rule = self.profile["rule"]
        indent = _twips(round(width * (1 - share) / 2))
        border = (f'<w:pBdr><w:bottom w:val="single" w:sz="{round(rule["weight_pt"] * 8)}" w:space="1" '
                  f'w:color="auto"/></w:pBdr>')
        return self.paragraph(border=border, spacing=(before, after, Pt(rule["height_pt"]).twips, "exact"),
                              indent=(("left", indent), ("right", indent)))

    def exact_gap(self, height_pt: float) -> str:
        return self.paragraph(spacing=(0, 0, Pt(height_pt).twips, "exact"))

    # line items: header cells, title block, signature

    def lines(self, items: list[dict], doc: OfficialDocument, width: int, align: str,
              into: list[str] | None = None) -> list[str]:
        out = self.parts if into is None else into
        for item in items:
            before = Pt(item.get("space_before_pt", 0)).twips
            after = Pt(item.get("space_after_pt", 0)).twips
            if "rule" in item:
                out.append(self.rule(width, item["rule"], before, after))
                continue
            texts = [""] * item["blank"] if "blank" in item else _item_texts(item, doc)
            for index, text in enumerate(texts):
                content = self.run(text, item) if text else ""
                out.append(self.compact(content, align, before=before if index == 0 else 0,
                                        after=after if index == len(texts) - 1 else None))
        return out

    # tables

    def layout_table(self, rows: list[list[str]], shares: list[float], width: int, *, cant_split: bool = False) -> str:
        """A borderless table without cell padding; `rows` hold each cell's paragraphs."""
        widths = [_twips(round(width * share)) for share in shares]
        borders = "".join(f'<w:{edge} w:val="nil"/>' for edge in ("top", "left", "bottom", "right",
                                                                 "insideH", "insideV"))
        tbl_pr = (f'<w:tblW w:type="dxa" w:w="{sum(widths)}"/><w:tblBorders>{borders}</w:tblBorders>'
                  '<w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="0" w:type="dxa"/>'
                  '<w:right w:w="0" w:type="dxa"/></w:tblCellMar>')
        tr_pr = "<w:trPr><w:cantSplit/></w:trPr>" if cant_split else ""
        body = "".join("<w:tr>" + tr_pr + "".join(_cell(w, "".join(paragraphs) or "<w:p/>")
                                                  for w, paragraphs in zip(widths, row)) + "</w:tr>"
                       for row in rows)
        return _table(tbl_pr, widths, body)

    def table(self, rows: tuple[tuple[str, ...], ...], header_rows: int, spec: dict, width: int) -> None:
        """A bordered Word table; the first `header_rows` rows are bold, centred header rows
        repeated on every page. A row with an empty cell (left for the reader to fill) is at
        least the profile's height, so there is room to write.

        An empty line of the profile's gap height follows, so that Word never joins the table
        to a following one (another block or the footer).
        """
        if not rows:
            return
        columns = max(len(row) for row in rows)
        widths = [_twips(w) for w in _column_widths(rows, width, spec)]
        padding = Pt(spec["cell_padding_pt"]).twips
        min_height = Pt(spec["empty_row_min_height_pt"]).twips
        out = []
        for index, values in enumerate(rows):
            header = index < header_rows
            values = tuple(values) + ("",) * (columns - len(values))
            tr_pr = (f'<w:trHeight w:val="{min_height}" w:hRule="atLeast"/>' if "" in values else "") + (
                "<w:tblHeader/>" if header else "")
            style = {"size": spec["size"], "bold": header}
            cells = "".join(
                _cell(w, self.paragraph(self.run(value, style) if value else "",
                                        spacing=(padding, padding, self.compact_line, "auto"),
                                        jc="center" if header else "left"))
                for w, value in zip(widths, values))
            out.append(f"<w:tr><w:trPr>{tr_pr}</w:trPr>{cells}</w:tr>" if tr_pr else f"<w:tr>{cells}</w:tr>")
        tbl_pr = (f'<w:tblStyle w:val="TableGrid"/><w:tblW w:type="dxa" w:w="{sum(widths)}"/>'
                  '<w:tblLayout w:type="fixed"/>')
        self.parts.append(_table(tbl_pr, widths, "".join(out)))
        self.parts.append(self.exact_gap(spec["gap_after_pt"]))

    # header, footer

    def header(self, doc: OfficialDocument) -> None:
        spec = self.profile["header"]
        widths = [round(self.package.width * share) for share in spec["column_shares"]]
        rows = [[self.lines(row.get(side, []), doc, w, "center", into=[])
                 for side, w in zip(("left", "right"), widths)] for row in spec["rows"]]
        self.parts.append(self.layout_table(rows, spec["column_shares"], self.package.width))

    def footer(self, doc: OfficialDocument) -> None:
        spec = self.profile["footer"]
        widths = [round(self.package.width * share) for share in spec["column_shares"]]
        left = self.lines(_recipient_items(doc.recipients, spec["recipients"]), doc, widths[0], "left", into=[])
        right = self.lines(spec["signature"], doc, widths[1], "center", into=[])
        self.parts.append(self.layout_table([[left, right]], spec["column_shares"], self.package.width,
                                            cant_split=True))

    # body blocks

    def block(self, block: Block) -> None:
        if block.kind == "table":
            self.table(block.rows, block.header_rows, self.profile["table"], self.package.width)
        elif block.kind == "chart":
            self.chart(block)
        else:
            self.body_paragraph(_block_runs(block, self.profile["body"]), keep_next=block.kind.startswith("heading"))

    def chart(self, block: Block) -> None:
        """The chart as a picture the width of the text, its caption (`block.text`) under it."""
        if block.chart is None:
            raise ValueError("a chart block needs a chart")
        spec = self.profile["chart"]
        png = chart_png(block.chart, width_mm=Emu(self.package.width).mm, spec=_frozen(spec))
        self.pictures.append(png)
        self.picture_titles.append(_nfc(block.chart.title))
        picture = f"<w:r><w:drawing>\x00picture{len(self.pictures)}\x00</w:drawing></w:r>"
        before, after = Pt(spec["space_before_pt"]).twips, Pt(spec["space_after_pt"]).twips
        if not block.text:
            self.parts.append(self.compact(picture, "center", before=before, after=after))
            return
        self.parts.append(self.compact(picture, "center", before=before, keep_next=True))
        self.parts.append(self.compact(self.run(block.text, spec["caption"]), "center", after=after))

    # công văn: Kính gửi

    def addressees(self, addressees: tuple[str, ...]) -> None:
        """ "Kính gửi: X." on one line for one addressee; else "Kính gửi:" then "- X;" lines."""
        if not addressees:
            return
        spec = self.profile["addressees"]
        texts = [_nfc(a).strip().rstrip(";,.").rstrip() for a in addressees]
        if len(texts) == 1:
            lines = [(f"{spec['label']} {texts[0]}{spec['end']}", spec["single"])]
        else:
            ends = [spec["separator"]] * (len(texts) - 1) + [spec["end"]]
            lines = [(spec["label"], spec["several"]["label"])]
            lines += [(f"{spec['bullet']}{t}{e}", spec["several"]["line"]) for t, e in zip(texts, ends)]
        for index, (text, layout) in enumerate(lines):
            indent = Cm(layout.get("indent_cm", 0)).twips
            self.parts.append(self.compact(
                self.run(text, spec), layout["align"],
                before=Pt(spec["space_before_pt"]).twips if index == 0 else 0,
                after=Pt(spec["space_after_pt"]).twips if index == len(lines) - 1 else None,
                indent=(("left", indent),) if indent else ()))

    # annexes

    def annex(self, annex: Annex) -> None:
        """A new landscape section: heading, title, note, then the table. Page numbers go on."""
        spec = self.profile["annex"]
        self.parts.append(self.paragraph(section=self.last_section))  # ends the section before
        self.in_annex = True
        lines = [(getattr(annex, key), spec[key]) for key in ("heading", "title", "note") if getattr(annex, key)]
        for index, (text, style) in enumerate(lines):
            after = Pt(spec["space_after_pt"]).twips if index == len(lines) - 1 else None
            self.parts.append(self.compact(self.run(text, style), "center", after=after, keep_next=True))
        self.table(annex.rows, annex.header_rows, spec["table"], self.package.annex_width)


def _run_content(text: str) -> str:
    out = []
    for piece in re.split(r"([\t\r\n])", text):
        if piece == "\t":
            out.append("<w:tab/>")
        elif piece in ("\r", "\n"):
            out.append("<w:br/>")
        elif piece:
            space = ' xml:space="preserve"' if piece.strip() != piece else ""
            out.append(f"<w:t{space}>{_escape(piece)}</w:t>")
    return "".join(out)


def _cell(width: int, content: str) -> str:
    return f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/></w:tcPr>{content}</w:tc>'


def _table(tbl_pr: str, widths: list[int], rows: str) -> str:
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    look = ('<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" w:noHBand="0" '
            'w:noVBand="1" w:val="04A0"/>')
    return f"<w:tbl><w:tblPr>{tbl_pr}{look}</w:tblPr><w:tblGrid>{grid}</w:tblGrid>{rows}</w:tbl>"


def _item_texts(item: dict, doc: OfficialDocument) -> list[str]:
    value = item["text"] if "text" in item else getattr(doc, item["field"])
    texts = [value] if isinstance(value, str) else list(value or ())
    return [text.upper() if item.get("upper") else text for text in texts if text]


def _recipient_items(recipients: tuple[str, ...], spec: dict) -> list[dict]:
    """ "Nơi nhận:" then "- <line>;" per recipient, the last one ending with "."."""
    if not recipients:
        return []
    texts = [line.strip().rstrip(";,.").rstrip() for line in recipients]
    ends = [spec["separator"]] * (len(texts) - 1) + [spec["end"]]
    lines = [{**spec["line"], "text": f"{spec['bullet']}{text}{end}"} for text, end in zip(texts, ends)]
    return [spec["heading"], *lines]


def _block_runs(block: Block, body: dict) -> list[tuple[str, dict]]:
    emphasis = body["emphasis"]
    if block.kind == "item":
        return [(body["item_prefix"] + block.text, {})]
    if block.kind == "label":
        return [(body["item_prefix"], {}), (block.label or "", emphasis["label"]), (block.text, {})]
    if block.kind in TEXT_KINDS:
        return [(block.text, emphasis.get(block.kind, {}))]
    raise ValueError(f"unknown block kind {block.kind!r}")


def _column_widths(rows, width: int, spec: dict) -> list[int]:
    """Widths in proportion to each column's longest text, clamped to the profile's bounds."""
    columns = itertools.zip_longest(*rows, fillvalue="")
    weights = [min(max(spec["min_column_chars"], *(len(v) for v in column)), spec["max_column_chars"])
               for column in columns]
    return [round(width * w / sum(weights)) for w in weights]


# --- charts -------------------------------------------------------------------------------

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
