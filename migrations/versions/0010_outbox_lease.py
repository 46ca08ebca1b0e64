"""an outbox row being sent says by whom and since when (the lease), so two deliveries never both send it

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23

`claimed_by` is the process that marked the row "sending" (host:pid:start), `claimed_at` when.
Rows left "sending" before this revision have neither, and are taken over as before.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claimed_by')
