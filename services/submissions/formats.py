"""Judge an evidence file's format by its bytes, never by the client's label.

Magic numbers come from `filetype` (PDF, JPEG, PNG, MP4, ZIP); an Office Open XML file is a
ZIP whose central directory has the parts of a Word document or an Excel workbook; JSON is
parsed incrementally (ijson) so a large file never sits in memory.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import filetype
import ijson

from services.common.errors import InvalidArgument

FORMATS = ("pdf", "docx", "xlsx", "jpg", "png", "mp4", "json")
ALIASES = {"jpeg": "jpg"}
HEAD_BYTES = 8192
PDF_TAIL_BYTES = 2048


@dataclass(frozen=True)
class Judgement:
    """What the bytes are: one of FORMATS, or None with a description of what was seen."""

    format: str | None
    seen: str


def normalise(declared: str) -> str:
    """The canonical name of a declared format ("PDF", ".pdf", "jpeg" -> "pdf", "jpg")."""
    name = declared.strip().lower().removeprefix(".")
    name = ALIASES.get(name, name)
    if not name:
        raise InvalidArgument.field("declared_format", f"is required: one of {', '.join(FORMATS)}")
    if name not in FORMATS:
        raise InvalidArgument.field(
            "declared_format",
            f"{declared!r} is not a supported format: use one of {', '.join(FORMATS)}",
        )
    return name


def judge(path: Path) -> Judgement:
    """Read the file (streaming, flat memory) and say which supported format it is."""
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
    if not head:
        return Judgement(None, "an empty file")
    kind = filetype.guess(head)
    extension = kind.extension if kind else ""
    if extension == "pdf":
        return _judge_pdf(path)
    if extension in ("jpg", "png", "mp4"):
        return Judgement(extension, extension)
    if extension == "zip" or head.startswith(b"PK\x03\x04"):
        return _judge_ooxml(path)
    if head.lstrip()[:1] in (b"{", b"["):
        return _judge_json(path)
    return Judgement(None, f"{extension} data" if extension else "unrecognised bytes")


def _judge_pdf(path: Path) -> Judgement:
    size = path.stat().st_size
    with path.open("rb") as f:
        f.seek(max(0, size - PDF_TAIL_BYTES))
        tail = f.read()
    if b"%%EOF" not in tail:
        return Judgement(None, "a truncated PDF (no %%EOF trailer)")
    return Judgement("pdf", "pdf")


def _judge_ooxml(path: Path) -> Judgement:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return Judgement(None, "a damaged ZIP archive")
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            return Judgement("docx", "docx")
        if "xl/workbook.xml" in names:
            return Judgement("xlsx", "xlsx")
    return Judgement(None, "a ZIP archive that is neither a Word document nor an Excel workbook")


def _judge_json(path: Path) -> Judgement:
    with path.open("rb") as f:
        return Judgement("json", "json") if is_json(f) else Judgement(None, "malformed JSON")


def is_json(stream: BinaryIO) -> bool:
    """Whether a byte stream is one well-formed JSON object or array (parsed incrementally)."""
    try:
        events = ijson.parse(stream)
        first = next(events, None)
        if first is None or first[1] not in ("start_map", "start_array"):
            return False
        for _ in events:
            pass
    except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError, ValueError):
        return False
    return True


def require(path: Path, declared: str) -> str:
    """The judged format when it is the declared one; otherwise a clear INVALID_ARGUMENT."""
    judgement = judge(path)
    if judgement.format != declared:
        raise InvalidArgument(
            f"declared_format: declared {declared} but the bytes are {judgement.seen}",
            "FORMAT_MISMATCH",
            metadata={"field": "declared_format", "declared": declared, "seen": judgement.seen},
        )
    return declared
