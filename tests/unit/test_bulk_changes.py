"""The bulk change set without a database: validation, the undo of set-like parts, the registry."""

from __future__ import annotations

import pytest

from portal.errors import ValidationError
from portal.services.catalog import bulk_changes, bulk_fields
from portal.services.catalog.bulk_changes import ChangeKind, change_keys, parse_changes, register_kind
from portal.services.catalog.bulk_parts import revert_set, revert_value


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"colour": "red"},
        {"set_tags": ["a"], "add_tags": ["b"]},
        {"visibility": "everyone"},
        {"action": "reject"},  # needs a comment
        {"action": "fly"},
        {"expires_at": "someday"},
        {"add_tags": "not a list"},
        {"add_links": []},
        {"set_fields": {"season": "winter"}, "clear_fields": ["season"]},
        {"set_fields": ["season"]},
        {"clear_fields": [1]},
        {"set_fields": {}, "clear_fields": []},
    ],
)
def test_bad_change_sets_are_refused_before_anything_runs(raw: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        parse_changes(raw)


def test_a_change_set_names_its_parts_in_registry_order() -> None:
    changes = parse_changes(
        {"action": "archive", "add_tags": ["Spring ", "spring"], "expires_at": "2030-01-31"}
    )
    assert changes.parts == ("tags", "expires_at", "status")
    tags = dict((kind.name, value) for kind, value in changes.values)["tags"]
    assert tags["add"] == ["spring"]
    assert dict((kind.name, value) for kind, value in changes.values)["expires_at"].startswith(
        "2030-01-31T23:59:59"
    )


def test_undo_of_a_set_takes_back_only_what_the_job_did() -> None:
    # The job added "b" and removed "x"; someone added "c" since.
    assert revert_set(["a", "b", "c"], ["a", "x"], ["a", "b"]) == ["a", "c", "x"]
    assert revert_value("new", "old", "new") == "old"


def test_a_new_kind_of_change_is_one_registration() -> None:
    kind = ChangeKind("demo", frozenset({"set_demo"}), ("tags",), lambda given: given["set_demo"],
                      lambda ctx, asset, state, value: None)  # fmt: skip
    register_kind(kind)
    try:
        assert "set_demo" in change_keys()
        assert parse_changes({"set_demo": 1}).values[0][0] is kind
    finally:
        bulk_changes.KINDS.remove(kind)
    assert "set_demo" not in change_keys()


def test_custom_fields_are_a_part_applied_before_a_workflow_step_and_undone_field_by_field() -> None:
    changes = parse_changes({"action": "submit", "set_fields": {"season": "winter"}, "add_tags": ["a"]})
    assert changes.parts == ("tags", "custom_fields", "status")
    # The job set season and cleared colour; someone set size since: it stays.
    before, after = {"colour": "red"}, {"season": "winter"}
    current = {"season": "winter", "size": "XL"}
    assert bulk_fields.revert(current, before, after) == {"colour": "red", "size": "XL"}
