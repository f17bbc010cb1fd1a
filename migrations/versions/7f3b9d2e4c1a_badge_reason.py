"""badge reason: why the last verification of a badge is not valid, for every page to say

Revision ID: 7f3b9d2e4c1a
Revises: 01a5b3f72f2a
Create Date: 2026-12-06 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7f3b9d2e4c1a'
down_revision = '01a5b3f72f2a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('badges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason_json', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('badges', schema=None) as batch_op:
        batch_op.drop_column('reason_json')
