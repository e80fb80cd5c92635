"""Products: validation of one row, upsert by article number, and the batched file import."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Product
from models.db import Database
from portal.errors import ValidationError
from portal.services.catalog import linking, product_locales
from portal.services.catalog.product_files import (
    CENT,
    PROBLEM_KEY,
    canonical_field,
    column_key,
    parse_price,
    read_product_rows,
)
from portal.services.search import sync as search_sync

BATCH_SIZE = 500
# Keys ``product_to_dict`` (and the GET answer) adds: what a client PUTs back must not become attributes.
READ_ONLY_KEYS = frozenset({"id", "created_at", "updated_at", "assets", "asset_count", "links"})
# Column lengths: an over-long value is a rejected row, never a database error that loses the batch.
TEXT_LIMITS = {"model_code": 128, "name": 300, "variant": 200, "category": 200, "product_type": 200}
TEXT_LIMITS |= {"brand": 200, "weight": 50}
PLAIN_FIELDS: tuple[str, ...] = ("article_number", "model_code", "name", "variant", "category", "brand")
PLAIN_FIELDS += ("product_type", "description", "currency", "weight")
# A new product's values for the fields its row does not carry.
NEW_PRODUCT: dict[str, Any] = {name: None for name in PLAIN_FIELDS} | {"price": None}
MAX_ARTICLE_LENGTH = 64
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_KEEP_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class RejectedRow:
    """A row the import skipped, and why (a person fixes the file from this)."""

    row: int
    article_number: str | None
    reason: str


@dataclass
class ImportReport:
    """What an import did: counts per outcome and the rejected rows."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    linked_assets: int = 0  # assets that linked themselves because their product arrived

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected_count": len(self.rejected),
            "rejected": [asdict(r) for r in self.rejected],
            "linked_assets": self.linked_assets,
        }


# --- one row -----------------------------------------------------------------------------------------


def _safe_text(value: str) -> str:
    """Drop lone surrogates (from JSON escapes) that no database encoding accepts."""
    return value if value.isascii() else value.encode("utf-8", "replace").decode("utf-8")


