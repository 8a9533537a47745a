"""/api/v1/: the channels' API. A key (Authorization: Bearer ck_…) instead of a session: no CSRF, no
cookie. Every call is rate-limited per key and written in the audit; every refusal is JSON."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Optional

from flask import current_app, g, jsonify, render_template, request, session
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

from blueprints.api import bp, schemas
from blueprints.api.errors import ApiError, error_response, field_messages
from blueprints.api.openapi import OPERATIONS, document, operation
from extensions import csrf, db, limiter
from extensions import gettext as _
from models import ApiKey, ApiScope, Complaint, ComplaintNature
from services import api_keys, audit, channel_api, clock, customer
from services.errors import Refused
from services.labels import CUSTOMER_STATE_LABELS

csrf.exempt(bp)   # keys, not cookies: nothing for a forged cross-site request to ride on
JSON_MAX_BYTES = 64 * 1024
UNKEYED = {"api.openapi", "api.docs"}


# ----------------------------------------------------------------------------- keys, limits, audit

def _presented_key() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _space, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def current_key() -> Optional[ApiKey]:
    """The active key of this request, looked up once."""
    if "api_key" not in g:
        g.api_key = api_keys.authenticate(_presented_key()) if _presented_key() else None
    return g.api_key


def _rate_key() -> str:
    # A wrong key counts against the caller's address, never against the key whose prefix it borrows.
    key = current_key() if request.endpoint not in UNKEYED else None
    return f"api-key:{key.id}" if key is not None else f"api-addr:{request.remote_addr}"


limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=_rate_key)(bp)


@bp.url_value_preprocessor
def limit_body_size(endpoint, _values):
    files = current_app.config["ATTACHMENT_MAX_BYTES"] if endpoint == "api.add_evidence" else 0
    request.max_content_length = JSON_MAX_BYTES + files


@bp.before_request
def require_key():
    if request.endpoint in UNKEYED:
        return None
    key = current_key()
    if key is None:
        return error_response(401)
    scope = OPERATIONS[request.endpoint].scope
    if scope is not None and not key.allows(scope):
        return error_response(403, "scope_missing", _("This key may not do that (it lacks the scope %(scope)s).",
                                                      scope=scope.value))
    return None


@bp.after_request
def audit_the_call(response):
    if request.endpoint in UNKEYED:
        return response
    key = g.get("api_key")
    try:
        db.session.rollback()   # whatever the view did not commit is not the audit's to keep
        if key is not None:
            key.last_used_at = clock.now()
        who = f"api key {key.prefix} ({key.channel.value})" if key is not None else "no valid api key"
        audit.record_api_call(f"{who} · {request.method} {request.path} → {response.status_code}",
                              {"status": [None, response.status_code]} | (
                                  {"complaint": [None, g.api_number]} if g.get("api_number") else {}))
        db.session.commit()
    except Exception:   # the answer stands even when the audit row cannot be written; the log says so
        current_app.logger.exception("api call not audited")
        try:
            db.session.rollback()
        except Exception:   # the database is gone: the pool reconnects at the next request
            pass
    session.modified = False
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    return error_response(error.status, error.code, error.message, error.fields)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    return error_response(error.code or 500)


@bp.errorhandler(Refused)
def refused(error: Refused):
    if error.message:
        return error_response(422, "file_refused", str(error.message), {error.field or "file": [str(error.message)]})
    return error_response(409, "complaint_closed", _("The complaint is closed: nothing can be added."))


# ----------------------------------------------------------------------------- helpers

def _answer(payload: dict, status: int = 200):
    response = jsonify(payload)
    response.status_code = status
    return response


def _json_body(model: type[BaseModel]) -> tuple[BaseModel, dict]:
    """The body, validated by `model`: 400 when it is not a JSON object, 422 with field messages."""
    if request.mimetype != "application/json":
        raise ApiError(400, "json_required", _("Send the body as application/json."))
    try:
        body = json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_json", _("The body is not valid JSON."))
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", _("The body must be a JSON object."))
    try:
        return model.model_validate(body), body
    except ValidationError as error:
        raise ApiError(422, "validation_failed", fields=field_messages(error))


def _utc(moment: Optional[datetime]) -> Optional[str]:
    return moment.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z") if moment else None


def _summary(complaint: Complaint) -> dict:
    return {"number": complaint.number, "channel": complaint.channel.value, "state": complaint.state.value,
            "state_label": str(CUSTOMER_STATE_LABELS[complaint.state]), "received_at": _utc(complaint.received_at),
            "closed_at": _utc(complaint.closed_at)}


def _complaint_or_404(number: str) -> Complaint:
    complaint = channel_api.visible(current_key(), number)
    if complaint is None:
        raise ApiError(404, "complaint_not_found", _("No complaint with this number was filed through this channel."))
    g.api_number = complaint.number
    return complaint


# ----------------------------------------------------------------------------- the operations

@bp.post("/complaints")
@operation("POST", "/complaints", "File a complaint for the center to assess", ApiScope.CREATE,
           {201: (schemas.ComplaintOut, "Filed; the customer gets the acceptance notice with a tracking code."),
            200: (schemas.ComplaintOut, "Filed before under this Idempotency-Key: the same complaint."),
            409: (None, "The complaint of this Idempotency-Key is being filed by a concurrent request."),
            422: (None, "Fields not valid, or the Idempotency-Key was used with another body."),
            503: (None, "Nobody in the key's unit can receive complaints.")},
           body=schemas.ComplaintIn, idempotent_create=True)
def create_complaint():
    idempotency_key = request.headers.get("Idempotency-Key", "").strip()
    if not idempotency_key or len(idempotency_key) > 200 or not idempotency_key.isprintable():
        raise ApiError(400, "idempotency_key_required",
                       _("Send an Idempotency-Key header (1 to 200 printable characters)."),
                       {"Idempotency-Key": [_("This header is required.")]})
    data, body = _json_body(schemas.ComplaintIn)
    if not data.mobile and not data.email:
        message = _("Give a mobile number or an e-mail address.")
        raise ApiError(422, "validation_failed", fields={"mobile": [message], "email": [message]})
    filing = channel_api.ApiComplaint(
        customer_name=data.customer_name, mobile=data.mobile, email=data.email, content=data.content,
        demand=data.demand, object_text=data.object_text, category_id=data.category_id,
        object_unit_id=data.object_unit_id, language=data.language, id_number=data.id_number, account=data.account,
        nature=ComplaintNature(data.nature))
    wrong = channel_api.check_references(filing)
    if wrong:
        raise ApiError(422, "validation_failed", fields={name: [message] for name, message in wrong.items()})
    try:
        complaint, created = channel_api.file_complaint(current_key(), idempotency_key,
                                                        channel_api.request_hash(body), filing)
    except channel_api.IdempotencyConflict:
        db.session.rollback()
        raise ApiError(422, "idempotency_key_reused",
                       _("This Idempotency-Key was used before with another request body."),
                       {"Idempotency-Key": [_("Used before with another body.")]})
    except channel_api.NoReceiver:
        db.session.rollback()
        raise ApiError(503, "no_receiver", _("Nobody in this key's unit can receive complaints."))
    db.session.commit()
    g.api_number = complaint.number
    response = _answer(_summary(complaint), 201 if created else 200)
    response.headers["Location"] = f"{request.path}/{complaint.number}"
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/complaints")
@operation("GET", "/complaints", "A customer's complaints filed through this channel, newest first", ApiScope.READ,
           {200: (schemas.ComplaintList, "At most 50 complaints."),
            422: (None, "The mobile number is not one.")},
           query=[("mobile", "The customer's mainland mobile number.")])
def list_complaints():
    mobile = channel_api.customer_mobile(request.args.get("mobile", "")[:32])
    if mobile is None:
        raise ApiError(422, "validation_failed", fields={"mobile": [_("Not a mainland mobile number.")]})
    return _answer({"complaints": [_summary(c) for c in channel_api.by_mobile(current_key(), mobile)]})


@bp.get("/complaints/<number>")
@operation("GET", "/complaints/{number}", "A complaint's status and the timeline its customer sees", ApiScope.READ,
           {200: (schemas.TimelineOut, "What the tracking page shows."),
            404: (None, "No such complaint filed through this channel.")})
def show_complaint(number: str):
    complaint = _complaint_or_404(number)
    channel_api.record_read(current_key(), complaint)
    payload = _summary(complaint) | {
        "commitments": [{"label": str(label), "due_at": _utc(due), "met_at": _utc(met)}
                        for label, due, met in customer.commitments(complaint)],
        "messages": [{"at": _utc(m.at), "direction": m.direction.value, "channel": m.channel, "subject": m.subject,
                      "body": m.body} for m in customer.messages(complaint)],
        "files": [{"name": a.original_name, "size": a.size} for a in customer.own_files(complaint)]}
    db.session.commit()
    return _answer(payload)


@bp.post("/complaints/<number>/information")
@operation("POST", "/complaints/{number}/information", "Add the customer's information", ApiScope.ADD,
           {201: (schemas.Added, "Added; the people handling the complaint are told."),
            404: (None, "No such complaint filed through this channel."),
            409: (None, "The complaint is closed."), 422: (None, "The text is not valid.")},
           body=schemas.InformationIn)
def add_information(number: str):
    complaint = _complaint_or_404(number)
    data, _body = _json_body(schemas.InformationIn)
    channel_api.add_information(current_key(), complaint, data.text)
    db.session.commit()
    return _answer({"number": complaint.number, "added": "information"}, 201)


@bp.post("/complaints/<number>/evidence")
@operation("POST", "/complaints/{number}/evidence", "Add an evidence file", ApiScope.ADD,
           {201: (schemas.Added, "Kept, after the same checks as every upload."),
            404: (None, "No such complaint filed through this channel."),
            409: (None, "The complaint is closed."),
            413: (None, "The file is too large."),
            422: (None, "No file, or a file of a type or size that is not accepted.")},
           upload=True)
def add_evidence(number: str):
    complaint = _complaint_or_404(number)
    file = request.files.get("file")
    if file is None:
        raise ApiError(422, "validation_failed", fields={"file": [_("This field is required.")]})
    try:
        channel_api.add_evidence(current_key(), complaint, file)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return _answer({"number": complaint.number, "added": "evidence"}, 201)


# ----------------------------------------------------------------------------- the document

@bp.get("/openapi.json")
@operation("GET", "/openapi.json", "This document", None, {200: (None, "The OpenAPI 3.1 document.")})
def openapi():
    return _answer(document())


@bp.get("/docs")
def docs():
    """The document as a page: no script, so it works under the strict CSP."""
    spec = document()
    operations = [(path, method.upper(), entry) for path, methods in spec["paths"].items()
                  for method, entry in methods.items()]
    return render_template("api/docs.html", spec=spec, operations=operations,
                           schemas=spec["components"]["schemas"])
