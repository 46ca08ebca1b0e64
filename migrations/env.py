"""Alembic environment: runs on the engine kehoach built (see domain.adapters.db.migrate)."""
from alembic import context
from sqlmodel import SQLModel

from domain.adapters import orm  # noqa: F401  (registers the tables)
from domain.adapters.db import engine_for

config = context.config
engine = config.attributes.get("engine") or engine_for(config.get_main_option("sqlalchemy.url"))

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=SQLModel.metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
