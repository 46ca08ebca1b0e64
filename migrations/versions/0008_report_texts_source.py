"""report texts and source; reports append-only; a unit's request found by period

Revision ID: 0008
Revises: 0005
Create Date: 2026-11-23

- `report.texts`: what a unit wrote beside its figures, read back from its filled form (a note per
  target, the result and difficulties of each task, rows it added).
- `report.source`: the file the report came from (name and SHA-256), so that a dispute about what
  a unit sent can be settled against the file it kept.
- `outbox (plan_id, recipient_id, kind, period_key)`: a reminder finds the unit's request for
  reports of its period, to attach the unit's own form again.
- A correction is a new version: on SQLite, triggers refuse UPDATE and DELETE on `report`, as on
  the audit trail and the issued documents.
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('texts', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('source', sa.JSON(), nullable=True))
    op.create_index('ix_outbox_plan_recipient_kind_period', 'outbox', ['plan_id', 'recipient_id', 'kind', 'period_key'],
                    unique=False)
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER report_no_{verb.lower()} BEFORE {verb} ON report "
                f"BEGIN SELECT RAISE(ABORT, 'report is append-only: {verb} refused'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS report_no_{verb}")
    op.drop_index('ix_outbox_plan_recipient_kind_period', table_name='outbox')
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_column('source')
        batch_op.drop_column('texts')
