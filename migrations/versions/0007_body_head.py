"""a body may name its head (thủ trưởng), who receives the overdue list when the body is late

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23

`body.head` is the user account of the head (set by `head:` in the organisation file); NULL when
none is named (the overdue list then goes to the body's own address only).
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('body', schema=None) as batch_op:
        batch_op.add_column(sa.Column('head', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('body', schema=None) as batch_op:
        batch_op.drop_column('head')
