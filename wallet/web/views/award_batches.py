"""An uploaded CSV being awarded: its progress page, its steps, its refused lines."""

from __future__ import annotations

from flask import Blueprint
from flask import url_for
from flask.wrappers import Response

from wallet.models import AwardBatch
from wallet.services.issuing import batches as award_batches
from wallet.services.issuing import claims
from wallet.services.issuing.refused import refused_csv
from wallet.web import htmx
from wallet.web.forms import ConfirmForm
from wallet.web.issuing_access import batch_or_404
from wallet.web.issuing_access import portal_members_only
from wallet.web.rendering import redirect_to
from wallet.web.rendering import render_page

bp = Blueprint("award_batches", __name__, url_prefix="/issuing")
bp.before_request(portal_members_only)

PROGRESS_TARGET = "batch-progress"


def _page(batch: AwardBatch) -> Response:
    """Render the progress page, or only its progress block for htmx."""
    problems = award_batches.problems(batch)
    return render_page(
        "issuing/batch.html",
        block="progress",
        target=PROGRESS_TARGET,
        batch=batch,
        problems=problems,
        downloadable=any(p.fields for p in problems),
        awarded=award_batches.awarded(batch) if batch.finished_at else [],
        background=award_batches.in_background(),
    )


@bp.get("/batches/<batch_id>")
def show(batch_id: str) -> Response:
    """How far the batch is: lines in the file, badges awarded, lines refused, people awarded."""
    return _page(batch_or_404(batch_id))


@bp.post("/batches/<batch_id>/step")
def step(batch_id: str) -> Response:
    """Award the next lines for a few seconds (htmx asks again until the batch is done)."""
    batch = batch_or_404(batch_id, "award")
    if ConfirmForm().validate_on_submit():
        award_batches.step(batch, notify=claims.send_notice)
    if htmx.is_htmx():
        return _page(batch)
    return redirect_to(url_for("award_batches.show", batch_id=batch.public_id))


@bp.get("/batches/<batch_id>/refused.csv")
def refused(batch_id: str) -> Response:
    """The refused lines as a CSV file to correct and upload again (a problem column added)."""
    batch = batch_or_404(batch_id)
    body = refused_csv(award_batches.header(batch), award_batches.problems(batch))
    response = Response(body, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="refused-lines.csv"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
