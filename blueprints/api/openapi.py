"""The OpenAPI 3.1 document, made from the operations the routes declare and the pydantic models
that validate their bodies: what the document says is what the API checks."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from pydantic import BaseModel

from blueprints.api import schemas
from models import ApiScope

API_VERSION = "1.0.0"


@dataclass
class Operation:
    endpoint: str
    method: str
    path: str                               # OpenAPI form: /complaints/{number}
    summary: str
    scope: Optional[ApiScope]
    responses: dict[int, tuple[Optional[type[BaseModel]], str]]
    body: Optional[type[BaseModel]] = None
    upload: bool = False                    # multipart/form-data with one `file`
    query: list[tuple[str, str]] = field(default_factory=list)   # (name, description), required strings
    idempotent_create: bool = False


OPERATIONS: dict[str, Operation] = {}
REFUSALS = {400: "The body is not JSON, or a header is missing.", 401: "No key, or a wrong or revoked one.",
            403: "The key lacks the scope.", 429: "Too many requests for this key."}


def operation(method: str, path: str, summary: str, scope: Optional[ApiScope], responses: dict, **extra):
    def register(view):
        endpoint = f"api.{view.__name__}"
        OPERATIONS[endpoint] = Operation(endpoint, method.lower(), path, summary, scope, responses, **extra)
        return view
    return register


def _schema_of(model: type[BaseModel], components: dict, mode: str) -> dict:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _parameters(op: Operation) -> list[dict]:
    parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string", "maxLength": 32}}
                  for name in _path_names(op.path)]
    parameters += [{"name": name, "in": "query", "required": True, "description": description,
                    "schema": {"type": "string", "maxLength": 32}} for name, description in op.query]
    if op.idempotent_create:
        parameters.append({
            "name": "Idempotency-Key", "in": "header", "required": True,
            "description": "Chosen by the caller, 1 to 200 printable characters. The same key with the same "
                           "body gives the same complaint (200); with another body, 422 idempotency_key_reused.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 200}})
    return parameters


def _path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def document() -> dict:
    components: dict = {}
    error = _schema_of(schemas.Error, components, "serialization")
    paths: dict = {}
    for op in sorted(OPERATIONS.values(), key=lambda o: (o.path, o.method)):
        entry = {"operationId": op.endpoint.split(".", 1)[1], "summary": op.summary, "responses": {}}
        if op.scope is not None:
            entry["description"] = f"Scope: `{op.scope.value}`."
        else:
            entry["security"] = []
        parameters = _parameters(op)
        if parameters:
            entry["parameters"] = parameters
        if op.body is not None:
            entry["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": _schema_of(op.body, components, "validation")}}}
        if op.upload:
            upload = {"type": "object", "required": ["file"], "properties": {"file": {
                "type": "string", "format": "binary",
                "description": "A photo (JPEG, PNG), PDF or recording (MP3, M4A, WAV, AMR)."}}}
            entry["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": upload}}}
        for status, (model, description) in sorted(op.responses.items()):
            response = {"description": description}
            if model is not None:
                response["content"] = {"application/json": {"schema": _schema_of(model, components, "serialization")}}
            entry["responses"][str(status)] = response
        if op.scope is not None:
            for status, description in REFUSALS.items():
                if status != 400 or op.method == "post":
                    entry["responses"].setdefault(str(status), {"description": description})
            entry["responses"] = dict(sorted(entry["responses"].items()))
        for status, response in entry["responses"].items():
            if int(status) >= 400:
                response["content"] = {"application/json": {"schema": error}}
        paths.setdefault(op.path, {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "Complaints API for channels", "version": API_VERSION,
                 "description": "For the hotline system, the mobile app, the mini-program and partners. Each "
                                "caller has its own key (Authorization: Bearer ck_…), made by the administrator; "
                                "the key decides the complaint's channel and the unit that receives it."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"apiKey": []}],
        "paths": paths,
        "components": {"schemas": components,
                       "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer",
                                                      "description": "A channel's API key, ck_<prefix>_<secret>."}}},
    }
