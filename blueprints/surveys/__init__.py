"""The customers' opinion survey (用户意见调查表): the service center's rounds and their summaries,
and the customer's answer page (no login, a personal link). Off, and 404, where the profile does
not keep `survey`."""
from flask import Blueprint, abort

from services import surveys
from services.labels import SURVEY_ITEM_LABELS, SURVEY_SCORE_LABELS

bp = Blueprint("surveys", __name__)
bp.add_app_template_global(SURVEY_ITEM_LABELS, "SURVEY_ITEM_LABELS")
bp.add_app_template_global(SURVEY_SCORE_LABELS, "SURVEY_SCORE_LABELS")


@bp.app_template_global()
def surveys_kept() -> bool:
    """For the navigation: the survey's menu entry only where the profile keeps it."""
    return surveys.enabled()


@bp.before_request
def only_where_kept():
    if not surveys.enabled():
        abort(404)


from blueprints.surveys import routes  # noqa: E402,F401
