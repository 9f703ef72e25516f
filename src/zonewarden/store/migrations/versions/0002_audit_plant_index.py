"""audit: index on (plant, seq), so a plant's newest change is one index lookup

The web app keys its cache of rendered pages by the newest audit row of the plant (every change to a
plant appends one), and asks for it on every page.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.create_index("ix_audit_plant_seq", ["plant", "seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_plant_seq")
