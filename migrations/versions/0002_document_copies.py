"""document copies: each recipient's copy of an issued document

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

The request for reports (công văn) is one numbered document; each executing unit receives its
own copy with its report form annexed. Copies are append-only, like the documents they copy.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('document_copy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], ),
    sa.ForeignKeyConstraint(['recipient_id'], ['body.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('document_id', 'recipient_id')
    )
    with op.batch_alter_table('document_copy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_copy_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_copy_sha256'), ['sha256'], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER document_copy_no_{verb.lower()} BEFORE {verb} ON document_copy "
                f"BEGIN SELECT RAISE(ABORT, 'document_copy is append-only: {verb} refused'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS document_copy_no_{verb}")
    with op.batch_alter_table('document_copy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_copy_sha256'))
        batch_op.drop_index(batch_op.f('ix_document_copy_document_id'))
    op.drop_table('document_copy')
