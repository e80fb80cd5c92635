"""Business rules, Flask-free: views, the API and the CLI parse input, call a service, render the result.

One package per domain; put new code in the package whose nouns it works on:

- ``catalog``: assets and products and the links between them (ingest, versions, product import,
  file-name linking, editing, browsing);
- ``search``: the portal's search requests, saved searches, and recording index syncs;
- ``governance``: who may do what (policy), the approval workflow, rights and expiry, audit, rate limits;
- ``accounts``: users, invitations and roles, personal API tokens;
- ``distribution``: channel renditions, packages with their product lists and signed links, webhooks;
- ``vision``: the vision model, embeddings, auto-tags, similarity, near-duplicates;
- ``brand``: the public brand hub, collections, share links and public delivery.

Beside them: ``outbox`` (how a service records work for a job), ``paging`` (shared paging) and ``demo``.

Imports: services may use ``models``, ``indexer``, ``tagging``, the portal's base modules (``runtime``,
``settings``, ``errors``, ``media``, ``storage``, ``cache``) and each other's packages. They never import
``portal.jobs``, ``portal.web``, ``portal.api``, ``portal.cli`` or Flask; work for a job is recorded
through ``outbox.record`` by task name. ``make lint`` enforces this (import-linter, ``.importlinter``).
"""
