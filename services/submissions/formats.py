"""Judge an evidence file's format by its bytes, never by the client's label.

Magic numbers come from `filetype` (PDF, JPEG, PNG, MP4, ZIP); an Office Open XML file is a
ZIP whose central directory has the parts of a Word document or an Excel workbook. A file is
only checked against the format its uploader declared: JSON is parsed only when JSON is the
declared format, incrementally (ijson's basic events, no prefixes) with a nesting-depth limit
and an event budget, so no file can hold memory or time beyond a small constant.
"""

from __future__ import annotations

import io
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
# JSON evidence and history exports: nesting deeper than this is refused, not parsed.
MAX_JSON_DEPTH = 64
# A ZIP whose central directory names more entries than this is not an Office document.
MAX_ZIP_ENTRIES = 10_000


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


# What is judged: a file (streamed, flat memory) or a small upload's bytes already in memory.
Source = Path | bytes


def _open(source: Source) -> BinaryIO:
    return io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")


def _size(source: Source) -> int:
    return len(source) if isinstance(source, bytes) else source.stat().st_size


def judge(path: Source, declared: str) -> Judgement:
    """Check the bytes against the declared format only (streaming, flat memory): the format
    when they are one, otherwise None with what was seen. A file declared as anything but JSON
    is never parsed as JSON, whatever its first byte."""
    with _open(path) as f:
        head = f.read(HEAD_BYTES)
    if not head:
        return Judgement(None, "an empty file")
    if declared == "json":
        return _judge_json(path)
    kind = filetype.guess(head)
    extension = kind.extension if kind else ""
    if declared == "pdf" and extension == "pdf":
        return _judge_pdf(path)
    if declared in ("jpg", "png", "mp4") and extension == declared:
        return Judgement(extension, extension)
    if declared in ("docx", "xlsx") and (extension == "zip" or head.startswith(b"PK\x03\x04")):
        return _judge_ooxml(path)
    if extension in ("zip", "docx", "xlsx") or head.startswith(b"PK\x03\x04"):
        return Judgement(None, "a ZIP archive")
    return Judgement(None, f"{extension} data" if extension else "unrecognised bytes")


def _judge_pdf(path: Source) -> Judgement:
    size = _size(path)
    with _open(path) as f:
        f.seek(max(0, size - PDF_TAIL_BYTES))
        tail = f.read()
    if b"%%EOF" not in tail:
        return Judgement(None, "a truncated PDF (no %%EOF trailer)")
    return Judgement("pdf", "pdf")


def _judge_ooxml(path: Source) -> Judgement:
    try:
        with _open(path) as f, zipfile.ZipFile(f) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                return Judgement(None, f"a ZIP archive of more than {MAX_ZIP_ENTRIES} entries")
            names = {info.filename for info in infos}
    except (zipfile.BadZipFile, OSError, ValueError):
        return Judgement(None, "a damaged ZIP archive")
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            return Judgement("docx", "docx")
        if "xl/workbook.xml" in names:
            return Judgement("xlsx", "xlsx")
    return Judgement(None, "a ZIP archive that is neither a Word document nor an Excel workbook")


def _judge_json(path: Source) -> Judgement:
    with _open(path) as f:
        return Judgement("json", "json") if is_json(f) else Judgement(None, "malformed JSON")


def is_json(stream: BinaryIO, *, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """Whether a byte stream is one well-formed JSON object or array, nested at most
    `max_depth` deep (parsed incrementally, without building prefixes or values)."""
    depth = 0
    try:
        events = ijson.basic_parse(stream, use_float=True)
        first = next(events, None)
        if first is None or first[0] not in ("start_map", "start_array"):
            return False
        depth = 1
        for event, _ in events:
            if event in ("start_map", "start_array"):
                depth += 1
                if depth > max_depth:
                    return False
            elif event in ("end_map", "end_array"):
                depth -= 1
    except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError, ValueError):
        return False
    except (OverflowError, RecursionError, MemoryError):
        return False
    return depth == 0


def require(path: Source, declared: str) -> str:
    """The judged format when it is the declared one; otherwise a clear INVALID_ARGUMENT."""
    judgement = judge(path, declared)
    if judgement.format != declared:
        raise InvalidArgument(
            f"declared_format: declared {declared} but the bytes are {judgement.seen}",
            "FORMAT_MISMATCH",
            metadata={"field": "declared_format", "declared": declared, "seen": judgement.seen},
        )
    return declared
