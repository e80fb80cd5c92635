"""WSGI entry point for gunicorn and other servers: ``gunicorn portal.wsgi:app``.

Configured from ``ASSETPORT_*`` environment variables like the CLI.
"""

from portal.app import create_app

app = create_app()
