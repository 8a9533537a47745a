"""Penalty proposals (处罚意见): proposed from the case page, decided and executed by the assessment unit."""
from flask import Blueprint

bp = Blueprint("penalties", __name__)

from blueprints.penalties import routes  # noqa: E402,F401
