"""The customers' opinion survey (用户意见调查表): the service center's rounds and their summaries,
and the customer's answer page (no login, a personal link). Off, and 404, where the profile does
not keep `survey`."""
from flask import Blueprint, abort, current_app, request

from services import surveys
from services.labels import SURVEY_ITEM_LABELS, SURVEY_SCORE_LABELS

bp = Blueprint("surveys", __name__)
bp.add_app_template_global(SURVEY_ITEM_LABELS, "SURVEY_ITEM_LABELS")
bp.add_app_template_global(SURVEY_SCORE_LABELS, "SURVEY_SCORE_LABELS")


@bp.app_template_global()
def surveys_kept() -> bool:
    """For the navigation: the survey's menu entry only where the profile keeps it."""
    return surveys.enabled()


@bp.url_value_preprocessor
def limit_public_body(endpoint, _values):
    # The customer's answer is a few numbers and a comment: no larger body, as on the other public forms.
    if endpoint == "surveys.answer":
        request.max_content_length = current_app.config["PUBLIC_MAX_UPLOAD"]
        request.max_form_memory_size = current_app.config["PUBLIC_MAX_UPLOAD"]


@bp.before_request
def only_where_kept():
    if not surveys.enabled():
        abort(404)


from blueprints.surveys import routes  # noqa: E402,F401
