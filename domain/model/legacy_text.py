"""Vietnamese text in the legacy TCVN3 (ABC) encoding: detected and converted to Unicode.

Word files typed with the .VnTime fonts keep each Vietnamese letter as a Latin-1 character
("Céng hoµ x· héi chñ nghÜa ViÖt Nam"). Upper-case letters used separate fonts (.VnTimeH)
with the same codes, so a line typed in capitals is converted and then upper-cased.
"""
from __future__ import annotations

import re
import unicodedata

# TCVN3 code -> Unicode letter (TCVN 5712:1993, VN3 / ABC).
_TCVN3 = dict(zip(
    "µ¸¶·¹¨»¾¼½Æ©ÇÊÈÉË®ÌÐÎÏÑªÒÕÓÔÖ×ÝØÜÞßãáâä«åèæçé¬êíëìîïóñòô\u00adõøö÷ùúýûüþ¡¢§£¤¥¦",
    "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĂÂĐÊÔƠƯ",
))
_VIETNAMESE_UNICODE = re.compile("[ăđơưĂĐƠƯ\u0300-\u0323\u1ea0-\u1ef9]")
_WORD = re.compile(r"\S*[^\W\d_]\S*")


def tcvn3_share(text: str) -> float:
    """Share of the words that contain a TCVN3 letter code (0 for Unicode Vietnamese)."""
    words = _WORD.findall(text)
    if not words:
        return 0.0
    return sum(1 for w in words if any(ch in _TCVN3 for ch in w)) / len(words)


def looks_tcvn3(text: str) -> bool:
    """TCVN3: many words carry its letter codes and no word carries a Unicode Vietnamese letter."""
    sample = unicodedata.normalize("NFC", text)
    unicode_words = sum(1 for w in _WORD.findall(sample) if _VIETNAMESE_UNICODE.search(w))
    return tcvn3_share(sample) >= 0.15 and unicode_words <= 0.01 * max(len(_WORD.findall(sample)), 1)


def tcvn3_to_unicode(text: str) -> str:
    """Convert line by line; a line typed in capitals stays in capitals."""
    out = []
    for line in text.split("\n"):
        converted = "".join(_TCVN3.get(ch, ch) for ch in line)
        ascii_letters = [ch for ch in line if ch.isascii() and ch.isalpha()]
        if len(ascii_letters) >= 2 and all(ch.isupper() for ch in ascii_letters):
            converted = converted.upper()
        out.append(converted)
    return unicodedata.normalize("NFC", "\n".join(out))
