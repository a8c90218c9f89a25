"""Alembic environment: runs on the connection handed in by storage.migrate, or a URL."""

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

from storage import models  # noqa: F401  (every table must be imported before autogenerate)

config = context.config
target_metadata = SQLModel.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from storage.db import make_engine

        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("alembic: no connection handed in and no sqlalchemy.url set")
        engine = make_engine(url)
        with engine.connect() as conn:
            _run(conn)
    else:
        _run(connection)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
