"""Bounds on an uploaded Excel workbook, checked on the raw bytes before openpyxl reads it.

A workbook is a ZIP of XML parts. Before any cell is parsed, every worksheet part is
decompressed in chunks (never whole) and its `<row` tags counted, stopping as soon as the row
limit or the size limit is passed: a 600,000-row sheet or a ZIP bomb is refused in a fraction
of the time openpyxl would take to read it, and memory stays flat.
"""

from __future__ import annotations

import io
import zipfile

from services.common.errors import InvalidArgument

MAX_PARTS = 1_000
MAX_SHEET_BYTES = 256 * 1024 * 1024  # decompressed XML of one worksheet
CHUNK = 1024 * 1024
_ROW = b"<row"


def check_workbook(content: bytes, *, name: str, max_rows: int) -> None:
    """InvalidArgument naming `file` when a worksheet has more than `max_rows` rows (blank
    or not), a part is too large once decompressed, or the ZIP has too many parts."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError) as err:
        raise InvalidArgument.field("file", f"not an Excel workbook (.xlsx): {err}", name) from err
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_PARTS:
            raise InvalidArgument.field(
                "file", f"has more than {MAX_PARTS} parts: not a workbook this system reads", name
            )
        for info in infos:
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                _count_rows(archive, info, name=name, max_rows=max_rows)


def _count_rows(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, name: str, max_rows: int
) -> None:
    rows = 0
    size = 0
    tail = b""
    try:
        with archive.open(info) as part:
            while chunk := part.read(CHUNK):
                size += len(chunk)
                if size > MAX_SHEET_BYTES:
                    raise InvalidArgument.field(
                        "file",
                        f"worksheet {info.filename} is larger than "
                        f"{MAX_SHEET_BYTES // (1024 * 1024)} MB uncompressed: split it",
                        name,
                    )
                data = tail + chunk
                # "<row" or "<x:row" (a namespace prefix); "<rowBreaks" is not a row.
                rows += data.count(b"<row ") + data.count(b"<row>") + data.count(b":row ")
                tail = data[-8:]
                rows -= tail.count(b"<row ") + tail.count(b"<row>") + tail.count(b":row ")
                if rows > max_rows + 1:  # the header row
                    raise InvalidArgument.field(
                        "file", f"has more than {max_rows} rows: split it", name
                    )
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
        raise InvalidArgument.field("file", f"not an Excel workbook (.xlsx): {err}", name) from err
