"""reviews with a life of their own, and plans linked to the higher plans they implement

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26

- `review`: a sơ kết / tổng kết report drafted from the roll-up (its snapshot), approved, issued
  (`document_id`) and distributed like a plan, with its own state.
- `plan_link`: a plan that implements a higher body's plan (`implements:` in its source),
  resolved to that plan when it is in the database.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('period_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], ),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_plan_id'), ['plan_id'], unique=False)
    op.create_table('plan_link',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('higher_plan_id', sa.Integer(), nullable=False),
    sa.Column('cited_as', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], ),
    sa.ForeignKeyConstraint(['higher_plan_id'], ['plan.id'], ),
    sa.PrimaryKeyConstraint('plan_id', 'higher_plan_id')
    )
    with op.batch_alter_table('plan_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_link_higher_plan_id'), ['higher_plan_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('plan_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_link_higher_plan_id'))
    op.drop_table('plan_link')
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_plan_id'))
    op.drop_table('review')
