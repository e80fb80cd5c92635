"""Request and response models of bulk edits."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from portal.api.models import CustomValue, Id, Open, Strict

MAX_IDS = 200_000


class BulkChanges(Strict):
    """What to change on every selected asset (absent: leave alone)."""

    add_tags: list[str] = Field(default_factory=list, max_length=100)
    remove_tags: list[str] = Field(default_factory=list, max_length=100)
    set_tags: list[str] | None = Field(None, max_length=100)
    visibility: Literal["internal", "partner", "public"] | None = None
    rights_note: str | None = Field(None, max_length=5000)
    expires_at: str | None = Field(None, max_length=40, description="date or date-time; null: never")
    add_links: list[str] = Field(
        default_factory=list, max_length=50, description="article numbers, model codes"
    )
    remove_links: list[str] = Field(default_factory=list, max_length=50)
    action: Literal["submit", "approve", "reject", "reopen", "archive", "restore"] | None = None
    comment: str | None = Field(None, max_length=2000, description="the workflow comment (reject needs one)")
    set_fields: dict[str, CustomValue] = Field(
        default_factory=dict, max_length=100, description="custom field values to set, by field key"
    )
    clear_fields: list[str] = Field(default_factory=list, max_length=100, description="field keys to clear")


class BulkRequest(Strict):
    """The selection (ids, a search query string, or a collection), the changes, and whether to only
    preview them."""

    ids: list[Id] | None = Field(None, min_length=1, max_length=MAX_IDS)
    search: str | None = Field(
        None, max_length=2000, description="query string of /api/v1/search (run with your role's filters)"
    )
    collection: Id | None = Field(None, description="a collection's id: its assets")
    changes: BulkChanges
    dry_run: bool = False


class AssetResult(Open):
    """What happened (or would happen) to one asset."""

    asset_id: int
    result: Literal["ok", "refused"]
    changes: dict[str, object] | None = None
    status: int | None = None
    reason: str | None = None


class Reason(Open):
    """One refusal reason and how many assets it refuses."""

    reason: str
    count: int


class Summary(Open):
    """Outcome counts: assets that change, stay as they are, or are refused (grouped by reason)."""

    changed: int
    unchanged: int
    refused: int
    reasons: list[Reason]


class DryRun(Summary):
    """A preview: the counts over the whole selection, and the first 1,000 per-asset results."""

    total: int
    items: list[AssetResult]


class BulkJobOut(Open):
    """A bulk job (an edit, or the undo of one): progress, counts and the first 500 per-asset results."""

    id: int
    kind: Literal["edit", "undo"]
    status: Literal["queued", "running", "done", "failed", "undoing", "undone"]
    source: dict[str, object]
    total: int
    done: int
    percent: int
    summary: Summary
    changes: dict[str, object]
    results: list[AssetResult]
    results_truncated: bool
    error: str | None = None
    undoable: bool
    undo_of: int | None = None
    undo_job: int | None = None
    created_at: str
    finished_at: str | None = None
    status_url: str
    undo_url: str
