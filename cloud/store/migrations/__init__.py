"""Alembic environment of the cloud store (a package only so it ships with the wheel)."""
