"""Formula-safe spreadsheet files: CSV and XLSX sent as they are written, every text cell made inert.

Written once, here, for the staff exports and the invitation link downloads. Rows are sequences of
plain values: str, int, float or None. Numbers stay numbers (a negative number is a number, not a
formula); every text cell goes through `text`, which drops characters a spreadsheet file cannot
hold and makes a would-be formula (=, +, -, @, tab, carriage return at the start) show as text
(`inert`): a single quote in front, and, in XLSX, an inline string cell.

Uploaded CSV files (member lists, membership profiles) are read here too: `csv_rows` checks the
file is UTF-8 text, not a workbook, and splits it on the delimiter its first line uses.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import islice

Value = str | int | float | None
Row = Sequence[Value]

# XML 1.0 cannot hold these control characters (tab, line feed and carriage return it can).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# A plain number written as text (a scale code such as "-2") is a number to a spreadsheet, not a formula.
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
CSV_CHUNK_ROWS = 1000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these as formulas


def inert(value: str) -> str:
    """Return a cell value a spreadsheet will show as text, never run as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def text(value: str) -> str:
    """Return a text cell as it is written: no control characters, never starting like a formula."""
    value = CONTROL.sub("", value)
    return value if PLAIN_NUMBER.fullmatch(value) else inert(value)


def _csv_value(value: Value) -> Value:
    return text(value) if isinstance(value, str) else value


def csv_chunks(
    header: Row, rows: Iterable[Row], chunk: int = CSV_CHUNK_ROWS, *, prepared: bool = False, bom: bool = True
) -> Iterator[str]:
    """Yield a CSV file (UTF-8 with a byte-order mark, so Excel reads it) a chunk of rows at a time.

    Every text cell is made inert here, unless `prepared` says the rows' own builder did so
    already, column by column (the response-level export: a million rows of codes); prepared rows
    are written by `_write_prepared`. Otherwise each chunk is one `writerows` call (the csv
    module's loop, in C).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if bom:  # False: the caller sent it already, to start the download before counting
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


# --- XLSX, streamed ------------------------------------------------------------------------------
# An XLSX file is a ZIP of XML parts. It is written here part by part into a ZIP that is sent as
# it grows (zipfile writes to a stream it cannot seek by putting each part's sizes after its
# data), so the first bytes leave before anything is counted, each sheet's rows follow as they are
# made, and the parts that name the sheets (the workbook, its relationships, the content types)
# come last: a ZIP is read from its directory, at the end, so the order of parts does not matter.
# Nothing is written to disk. Text cells are inline strings typed "inlineStr": never a formula.

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
STYLES = (
    XML_HEAD + f"<styleSheet {NS}>"
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
ROOT_RELS = (
    XML_HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
XLSX_ROWS_PER_CHUNK = 200  # rows compressed between looks at what is ready to send


class _Outbox:
    """A file zipfile can write to but not seek: what is written waits here until it is sent."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: the parts wait for `take`."""

    def take(self) -> bytes:
        """Return everything written since the last call."""
        data = b"".join(self.parts)
        self.parts.clear()
        self.size = 0
        return data


@cache
def column_letter(index: int) -> str:
    """Return a column's letters from its 0-based index (0: A, 26: AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _cell(reference: str, value: Value, style: str) -> str:
    """Return one cell's XML, or "" for an empty one; text is an inline string, never a formula."""
    if value is None:
        return ""
    if isinstance(value, str):
        return (
            f'<c r="{reference}"{style} t="inlineStr"><is><t xml:space="preserve">{_xml_text(text(value))}</t></is></c>'
        )
    if isinstance(value, bool):
        return f'<c r="{reference}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    return f'<c r="{reference}"{style}><v>{value!r}</v></c>'


def _row(number: int, values: Row, bold: bool = False) -> str:
    style = ' s="1"' if bold else ""
    cells = "".join(_cell(f"{column_letter(i)}{number}", v, style) for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


def _sheet_start(sheet: Sheet) -> str:
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{width}" customWidth="1"/>' for i, width in enumerate(sheet.widths, 1)
    )
    return (
        XML_HEAD + f"<worksheet {NS} {NS_R}>"
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>' + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>"
    )


