"""Request and response models of bulk edits."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from portal.api.models import CustomValue, Id, Open, Strict


class BulkChanges(Strict):
    """What to change on every selected asset (absent: leave alone)."""

    add_tags: list[str] = Field(default_factory=list, max_length=100)
    remove_tags: list[str] = Field(default_factory=list, max_length=100)
    set_tags: list[str] | None = Field(None, max_length=100)
    visibility: Literal["internal", "partner", "public"] | None = None
    rights_note: str | None = Field(None, max_length=5000)
    expires_at: str | None = Field(None, max_length=40, description="date or date-time; null: never")
    add_links: list[str] = Field(default_factory=list, max_length=50)
    remove_links: list[str] = Field(default_factory=list, max_length=50)
    action: Literal["submit", "approve", "reject", "reopen", "archive", "restore"] | None = None
    set_fields: dict[str, CustomValue] = Field(
        default_factory=dict, max_length=100, description="custom field values to set, by field key"
    )
    clear_fields: list[str] = Field(default_factory=list, max_length=100, description="field keys to clear")


class BulkRequest(Strict):
    """The selection (ids, or a search query string), the changes, and whether to only try them."""

    ids: list[Id] | None = Field(None, min_length=1, max_length=1000)
    search: str | None = Field(None, max_length=2000, description="query string of /api/v1/search")
    changes: BulkChanges
    dry_run: bool = False


class AssetResult(Open):
    """What happened (or would happen) to one asset."""

    asset_id: int
    result: Literal["ok", "refused"]
    changes: dict[str, object] | None = None
    status: int | None = None
    reason: str | None = None


class DryRun(Open):
    """Per-asset results."""

    items: list[AssetResult]


class BulkJobOut(Open):
    """A bulk job."""

    id: int
    status: str
    total: int
    done: int
    changes: dict[str, object]
    results: list[AssetResult]
    undoable: bool
    status_url: str
    undo_url: str
