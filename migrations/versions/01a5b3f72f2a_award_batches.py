"""award batches: an uploaded CSV awarded a few rows per request

Revision ID: 01a5b3f72f2a
Revises: 5a1e7c0d9b21
Create Date: 2026-11-21 16:45:49.100335

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '01a5b3f72f2a'
down_revision = '5a1e7c0d9b21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('award_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('achievement_id', sa.Integer(), nullable=False),
    sa.Column('rows_json', sa.Text(), nullable=False),
    sa.Column('problems_json', sa.Text(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('created_count', sa.Integer(), nullable=False),
    sa.Column('existing_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['achievement_id'], ['achievements.id'], name=op.f('fk_award_batches_achievement_id_achievements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_batches')),
    sa.UniqueConstraint('public_id', name=op.f('uq_award_batches_public_id'))
    )
    with op.batch_alter_table('award_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_batches_achievement_id'), ['achievement_id'], unique=False)



def downgrade():
    with op.batch_alter_table('award_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_batches_achievement_id'))

    op.drop_table('award_batches')
