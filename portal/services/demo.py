"""The demo catalogue released to the public: approved through the workflow, public, with a brand hub.

``assetport demo`` and the README screenshots use it, so a fresh ``make run`` shows a working hub and
partner search, not an empty page. Idempotent: assets already released and a hub already configured are
left as they are.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Asset, AssetStatus, Role, Visibility
from models.brand import BrandSettings
from portal.services.brand import hub as brand_service
from portal.services.brand.hub import SETTINGS_ID
from portal.services.governance import rights, workflow
from portal.services.governance.policy import Viewer

DEMO_NOTE = "Demo catalogue (Saleor demo data, BSD-3-Clause)"
SECTIONS = [
    ("Hoodies", "f.category=Hoodies", "Warm, soft, and made to be worn all season."),
    ("Juices", "f.category=Juices", "Product imagery for every flavour."),
    ("Paints", "f.category=Paints", "Packshots of the paint range."),
]


def release_demo_assets(session: Session, admin: Viewer, filenames: Collection[str]) -> int:
    """Submit and approve the demo catalogue's draft assets (those with these original file names) and
    make them public; returns how many were released. Anything else in the instance is left alone.

    Goes through the workflow and rights services, so every step is audited and reindexed like a
    manager's own clicks.
    """
    released = 0
    drafts = session.scalars(
        select(Asset.id).where(
            Asset.status == AssetStatus.DRAFT.value, Asset.original_filename.in_(sorted(filenames))
        )
    ).all()
    for asset_id in drafts:
        workflow.transition(session, admin, asset_id, "submit", "demo catalogue")
        workflow.transition(session, admin, asset_id, "approve", "demo catalogue")
        edit = rights.RightsEdit(Visibility.PUBLIC.value, DEMO_NOTE, None, None)
        rights.update_rights(session, admin, asset_id, edit)
        released += 1
    return released


def configure_brand_hub(session: Session, admin: Viewer) -> bool:
    """Give the hub a name, colour, intro, terms and sections unless an admin already set it up."""
    if session.get(BrandSettings, SETTINGS_ID) is not None:
        return False
    brand_service.update_settings(
        session,
        admin,
        name="Saleor Goods",
        colour="#2b2d6e",
        intro="Product imagery, logos and guidelines of the Saleor Goods range, free to use "
        "for press and partners under the usage terms.",
        terms="Use these assets only to show or report on Saleor Goods products. Do not alter logos.",
        public_presets=["web", "print"],
    )
    if not brand_service.list_sections(session):
        for title, query, description in SECTIONS:
            brand_service.create_section(
                session, admin, title=title, kind="saved_search", query=query, description=description
            )
    return True


def release_demo(session: Session, admin_id: int | None, filenames: Collection[str]) -> int:
    """Release the demo assets and set up the hub as this admin; returns the number of assets released."""
    admin = Viewer(admin_id, Role.ADMIN)
    count = release_demo_assets(session, admin, filenames)
    configure_brand_hub(session, admin)
    return count
