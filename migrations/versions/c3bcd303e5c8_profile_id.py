"""profile id: a stable random id for each holder's public profile page (/u/<profile_id>)

Revision ID: c3bcd303e5c8
Revises: d385caa929d3
Create Date: 2026-11-21 13:26:04.064072

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3bcd303e5c8'
down_revision = 'd385caa929d3'
branch_labels = None
depends_on = None

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def _new_id():
    # Same shape as wallet.models.new_public_id, copied so the migration never changes with the app.
    return secrets.choice(ALPHABET[:26]) + "".join(secrets.choice(ALPHABET) for _ in range(19))


def upgrade():
    # Nullable first, then a random id for every existing row, then NOT NULL + UNIQUE.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('profile_id', sa.String(length=32), nullable=True))

    connection = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('profile_id', sa.String))
    ids = connection.execute(sa.select(users.c.id).where(users.c.profile_id.is_(None))).scalars().all()
    seen = set()
    for user_id in ids:
        value = _new_id()
        while value in seen:
            value = _new_id()
        seen.add(value)
        connection.execute(users.update().where(users.c.id == user_id).values(profile_id=value))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('profile_id', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_users_profile_id'), ['profile_id'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_profile_id'), type_='unique')
        batch_op.drop_column('profile_id')
