"""Search for pages and the API: parsing the URL state into a query with the viewer's permissions,
saved searches, and recording which search documents a transaction made stale (``sync``).

May import: models, indexer, the portal base modules, ``portal.services.outbox``/``paging`` and the other
service packages; never jobs, web, api, cli or Flask.
"""
