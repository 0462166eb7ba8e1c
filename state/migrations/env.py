"""Alembic's environment: migrations run on the connection state.migrate hands over, inside its
transaction and lock. SQLite alters tables in batch mode (copy and move), as it must."""

from __future__ import annotations

from alembic import context

from rulewatch.state.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
