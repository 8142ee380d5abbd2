"""Serving: the REST API, the web app, users, the audit log."""
