"""The catalogue: assets, products and the links between them.

Ingest (a file becomes an asset), versions, product import (files and rows) and upsert by article number,
linking assets to products (file names, metadata, by hand), reading assets for pages and the API,
browsing products, and editing an asset's descriptive metadata.

May import: models, indexer, tagging, the portal base modules, ``portal.services.outbox``/``paging`` and
the other service packages; never jobs, web, api, cli or Flask.
"""
