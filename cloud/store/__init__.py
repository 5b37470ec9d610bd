"""Cloud store schema: SQLAlchemy tables, the engine factory and Alembic migrations.

Store room: knows the database layout; repositories live in `cloud.adapters.store`.
"""

from cloud.store.engine import make_engine
from cloud.store.migrate import upgrade_to_head

__all__ = ["make_engine", "upgrade_to_head"]