def _scalar_text(name: str, value: Any) -> str:
    """A cell or JSON value as text; numbers are fine (spreadsheets make article numbers numbers)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise ValidationError(f"{name} must be text, not true/false")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int | Decimal | str):
        return _safe_text(str(value))
    raise ValidationError(f"{name} must be text, not a {type(value).__name__}")


def clean_article_number(value: Any) -> str:
    """A valid article number, trimmed; raises ValidationError with the reason otherwise."""
    text = unicodedata.normalize("NFC", _scalar_text("article number", value).strip())
    if not text:
        raise ValidationError("missing article number")
    if len(text) > MAX_ARTICLE_LENGTH:
        raise ValidationError(f"article number is longer than {MAX_ARTICLE_LENGTH} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        # Control, format, private-use and unassigned characters: invisible, so nobody could type them.
        raise ValidationError("article number contains control characters")
    # Slashes, spaces, dots and letters of any script are fine: URLs percent-encode them (%2F) and file
    # names spell "/" with the configured replacement (see ``linking.filename_form``).
    return text


def _text(name: str, value: Any) -> str | None:
    text = _CONTROL_KEEP_LINES.sub("", _scalar_text(name, value)).strip()
    if name != "description":
        # Single-line fields: a stray newline from a spreadsheet cell is just a space.
        text = " ".join(text.split())
    if not text:
        return None
    limit = TEXT_LIMITS.get(name)
    if limit and len(text) > limit:
        raise ValidationError(f"{name.replace('_', ' ')} is longer than {limit} characters")
    return text


def _attribute_value(name: str, value: Any) -> Any:
    """A value or a list of values; None when empty. Nested objects are not attribute values."""
    if isinstance(value, list):
        items = [v for v in (_attribute_value(name, item) for item in value) if v is not None]
        if any(isinstance(v, list) for v in items):
            raise ValidationError(f"attribute {name!r} must be a value or a list of values")
        return items or None
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValidationError(f"attribute {name!r} is not a finite number")
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str):
        return _CONTROL.sub("", _safe_text(value)).strip() or None
    raise ValidationError(f"attribute {name!r} must be a value or a list of values")


def _attributes(raw: Any, extras: dict[str, Any]) -> dict[str, Any]:
    """The ``attributes`` JSON object (text or dict) merged with the extra columns (which win)."""
    parsed: Any = raw
    if isinstance(raw, str):
        parsed = {}
        if raw.strip():
            try:
                parsed = json.loads(raw)
            except (json.JSONDecodeError, RecursionError) as exc:
                detail = getattr(exc, "msg", "nested too deeply")
                raise ValidationError(f"attributes are not valid JSON: {detail}") from exc
    elif raw is None:
        parsed = {}
    if not isinstance(parsed, dict):
        raise ValidationError("attributes must be a JSON object of name: value")
    result: dict[str, Any] = {}
    for key, value in [*parsed.items(), *extras.items()]:
        name = _CONTROL.sub("", _safe_text(str(key))).strip()
        cleaned = _attribute_value(name, value)
        if name and cleaned is not None:
            result[name[:100]] = cleaned
    return result


def normalise_product(raw: dict[str, Any]) -> dict[str, Any]:
    """Validate and clean one row (file row or API body) into Product column values.

    Only the fields the row carries are returned (a blank one as None), so an export without a ``brand``
    column leaves brands alone; ``attributes`` is returned when the row has an attributes field or any
    extra column. Raises ``ValidationError`` with a reason a person can act on.
    """
    if PROBLEM_KEY in raw:
        raise ValidationError(str(raw[PROBLEM_KEY]))
    fields: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    translations: dict[str, dict[str, str | None]] = {}
    for key, value in raw.items():
        if product_locales.collect(key, value, translations):  # name@de, name-de_DE, "translations"
            continue
        canon = canonical_field(key)
        if canon is not None:
            if canon in fields and fields[canon] not in (None, "") and value not in (None, ""):
                if fields[canon] != value:
                    raise ValidationError(f"two different values given for {canon}")
                continue
            fields[canon] = value
        elif str(key) not in READ_ONLY_KEYS:
            extras[column_key(key)] = value
    data: dict[str, Any] = {"article_number": clean_article_number(fields.get("article_number"))}
    for name in (*TEXT_LIMITS, "description"):
        if name in fields:
            data[name] = _text(name, fields[name])
    if not data.get("name"):
        raise ValidationError("missing name")
    if "price" in fields:
        data["price"] = parse_price(fields["price"])
    if "currency" in fields:
        currency = _scalar_text("currency", fields["currency"]).strip().upper() or None
        if currency is not None and not re.fullmatch(r"[A-Z]{3}", currency):
            raise ValidationError(f"currency {currency!r} is not a three-letter code such as EUR")
        data["currency"] = currency
    if "attributes" in fields or extras:
        data["attributes"] = _attributes(fields.get("attributes"), extras)
    if translations:
        data["translations"] = translations  # merged into the stored ones (``_apply``, ``_new_row``)
    return data


# --- upsert ------------------------------------------------------------------------------------------


def _apply(product: Product, data: dict[str, Any]) -> bool:
    """Set what differs; True when anything did (otherwise updated_at stays as it was)."""
    changed = False
    for name, value in data.items():
        if name == "translations":
            value = product_locales.merged(product.translations, value)
        if getattr(product, name) != value:
            setattr(product, name, value)
            changed = True
    return changed


def _new_row(data: dict[str, Any]) -> dict[str, Any]:
    translations = product_locales.merged({}, data.get("translations") or {})
    return {**NEW_PRODUCT, "attributes": {}, **data, "translations": translations}


def upsert_product(
    session: Session,
    data: dict[str, Any],
    article_number: str | None = None,
    slash_replacement: str = linking.DEFAULT_SLASH_REPLACEMENT,
) -> tuple[Product, bool]:
    """Create or update one product from a raw row or API body; returns ``(product, created)``.

    ``article_number`` (from the URL) is authoritative: a different one in the body is a ValidationError.
    Assets waiting for this product (by file name) are linked.
    """
    if not isinstance(data, dict):
        raise ValidationError("a product must be a JSON object")
    body = dict(data)
    if article_number is not None:
        url_number = clean_article_number(article_number)
        given = [v for k, v in body.items() if canonical_field(k) == "article_number" and v not in (None, "")]
        for value in given:
            if unicodedata.normalize("NFC", _scalar_text("article number", value).strip()) != url_number:
                raise ValidationError(
                    f"article number in the body ({str(value)[:64]!r}) differs from the URL ({url_number!r})"
                )
        body = {k: v for k, v in body.items() if canonical_field(k) != "article_number"}
        body["article_number"] = url_number
    clean = normalise_product(body)
    number = clean["article_number"]
    product = session.scalars(select(Product).where(Product.article_number == number)).first()
    created = product is None
    old_model = None if product is None else product.model_code
    if product is None:
        product = Product(**_new_row(clean))
        session.add(product)
    else:
        _apply(product, clean)
    session.flush()
    if created or product.model_code != old_model:
        models = [product.model_code] if product.model_code else []
        numbers = [product.article_number] if created else []
        linking.link_pending_assets(session, numbers, models, slash_replacement)
    search_sync.products_changed(session, [product.article_number], [old_model or ""])
    return product, created


def product_to_dict(product: Product) -> dict[str, Any]:
    """JSON-ready representation (price as a string with two decimals, timestamps ISO 8601)."""
    data: dict[str, Any] = {name: getattr(product, name) for name in PLAIN_FIELDS}
    data["attributes"] = dict(product.attributes or {})
    data["translations"] = dict(product.translations or {})
    data["price"] = None if product.price is None else str(Decimal(product.price).quantize(CENT))
    for name in ("created_at", "updated_at"):
        stamp = getattr(product, name)
        data[name] = stamp.isoformat() if stamp else None
    return data


# --- file import -------------------------------------------------------------------------------------


def _raw_article(raw: dict[str, Any]) -> str | None:
    given = [str(v).strip() for k, v in raw.items() if canonical_field(k) == "article_number" and v]
    return next((text[:100] for text in given if text), None)


def import_products(
    db: Database,
    path: Path,
    progress: Callable[[int], None] | None = None,
    slash_replacement: str = linking.DEFAULT_SLASH_REPLACEMENT,
) -> ImportReport:
    """Import a CSV/JSON/XLSX product export: upsert by article number in batches of ``BATCH_SIZE``.

    A rejected row is reported and skipped; a file that cannot be read at all raises ``BadRequest`` before
    anything is stored. ``progress(n)`` receives the rows handled since its previous call.
    """
    report = ImportReport()
    first_seen: dict[str, int] = {}
    batch: list[dict[str, Any]] = []
    handled = 0
    for row_number, raw in read_product_rows(path):
        handled += 1
        try:
            data = normalise_product(raw)
        except ValidationError as exc:
            report.rejected.append(RejectedRow(row_number, _raw_article(raw), exc.message))
            continue
        number = data["article_number"]
        if number in first_seen:
            reason = f"duplicate article number (first in row {first_seen[number]})"
            report.rejected.append(RejectedRow(row_number, number, reason))
            continue
        first_seen[number] = row_number
        batch.append(data)
        if len(batch) >= BATCH_SIZE:
            _store_batch(db, batch, report, slash_replacement)
            batch = []
            if progress is not None:
                progress(handled)
            handled = 0
    if batch:
        _store_batch(db, batch, report, slash_replacement)
    if progress is not None and handled:
        progress(handled)
    return report


def _store_batch(db: Database, rows: list[dict[str, Any]], report: ImportReport, replacement: str) -> None:
    """Upsert one batch in its own transaction: a huge file holds no long lock and stays out of memory."""
    try:
        counts = _upsert_in_transaction(db, rows, replacement)
    except IntegrityError:
        # Someone inserted one of these products between our lookup and our insert: again, as updates.
        counts = _upsert_in_transaction(db, rows, replacement)
    report.created += counts.created
    report.updated += counts.updated
    report.unchanged += counts.unchanged
    report.linked_assets += counts.linked_assets


def _upsert_in_transaction(db: Database, rows: list[dict[str, Any]], replacement: str) -> ImportReport:
    # Server-side prepared statements are off for PostgreSQL (models.db), so each batch's IN (...) lookup
    # is planned for its own values.
    with db.transaction() as session:
        return _upsert_batch(session, rows, replacement)


def _upsert_batch(session: Session, rows: list[dict[str, Any]], replacement: str) -> ImportReport:
    counts = ImportReport()
    numbers = [row["article_number"] for row in rows]
    found = session.scalars(select(Product).where(Product.article_number.in_(numbers)))
    existing = {p.article_number: p for p in found}
    new_rows: list[dict[str, Any]] = []
    new_models: set[str] = set()
    # Updated products, and the model codes they had: the documents of their assets must be rebuilt.
    changed: list[str] = []
    old_models: set[str] = set()
    for data in rows:
        product = existing.get(data["article_number"])
        if product is None:
            new_rows.append(_new_row(data))
            if data.get("model_code"):
                new_models.add(data["model_code"])
            continue
        old_model = product.model_code
        if _apply(product, data):
            counts.updated += 1
            changed.append(product.article_number)
            if old_model:
                old_models.add(old_model)
            if product.model_code and product.model_code != old_model:
                new_models.add(product.model_code)
        else:
            counts.unchanged += 1
    if new_rows:
        # A bulk INSERT, not one ORM object per row: several times faster for a big first import.
        session.execute(insert(Product), new_rows)
        counts.created = len(new_rows)
    session.flush()
    new_numbers = [row["article_number"] for row in new_rows]
    if new_numbers or new_models:
        counts.linked_assets += linking.link_pending_assets(
            session, new_numbers, sorted(new_models), replacement
        )
    if counts.linked_assets or changed:
        search_sync.products_changed(session, [*changed, *new_numbers], old_models | new_models)
    return counts
