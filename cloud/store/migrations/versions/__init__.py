"""Alembic revisions of the cloud store, written by hand and never edited once released."""
