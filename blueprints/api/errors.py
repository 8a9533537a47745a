"""Every refusal of the API as JSON: {"code", "message", "fields"}; never an HTML page."""
from __future__ import annotations

from flask import jsonify
from pydantic import ValidationError

from extensions import gettext as _

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "validation_failed",
         429: "rate_limited", 500: "server_error", 503: "unavailable"}


def _messages() -> dict:
    return {400: _("The request could not be read."), 401: _("A valid API key is required."),
            403: _("This key may not do that."), 404: _("No such resource."),
            405: _("This method is not allowed here."), 409: _("This conflicts with the complaint's current state."),
            413: _("The request is too large."), 422: _("Some fields are not valid."),
            429: _("Too many requests for this key. Try again later."),
            500: _("Something went wrong on our side."), 503: _("The service is unavailable. Try again later.")}


class ApiError(Exception):
    def __init__(self, status: int, code: str | None = None, message: str | None = None,
                 fields: dict | None = None):
        super().__init__(code)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


def error_response(status: int, code: str | None = None, message: str | None = None, fields: dict | None = None):
    response = jsonify(code=code or CODES.get(status, "error"),
                       message=message or _messages().get(status, ""), fields=fields or {})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def field_messages(error: ValidationError) -> dict[str, list[str]]:
    """pydantic's errors as {"field": [message, ...]}, in the caller's language where we have the words."""
    fields: dict[str, list[str]] = {}
    for item in error.errors(include_url=False, include_input=False):
        name = ".".join(str(part) for part in item["loc"]) or "body"
        fields.setdefault(name, []).append(_message(item))
    return fields


def _message(item: dict) -> str:
    kind, context = item["type"], item.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "string_too_short":
        return _("This field is required.")
    if kind == "string_too_long":
        return _("At most %(count)s characters.", count=context.get("max_length"))
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return _("Out of range.")
    if kind == "literal_error":
        return _("Not one of the allowed values: %(values)s.", values=context.get("expected", ""))
    if kind in ("string_type", "int_type", "model_type", "dict_type"):
        return _("Wrong type: expected %(type)s.", type={"string_type": "string", "int_type": "integer"}.get(
            kind, "object"))
    if kind == "value_error" and tuple(item["loc"]) == ("email",):
        return _("Enter a valid e-mail address, for example name@example.com.")
    if kind == "value_error":
        return str(context.get("error") or item["msg"])
    return item["msg"]
