"""outbox keyed by document too; first attempt time; receipts of distributed documents

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

- The outbox key becomes (plan, document, recipient, kind, period): a correction issued under the
  same plan is a new document and is mailed again (the Message-ID is derived from this key).
  PostgreSQL treats NULL documents as equal in the key; SQLite relies on `Outbox.add_once`.
- `first_attempt_at`: the Date header of every attempt, so a resend is the same message.
- `receipt`: one per distribution message, the code its recipient confirms receipt with.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

OLD_KEY = ["plan_id", "recipient_id", "kind", "period_key"]
NEW_KEY = ["plan_id", "document_id", "recipient_id", "kind", "period_key"]
# SQLite's unique constraint from 0001 has no name; batch mode reflects it under this one.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _old_key_name() -> str:
    for constraint in sa.inspect(op.get_bind()).get_unique_constraints("outbox"):
        if constraint["column_names"] == OLD_KEY:
            return constraint["name"] or "uq_outbox_plan_id"
    raise RuntimeError("outbox: the unique constraint on (plan_id, recipient_id, kind, period_key) is missing")


def upgrade() -> None:
    old_key = _old_key_name()
    with op.batch_alter_table('outbox', schema=None, naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint(old_key, type_='unique')
        batch_op.create_unique_constraint('uq_outbox_key', NEW_KEY, postgresql_nulls_not_distinct=True)
        batch_op.add_column(sa.Column('first_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))

    op.create_table('receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('confirmed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('confirmed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], ),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], ),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], ),
    sa.ForeignKeyConstraint(['recipient_id'], ['body.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('outbox_id')
    )
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_plan_id'), ['plan_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_plan_id'))
    op.drop_table('receipt')
    op.execute("UPDATE outbox SET status = 'pending' WHERE status = 'sending'")
    with op.batch_alter_table('outbox', schema=None, naming_convention=NAMING) as batch_op:
        batch_op.drop_column('first_attempt_at')
        batch_op.drop_constraint('uq_outbox_key', type_='unique')
        batch_op.create_unique_constraint('uq_outbox_plan_id', OLD_KEY)
