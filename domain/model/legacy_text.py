"""Vietnamese text in the legacy TCVN3 (ABC) encoding: detected and converted to Unicode.

Word files typed with the .VnTime fonts keep each Vietnamese letter as a Latin-1 character
("Céng hoµ x· héi chñ nghÜa ViÖt Nam"). Upper-case letters used separate fonts (.VnTimeH)
with the same codes, so a line typed in capitals is converted and then upper-cased.
"""
from __future__ import annotations

import re
import unicodedata

from domain.messages import DomainError

# TCVN3 code -> Unicode letter (TCVN 5712:1993, VN3 / ABC).
_TCVN3 = dict(zip(
    "µ¸¶·¹¨»¾¼½Æ©ÇÊÈÉË®ÌÐÎÏÑªÒÕÓÔÖ×ÝØÜÞßãáâä«åèæçé¬êíëìîïóñòô\u00adõøö÷ùúýûüþ¡¢§£¤¥¦",
    "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĂÂĐÊÔƠƯ",
))
# Codes that Unicode Vietnamese never uses (it does use à, á, â, ã, è, é, ê, ì, í, ò, ó, ô, õ, ù, ú, ý).
_DISTINCT = set(_TCVN3) - set("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý")
_VIETNAMESE_UNICODE = re.compile("[ăđơưĂĐƠƯ\u0300-\u0323\u1ea0-\u1ef9]")
_WORD = re.compile(r"\S*[^\W\d_]\S*")


def tcvn3_share(text: str) -> float:
    """Share of the words that contain a letter code only TCVN3 uses (0 for Unicode Vietnamese)."""
    words = _WORD.findall(text)
    if not words:
        return 0.0
    return sum(1 for w in words if any(ch in _DISTINCT for ch in w)) / len(words)


def looks_tcvn3(text: str) -> bool:
    """TCVN3: many words carry its letter codes and no word carries a Unicode Vietnamese letter."""
    sample = unicodedata.normalize("NFC", text)
    unicode_words = sum(1 for w in _WORD.findall(sample) if _VIETNAMESE_UNICODE.search(w))
    return tcvn3_share(sample) >= 0.1 and unicode_words <= 0.01 * max(len(_WORD.findall(sample)), 1)


def _typed_in_capitals(line: str) -> bool:
    """A .VnTimeH line: a word mixes TCVN3 codes with two or more capital ASCII letters, and
    no ASCII letter of the line is lower case."""
    letters = [ch for ch in line if ch.isascii() and ch.isalpha()]
    if not letters or any(ch.islower() for ch in letters):
        return False
    return any(sum(ch.isascii() and ch.isupper() for ch in w) >= 2 and any(ch in _TCVN3 for ch in w)
               for w in line.split())


def tcvn3_to_unicode(text: str) -> str:
    """Convert line by line; a line typed in capitals stays in capitals."""
    out = []
    for line in text.split("\n"):
        converted = "".join(_TCVN3.get(ch, ch) for ch in line)
        if _typed_in_capitals(line):
            converted = converted.upper()
        out.append(converted)
    return unicodedata.normalize("NFC", "\n".join(out))


def decode_text(raw: bytes) -> tuple[str, str | None]:
    """The text of a file's bytes and, when it was converted, a note saying from what.

    UTF-8 (with or without BOM) and UTF-16 with BOM are read as they are; other bytes are
    tried as TCVN3 (converted) and as Windows-1258. Anything else is refused.
    """
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            return _unicode_or_legacy(raw.decode(codec))
    try:
        return _unicode_or_legacy(raw.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    latin = raw.decode("latin-1")
    if looks_tcvn3(latin):
        return tcvn3_to_unicode(latin), "tcvn3"
    try:
        text = unicodedata.normalize("NFC", raw.decode("cp1258"))
    except UnicodeDecodeError:
        text = ""
    if text and _VIETNAMESE_UNICODE.search(text):
        return text, "cp1258"
    raise DomainError("unknown_encoding")


def _unicode_or_legacy(text: str) -> tuple[str, str | None]:
    """Unicode text typed in a TCVN3 font (Word keeps the codes as Latin-1 letters) is converted;
    text that mixes both is refused, since no conversion can be right for all of it."""
    if looks_tcvn3(text):
        return tcvn3_to_unicode(text), "tcvn3"
    share = tcvn3_share(text)
    if share >= 0.05:
        raise DomainError("mixed_encoding", share=f"{share:.0%}")
    return text, None
