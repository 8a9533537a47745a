from flask import Blueprint

bp = Blueprint("statistics_sheet", __name__)

from blueprints.statistics_sheet import routes  # noqa: E402,F401
