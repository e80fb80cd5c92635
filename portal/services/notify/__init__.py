"""Notifications: what people are told in the portal (a list with an unread count) and by e-mail.

``center`` records notifications under each recipient's preferences (per kind and channel) and records the
e-mail work through the outbox, never sending inside a request; ``events`` turns workflow, package, share
and invitation events into notifications and scans for expiring rights; ``mail`` composes a message and
keeps the delivery bookkeeping (attempts, backoff, final status) for the job that talks SMTP.
"""
