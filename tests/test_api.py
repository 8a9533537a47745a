"""The channels' API (/api/v1/): keys made by the administrator, complaints filed once per
Idempotency-Key and assessed by the center, what the customer sees, and every refusal as JSON."""
from __future__ import annotations

import contextvars
import io
import json
import re

import pytest
from hypothesis import given, strategies as st
from openapi_spec_validator import validate
from sqlalchemy import func, select

from blueprints.api.schemas import ComplaintIn
from extensions import db
from models import (AdminAuditEntry, ApiChannel, ApiFiling, ApiKey, ApiScope, Attachment, Channel, Complaint,
                    ComplaintState, Unit, User)
from services import api_keys
from tests.helpers import category_id, unit_id, user
from tests.test_fuzz import FUZZ
from tests.conftest import POSTGRES_URL
from tests.test_database_restart import proxied  # noqa: F401  (a fixture)
from tests.test_matrix import PNG
from tests.test_public import body_of, delivered

ALL_SCOPES = list(ApiScope)


def make_key(channel=ApiChannel.HOTLINE, scopes=ALL_SCOPES, unit="CSC") -> str:
    _row, key = api_keys.create_key(f"{channel.value} system", channel, scopes,
                                    db.session.scalar(select(Unit).where(Unit.code == unit)))
    db.session.commit()
    return key


def body(**changes) -> dict:
    data = {"customer_name": "李秀英", "mobile": "139 1234 5678", "email": "li@example.com",
            "content": "App 转账失败但扣款，客服电话一直占线。", "demand": "退回扣款并说明原因。",
            "object_text": "手机银行转账", "category_id": category_id("system_app")}
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


class Isolated:
    """The test client, each request in a context of its own (see tests.conftest.Client): no shared `g`."""

    def __init__(self, app):
        self.client = app.test_client()

    def __getattr__(self, method):
        def request(*args, **kwargs):
            def request_and_read():
                response = getattr(self.client, method)(*args, **kwargs)
                response.get_data()
                return response
            return contextvars.Context().run(request_and_read)
        return request


class Api:
    """A channel's system calling with its key."""

    def __init__(self, app, key: str | None):
        self.http, self.key = Isolated(app), key

    def headers(self, idempotency_key=None) -> dict:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def file(self, data: dict, idempotency_key: str = "call-1"):
        return self.http.post("/api/v1/complaints", json=data, headers=self.headers(idempotency_key))

    def get(self, url: str, **kwargs):
        return self.http.get(f"/api/v1{url}", headers=self.headers(), **kwargs)

    def post(self, url: str, **kwargs):
        return self.http.post(f"/api/v1{url}", headers=self.headers(), **kwargs)


@pytest.fixture
def attachments_dir(app, tmp_path):
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "attachments")


def test_a_hotline_files_once_per_idempotency_key_and_the_center_assesses_it(app, client_for, mailbox):
    admin = client_for("admin")
    page = admin.post("/admin/api-keys", data={"name": "热线系统", "channel": "hotline", "scopes": ["create", "read"],
                                               "unit": str(unit_id("CSC"))})
    assert page.status_code == 200
    key = re.search(r"<code>(ck_[0-9a-f]{12}_[A-Za-z0-9_-]{43})</code>", page.text).group(1)
    assert key not in admin.get("/admin/api-keys").text          # shown once
    stored = db.session.scalar(select(ApiKey))
    assert key not in (stored.secret_hash, stored.prefix) and stored.secret_hash == api_keys._hash(key)

    api = Api(app, key)
    first = api.file(body(), "hotline-20261124-0001")
    assert first.status_code == 201, first.json
    number = first.json["number"]
    assert first.json["channel"] == "hotline" and first.headers["Location"].endswith(number)
    assert "Set-Cookie" not in first.headers

    again = api.file(body(), "hotline-20261124-0001")
    assert again.status_code == 200 and again.json["number"] == number
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 1

    reused = api.file(body(content="另一件事"), "hotline-20261124-0001")
    assert reused.status_code == 422 and reused.json["code"] == "idempotency_key_reused"
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 1

    complaint = db.session.scalar(select(Complaint))
    assert complaint.channel == Channel.HOTLINE and complaint.owner == user("center1")
    assert complaint.customer_mobile == "13912345678" and complaint.state == ComplaintState.REGISTERED
    assert number in client_for("center1").get("/center/").text
    [acceptance] = delivered(mailbox, "li@example.com")          # with the tracking code
    assert number in acceptance["Subject"] and re.search(r"[A-Z2-9]{5}-[A-Z2-9]{5}", body_of(acceptance))

    calls = db.session.scalars(select(AdminAuditEntry).where(AdminAuditEntry.action == "api_call")).all()
    assert len(calls) == 3 and all(stored.prefix in call.target for call in calls)
    assert "→ 422" in calls[-1].target
    assert "api_key_created" in {e.action for e in db.session.scalars(select(AdminAuditEntry))}
    assert stored.prefix in client_for("admin").get("/audit/?source=admin").text


