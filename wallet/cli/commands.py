"""Every operator command group, attached to the app's Flask CLI (`wallet --help` lists them)."""

from __future__ import annotations

from flask import Flask

from wallet.cli import backup
from wallet.cli import badges
from wallet.cli import demo
from wallet.cli import documents
from wallet.cli import expiry
from wallet.cli import issuing
from wallet.cli import portal
from wallet.cli import reverify
from wallet.cli import users
from wallet.cli import worker


def register(app: Flask) -> None:
    """Attach the operator commands to the app's CLI."""
    for command in (
        users.users,
        badges.badges_group,
        reverify.reverify_command,
        expiry.expiry_reminders_command,
        documents.documents_group,
        issuing.issuers_group,
        issuing.achievements_group,
        issuing.award_command,
        portal.operators_group,
        portal.awards_group,
        portal.reminders_command,
        demo.demo_command,
        backup.backup_command,
        backup.restore_command,
        worker.worker_command,
        worker.jobs_group,
    ):
        app.cli.add_command(command)
