"""Distribution: handing approved assets out in the right form. Channel presets and renditions, packages
(ZIP or link table) built from product lists, signed expiring links, and webhooks to other systems.

May import: models, indexer, the portal base modules, ``portal.services.outbox``/``paging`` and the other
service packages; never jobs, web, api, cli or Flask.
"""
