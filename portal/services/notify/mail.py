"""Mail bookkeeping for the sending job: the message of a pending notification, and what an attempt did.

One attempt per job run. A failure is retried after ``smtp_backoff_seconds * 2**(attempt-1)`` as a delayed
outbox item (the sweep dispatches it), up to ``smtp_max_attempts``; then the mail is marked ``failed``.
Nothing is lost while SMTP is down: the notification stays ``pending`` with its last error.
Links that carry a secret (a share link, an invitation) are dropped from the row once the mail is final.
"""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from models import Notification
from models.base import utcnow
from portal.runtime import Runtime
from portal.services import outbox
from portal.services.notify.center import DIRECT_KINDS, EMAIL_TASK

SUBJECT_PREFIX = "[Assetport] "


def absolute(rt: Runtime, link: str | None) -> str | None:
    """A link usable from a mail: as is when absolute, else joined to ``public_url`` (when set)."""
    if not link or link.startswith(("http://", "https://")):
        return link
    base = (rt.settings.public_url or "").rstrip("/")
    return f"{base}{link}" if base else link


def compose(rt: Runtime, notification_id: int) -> EmailMessage | None:
    """The message of a pending mail, or None when there is nothing (left) to send."""
    with rt.db.session() as session:
        item = session.get(Notification, notification_id)
        if item is None or item.email_status != "pending" or not item.email:
            return None
        msg = EmailMessage()
        msg["From"] = rt.settings.smtp_from
        msg["To"] = item.email
        msg["Subject"] = SUBJECT_PREFIX + item.title
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(idstring=f"notification-{item.id}", domain="assetport")
        msg["X-Assetport-Notification"] = item.kind
        lines = [item.title, ""]
        if item.body:
            lines += [item.body, ""]
        link = absolute(rt, item.link)
        if link:
            lines += [f"Open: {link}", ""]
        if item.kind not in DIRECT_KINDS:
            prefs = absolute(rt, "/account/notifications")
            lines += ["--", f"You get this mail because of your notification settings: {prefs}"]
        msg.set_content("\n".join(lines).rstrip() + "\n")
        return msg


def record_attempt(rt: Runtime, notification_id: int, error: str | None) -> str | None:
    """Count one attempt: sent, or a retry recorded with backoff, or failed for good. Returns the status."""
    with rt.db.transaction() as session:
        item = session.get(Notification, notification_id)
        if item is None or item.email_status != "pending":
            return None if item is None else item.email_status
        item.email_attempts += 1
        item.email_error = None if error is None else error[:2000]
        if error is None:
            item.email_status, item.email_sent_at = "sent", utcnow()
        elif item.email_attempts >= rt.settings.smtp_max_attempts:
            item.email_status = "failed"
        else:
            delay = rt.settings.smtp_backoff_seconds * 2 ** (item.email_attempts - 1)
            outbox.record(
                session, EMAIL_TASK, notification_id=item.id, not_before=utcnow() + timedelta(seconds=delay)
            )
        _scrub(item)
        return item.email_status


def skip(rt: Runtime, notification_id: int) -> None:
    """No SMTP server is configured: the mail is not sent (the in-app entry, if any, stays)."""
    with rt.db.transaction() as session:
        item = session.get(Notification, notification_id)
        if item is not None and item.email_status == "pending":
            item.email_status, item.email_error = "skipped", "no SMTP server configured (ASSETPORT_SMTP_URL)"
            _scrub(item)


def _scrub(item: Notification) -> None:
    if item.kind in DIRECT_KINDS and item.email_status != "pending":
        item.link = None
