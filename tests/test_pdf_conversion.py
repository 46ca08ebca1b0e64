"""Every kind of document opens in LibreOffice and prints: one `soffice` run converts them all to PDF."""
from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from domain.adapters.docx_render import render_docx
from tests.test_docx_render import annexed_plan, chart_report, cong_van, party_plan, state_plan

INSTALL = "apt-get install libreoffice-writer-nogui fonts-liberation fonts-liberation2 poppler-utils"
NATIONAL = {"state": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "party": "ĐẢNG CỘNG SẢN VIỆT NAM"}


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        pytest.skip(f"LibreOffice is not installed (no soffice on PATH); install it with: {INSTALL}")
    return found


def pdf_text(pdf: Path) -> str | None:
    """The PDF's text, NFC and with runs of spaces collapsed; None without poppler's pdftotext."""
    if not shutil.which("pdftotext"):
        return None
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          timeout=60, check=True).stdout
    return re.sub(r"[ \t]+", " ", unicodedata.normalize("NFC", text))


def page_sizes(pdf: Path) -> list[tuple[float, float]] | None:
    """(width, height) in points of every page; None without poppler's pdfinfo."""
    if not shutil.which("pdfinfo"):
        return None
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True,
                          timeout=60, check=True).stdout
    return [(float(w), float(h)) for w, h in re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info, re.M)]


@pytest.mark.slow
def test_every_document_kind_converts_to_pdf_in_libreoffice(tmp_path):
    program = soffice()
    documents = {
        "ke-hoach-uy-ban": state_plan(),
        "ke-hoach-dang-uy": party_plan(),
        "cong-van": cong_van(),
        "bao-cao-bieu-do": chart_report("party"),
        "ke-hoach-bieu-mau": annexed_plan(),
    }
    files = []
    for stem, document in documents.items():
        path = tmp_path / f"{stem}.docx"
        path.write_bytes(render_docx(document))
        files.append(str(path))
    out = tmp_path / "pdf"
    profile = (tmp_path / "lo-profile").as_uri()  # a throw-away profile: no clash with a running office
    result = subprocess.run([program, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                             "--outdir", str(out), *files], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr

    for stem, document in documents.items():
        pdf = out / f"{stem}.pdf"
        assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF-"), f"{stem}: no PDF\n{result.stderr}"
        text = pdf_text(pdf)
        if text is not None:
            assert NATIONAL[document.regime] in text, stem
            assert document.number_line in text, stem
            if document.subject:
                assert "V/v đôn đốc báo cáo" in text
    sizes = page_sizes(out / "ke-hoach-bieu-mau.pdf")
    if sizes is not None:
        assert sizes[0][0] < sizes[0][1]  # the plan: portrait
        annex_pages = sizes[-2:]  # one page per annex form
        assert all(round(w) == 842 and round(h) == 595 for w, h in annex_pages), sizes  # A4 landscape
    text = pdf_text(out / "ke-hoach-bieu-mau.pdf")
    if text is not None:
        assert "Biểu mẫu số 02" in text and "TỔNG HỢP NGƯỜI THAM GIA ĐỐI THOẠI" in text
    for stem in documents:
        fonts = pdf_fonts(out / f"{stem}.pdf")
        if fonts is not None:  # every Vietnamese letter in Times New Roman's metric twin, none fallen back
            assert fonts and all(re.sub(r"^[A-Z]{6}\+", "", f).startswith(("LiberationSerif", "TimesNewRoman"))
                                 for f in fonts), (stem, fonts)


def pdf_fonts(pdf: Path) -> list[str] | None:
    """Names of the fonts a PDF embeds; None without poppler's pdffonts."""
    if not shutil.which("pdffonts"):
        return None
    listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    return [line.split()[0] for line in listing.splitlines()[2:] if line.strip()]
