"""The brand hub and what leaves without an account: hub settings and sections, collections, share
links, and the public download path (``delivery``) with its inline/attachment rule.

May import: models, indexer, the portal base modules, ``portal.services.outbox``/``paging`` and the other
service packages; never jobs, web, api, cli or Flask.
"""
