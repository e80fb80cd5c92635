"""Product lists for packages: reading pasted text, CSV and XLSX columns, normalising article numbers and
resolving each input line to the assets it should deliver, with a status for the report.

Statuses: ``found`` (released, in-rights assets), ``missing`` (unknown number, or nothing linked that the
viewer may see), ``ambiguous`` (the normalised number matches several products or model codes),
``not_approved`` (assets exist but none is released), ``expired`` (released assets whose rights ran out).
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Asset, AssetProduct, Product
from models.base import utcnow
from portal.errors import ValidationError
from portal.runtime import Runtime
from portal.services.catalog import variants
from portal.services.csv_text import csv_rows, decode_text, unquote_spreadsheet_text
from portal.services.governance.policy import Viewer, can_view, in_rights, is_released, may_know
from portal.services.paging import ascii_digits

T = TypeVar("T")
MAX_LINES = 20_000
MAX_LIST_BYTES = 20 * 1024 * 1024
# A product list has a handful of columns; the form offers each as a choice, so a line of millions of
# delimiters (a few MiB) would be a page of millions of options built for minutes.
MAX_COLUMNS = 500
MAX_SHEET_ROWS = 2 * MAX_LINES  # blank rows between the lines count too
_HEADER_HINT = re.compile(r"(?i)article|artikel|sku|item|part|product|number|nummer|code")
_VARIANT_SPLIT = re.compile(r"[-_ ./]")


@dataclass
class LineResult:
    """One input line's outcome and the (asset id, version id) pairs it delivers."""

    line_no: int
    input: str
    status: str
    article_number: str | None = None
    message: str = ""
    assets: list[tuple[int, int]] = field(default_factory=list)


# --- reading lists -----------------------------------------------------------------------------------


def parse_text(text: str) -> list[str]:
    """Pasted article numbers: one per line (commas, semicolons and tabs also separate); blanks dropped."""
    values = [v.strip() for v in re.split(r"[\r\n,;\t]+", text or "")]
    return _bounded([v for v in values if v])


def _bounded(values: list[str]) -> list[str]:
    if len(values) > MAX_LINES:
        raise ValidationError(f"too many lines: {len(values)} (the limit is {MAX_LINES})")
    return [v[:300] for v in values]


def read_table(filename: str, data: bytes) -> tuple[list[str], list[list[str]]]:
    """Header and rows of an uploaded CSV or XLSX (first sheet); ValidationError for anything else."""
    if len(data) > MAX_LIST_BYTES:
        raise ValidationError("the list file is too large (20 MiB at most)")
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        rows = _xlsx_rows(data)
    else:
        rows = _csv_rows(data)
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise ValidationError("the list file has no rows")
    width = max(len(r) for r in rows)
    if width > MAX_COLUMNS:
        raise ValidationError(_too_wide(width))
    header = [(rows[0][i].strip() if i < len(rows[0]) else "") or f"column {i + 1}" for i in range(width)]
    return header, [r + [""] * (width - len(r)) for r in rows[1:]]


def _csv_rows(data: bytes) -> list[list[str]]:
    text = decode_text(data)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    # Counted before parsing: the reader would hold every cell of such a line in memory first.
    widest = max((line.count(dialect.delimiter) + 1 for line in text.splitlines()), default=0)
    if widest > MAX_COLUMNS:
        raise ValidationError(_too_wide(widest))
    # A manifest or link table of a package, sent back as a list, has its article numbers as written.
    return [[unquote_spreadsheet_text(cell) for cell in row] for _, row in csv_rows(text, dialect)]


def _too_wide(width: int) -> str:
    return f"the list has {width} columns (at most {MAX_COLUMNS}): is it a product list?"


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise ValidationError(f"not a readable XLSX file: {exc}") from exc
    try:
        rows = _sheet_rows(book)
    except ValidationError:
        raise
    except Exception as exc:  # read-only sheets are parsed lazily: a broken cell fails only here
        raise ValidationError(f"not a readable XLSX file: {type(exc).__name__}: {str(exc)[:200]}") from exc
    finally:
        book.close()
    if len(rows) > MAX_SHEET_ROWS:
        raise ValidationError(f"the sheet has more than {MAX_SHEET_ROWS} rows (at most {MAX_LINES} lines)")
    return rows


def _sheet_rows(book: Any) -> list[list[str]]:
    """The first sheet's rows as text (at most the rows a list may have, plus one to notice more)."""
    if not book.worksheets:
        raise ValidationError("not a readable XLSX file: the workbook has no sheet")
    sheet = book.worksheets[0]
    # The sheet's declared size is not trusted (openpyxl's advice for read-only mode): a 5 KB file
    # declaring A1:XFD1048576 with one cell in row 200000 had every row padded to 16384 cells
    # (billions of cells, gigabytes, a hung request). Rows are then as wide as their last cell.
    sheet.reset_dimensions()
    rows: list[list[str]] = []
    for row in sheet.iter_rows(max_row=MAX_SHEET_ROWS + 1, values_only=True):
        values = list(row)
        while values and values[-1] is None:
            values.pop()  # empty cells after the last value
        rows.append([_cell(v) for v in values])
    return rows


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 4711.0 from a numeric cell is article 4711
    return str(value).strip()


