"""Alembic environment: runs on the connection that :func:`store.engine.migrate` hands over."""

from __future__ import annotations

from alembic import context

from store.schema import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
