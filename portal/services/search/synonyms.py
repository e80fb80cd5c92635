"""The managed synonym list: admins add, remove, import and export rules; searches use their expansions.

Rules are kept as written (``hoodie, sweatshirt`` two-way, ``beverage => juice, wine`` one-way) and parsed
by ``indexer.synonyms``; both engines apply them at query time, so an edit needs no reindex: the embedded
engine takes the expansions with each query, OpenSearch its ``synonym_graph`` search analysers, which an
edit updates through the outbox (``APPLY_TASK``: close, update, open). Each process remembers the
expansions for ``CACHE_SECONDS`` (an edit is seen at once by the process that made it).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from indexer.synonyms import Rule, expansions, parse_rule
from models import Role, SynonymRule
from portal.errors import Conflict, NotFound, ValidationError
from portal.runtime import Runtime
from portal.services import outbox
from portal.services.csv_text import csv_rows, spreadsheet_text, unquote_spreadsheet_text
from portal.services.governance import audit
from portal.services.governance.policy import Viewer, require_role

CACHE_KEY = ("search", "synonyms")
# The outbox task that compiles the list into the search index (OpenSearch: its synonym_graph).
APPLY_TASK = "search.synonyms"
CACHE_SECONDS = 60.0
MAX_RULES = 5000
MAX_CSV_BYTES = 1024 * 1024
CSV_HEADER = ("terms", "targets")


def _parse(text: str) -> Rule:
    try:
        return parse_rule(text)
    except ValueError as exc:
        raise ValidationError(f"synonym rule {text[:80]!r}: {exc}") from exc


def list_rules(session: Session) -> list[SynonymRule]:
    """Every rule, oldest first."""
    return list(session.scalars(select(SynonymRule).order_by(SynonymRule.id)))


def add_rule(session: Session, viewer: Viewer, text: str) -> SynonymRule:
    """Add a rule (admins); a duplicate is a conflict, a malformed rule a validation error."""
    require_role(viewer, Role.ADMIN)
    written = _parse(text).text()
    if session.scalar(select(SynonymRule.id).where(SynonymRule.rule == written)) is not None:
        raise Conflict(f"the rule {written!r} exists already")
    if (session.scalar(select(func.count()).select_from(SynonymRule)) or 0) >= MAX_RULES:
        raise ValidationError(f"the synonym list holds at most {MAX_RULES} rules")
    rule = SynonymRule(rule=written)
    session.add(rule)
    session.flush()
    list_changed(session)
    audit.record(session, "search.synonym_added", actor_id=viewer.user_id, target=written)
    return rule


def delete_rule(session: Session, viewer: Viewer, rule_id: int) -> str:
    """Remove a rule (admins); returns its text."""
    require_role(viewer, Role.ADMIN)
    rule = session.get(SynonymRule, rule_id)
    if rule is None:
        raise NotFound("no such synonym rule")
    text = rule.rule
    session.delete(rule)
    list_changed(session)
    audit.record(session, "search.synonym_removed", actor_id=viewer.user_id, target=text)
    return text


def import_csv(session: Session, viewer: Viewer, data: bytes, replace: bool = False) -> int:
    """Add the rules of a CSV (``terms,targets``; empty targets: two-way); ``replace`` drops the others.

    All or nothing: one bad row rejects the file, naming the row. Returns how many rules were added.
    """
    require_role(viewer, Role.ADMIN)
    if len(data) > MAX_CSV_BYTES:
        raise ValidationError(f"the CSV is larger than {MAX_CSV_BYTES // 1024} KiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("the CSV must be UTF-8") from None
    rules: list[str] = []
    for number, row in csv_rows(text):
        cells = [unquote_spreadsheet_text(cell).strip() for cell in row]
        if not any(cells) or (number == 1 and tuple(c.lower() for c in cells[:2]) == CSV_HEADER):
            continue
        terms, targets = cells[0], (cells[1] if len(cells) > 1 else "")
        try:
            rule = parse_rule(f"{terms} => {targets}" if targets else terms)
        except ValueError as exc:
            raise ValidationError(f"row {number}: {exc}") from exc
        rules.append(rule.text())
    if len(rules) > MAX_RULES:
        raise ValidationError(f"the synonym list holds at most {MAX_RULES} rules")
    if replace:
        session.execute(delete(SynonymRule))
        session.flush()
    known = set(session.scalars(select(SynonymRule.rule)))
    added = 0
    for written in dict.fromkeys(rules):
        if written not in known:
            session.add(SynonymRule(rule=written))
            added += 1
    session.flush()
    if added or replace:
        list_changed(session)
    audit.record(
        session, "search.synonyms_imported", actor_id=viewer.user_id, target=f"{added} rules", replace=replace
    )
    return added


def export_csv(session: Session) -> str:
    """The list as CSV (``terms,targets``), importable again."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in list_rules(session):
        rule = _parse(row.rule)
        # Terms are folded words (no sign or quote can start one); spreadsheet-safe all the same, as every
        # CSV the portal hands out, should the rules ever allow more.
        writer.writerow([spreadsheet_text(", ".join(rule.terms)), spreadsheet_text(", ".join(rule.targets))])
    return out.getvalue()


def list_changed(session: Session) -> None:
    """The index must take the list again once this transaction commits (recorded in the outbox)."""
    outbox.record(session, APPLY_TASK)


def rule_texts(session: Session) -> list[str]:
    """Every stored rule as written, oldest first (the engine compiles them)."""
    return list(session.scalars(select(SynonymRule.rule).order_by(SynonymRule.id)))


def load_expansions(session: Session) -> dict[str, tuple[str, ...]]:
    """Query word -> alternatives of the stored rules (a rule that no longer parses is skipped)."""
    rules = []
    for text in session.scalars(select(SynonymRule.rule).order_by(SynonymRule.id)):
        try:
            rules.append(parse_rule(text))
        except ValueError:
            continue
    return expansions(rules)


def active_expansions(rt: Runtime) -> Mapping[str, tuple[str, ...]]:
    """The expansions searches use, remembered for a minute per process."""

    def compute() -> dict[str, tuple[str, ...]]:
        with rt.db.session() as session:
            return load_expansions(session)

    return rt.cache.get_or_compute(CACHE_KEY, compute)


def forget_expansions(rt: Runtime) -> None:
    """Make this process read the list again on its next search (after an edit)."""
    rt.cache.put(CACHE_KEY, None, ttl=0.0)
