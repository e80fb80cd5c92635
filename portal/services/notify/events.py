"""The events people are told about: submissions, review outcomes, expiring rights, ready packages,
share links sent by mail, invitations. Each is called inside the transaction of its cause."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from models import Asset, Package, Role, ShareLink, User
from models.base import utcnow
from portal.errors import ValidationError
from portal.services.accounts.users import normalise_email
from portal.services.governance.rights import WARN_DAYS, expiring_soon
from portal.services.notify.center import MAX_BODY, claim_keys, notify, notify_address, recent_unread, staff

MAX_RECIPIENTS = 20
FOLD_MINUTES = 10
LIST_MOST = 50  # assets listed in one expiry notice


def _name(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id is not None else None
    return (user.name or user.email) if user is not None else "Someone"


def asset_submitted(session: Session, asset: Asset, actor_id: int | None) -> int:
    """Tell managers and admins (not the submitter) that an asset waits for review; returns how many.

    A burst (a batch submitted at once) is folded into the manager's unread notice of the last
    ``FOLD_MINUTES``: one entry and one mail saying how many wait, rather than one per asset.
    """
    who = _name(session, actor_id)
    line = f"{who} submitted “{asset.title}” (asset {asset.id}) for review."
    since = utcnow() - timedelta(minutes=FOLD_MINUTES)
    told = 0
    for manager in staff(session, Role.MANAGER, except_id=actor_id):
        earlier = recent_unread(session, manager.id, "review.waiting", since)
        if earlier is not None:
            earlier.grouped += 1
            earlier.title = f"{earlier.grouped} assets wait for review"
            earlier.body = (earlier.body + "\n" + line)[-MAX_BODY:]
            earlier.link, earlier.asset_id = "/review", None
            told += 1
            continue
        made = notify(
            session, manager, "review.waiting", f"“{asset.title}” waits for review", line,
            link=f"/assets/{asset.id}", asset_id=asset.id,
        )  # fmt: skip
        told += made is not None
    return told


def asset_reviewed(
    session: Session, asset: Asset, action: str, comment: str | None, actor_id: int | None
) -> bool:
    """Tell the uploader their asset was approved or rejected (with the reason); not when they did it."""
    if action not in ("approve", "reject") or asset.uploaded_by_id in (None, actor_id):
        return False
    uploader = session.get(User, asset.uploaded_by_id)
    if uploader is None:
        return False
    who = _name(session, actor_id)
    if action == "approve":
        kind, title = "asset.approved", f"“{asset.title}” was approved"
        body = f"{who} approved “{asset.title}” (asset {asset.id})."
        if comment:
            body += f"\n\nComment: {comment}"
    else:
        kind, title = "asset.rejected", f"“{asset.title}” was rejected"
        body = f"{who} rejected “{asset.title}” (asset {asset.id}).\n\nReason: {comment or '(none given)'}"
        body += "\n\nReopen it as a draft, change what was asked and submit it again."
    made = notify(session, uploader, kind, title, body, link=f"/assets/{asset.id}", asset_id=asset.id)
    return made is not None


def package_ready(session: Session, package: Package) -> bool:
    """Tell whoever asked for a package that it can be downloaded."""
    user = session.get(User, package.created_by_id) if package.created_by_id is not None else None
    if user is None:
        return False
    size = f" ({package.files_total} files)" if package.files_total else ""
    body = f"Package {package.id}{size} is ready to download."
    if package.expires_at is not None:
        body += f" It can be downloaded until {package.expires_at:%Y-%m-%d %H:%M} UTC."
    made = notify(session, user, "package.ready", f"Package {package.id} is ready", body,
                  link=f"/packages/{package.id}")  # fmt: skip
    return made is not None


def parse_recipients(text: str | None) -> list[str]:
    """E-mail addresses separated by commas, semicolons, spaces or lines; bad ones are one clear 422."""
    parts = [p for p in re.split(r"[\s,;]+", text or "") if p]
    good, bad = [], []
    for part in parts:
        try:
            good.append(normalise_email(part))
        except ValidationError:
            bad.append(part)
    if bad:
        raise ValidationError(f"not valid e-mail addresses: {', '.join(bad[:5])}")
    unique = list(dict.fromkeys(good))
    if len(unique) > MAX_RECIPIENTS:
        raise ValidationError(f"send a link to at most {MAX_RECIPIENTS} addresses at once")
    return unique


def share_link_sent(session: Session, link_id: int, recipients: list[str], url: str) -> int:
    """Mail a new share link to each recipient (the link is dropped from the row once mailed)."""
    link = session.get(ShareLink, link_id)
    if link is None:
        return 0
    who = _name(session, link.created_by_id)
    subject = f"{who} shared “{link.title}” with you" if link.title else f"{who} shared assets with you"
    body = f"{who} sent you a link to assets on Assetport. It works until {link.expires_at:%Y-%m-%d}."
    if link.note.strip():
        body += f"\n\n{link.note.strip()}"
    for address in recipients:
        notify_address(session, address, "share.sent", subject, body, link=url)
    return len(recipients)


def invitation(session: Session, user: User, link: str, inviter_id: int | None) -> None:
    """Mail an invited user their one-time link to choose a password."""
    who = _name(session, inviter_id)
    until = f", until {user.invite_expires_at:%Y-%m-%d %H:%M} UTC" if user.invite_expires_at else ""
    body = (
        f"{who} invited you to Assetport as {user.role}. "
        f"Choose your password with the link below; it works once{until}."
    )
    notify_address(
        session, user.email, "invitation", "You are invited to Assetport", body, link=link, user_id=user.id
    )


def scan_rights_expiring(session: Session, now: datetime | None = None) -> int:
    """Tell managers once per asset and expiry date about rights that expire within 14 days (safe to run
    again: each is keyed by asset, expiry and manager). Several new ones for a manager make one notice
    listing them. Returns how many notifications were made."""
    assets = [a for a in expiring_soon(session, WARN_DAYS, now) if a.rights_expire_at is not None]
    made = 0
    for manager in staff(session, Role.MANAGER) if assets else []:
        keyed = {f"rights:{a.id}:{a.rights_expire_at:%Y%m%d%H%M}:{manager.id}": a for a in assets}
        fresh = claim_keys(session, list(keyed))
        news = [asset for key, asset in keyed.items() if key in fresh]
        if news:
            made += _tell_expiring(session, manager, news)
    return made


def _tell_expiring(session: Session, manager: User, assets: list[Asset]) -> int:
    def line(asset: Asset) -> str:
        return f"“{asset.title}” (asset {asset.id}) ends {asset.rights_expire_at:%Y-%m-%d %H:%M} UTC"

    after = (
        "After that moment partners and the public no longer see it; renew the rights or plan a replacement."
    )
    if len(assets) == 1:
        asset = assets[0]
        title = f"Rights of “{asset.title}” expire on {asset.rights_expire_at:%Y-%m-%d}"
        body, link, asset_id = (
            f"The usage rights of {line(asset)}.\n\n{after}",
            f"/assets/{asset.id}",
            asset.id,
        )
    else:
        title = f"Rights of {len(assets)} assets expire within {WARN_DAYS} days"
        lines = [f"- {line(a)}" for a in assets[:LIST_MOST]]
        if len(assets) > LIST_MOST:
            lines.append(f"- … and {len(assets) - LIST_MOST} more (see the dashboard)")
        body, link, asset_id = "\n".join(lines) + f"\n\n{after}", "/review/dashboard", None
    item = notify(session, manager, "rights.expiring", title, body, link=link, asset_id=asset_id)
    if item is not None:
        item.grouped = len(assets)
    return item is not None
