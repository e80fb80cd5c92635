"""Governance: who may see and change what (``policy``, asked by every query and file endpoint), the
approval workflow, visibility/rights/expiry, the audit trail (writing and reading) and rate limits.

May import: models, indexer, the portal base modules, ``portal.services.outbox``/``paging`` and the other
service packages; never jobs, web, api, cli or Flask.
"""
