"""dates and revocation reasons: a holder's time zone, the days a badge states, why an award
was revoked

Revision ID: b6e1f4a9c2d7
Revises: 7f3b9d2e4c1a
Create Date: 2026-12-06 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b6e1f4a9c2d7'
down_revision = '7f3b9d2e4c1a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))
    with op.batch_alter_table('badges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issued_day', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('expires_day', sa.Date(), nullable=True))
    with op.batch_alter_table('awards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revocation_reason', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('awards', schema=None) as batch_op:
        batch_op.drop_column('revocation_reason')
    with op.batch_alter_table('badges', schema=None) as batch_op:
        batch_op.drop_column('expires_day')
        batch_op.drop_column('issued_day')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('timezone')
