"""Reading uploaded CSV text, shared by every import (package lists, synonyms, the tag vocabulary).

``csv.reader`` raises ``csv.Error`` for input people do send: line breaks that are a bare carriage return
(old Mac exports), a quoted field longer than the csv module's field limit, an unquoted line break. Read
through here, each of those is a ``ValidationError`` naming the line, never an unhandled error (a 500).
"""

from __future__ import annotations

import codecs
import csv
import io

from portal.errors import PortalError, ValidationError

Dialect = type[csv.Dialect] | csv.Dialect


def decode_text(data: bytes, *, error: type[PortalError] = ValidationError, strict: bool = False) -> str:
    """An uploaded list as text: UTF-16 with a BOM (Excel's "Unicode text" export), UTF-8 with or without a
    BOM, else Windows-1252 (its five undefined bytes replaced, or with ``strict`` refused as not text).
    Undecodable input raises ``error`` with the byte it stopped at."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise error(f"the file is not valid UTF-16 ({exc.reason} at byte {exc.start})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass  # not UTF-8: Windows-1252, what Excel writes on most Western machines
    try:
        return data.decode("cp1252", errors="strict" if strict else "replace")
    except UnicodeDecodeError as exc:
        raise error(
            f"the file is not text (neither UTF-8 nor Windows-1252; byte {exc.start}): "
            "expected CSV, JSON or XLSX"
        ) from None


def csv_rows(text: str, dialect: Dialect = csv.excel) -> list[tuple[int, list[str]]]:
    """Every row of ``text`` with the line it ends on; ``\\r``, ``\\n`` and ``\\r\\n`` all end a line.

    Raises ValidationError (``line N: malformed CSV: ...``) when the text is not CSV the reader can parse
    or holds a NUL character (no export has one, and PostgreSQL refuses to store it: a 500 later).
    """
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ValidationError(f"line {line}: malformed CSV: a NUL character (is this a text file?)")
    # newline="" hands the reader the line ends untranslated, as the csv module asks: a file whose lines
    # end in a bare "\r" is then rows, not one line holding carriage returns.
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise ValidationError(f"line {reader.line_num}: malformed CSV: {exc}") from None
    return rows


# Spreadsheet programs run a cell that starts with one of these as a formula (a tab or carriage return
# first hides the sign from a quick look): =HYPERLINK(...) in an article number or a custom field value
# would become a live link or command in the file a partner opens.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"


def spreadsheet_text(value: object) -> object:
    """A value for a CSV cell people open in a spreadsheet: text that would start a formula gets a
    leading quote, so it stays text; so does text that starts with a quote itself, so that reading the
    file back (``unquote_spreadsheet_text``) gives every value exactly. Other values are returned as they are.
    """
    if isinstance(value, str) and value.startswith((*_FORMULA_STARTS, _QUOTE)):
        return _QUOTE + value
    return value


def unquote_spreadsheet_text(cell: str) -> str:
    """A CSV cell as it was before ``spreadsheet_text``: the protective quote comes off, and only that one
    (a quote followed by a formula start or by another quote); any other cell is returned unchanged, so a
    value that merely starts with a quote (``'s-Hertogenbosch``) stays as it is."""
    if cell.startswith(_QUOTE) and cell[1:2] and cell[1] in (*_FORMULA_STARTS, _QUOTE):
        return cell[1:]
    return cell
