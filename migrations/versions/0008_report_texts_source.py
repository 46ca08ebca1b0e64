"""report texts and source; a unit's request found by period

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23

- `report.texts`: what a unit wrote beside its figures, read back from its filled form (a note per
  target, the result and difficulties of each task, rows it added).
- `report.source`: the file the report came from (name and SHA-256), so that a dispute about what
  a unit sent can be settled against the file it kept.
- `outbox (plan_id, recipient_id, kind, period_key)`: a reminder finds the unit's request for
  reports of its period, to attach the unit's own form again.
Columns are added with ALTER TABLE ADD COLUMN, not by copying the table, so that the triggers that
keep `report` append-only (migration 0006) stay in place.
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('report', sa.Column('texts', sa.JSON(), nullable=True))
    op.add_column('report', sa.Column('source', sa.JSON(), nullable=True))
    op.create_index('ix_outbox_plan_recipient_kind_period', 'outbox', ['plan_id', 'recipient_id', 'kind', 'period_key'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_outbox_plan_recipient_kind_period', table_name='outbox')
    op.drop_column('report', 'source')  # ALTER TABLE DROP COLUMN: the table and its triggers stay
    op.drop_column('report', 'texts')
