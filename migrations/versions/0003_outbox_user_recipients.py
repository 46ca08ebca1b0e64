"""outbox rows may address a person: approval notices go to users, not only to bodies

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

`recipient_type` says whether `recipient_id` names a body ("body") or a user account ("user");
the foreign key from `recipient_id` to `body` is dropped, since a user is not a body.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# SQLite's foreign key from 0001 has no name; batch mode reflects it under this one.
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _fk_name() -> str:
    return "fk_outbox_recipient_id_body" if op.get_bind().dialect.name == "sqlite" else "outbox_recipient_id_fkey"


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None, naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint(_fk_name(), type_='foreignkey')
        batch_op.add_column(sa.Column('recipient_type', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default='body'))


def downgrade() -> None:
    op.execute("DELETE FROM outbox WHERE recipient_type = 'user'")
    with op.batch_alter_table('outbox', schema=None, naming_convention=NAMING) as batch_op:
        batch_op.drop_column('recipient_type')
        batch_op.create_foreign_key(_fk_name(), 'body', ['recipient_id'], ['id'])
