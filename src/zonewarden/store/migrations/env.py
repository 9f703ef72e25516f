"""Alembic environment: run against the connection `store.database.migrate` passes in (no alembic.ini)."""

from __future__ import annotations

from alembic import context

from zonewarden.store.tables import Base

config = context.config
target_metadata = Base.metadata

connection = config.attributes.get("connection")
if connection is None:  # `alembic` run by hand: take the URL the same way `zonewarden serve` does
    from zonewarden.store.database import make_engine, resolve_url

    with make_engine(resolve_url(None)).connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
else:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