def _workbook_parts(names: list[str]) -> dict[str, str]:
    """Return the parts that name the sheets: the workbook, its relationships, the content types."""
    sheets = "".join(
        f'<sheet name="{_xml_text(name)}" sheetId="{n}" r:id="rId{n}"/>' for n, name in enumerate(names, 1)
    )
    rels = "".join(
        f'<Relationship Id="rId{n}" Type="{REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, len(names) + 1)
    )
    main = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{main}.worksheet+xml"/>'
        for n in range(1, len(names) + 1)
    )
    return {
        "xl/workbook.xml": XML_HEAD + f"<workbook {NS} {NS_R}><bookViews><workbookView/></bookViews>"
        f"<sheets>{sheets}</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": XML_HEAD
        + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + rels
        + f'<Relationship Id="rId{len(names) + 1}" Type="{REL}/styles" Target="styles.xml"/></Relationships>',
        "[Content_Types].xml": XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{main}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{main}.styles+xml"/>' + overrides + "</Types>",
    }


def xlsx_chunks(sheets: Iterable[Sheet]) -> Iterator[bytes]:
    """Yield an XLSX file as it is made: its first bytes before the first sheet is asked for (so
    `sheets` may be a generator that counts), then each sheet's rows as they come: every
    XLSX_ROWS_PER_CHUNK rows, whatever the compressor has made so far goes. Memory holds a chunk
    and the compressor's window, never the rows or the file."""
    outbox = _Outbox()
    names: list[str] = []
    with zipfile.ZipFile(outbox, "w", compression=zipfile.ZIP_DEFLATED) as book:
        book.writestr("_rels/.rels", ROOT_RELS)
        book.writestr("xl/styles.xml", STYLES)
        yield outbox.take()  # the first bytes, before anything is counted
        for number, sheet in enumerate(sheets, 1):
            names.append(sheet.name[:31])
            with book.open(f"xl/worksheets/sheet{number}.xml", "w") as part:
                part.write(_sheet_start(sheet).encode())
                part.write(_row(1, sheet.header, bold=True).encode())
                for row_number, row in enumerate(sheet.rows, 2):
                    part.write(_row(row_number, row).encode("utf-8", "replace"))
                    if row_number % XLSX_ROWS_PER_CHUNK == 0 and outbox.size:
                        yield outbox.take()
                part.write(b"</sheetData></worksheet>")
            if outbox.size:
                yield outbox.take()
        for name, content in _workbook_parts(names).items():
            book.writestr(name, content)
    yield outbox.take()


def write_xlsx(sheets: Iterable[Sheet], into) -> None:
    """Write a workbook to a binary file (the streamed workbook, kept)."""
    for block in xlsx_chunks(sheets):
        into.write(block)


# --- reading an uploaded CSV file ------------------------------------------------------------------

DELIMITERS = (",", ";", "\t")  # Excel saves with ";" in some countries
MAX_PROBLEMS_SHOWN = 20
SAVE_AS_UTF8 = (
    'Save it as "CSV UTF-8": in Excel choose File, Save As, "CSV UTF-8 (Comma delimited) (*.csv)"; '
    "in Google Sheets choose File, Download, Comma-separated values."
)


class FileProblems(ValueError):
    """An uploaded file with problems: every one found, and nothing kept (`NOTHING` says how)."""

    NOTHING = "nothing was kept"

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"The file has {len(problems)} problem(s); {self.NOTHING}.")
        self.problems = problems

    @property
    def shown(self) -> list[str]:
        """Return the first problems, as many as a page should list."""
        return self.problems[:MAX_PROBLEMS_SHOWN]

    @property
    def more(self) -> int:
        """Return how many problems are not listed."""
        return max(0, len(self.problems) - MAX_PROBLEMS_SHOWN)


def csv_rows(data: bytes, problems: type[FileProblems]) -> Iterator[list[str]]:
    """Yield an uploaded CSV file's rows, split on the delimiter its first line uses (comma,
    semicolon or tab); raise `problems` if it is a workbook, not UTF-8 text (a byte-order mark is
    fine), or cannot be read."""
    if data.startswith(b"PK\x03\x04"):
        raise problems([f"This is an Excel workbook, not a CSV file. {SAVE_AS_UTF8}"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = "\x00"
    if "\x00" in text:  # UTF-16 ("Unicode text") decodes as UTF-8 with NULs when it has no BOM
        raise problems([f"The file is not saved as UTF-8 text. {SAVE_AS_UTF8}"])
    first_line = text.split("\n", 1)[0]
    delimiter = next((d for d in DELIMITERS if d in first_line), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as error:  # a cell too large for any column, say
        raise problems([f"Line {reader.line_num} could not be read ({error}). {SAVE_AS_UTF8}"]) from None