def test_refusals_are_json_with_a_code_and_field_messages(app, client_for):
    key = make_key()
    api = Api(app, key)
    assert Api(app, None).file(body()).status_code == 401
    wrong = Api(app, key[:-4] + "AAAA").file(body())
    assert wrong.status_code == 401 and wrong.json["code"] == "unauthorized"
    assert "WWW-Authenticate" in wrong.headers

    reader = Api(app, make_key(ApiChannel.APP, [ApiScope.READ]))
    refused = reader.file(body())
    assert refused.status_code == 403 and refused.json["code"] == "scope_missing"

    missing = api.http.post("/api/v1/complaints", json=body(), headers=api.headers())
    assert missing.status_code == 400 and missing.json["code"] == "idempotency_key_required"
    not_json = api.http.post("/api/v1/complaints", data="{nope", content_type="application/json",
                             headers=api.headers("x"))
    assert not_json.status_code == 400 and not_json.json["code"] == "invalid_json"

    bad = api.file(body(customer_name="", mobile="12345", category_id="3", colour="red", email=None))
    assert bad.status_code == 422 and bad.json["code"] == "validation_failed"
    assert set(bad.json["fields"]) == {"customer_name", "mobile", "category_id", "colour"}
    unreachable = api.file(body(mobile=None, email=None))
    assert unreachable.status_code == 422 and set(unreachable.json["fields"]) == {"mobile", "email"}
    unknown = api.file(body(category_id=999999))
    assert unknown.status_code == 422 and "category_id" in unknown.json["fields"]
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 0

    assert api.get("/nowhere").json["code"] == "not_found"
    assert api.http.put("/api/v1/complaints", headers=api.headers()).status_code == 405

    # Revoked on the admin page (with its CSRF token): refused from the next call on.
    admin = client_for("admin")
    row = db.session.scalar(select(ApiKey).where(ApiKey.prefix == key.split("_")[1]))
    assert admin.post(f"/admin/api-keys/{row.id}/revoke", csrf=False).status_code == 400
    assert admin.post(f"/admin/api-keys/{row.id}/revoke").status_code == 303
    assert api.file(body()).status_code == 401


def test_line_breaks_in_single_line_fields_become_spaces_at_input(app):
    # The name and the object reach e-mail subjects and exported cells: kept on one line, as the
    # web forms keep them, so the same text is filed the same way whichever door it came through.
    api = Api(app, make_key())
    filed = api.file(body(customer_name="李\r\n秀英\u2028", object_text="手机银行\r\nX-Probe: 1\x0b转账"))
    assert filed.status_code == 201, filed.json
    complaint = db.session.scalar(select(Complaint))
    assert (complaint.customer_name, complaint.object_text) == ("李 秀英", "手机银行 X-Probe: 1 转账")
    nothing = api.file(body(customer_name="\r\n"), "call-2")
    assert nothing.status_code == 422 and set(nothing.json["fields"]) == {"customer_name"}


