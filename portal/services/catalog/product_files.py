"""Reading product exports (CSV, JSON, XLSX) into raw rows, and the number formats they use for prices.

A CSV cell written spreadsheet-safe (``csv_text.spreadsheet_text``: ``'=x`` for ``=x``) is read back as the
value it was; XLSX and JSON cells are text as they stand (a text cell needs no quote).

Validating a row is ``products``' job.

Every problem with the file as a whole raises ``BadRequest`` before the first row is yielded, so an import
that fails on the file stores nothing.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from portal.errors import BadRequest, ValidationError
from portal.services.csv_text import decode_text, unquote_spreadsheet_text

# Product columns the importer knows; everything else becomes an attribute.
KNOWN_FIELDS = (
    "article_number",
    "model_code",
    "name",
    "variant",
    "category",
    "product_type",
    "brand",
    "description",
    "price",
    "currency",
    "weight",
    "attributes",
)
REQUIRED_FIELDS = ("article_number", "name")
# A modest set of aliases PIM exports commonly use for our column names.
ALIASES = {
    "sku": "article_number",
    "artnr": "article_number",
    "art_nr": "article_number",
    "article_no": "article_number",
    "article_nr": "article_number",
    "model": "model_code",
    "product_name": "name",
    "type": "product_type",
}
# Key of a row's problem found while reading it (cells beyond the header: usually an unquoted delimiter in
# a value; two spellings of one field with different values); ``normalise_product`` rejects the row with it.
PROBLEM_KEY = "\x00problem"
_SEPARATORS = re.compile(r"[\s\-.]+")
_BINARY_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
_SNIFF_BYTES = 64 * 1024
CENT = Decimal("0.01")
MAX_PRICE = Decimal("999999999999.99")  # Numeric(14, 2)
# What people and spreadsheets put between thousands: space, no-break space, narrow no-break space, '.
_THOUSANDS = re.compile(r"[ \u00a0\u202f\u2009']")
_PLAIN_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@lru_cache(maxsize=4096)  # called for every cell of every row; headers repeat
def canonical_field(name: object) -> str | None:
    """The known field a column header names ("Article Number", "article-number", "SKU"), else None."""
    key = _SEPARATORS.sub("_", str(name).strip().lower()).strip("_")
    key = ALIASES.get(key, key)
    return key if key in KNOWN_FIELDS else None


def column_key(name: object) -> str:
    """Dictionary key for a column: the canonical field name, or the trimmed header for an attribute."""
    return canonical_field(name) or str(name).strip()


def read_product_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(row number, raw row)`` from a CSV, JSON or XLSX product export.

    Row numbers are what a person finds in the file: the line for CSV, the sheet row for XLSX, the item's
    position (1-based) in the JSON list. Keys are canonical field names or trimmed attribute headers.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadRequest(f"cannot read {path.name}: {exc.strerror or exc}") from exc
    kind = _detect_kind(data, path)
    if kind == "xlsx":
        return _xlsx_rows(data)
    text = _decode(data)
    if kind == "json":
        return iter(_json_rows(text))
    return _csv_rows(text)


def _detect_kind(data: bytes, path: Path) -> str:
    """Content decides (exports often have the wrong extension); the extension only breaks ties."""
    if not data.strip().strip(codecs.BOM_UTF8).strip():
        raise BadRequest("the file is empty")
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise BadRequest("old binary Excel (.xls) files are not supported: save the sheet as .xlsx or CSV")
    head = data[:_SNIFF_BYTES].lstrip(codecs.BOM_UTF8 + b" \t\r\n")
    if head[:1] in (b"[", b"{"):
        return "json"
    suffix = path.suffix.lower()
    if suffix == ".json" and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "json"
    if suffix in (".xlsx", ".xlsm"):
        raise BadRequest(f"{path.name} is not a valid XLSX workbook")
    return "csv"


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel "Unicode text"), else Windows-1252."""
    text = decode_text(data, error=BadRequest, strict=True)
    # Binary data decoded as cp1252 is full of control characters; a real export has none, or a stray few
    # (those are the rows' problem, not the file's). NUL is never text and would upset the CSV reader.
    sample = text[:_SNIFF_BYTES]
    if "\x00" in text or len(_BINARY_CONTROLS.findall(sample)) > max(8, len(sample) // 100):
        raise BadRequest("the file holds binary data: expected CSV, JSON or XLSX")
    return text


def _missing_columns(found: Sequence[str]) -> None:
    """Raise when the required columns are not all present among ``found`` (raw header names)."""
    error = _columns_error(found)
    if error is not None:
        raise error


def _columns_error(found: Sequence[str]) -> BadRequest | None:
    canon = {canonical_field(name) for name in found}
    missing = [f for f in REQUIRED_FIELDS if f not in canon]
    if not missing:
        return None
    shown = ", ".join(repr(str(name)[:40]) for name in found[:30]) or "none"
    more = f" (and {len(found) - 30} more)" if len(found) > 30 else ""
    return BadRequest(
        f"missing required column(s): {', '.join(missing)}; found columns: {shown}{more}", missing=missing
    )


def _header_keys(header: Sequence[object]) -> list[str | None]:
    """Dictionary keys per header cell (None: an unnamed column, ignored); duplicates are a file error."""
    keys: list[str | None] = []
    seen: dict[str, str] = {}
    for cell in header:
        raw = "" if cell is None else str(cell).strip()
        if not raw:
            keys.append(None)
            continue
        key = column_key(raw)
        if key in seen:
            raise BadRequest(f"columns {seen[key]!r} and {raw!r} both name {key!r}")
        seen[key] = raw
        keys.append(key)
    return keys


def _row_dict(keys: Sequence[str | None], cells: Sequence[Any]) -> dict[str, Any] | None:
    """Cells keyed by header; None for a row with nothing in it (blank lines are skipped, not rejected)."""
    if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
        return None
    row: dict[str, Any] = {key: "" for key in keys if key is not None}
    for key, cell in zip(keys, cells, strict=False):
        if key is not None:
            row[key] = cell
    extra = [c for c in cells[len(keys) :] if c not in (None, "")]
    if extra:
        cells_given = len(keys) + len(extra)
        row[PROBLEM_KEY] = (
            f"row has {cells_given} cells, more than the header: unquoted delimiter in a value?"
        )
    return row


# --- values ------------------------------------------------------------------------------------------


def parse_price(value: Any) -> Decimal | None:
    """Accept 15, 15.00, "15,00", "1 234.50", "1.234,50", "1,234.50"; reject text, negatives, NaN."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ValidationError(f"price must be a number, not {type(value).__name__}")
    # Numbers from JSON or a spreadsheet in plain decimal notation, never 1e-05.
    number = Decimal(repr(value)) if isinstance(value, float) else value
    raw = value.strip() if isinstance(value, str) else format(Decimal(number), "f")
    text = _THOUSANDS.sub("", raw)
    negative = text.startswith("-")
    text = text.lstrip("+-")
    if "," in text and "." in text:
        # The later separator is the decimal one: "1.234,50" and "1,234.50".
        thousands = "." if text.rfind(",") > text.rfind(".") else ","
        text = text.replace(thousands, "").replace(",", ".")
    elif text.count(",") == 1:
        if re.fullmatch(r"\d{1,3},\d{3}", text):
            raise ValidationError(f"price {raw!r} is ambiguous: write 1234 or 1.234")
        text = text.replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(,\d{3})+", text):
        text = text.replace(",", "")
    if not _PLAIN_NUMBER.fullmatch(text):
        raise ValidationError(f"price {raw!r} is not a number")
    try:
        price = Decimal(text).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValidationError(f"price {raw!r} is not a number") from exc
    if negative and price:
        raise ValidationError(f"price {raw!r} is negative")
    if price > MAX_PRICE:
        raise ValidationError(f"price {raw!r} is too large")
    return price


# --- CSV ---------------------------------------------------------------------------------------------


def _delimiter(text: str) -> str:
    """``;``, ``,`` or tab: the sniffer's guess when the header line agrees, else the header's commonest."""
    header = next((line for line in text[:_SNIFF_BYTES].splitlines() if line.strip()), "")
    try:
        sniffed = csv.Sniffer().sniff(text[:_SNIFF_BYTES], delimiters=";,\t").delimiter
    except csv.Error:
        sniffed = ""
    if sniffed and sniffed in header:
        return sniffed
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    delimiter = _delimiter(text)
    # A first pass over the structure, so that a broken quote late in the file is a file error before
    # anything is stored rather than a failure half-way through the import.
    try:
        for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            pass
    except csv.Error as exc:
        raise BadRequest(f"malformed CSV: {exc}") from exc
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    for cells in reader:
        if any(c.strip() for c in cells):
            header = [unquote_spreadsheet_text(c) for c in cells]
            break
    if header is None:
        raise BadRequest("the file has no header row")
    _missing_columns([c.strip() for c in header if c.strip()])
    keys = _header_keys(header)
    return _csv_body(reader, keys)


def _csv_body(reader: Any, keys: list[str | None]) -> Iterator[tuple[int, dict[str, Any]]]:
    last_line = reader.line_num
    for cells in reader:
        start, last_line = last_line + 1, reader.line_num
        # A cell a spreadsheet-safe export quoted ('=x, '+49 ..., ''quoted) is read as the value it was.
        row = _row_dict(keys, [unquote_spreadsheet_text(c) for c in cells])
        if row is not None:
            yield start, row


# --- JSON --------------------------------------------------------------------------------------------


def _json_rows(text: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    except RecursionError as exc:
        raise BadRequest("malformed JSON: nested too deeply") from exc
    if isinstance(doc, dict):
        if isinstance(doc.get("products"), list):
            items = doc["products"]
        elif any(canonical_field(k) == "article_number" for k in doc):
            items = [doc]  # a single product object
        else:
            raise BadRequest('a JSON object must hold a "products" list')
    elif isinstance(doc, list):
        items = doc
    else:
        raise BadRequest('expected a JSON list of products or an object with a "products" list')
    rows: list[tuple[int, dict[str, Any]]] = []
    found: dict[str, None] = {}
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise BadRequest(f"product {number} in the JSON list is not an object")
        row: dict[str, Any] = {}
        for raw_key, value in item.items():
            found.setdefault(raw_key, None)
            key = column_key(raw_key)
            if row.get(key) in (None, ""):
                row[key] = value
            elif value not in (None, "") and value != row[key]:
                row[PROBLEM_KEY] = f"two different values given for {key}"
        rows.append((number, row))
    if rows:
        _missing_columns(list(found))
    return rows


# --- XLSX --------------------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    """Spreadsheet cells as the text a person sees (article 546451996 is stored as the float 546451996.0)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).replace("\x00", "")  # XML cannot carry NUL; the CSV spool must not either


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, dict[str, Any]]]:
    import openpyxl

    with _xlsx_errors():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        for sheet in book.worksheets:
            # The declared size is not trusted (openpyxl's advice for read-only mode): a sheet declaring
            # A1:XFD1048576, as formatting whole columns does, had every row padded to 16384 cells.
            sheet.reset_dimensions()
        headers = [(ws, next(_sheet_values(ws), None)) for ws in book.worksheets]
        headed = [(ws, first) for ws, first in headers if first is not None]
        if not headed:
            raise BadRequest("the spreadsheet has no header row")
        # The first sheet with the required columns; else report on the first sheet that has anything.
        chosen = next((item for item in headed if _columns_error(item[1][1]) is None), None)
        if chosen is None:
            raise _columns_error([c for c in headed[0][1][1] if c.strip()]) or BadRequest("no header row")
        ws, (header_row, header) = chosen
        keys = _header_keys(header)
        # One pass over the sheet into a temporary CSV before the first row is yielded: a corrupt sheet is a
        # file error before anything is stored, memory stays flat, and openpyxl (slow) reads it only once.
        spool = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115  (the generator closes it)
        try:
            writer = csv.writer(spool)
            for number, cells in _sheet_values(ws):
                if number > header_row:
                    writer.writerow([number, *cells])
        except BaseException:
            spool.close()
            raise
    book.close()
    spool.seek(0)
    return _spooled_rows(spool, keys)


@contextmanager
def _xlsx_errors() -> Iterator[None]:
    """Whatever a corrupt workbook makes the zip or XML layers raise becomes one clear file error."""
    try:
        yield
    except BadRequest:
        raise
    except Exception as exc:  # zip, XML and openpyxl errors of every kind mean: a corrupt file
        raise BadRequest(f"not a readable XLSX workbook ({type(exc).__name__}: {str(exc)[:200]})") from exc


def _sheet_values(ws: Any) -> Iterator[tuple[int, list[str]]]:
    """Non-empty rows as text with their sheet row number."""
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        cells = [_cell_text(v) for v in values]
        if any(c.strip() for c in cells):
            yield number, cells


def _spooled_rows(spool: IO[str], keys: list[str | None]) -> Iterator[tuple[int, dict[str, Any]]]:
    with spool:
        for number, *cells in csv.reader(spool):
            row = _row_dict(keys, cells)
            if row is not None:
                yield int(number), row
