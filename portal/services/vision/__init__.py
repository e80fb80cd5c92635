"""Vision in the portal: the process's model (from ``tagging``), the embedding and tagging pipeline,
stored vectors, the auto-tag vocabulary and suggestions, similarity searches and near-duplicates.

May import: models, indexer, tagging, the portal base modules, ``portal.services.outbox``/``paging`` and
the other service packages; never jobs, web, api, cli or Flask.
"""
