"""The change set of a bulk edit: one handler per kind of change, in a registry.

A ``ChangeKind`` owns some request keys (``add_tags``, ``visibility``, ...), validates them once for the
whole job (``parse``; ``prepare`` may resolve names against the database, e.g. article numbers), and works
out one asset's new values from its current ones (``apply``), or says why that asset is refused. It
touches the named ``parts`` (``bulk_parts``); the engine then checks the field-level write rules for every
part that really changes, exactly as the single-asset services do. Custom field values are a kind and a
part of their own (``bulk_fields``), applied before a workflow action so "submit" sees the new values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from indexer.custom_fields import load_specs
from models import Asset, Visibility
from portal.errors import NotFound, ValidationError
from portal.services.catalog import bulk_fields, editing, linking
from portal.services.catalog.bulk_parts import Context, iso
from portal.services.governance import rights, workflow
from portal.services.governance.policy import can_edit

State = dict[str, Any]
Refusal = tuple[int, str]  # (HTTP-like status, reason without asset ids, so reasons group)


@dataclass(frozen=True)
class ChangeKind:
    """One kind of change (see the module docstring)."""

    name: str
    keys: frozenset[str]
    parts: tuple[str, ...]
    parse: Callable[[Mapping[str, Any]], Any]
    apply: Callable[[Context, Asset, State, Any], Refusal | None]
    prepare: Callable[[Session, Context, Any], None] | None = None


KINDS: list[ChangeKind] = []


def register_kind(kind: ChangeKind) -> ChangeKind:
    """Add a kind of change (applied after the ones registered before it)."""
    KINDS.append(kind)
    return kind


def change_keys() -> frozenset[str]:
    """Every request key some kind of change understands."""
    return frozenset(k for kind in KINDS for k in kind.keys)


@dataclass(frozen=True)
class ChangeSet:
    """A validated change request: the kinds it uses with their parsed values, and the raw request."""

    raw: dict[str, Any]
    values: tuple[tuple[ChangeKind, Any], ...]

    @property
    def parts(self) -> tuple[str, ...]:
        """The parts these changes may touch, in registry order."""
        return tuple(dict.fromkeys(p for kind, _ in self.values for p in kind.parts))

    def prepare(self, session: Session, ctx: Context) -> None:
        """Resolve names once per job (unknown article numbers are a NotFound for the whole request)."""
        for kind, value in self.values:
            if kind.prepare is not None:
                kind.prepare(session, ctx, value)

    def apply(self, ctx: Context, asset: Asset, state: State) -> Refusal | None:
        """Work out the asset's new values in ``state``; a refusal stops at the first kind that refuses."""
        for kind, value in self.values:
            refusal = kind.apply(ctx, asset, state, value)
            if refusal is not None:
                return refusal
        return None


def parse_changes(raw: Mapping[str, Any]) -> ChangeSet:
    """Validate a ``changes`` object; unknown keys, wrong types and contradictions are a ValidationError."""
    known = change_keys()
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValidationError(f"unknown change(s) {', '.join(unknown)}; use {', '.join(sorted(known))}")
    values = []
    for kind in KINDS:
        given = {k: raw[k] for k in kind.keys if k in raw}
        if given:
            values.append((kind, kind.parse(given)))
    if not values:
        raise ValidationError("changes: name at least one change")
    return ChangeSet(dict(raw), tuple(values))


def _strings(raw: Any, name: str) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise ValidationError(f"{name} must be a list of strings")
    return raw


# --- tags --------------------------------------------------------------------------------------------


def _parse_tags(given: Mapping[str, Any]) -> dict[str, Any]:
    if "set_tags" in given and ("add_tags" in given or "remove_tags" in given):
        raise ValidationError("set_tags replaces the tags: do not combine it with add_tags or remove_tags")

    def tags(name: str) -> list[str]:
        return editing.parse_tags(",".join(_strings(given.get(name), name)))

    replace = tags("set_tags") if given.get("set_tags") is not None else None
    return {"set": replace, "add": tags("add_tags"), "remove": tags("remove_tags")}


def _apply_tags(ctx: Context, asset: Asset, state: State, value: dict[str, Any]) -> Refusal | None:
    tags = list(value["set"]) if value["set"] is not None else list(state["tags"])
    tags = [t for t in tags if t not in set(value["remove"])]
    tags += [t for t in value["add"] if t not in tags]
    if len(tags) > editing.MAX_TAGS and len(tags) > len(state["tags"]):
        return 422, f"it would have more than {editing.MAX_TAGS} tags"
    state["tags"] = tags
    return None


# --- product links -----------------------------------------------------------------------------------


def _parse_links(given: Mapping[str, Any]) -> dict[str, list[str]]:
    add = [k.strip() for k in _strings(given.get("add_links"), "add_links") if k.strip()]
    remove = [k.strip() for k in _strings(given.get("remove_links"), "remove_links") if k.strip()]
    if not add and not remove:
        raise ValidationError("name at least one article number or model code to link or unlink")
    return {"add": list(dict.fromkeys(add)), "remove": list(dict.fromkeys(remove))}


