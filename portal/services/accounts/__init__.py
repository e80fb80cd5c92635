"""Accounts: users and passwords (with login throttling), invitations, roles and disabling (``admin``),
and personal API tokens stored hashed.

May import: models, the portal base modules and the other service packages (``governance`` for the
policy and audit); never jobs, web, api, cli or Flask.
"""
