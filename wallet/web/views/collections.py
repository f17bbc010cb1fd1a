"""The holder's collections: group badges under a name (Japanese and English), share the link."""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import request
from flask import url_for
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_login import login_required

from wallet.models import Collection
from wallet.services import collections
from wallet.web.rendering import redirect_to
from wallet.web.rendering import render_page
from wallet.web.visitors import signed_in_user

bp = Blueprint("collections", __name__)

FORM_TARGET = "collection-form"


def _problem_text(code: str) -> str:
    return {
        "name": _("Give the collection a name (in Japanese, English or both)."),
        "visibility": _("Choose who may see the collection."),
        "empty": _("Choose at least one badge."),
        "too_many": _("You have too many collections. Delete one first."),
    }.get(code, _("Please check what you entered."))


def _badge_ids() -> list[int]:
    ids = []
    for value in request.form.getlist("badge")[: collections.MAX_BADGES * 2]:
        if value.isdigit() and len(value) < 12:
            ids.append(int(value))
    return ids


def _form(
    collection: Collection | None, *, error: str | None = None, status: int = 200
) -> Response:
    user = signed_in_user()
    chosen = (
        [int(v) for v in request.form.getlist("badge") if v.isdigit() and len(v) < 12]
        if request.method == "POST"
        else [item.badge_id for item in collection.items]
        if collection is not None
        else []
    )
    values = {
        "name_ja": request.form.get("name_ja", collection.name_ja if collection else ""),
        "name_en": request.form.get("name_en", collection.name_en if collection else ""),
        "visibility": request.form.get(
            "visibility", collection.visibility if collection else "public"
        ),
    }
    page_url = None
    if collection is not None:
        page_url = current_app.config["BASE_URL"] + url_for(
            "collection_public.show", public_id=collection.public_id
        )
    return render_page(
        "collections/edit.html",
        block="collection_form",
        target=FORM_TARGET,
        status=status,
        collection=collection,
        badges=collections.choosable(user),
        chosen=set(chosen),
        values=values,
        error=error,
        page_url=page_url,
        max_badges=collections.MAX_BADGES,
    )


def _owned_or_404(public_id: str) -> Collection:
    collection = collections.get_owned(signed_in_user(), public_id)
    if collection is None:
        abort(404)
    return collection


@bp.get("/collections")
@login_required
def index() -> Response:
    """The holder's collections and a way to make a new one."""
    return render_page("collections/index.html", collections=collections.list_for(signed_in_user()))


@bp.get("/collections/new")
@login_required
def new() -> Response:
    """The form for a new collection."""
    return _form(None)


def _save(collection: Collection | None) -> Response:
    try:
        saved = collections.save(
            signed_in_user(),
            collection,
            name_ja=request.form.get("name_ja", ""),
            name_en=request.form.get("name_en", ""),
            badge_ids=_badge_ids(),
            visibility=request.form.get("visibility", ""),
        )
    except collections.CollectionProblem as problem:
        return _form(collection, error=_problem_text(problem.code), status=422)
    flash(_("The collection was saved."), "success")
    return redirect_to(url_for("collections.edit", public_id=saved.public_id))


@bp.post("/collections")
@login_required
def create() -> Response:
    """Make a collection of the chosen badges."""
    return _save(None)


@bp.get("/collections/<public_id>")
@login_required
def edit(public_id: str) -> Response:
    """One collection: its names, badges, who may see it, and its link."""
    return _form(_owned_or_404(public_id))


@bp.post("/collections/<public_id>")
@login_required
def update(public_id: str) -> Response:
    """Save changes to a collection."""
    return _save(_owned_or_404(public_id))


@bp.post("/collections/<public_id>/delete")
@login_required
def delete(public_id: str) -> Response:
    """Delete a collection (the badges stay in the wallet)."""
    collections.delete(_owned_or_404(public_id))
    flash(_("The collection was deleted. Its badges are still in your wallet."), "success")
    return redirect_to(url_for("collections.index"))
