"""File formats for exports: CSV and XLSX written a chunk at a time, every text cell made inert.

Rows are sequences of plain values: str, int, float or None. Numbers stay numbers (a negative
number is a number, not a formula); every text cell goes through `text`, which drops characters
a spreadsheet file cannot hold and makes a would-be formula (=, +, -, @, tab, carriage return at
the start) show as text: a single quote in front, and, in XLSX, a cell typed as a string.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from ..organise.invitations import inert

Value = str | int | float | None
Row = Sequence[Value]

# XML 1.0 cannot hold these control characters (tab, line feed and carriage return it can).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# A plain number written as text (a scale code such as "-2") is a number to a spreadsheet, not a formula.
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
CSV_CHUNK_ROWS = 1000
FILE_CHUNK_BYTES = 64 * 1024
BOLD = Font(bold=True)


def text(value: str) -> str:
    """Return a text cell as it is written: no control characters, never starting like a formula."""
    value = CONTROL.sub("", value)
    return value if PLAIN_NUMBER.fullmatch(value) else inert(value)


def _csv_value(value: Value) -> Value:
    return text(value) if isinstance(value, str) else value


def csv_chunks(
    header: Row, rows: Iterable[Row], chunk: int = CSV_CHUNK_ROWS, *, prepared: bool = False
) -> Iterator[str]:
    """Yield a CSV file (UTF-8 with a byte-order mark, so Excel reads it) a chunk of rows at a time.

    Every text cell is made inert here, unless `prepared` says the rows' own builder did so
    already, column by column (the response-level export: a million rows of codes); prepared rows
    are written by `_write_prepared`. Otherwise each chunk is one `writerows` call (the csv
    module's loop, in C).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([_csv_value(v) for v in header])
    yield buffer.getvalue()  # the header at once: the download starts before anything is counted
    rows = iter(rows)
    while block := list(islice(rows, chunk)):
        buffer.seek(0)
        buffer.truncate()
        if prepared:
            _write_prepared(buffer, writer, block)
        else:
            writer.writerows([_csv_value(v) for v in row] for row in block)
        yield buffer.getvalue()


def _write_prepared(buffer: io.StringIO, writer, rows: list[Row]) -> None:
    """Write rows as `writer` (the csv module's default dialect) writes them, in half the time.

    A row of text cells none of which needs quoting (no comma, double quote or line break in
    it) is written as the writer would: its cells joined by commas, then CR LF. Any other row
    (a number or None in it, a cell to quote, a single empty cell, which the writer writes as "")
    goes to the writer itself: one call a cell, and its test of each character, were a third of a
    row's time in the response-level export.
    """
    join = ",".join
    write = buffer.write
    for row in rows:
        try:
            line = join(row)
        except TypeError:  # not all text: the writer knows how each value reads
            writer.writerow(row)
            continue
        plain = line.count(",") == len(row) - 1 and not ('"' in line or "\r" in line or "\n" in line)
        if plain and (line or len(row) != 1):
            write(line)
            write("\r\n")
        else:
            writer.writerow(row)


@dataclass
class Sheet:
    """One worksheet: a name (at most 31 characters), a header and rows, read lazily."""

    name: str
    header: Row
    rows: Iterable[Row]
    widths: Sequence[int] = ()


def _xlsx_cell(sheet, value: Value, bold: bool = False) -> WriteOnlyCell:
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=text(value))
        cell.data_type = "s"  # a string, whatever it looks like: never a formula
    else:
        cell = WriteOnlyCell(sheet, value=value)
    if bold:
        cell.font = BOLD
    return cell


def write_xlsx(sheets: Iterable[Sheet], into) -> None:
    """Write a workbook to a binary file, row by row (openpyxl's write-only mode keeps no rows)."""
    book = Workbook(write_only=True)
    for sheet in sheets:
        worksheet = book.create_sheet(sheet.name[:31])
        for column, width in enumerate(sheet.widths):
            worksheet.column_dimensions[chr(ord("A") + column)].width = width
        worksheet.freeze_panes = "A2"
        worksheet.append([_xlsx_cell(worksheet, v, bold=True) for v in sheet.header])
        for row in sheet.rows:
            worksheet.append([_xlsx_cell(worksheet, v) for v in row])
    book.save(into)


def xlsx_chunks(sheets: Iterable[Sheet], chunk: int = FILE_CHUNK_BYTES) -> Iterator[bytes]:
    """Yield an XLSX file in chunks: written to a temporary file first (a ZIP's directory comes
    last), then read back a chunk at a time; memory holds neither the rows nor the file."""
    with tempfile.TemporaryFile() as spool:
        write_xlsx(sheets, spool)
        spool.seek(0)
        while block := spool.read(chunk):
            yield block
