"""The migrations build exactly the schema the models describe (on SQLite, and on PostgreSQL in CI)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (every table registered)


def test_migrations_match_the_models(service) -> None:
    with service.db.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
