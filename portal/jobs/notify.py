"""Sending notification mail over SMTP (one attempt per job; retries are delayed outbox items), and the
periodic scan for rights that expire soon.

``ASSETPORT_SMTP_URL`` names the server: ``smtp://host:25`` (plain), ``smtp://user:pass@host:587?starttls=1``
(STARTTLS, also ``smtp+starttls://``), ``smtps://user:pass@host:465`` (TLS from the start). User name and
password are percent-decoded. Unset: mail is marked skipped and people see their notifications in-app only.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from portal.jobs.registry import task
from portal.runtime import Runtime
from portal.services.notify import events, mail

log = logging.getLogger(__name__)
EMAIL_TASK = "notify.email"
RIGHTS_TASK = "notify.rights_expiring"
_TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class SmtpTarget:
    """Where and how to deliver: host, port, ``plain`` | ``starttls`` | ``tls``, optional login."""

    host: str
    port: int
    security: str
    username: str | None = None
    password: str | None = None


def parse_smtp_url(url: str) -> SmtpTarget:
    """Read an SMTP URL; a malformed one is a ValueError naming what is wrong."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
        raise ValueError("ASSETPORT_SMTP_URL must look like smtp://host:port or smtps://user:pass@host:465")
    query = parse_qs(parts.query)
    starttls = scheme == "smtp+starttls" or (query.get("starttls", [""])[0].lower() in _TRUE)
    security = "tls" if scheme == "smtps" else "starttls" if starttls else "plain"
    try:
        port = parts.port or (465 if security == "tls" else 587 if security == "starttls" else 25)
    except ValueError:
        raise ValueError("ASSETPORT_SMTP_URL has a bad port") from None
    return SmtpTarget(
        host=parts.hostname,
        port=port,
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def send_message(target: SmtpTarget, message: EmailMessage, timeout: float) -> None:
    """Deliver one message; raises OSError or smtplib.SMTPException when the server does not take it."""
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if target.security == "tls":
        client = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(target.host, target.port, timeout=timeout)
    with client:
        if target.security == "starttls":
            client.starttls(context=context)
        if target.username:
            client.login(target.username, target.password or "")
        client.send_message(message)


@task(EMAIL_TASK)
def send_email(rt: Runtime, notification_id: int) -> str | None:
    """Try to send one notification's mail once; the outcome (and any retry) is recorded. Idempotent: a
    sent, failed or missing mail is left alone. Returns the mail's status."""
    url = rt.settings.smtp_url
    if not url:
        mail.skip(rt, notification_id)
        return "skipped"
    message = mail.compose(rt, notification_id)
    if message is None:
        return None
    error: str | None = None
    try:
        send_message(parse_smtp_url(url), message, rt.settings.smtp_timeout_seconds)
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        log.warning("mail for notification %s not sent: %s", notification_id, error)
    return mail.record_attempt(rt, notification_id, error)


@task(RIGHTS_TASK)
def rights_expiring(rt: Runtime) -> int:
    """Tell managers about rights that expire within 14 days (each asset and date once); returns how many
    notifications were made. Runs with the periodic rights job and from ``assetport notify-rights``."""
    with rt.db.transaction() as session:
        return events.scan_rights_expiring(session)
