"""An uploaded CSV being awarded: its progress page, and the steps that move it on."""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import url_for
from flask.wrappers import Response

from wallet.models import AwardBatch
from wallet.services.issuing import batches as award_batches
from wallet.services.issuing import claims
from wallet.web import htmx
from wallet.web.forms import ConfirmForm
from wallet.web.rendering import redirect_to
from wallet.web.rendering import render_page
from wallet.web.views.issuing import operators_only

bp = Blueprint("award_batches", __name__, url_prefix="/issuing")
bp.before_request(operators_only)

PROGRESS_TARGET = "batch-progress"


def _batch_or_404(batch_id: str) -> AwardBatch:
    batch = award_batches.get(batch_id)
    if batch is None:
        abort(404)
    return batch


def _page(batch: AwardBatch) -> Response:
    """Render the progress page, or only its progress block for htmx."""
    return render_page(
        "issuing/batch.html",
        block="progress",
        target=PROGRESS_TARGET,
        batch=batch,
        problems=award_batches.problems(batch),
        background=award_batches.in_background(),
    )


@bp.get("/batches/<batch_id>")
def show(batch_id: str) -> Response:
    """How far the batch is: lines done, badges awarded, lines refused."""
    return _page(_batch_or_404(batch_id))


@bp.post("/batches/<batch_id>/step")
def step(batch_id: str) -> Response:
    """Award the next lines for a few seconds (htmx asks again until the batch is done)."""
    batch = _batch_or_404(batch_id)
    if ConfirmForm().validate_on_submit():
        award_batches.step(batch, notify=claims.send_notice)
    if htmx.is_htmx():
        return _page(batch)
    return redirect_to(url_for("award_batches.show", batch_id=batch.public_id))
