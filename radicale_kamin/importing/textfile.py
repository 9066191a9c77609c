"""Bytes of an exported text file → text, with the encoding it was written in.

German office programs write UTF-8 (often with a BOM, Excel's "CSV UTF-8"),
UTF-16 (Excel's "Unicode text") or Windows-1252 (Excel's plain "CSV", most
older programs). UTF-8 is tried strictly first: Windows-1252 umlauts are
never valid UTF-8, so a strict decode does not misread them. A file that
went through the wrong conversion once shows typical mojibake (``MÃ¼ller``);
it is repaired when the repair is exact.
"""

from __future__ import annotations

import codecs
import re

_MOJIBAKE = re.compile("Ã[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
                       "|Â[\u00a0-\u00bf]")


def decode(data: bytes) -> tuple[str, str, list[str]]:
    """Decode ``data``; returns (text, encoding name, notes)."""
    notes: list[str] = []
    if data.startswith(codecs.BOM_UTF8):
        text, encoding = data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace"), "utf-8 (BOM)"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, encoding = data.decode("utf-16", errors="replace"), "utf-16"
    else:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            # Windows-1252 leaves five bytes undefined; Latin-1 reads them as controls instead of failing.
            try:
                text, encoding = data.decode("cp1252"), "windows-1252"
            except UnicodeDecodeError:
                text, encoding = data.decode("latin-1"), "iso-8859-1"
    if "\ufffd" in text:
        notes.append("unlesbare Zeichen in der Datei durch � ersetzt")
    repaired = repair_mojibake(text)
    if repaired != text:
        notes.append("doppelt kodierte Umlaute (z. B. 'Ã¼' statt 'ü') repariert")
        text = repaired
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding, notes


def repair_mojibake(text: str) -> str:
    """UTF-8 read as Windows-1252 and saved again (``MÃ¼ller``) → ``Müller``, line by line.

    Only lines with the telltale pairs are touched, and only when they
    re-encode exactly; anything else stays as it was.
    """
    if not _MOJIBAKE.search(text):
        return text
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if _MOJIBAKE.search(line):
            try:
                lines[index] = line.encode("cp1252").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                pass
    return "\n".join(lines)