def _prepare_links(session: Session, ctx: Context, value: dict[str, list[str]]) -> None:
    for key in value["add"]:
        targets = linking.resolve_keys(session, [key])
        if not targets:
            raise NotFound(f"unknown article number or model code: {key[:100]}")
        ctx.links[key] = targets[0]
        ctx.links[targets[0].key] = targets[0]


def _apply_links(ctx: Context, asset: Asset, state: State, value: dict[str, list[str]]) -> Refusal | None:
    links = [k for k in state["links"] if k not in set(value["remove"])]
    for key in value["add"]:
        target = ctx.links[key].key
        if target not in links:
            links.append(target)
    state["links"] = links
    return None


# --- visibility, rights note, expiry -----------------------------------------------------------------


def _parse_visibility(given: Mapping[str, Any]) -> str:
    value = str(given["visibility"] or "").strip().lower()
    if value not in {v.value for v in Visibility}:
        raise ValidationError(f"visibility must be one of {', '.join(v.value for v in Visibility)}")
    return value


def _parse_note(given: Mapping[str, Any]) -> str | None:
    note = given["rights_note"]
    if note is not None and not isinstance(note, str):
        raise ValidationError("rights_note must be a string or null")
    text = (note or "").strip()
    if len(text) > editing.MAX_RIGHTS_NOTE:
        raise ValidationError(f"the rights note is longer than {editing.MAX_RIGHTS_NOTE} characters")
    return text or None


def _parse_expiry(given: Mapping[str, Any]) -> str | None:
    raw = given["expires_at"]
    if raw is not None and not isinstance(raw, str):
        raise ValidationError("expires_at must be a date, a date-time or null")
    return iso(rights.parse_expiry(raw))


def _setter(part: str) -> Callable[[Context, Asset, State, Any], Refusal | None]:
    def apply(ctx: Context, asset: Asset, state: State, value: Any) -> Refusal | None:
        state[part] = value
        return None

    return apply


# --- workflow ----------------------------------------------------------------------------------------


def _parse_action(given: Mapping[str, Any]) -> tuple[workflow.Transition, str | None]:
    rule = workflow.TRANSITIONS.get(str(given.get("action") or "").strip().lower())
    if rule is None:
        raise ValidationError(f"unknown action; use one of {', '.join(workflow.TRANSITIONS)}")
    comment = workflow.clean_comment(given.get("comment") if isinstance(given.get("comment"), str) else None)
    if rule.needs_comment and not comment:
        raise ValidationError(f"say why: {rule.action} needs a comment")
    return rule, comment


def _prepare_action(session: Session, ctx: Context, value: tuple[workflow.Transition, str | None]) -> None:
    ctx.comment = value[1]
    if value[0].action == "submit":
        ctx.required_fields = [spec for spec in load_specs(session) if spec.required]


def _apply_action(
    ctx: Context, asset: Asset, state: State, value: tuple[workflow.Transition, str | None]
) -> Refusal | None:
    """The workflow service's own rules (``workflow.transition``), decided from the loaded row."""
    rule = value[0]
    if not ctx.viewer.at_least(rule.role):
        return 403, f"{rule.action} needs the {rule.role.value} role or higher"
    if rule.action in ("submit", "reopen") and not can_edit(ctx.viewer, asset):
        return 403, "it is archived; a manager must restore it before it can change"
    if asset.status not in rule.sources:
        allowed = " or ".join(s.value.replace("_", " ") for s in rule.sources)
        return 409, f"it is {asset.status.replace('_', ' ')}; {rule.action} needs it {allowed}"
    if rule.action == "submit" and ctx.required_fields:
        # The submit rule (``custom_values.require_complete``), against the values this change leaves.
        values = state.get(bulk_fields.PART, asset.custom_fields or {})
        missing = [s.label() for s in ctx.required_fields if values.get(s.key) in (None, "", [])]
        if missing:
            return 422, f"fill in the required fields before submitting for review: {', '.join(missing)}"
    state["status"] = rule.target.value
    return None


register_kind(ChangeKind("tags", frozenset({"add_tags", "remove_tags", "set_tags"}), ("tags",),
                         _parse_tags, _apply_tags))  # fmt: skip
register_kind(ChangeKind("links", frozenset({"add_links", "remove_links"}), ("links",), _parse_links,
                         _apply_links, _prepare_links))  # fmt: skip
register_kind(ChangeKind("visibility", frozenset({"visibility"}), ("visibility",), _parse_visibility,
                         _setter("visibility")))  # fmt: skip
register_kind(ChangeKind("rights_note", frozenset({"rights_note"}), ("rights_note",), _parse_note,
                         _setter("rights_note")))  # fmt: skip
register_kind(ChangeKind("expires_at", frozenset({"expires_at"}), ("expires_at",), _parse_expiry,
                         _setter("expires_at")))  # fmt: skip
register_kind(ChangeKind("custom_fields", bulk_fields.KEYS, (bulk_fields.PART,), bulk_fields.parse,
                         bulk_fields.apply, bulk_fields.prepare))  # fmt: skip
register_kind(ChangeKind("action", frozenset({"action", "comment"}), ("status",), _parse_action,
                         _apply_action, _prepare_action))  # fmt: skip
