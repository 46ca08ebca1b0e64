"""indexes for the lookups delivery makes per message and per receipt

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

- `receipt (document_id, recipient_id)`: each distribution message and receipt reminder looks up
  its recipient's receipt code; without it every message read the whole receipt table, which
  grows by one row per message distributed.
- `outbox (document_id, recipient_id, kind)`: the receipt reminders look up the last reminder
  queued for a document and a recipient (the outbox key begins with the plan, so its unique
  index does not serve this).
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_receipt_document_recipient', 'receipt', ['document_id', 'recipient_id'], unique=False)
    op.create_index('ix_outbox_document_recipient_kind', 'outbox', ['document_id', 'recipient_id', 'kind'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_outbox_document_recipient_kind', table_name='outbox')
    op.drop_index('ix_receipt_document_recipient', table_name='receipt')
