"""mastodon instance: the holder's Mastodon server, asked once when sharing a badge

Revision ID: 5a1e7c0d9b21
Revises: 0cce426de5c6
Create Date: 2026-11-21 14:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5a1e7c0d9b21'
down_revision = '0cce426de5c6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mastodon_instance', sa.String(length=253), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('mastodon_instance')
