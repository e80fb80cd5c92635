"""Sending webhook deliveries (one attempt per job; retries are delayed outbox items)."""

from __future__ import annotations

from portal.jobs.registry import task
from portal.runtime import Runtime
from portal.services.distribution import webhooks


@task("webhooks.deliver")
def deliver(rt: Runtime, delivery_id: int) -> None:
    """Attempt one delivery; a missing, delivered or failed delivery is a no-op."""
    webhooks.attempt(rt, delivery_id)