def column_values(filename: str, data: bytes, column: str | None) -> list[str]:
    """The values of one column (by header name or 1-based number); guessed when there is one obvious
    column; otherwise ValidationError naming the columns to choose from."""
    header, rows = read_table(filename, data)
    index = _pick_column(header, column)
    return _bounded([r[index].strip() for r in rows if r[index].strip()])


def _pick_column(header: list[str], column: str | None) -> int:
    if column:
        wanted = column.strip()
        for i, name in enumerate(header):
            if name.lower() == wanted.lower():
                return i
        if ascii_digits(wanted) and len(wanted) < 7 and 1 <= int(wanted) <= len(header):
            return int(wanted) - 1
        raise ValidationError(f"no column {wanted!r}; the columns are: {', '.join(header)}")
    if len(header) == 1:
        return 0
    hinted = [i for i, name in enumerate(header) if _HEADER_HINT.search(name)]
    if len(hinted) == 1:
        return hinted[0]
    raise ValidationError(f"choose the column with the article numbers: {', '.join(header)}")


# --- normalising and resolving ------------------------------------------------------------------------


def normalise(value: str, strip_zeros: bool = False) -> str:
    """The comparison form of a number: no whitespace, case-folded, optionally without leading zeros."""
    key = re.sub(r"\s+", "", value).casefold()
    if strip_zeros:
        key = key.lstrip("0") or "0"
    return key


@dataclass
class _Catalogue:
    articles: dict[str, set[str]]  # normalised -> article numbers
    models: dict[str, set[str]]  # normalised -> model codes
    model_of: dict[str, str | None]  # article -> model code


def _catalogue(session: Session, strip_zeros: bool) -> _Catalogue:
    articles: dict[str, set[str]] = defaultdict(set)
    models: dict[str, set[str]] = defaultdict(set)
    model_of: dict[str, str | None] = {}
    for number, model in session.execute(select(Product.article_number, Product.model_code)):
        articles[normalise(number, strip_zeros)].add(number)
        model_of[number] = model
        if model:
            models[normalise(model, strip_zeros)].add(model)
    return _Catalogue(articles, models, model_of)


def resolve_lines(
    session: Session, viewer: Viewer, lines: list[str], *, strip_zeros: bool = False
) -> list[LineResult]:
    """Each input line's status and deliverable assets, for ``viewer`` (numbers in input order).

    A few queries for any number of lines: the catalogue once, then the links of every key in chunks."""
    cat = _catalogue(session, strip_zeros)
    now = utcnow()
    planned = [_match(cat, i, raw, strip_zeros) for i, raw in enumerate(lines, 1)]
    links = _links(
        session, {k for _r, keys in planned for k in keys[0]}, {k for _r, keys in planned for k in keys[1]}
    )
    # Variant inheritance: a line naming one variant also gets what its siblings' assets serve it.
    named = {r.article_number for r, keys in planned if r.article_number and keys[0] == [r.article_number]}
    inherited = variants.inherited_for_articles(session, {n for n in named if n})
    wanted = {a for ids in links.values() for a in ids} | {a for ids in inherited.values() for a in ids}
    assets = _assets_by_id(session, wanted)
    out = []
    for result, (articles, models) in planned:
        if result.status != "pending":
            out.append(result)
            continue
        ids = sorted({a for key in [*articles, *(("m", m) for m in models)] for a in links.get(key, ())})
        heirs = {} if articles != [result.article_number] else inherited.get(articles[0], {})
        heirs = {a: source for a, source in heirs.items() if a not in ids}
        every = [assets[i] for i in [*ids, *sorted(heirs)] if i in assets]
        out.append(_inherited_note(_classify(result, viewer, every, now), heirs))
    return out


def _inherited_note(result: LineResult, heirs: dict[int, str]) -> LineResult:
    """Say in the report line which delivered assets are inherited from a sibling variant."""
    sources = sorted({heirs[a] for a, _v in result.assets if a in heirs})
    if result.status == "found" and sources:
        count = sum(1 for a, _v in result.assets if a in heirs)
        note = variants.inherited_note(", ".join(sources))
        result.message = f"{len(result.assets)} asset(s), {count} {note}"
    return result


Keys = tuple[list[str], list[str]]  # article numbers, model codes