@pytest.mark.one_backend
def test_each_key_has_its_own_rate_limit(app):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    hotline, partner = Api(app, make_key()), Api(app, make_key(ApiChannel.PARTNER))
    answers = [hotline.get("/complaints?mobile=13912345678").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = hotline.get("/complaints?mobile=13912345678")
    assert limited.json["code"] == "rate_limited"
    assert partner.get("/complaints?mobile=13912345678").status_code == 200    # another key, its own count
    # A wrong secret behind a real prefix counts against its sender, not against the key.
    app.config["API_RATE_LIMIT"] = "5 per minute"
    impostor = Api(app, partner.key[:-4] + "AAAA")
    assert [impostor.get("/complaints").status_code for _ in range(6)][-1] == 429
    assert partner.get("/complaints?mobile=13912345678").status_code == 200


def test_the_channel_reads_the_customers_timeline_and_adds_information_and_evidence(app, attachments_dir, clock):
    api = Api(app, make_key(ApiChannel.MINI_PROGRAM))
    number = api.file(body()).json["number"]
    other = api.file(body(mobile="13800001111", email=None), "call-2").json["number"]

    added = api.post(f"/complaints/{number}/information", json={"text": "补充：扣款时间为 11 月 23 日 20:15。"})
    assert added.status_code == 201
    evidence = api.post(f"/complaints/{number}/evidence", data={"file": (io.BytesIO(PNG), "回单.png")},
                        content_type="multipart/form-data")
    assert evidence.status_code == 201, evidence.json
    not_evidence = api.post(f"/complaints/{number}/evidence", data={"file": (io.BytesIO(b"MZ\x90\x00"), "a.exe")},
                            content_type="multipart/form-data")
    assert not_evidence.status_code == 422 and "file" in not_evidence.json["fields"]
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 1

    timeline = api.get(f"/complaints/{number}")
    assert timeline.status_code == 200
    shown = timeline.json
    assert shown["state"] == "registered" and shown["channel"] == "mini_program"
    assert shown["received_at"].endswith("Z") and shown["commitments"]
    assert [m["direction"] for m in shown["messages"]] == ["out", "in"]     # the acceptance, then the addition
    assert shown["messages"][1]["channel"] == "mini_program" and "20:15" in shown["messages"][1]["body"]
    assert shown["files"] == [{"name": "回单.png", "size": len(PNG)}]

    mine = api.get("/complaints", query_string={"mobile": "13912345678"}).json["complaints"]
    assert [c["number"] for c in mine] == [number]
    assert api.get("/complaints", query_string={"mobile": "123"}).status_code == 422

    # Another channel reads nothing of these: they do not exist for it.
    app_key = Api(app, make_key(ApiChannel.APP))
    assert app_key.get(f"/complaints/{number}").status_code == 404
    assert app_key.get("/complaints", query_string={"mobile": "13912345678"}).json == {"complaints": []}
    assert app_key.post(f"/complaints/{other}/information", json={"text": "x"}).status_code == 404

    complaint = db.session.scalar(select(Complaint).where(Complaint.number == number))
    complaint.state = ComplaintState.CLOSED
    db.session.commit()
    closed = api.post(f"/complaints/{number}/information", json={"text": "还有一件事"})
    assert closed.status_code == 409 and closed.json["code"] == "complaint_closed"


@pytest.mark.one_backend
def test_the_keys_unit_receives_and_without_anyone_there_nothing_is_filed(app):
    api = Api(app, make_key(unit="IT"))           # the IT department's staff may register complaints
    assert api.file(body()).status_code == 201
    complaint = db.session.scalar(select(Complaint))
    assert complaint.unit_id == unit_id("IT") and complaint.owner.unit_id == unit_id("IT")

    for account in db.session.scalars(select(User).where(User.unit_id == unit_id("IT"))):
        account.active = False
    db.session.commit()
    refused = api.file(body(), "call-2")
    assert refused.status_code == 503 and refused.json["code"] == "no_receiver"
    assert db.session.scalar(select(func.count()).select_from(ApiFiling)) == 1


@pytest.mark.one_backend
def test_the_openapi_document_is_valid_and_made_from_the_validating_schemas(app):
    client = Isolated(app)
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    document = response.json
    validate(document)
    created = document["paths"]["/complaints"]["post"]
    assert {"201", "200", "400", "401", "403", "422", "429"} <= set(created["responses"])
    schema = document["components"]["schemas"]["ComplaintIn"]
    assert schema == ComplaintIn.model_json_schema(ref_template="#/components/schemas/{model}")   # the validator's own
    assert schema["properties"]["customer_name"]["maxLength"] == 100 and schema["additionalProperties"] is False
    assert set(schema["required"]) == {"customer_name", "content", "demand", "object_text", "category_id"}

    page = client.get("/api/v1/docs")
    # Plain HTML: no script but the layout's own files (no Swagger UI, nothing inline).
    assert page.status_code == 200
    assert re.findall(r"<script[^>]*>", page.text) == re.findall(r'<script src="/static/[^"]+" defer>', page.text)
    assert "基础地址：<code>http" in page.text or "：<code>" in page.text      # the address as code, not escaped
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    for path, methods in document["paths"].items():
        for method in methods:
            assert f"{method.upper()} /api/v1{path}" in page.text


@pytest.mark.one_backend
def test_bad_bodies_never_cause_a_server_error(app):
    api = Api(app, make_key())
    json_values = st.recursive(st.none() | st.booleans() | st.integers(min_value=-2**80, max_value=2**80)
                               | st.floats() | st.text(max_size=50),
                               lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                          max_size=3), max_leaves=8)
    fields = st.sampled_from(list(ComplaintIn.model_fields) + ["x"])

    @FUZZ
    @given(st.dictionaries(fields, json_values | st.just("x" * 70_000), max_size=6), st.binary(max_size=200),
           st.text(max_size=300))
    def never_a_server_error(data, raw, idempotency_key):
        for response in (
                api.http.post("/api/v1/complaints", data=json.dumps(body(**data)), content_type="application/json",
                              headers=api.headers("fuzz-" + idempotency_key.encode("ascii", "replace").decode())),
                api.http.post("/api/v1/complaints", data=raw, content_type="application/json",
                              headers=api.headers("raw")),
                api.post("/complaints/2026/information", json=data),
                api.get("/complaints", query_string={"mobile": idempotency_key})):
            assert response.status_code < 500, response.text
            assert response.is_json and (response.status_code < 400 or response.json["code"])
    never_a_server_error()
    deep = "[" * 50_000 + "]" * 50_000
    assert api.http.post("/api/v1/complaints", data=deep, content_type="application/json",
                         headers=api.headers("deep")).status_code in (400, 413)



@pytest.mark.skipif(POSTGRES_URL is None, reason="needs PostgreSQL")
def test_while_the_database_is_down_the_api_answers_503_json_and_files_the_retry_once(proxied):  # noqa: F811
    app, proxy = proxied
    data = body()
    api = Api(app, make_key())          # its commit hands the test's connection back before the cut
    proxy.cut()
    down = api.file(data, "during-outage")
    assert down.status_code == 503 and down.json["code"] == "unavailable" and down.headers["Retry-After"]
    proxy.restore()
    assert api.file(data, "during-outage").status_code == 201
    assert api.file(data, "during-outage").status_code == 200
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 1


@pytest.mark.one_backend
def test_a_signed_in_browser_gets_no_door_and_no_cookie_from_the_api(app, client_for):
    center = client_for("center1")
    response = center.get("/api/v1/complaints?mobile=13912345678")
    assert response.status_code == 401 and "Set-Cookie" not in response.headers
    assert center.post("/api/v1/complaints", data={"customer_name": "x"}).status_code == 401
    assert center.get("/center/").status_code == 200        # the session itself is untouched
