"""register: corrections, replacements and withdrawals; what re-rendering needs; more append-only rules

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

- `document.corrects_id`, `document.correction`: a correction ("đính chính", a công văn) or a
  replacement ("thay thế", a new plan) is a new document with its own number referring to the old.
- `document.facts`: what a document was built from besides its plan (the corrections listed, the
  reports a review rolled up), so that it can be rendered again and compared byte for byte.
- `document_mark`: a later change of an issued document's standing (corrected, replaced,
  withdrawn with its reason); the document itself is never updated.
- SQLite triggers: `document_mark` and `report` are append-only like `document`, `document_copy`
  and `audit_event`; a register counter never goes back nor disappears (numbers are never
  reused); an issued plan's content, a period's dates and a document's facts never change.
  Columns are added with ALTER TABLE ADD COLUMN, not by copying the table, so the triggers of
  `document` stay in place.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

APPEND_ONLY = ("document_mark", "report")
GUARDS = {
    "register_counter_no_delete": "BEFORE DELETE ON register_counter",
    "register_counter_no_rewind": ("BEFORE UPDATE ON register_counter WHEN NEW.last_number < OLD.last_number "
                                   "OR NEW.body_id IS NOT OLD.body_id OR NEW.series IS NOT OLD.series"),
    "plan_issued_frozen": ("BEFORE UPDATE ON plan WHEN OLD.document_id IS NOT NULL AND ("
                           "NEW.content IS NOT OLD.content OR NEW.title IS NOT OLD.title "
                           "OR NEW.issuer_id IS NOT OLD.issuer_id OR NEW.document_id IS NOT OLD.document_id)"),
    "plan_issued_no_delete": "BEFORE DELETE ON plan WHEN OLD.document_id IS NOT NULL",
    "reporting_period_dates_frozen": ("BEFORE UPDATE ON reporting_period WHEN NEW.key IS NOT OLD.key "
                                      "OR NEW.label IS NOT OLD.label OR NEW.start IS NOT OLD.start "
                                      "OR NEW.\"end\" IS NOT OLD.\"end\" OR NEW.deadline IS NOT OLD.deadline "
                                      "OR NEW.plan_id IS NOT OLD.plan_id"),
}


def upgrade() -> None:
    op.add_column('document', sa.Column('corrects_id', sa.Integer(), nullable=True))
    op.add_column('document', sa.Column('correction', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.add_column('document', sa.Column('facts', sa.JSON(), nullable=True))
    op.create_index('ix_document_corrects_id', 'document', ['corrects_id'], unique=False)
    op.create_index('ix_document_sha256', 'document', ['sha256'], unique=False)
    op.create_table('document_mark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('by_document_id', sa.Integer(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], ),
    sa.ForeignKeyConstraint(['by_document_id'], ['document.id'], ),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_document_mark_document_id', 'document_mark', ['document_id'], unique=False)
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in APPEND_ONLY:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END")
    for name, when in GUARDS.items():
        op.execute(f"CREATE TRIGGER {name} {when} "
                   f"BEGIN SELECT RAISE(ABORT, '{name}: an issued record cannot be changed'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in GUARDS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        for table in APPEND_ONLY:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
    op.drop_index('ix_document_mark_document_id', table_name='document_mark')
    op.drop_table('document_mark')
    op.drop_index('ix_document_sha256', table_name='document')
    op.drop_index('ix_document_corrects_id', table_name='document')
    op.drop_column('document', 'facts')
    op.drop_column('document', 'correction')
    op.drop_column('document', 'corrects_id')