def _match(cat: _Catalogue, line_no: int, raw: str, zeros: bool) -> tuple[LineResult, Keys]:
    """What a line names: an article (plus its model code), a model code (plus its variants), or nothing
    (status missing / ambiguous). Status "pending" means the assets still decide."""
    result = LineResult(line_no, raw, "pending")
    key = normalise(raw, zeros)
    exact = raw.strip() if raw.strip() in cat.model_of else None
    articles = {exact} if exact else cat.articles.get(key, set())
    if len(articles) > 1:
        result.status = "ambiguous"
        result.message = f"matches several articles: {', '.join(sorted(articles))}"
        return result, ([], [])
    if articles:
        article = next(iter(articles))
        result.article_number = article
        return result, ([article], [m for m in [cat.model_of.get(article)] if m])
    model, note = _model_for(cat, key, raw, zeros)
    if model is None:
        result.message = note or "unknown article number"
        result.status = "ambiguous" if note else "missing"
        return result, ([], [])
    result.article_number, result.message = model, note
    return result, ([a for a, m in cat.model_of.items() if m == model], [model])


def _links(session: Session, articles: set[str], models: set[str]) -> dict[object, set[int]]:
    """Asset ids per article number (key: the number) and per model code (key: ("m", code))."""
    found: dict[object, set[int]] = defaultdict(set)
    for chunk in _chunked(sorted(articles)):
        rows = select(AssetProduct.article_number, AssetProduct.asset_id).where(
            AssetProduct.article_number.in_(chunk)
        )
        for number, asset_id in session.execute(rows):
            found[number].add(asset_id)
    for chunk in _chunked(sorted(models)):
        rows = select(AssetProduct.model_code, AssetProduct.asset_id).where(
            AssetProduct.model_code.in_(chunk)
        )
        for code, asset_id in session.execute(rows):
            found[("m", code)].add(asset_id)
    return found


def _assets_by_id(session: Session, ids: set[int]) -> dict[int, Asset]:
    assets: dict[int, Asset] = {}
    for chunk in _chunked(sorted(ids)):
        assets.update((a.id, a) for a in session.scalars(select(Asset).where(Asset.id.in_(chunk))))
    return assets


def _chunked(items: list[T], size: int = 500) -> Iterable[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _model_for(cat: _Catalogue, key: str, raw: str, zeros: bool) -> tuple[str | None, str]:
    """A model code for a number that is not an article: the number itself, or the number minus variant
    suffixes (``ABC-123-XL`` -> ``ABC-123``). Returns (model, note); (None, note) when ambiguous."""
    text = raw.strip()
    candidates = [text] + [text[: m.start()] for m in reversed(list(_VARIANT_SPLIT.finditer(text)))]
    for i, candidate in enumerate(candidates):
        models = cat.models.get(normalise(candidate, zeros), set())
        if len(models) > 1:
            return None, f"matches several model codes: {', '.join(sorted(models))}"
        if models:
            model = next(iter(models))
            return model, "model code" if i == 0 else f"unknown variant; delivered model {model}"
    return None, ""


def _classify(result: LineResult, viewer: Viewer, assets: list[Asset], now: datetime) -> LineResult:
    # The same rules as policy.can_view, taken apart so the report can say which one failed.
    known = [a for a in assets if may_know(viewer, a)]
    released = [a for a in known if is_released(a) and (a.approved_version_id or a.current_version_id)]
    current = [a for a in released if in_rights(a, now)]
    if current:
        result.status = "found"
        result.assets = [(a.id, int(a.approved_version_id or a.current_version_id or 0)) for a in current]
        result.message = result.message or f"{len(current)} asset(s)"
    elif released:
        result.status = "expired"
        result.message = "usage rights have expired"
    elif known:
        result.status = "not_approved"
        result.message = "no approved asset yet"
    else:
        result.status = "missing"
        result.message = "no assets linked" if result.article_number else "unknown article number"
    return result


def resolve_assets(session: Session, viewer: Viewer, asset_ids: list[int]) -> list[LineResult]:
    """A selection or search result as report lines, one per asset id."""
    now = utcnow()
    out = []
    for i, asset_id in enumerate(asset_ids, 1):
        asset = session.get(Asset, asset_id)
        if asset is not None and not can_view(viewer, asset, now):
            # A guessed id the viewer may not see reads exactly like one that does not exist.
            asset = None
        result = LineResult(i, f"asset {asset_id}", "missing")
        if asset is not None:
            numbers = sorted({link.key for link in asset.links})
            result.article_number = numbers[0] if numbers else None
        _classify(result, viewer, [asset] if asset is not None else [], now)
        if asset is None:
            # The line is an asset id, not an article number: say so (the same words for a hidden one).
            result.message = "no such asset"
        out.append(result)
    return out


def search_asset_ids(rt: Runtime, viewer: Viewer, query_string: str, limit: int = 2000) -> list[int]:
    """The asset ids a search page query string (``q=...&f.category=...``) finds, up to ``limit``."""
    from dataclasses import replace
    from urllib.parse import parse_qs

    from portal.services.search.queries import parse_params, run_search

    args = parse_qs(query_string.lstrip("?"), keep_blank_values=False)
    params = parse_params({k: v for k, v in args.items() if k not in ("page", "size")})
    ids: list[int] = []
    page = 1
    while len(ids) < limit:
        result = run_search(rt, viewer, replace(params, page=page, size=200))
        ids.extend(result.ids)
        if not result.hits or page * 200 >= result.total:
            break
        page += 1
    return ids[:limit]
