"""Request and response models of the admin-side resources (webhooks, audit, users, presets,
renditions), declared once like ``portal.api.models``."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from portal.api.models import Open, PageInfo, Paging, Strict

# --- webhooks ----------------------------------------------------------------------------------------

WebhookEvent = Literal[
    "asset.approved", "asset.updated", "asset.archived", "asset.expired", "product.assets_changed"
]


class WebhookBody(Strict):
    """A new subscription."""

    url: str = Field(min_length=1, max_length=1000, description="http:// or https:// address")
    events: list[WebhookEvent] = Field(min_length=1, max_length=10)
    description: str = Field("", max_length=300)


class WebhookPatch(Strict):
    """The fields of a subscription to change."""

    url: str | None = Field(None, min_length=1, max_length=1000)
    events: list[WebhookEvent] | None = Field(None, min_length=1, max_length=10)
    description: str | None = Field(None, max_length=300)
    active: bool | None = None


class Webhook(Open):
    """A subscription (its secret is shown only when it is created)."""

    id: int
    url: str
    events: list[str]
    description: str
    active: bool
    created_at: str


class WebhookCreated(Webhook):
    """A new subscription with its signing secret."""

    secret: str


class WebhookList(Open):
    """Every subscription."""

    items: list[Webhook]


class Delivery(Open):
    """One delivery of an event to a subscription."""

    id: int
    event: str
    status: str
    attempts: int
    response_code: int | None
    last_error: str | None
    payload: dict[str, object]
    created_at: str
    delivered_at: str | None


class DeliveryList(Open):
    """A subscription's recent deliveries."""

    items: list[Delivery]


# --- audit, users, presets, renditions ---------------------------------------------------------------


class AuditQuery(Paging):
    """Filters of the audit trail."""

    model_config = ConfigDict(populate_by_name=True)

    actor: str | None = Field(None, max_length=200, description="part of the actor's e-mail")
    action: str | None = Field(None, max_length=100, description="prefix, e.g. workflow.")
    asset: int | None = Field(None, ge=1, le=2**31 - 1)
    from_: str | None = Field(None, alias="from", max_length=40, description="date or date-time (UTC)")
    to: str | None = Field(None, max_length=40, description="date or date-time (UTC)")


class AuditEventOut(Open):
    """One audit event."""

    id: int
    at: str
    actor: str | None
    action: str
    asset_id: int | None
    target: str | None
    ip: str | None
    detail: dict[str, object]


class AuditPage(PageInfo):
    """A page of audit events."""

    items: list[AuditEventOut]


class UserOut(Open):
    """A user account."""

    id: int
    email: str
    name: str | None
    role: str
    active: bool
    active_tokens: int


class UserList(Open):
    """Every user."""

    items: list[UserOut]


class UserPatch(Strict):
    """A new role, or disabling/enabling an account."""

    role: Literal["admin", "manager", "editor", "partner"] | None = None
    active: bool | None = None


class RoleList(Open):
    """The roles."""

    items: list[str]


class PresetBody(Strict):
    """A rendition preset's settings."""

    # The rules (formats, bounds, colours) are the preset service's; these only bound the sizes.
    format: str = Field("JPEG", max_length=10, description="JPEG, PNG, WEBP or TIFF")
    max_edge: int | None = Field(None, ge=0, le=2**31 - 1, description="longest edge in px; null: full")
    dpi: int | None = Field(None, ge=0, le=2**31 - 1)
    colour: str = Field("srgb", max_length=10, description="srgb, keep or cmyk")
    quality: int = Field(85, ge=0, le=2**31 - 1)
    background: str = Field("#ffffff", max_length=20)
    keep_alpha: bool = False
    write_metadata: bool = True
    filename_template: str = Field("{title}_{preset}.{ext}", max_length=300)
    label: str = Field("", max_length=200)


class Preset(PresetBody):
    """A preset by name."""

    model_config = ConfigDict(extra="allow")

    name: str


class PresetList(Open):
    """Every preset."""

    items: list[Preset]


class Rendition(Open):
    """A rendition the caller may download, at its stable URL."""

    preset: str
    label: str
    format: str | None
    url: str


class RenditionList(Open):
    """The renditions of an asset."""

    items: list[Rendition]
