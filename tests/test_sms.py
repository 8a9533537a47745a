"""Texts to customers (services/sms.py, services/sms_gateways.py): the real Alibaba Cloud and Tencent
Cloud SDK clients, and the signed HTTP gateway, talk to a local server that answers as the provider
does (sent, throttled, invalid number, too slow); nothing leaves the machine. A text goes through the
outbox like an e-mail: sent once, retried, its state on the case and on the administrator's page."""
from __future__ import annotations

import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from extensions import db
from models import ContactKind, NoticeKind, OutboxChannel, OutboxMessage, OutboxState, SmsTemplate
from services import notify, sms
from tests.helpers import register

MOBILE = "13800138000"
SECRET = "shared-secret"
# What each provider answers, by the outcome the test asks for: (HTTP status, JSON body).
ALIYUN = {
    "ok": (200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "r1"}),
    "throttled": (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发小时级流控Permits:5", "RequestId": "r2"}),
    "invalid": (200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": "r3"}),
}


def _tencent(code: str, message: str, serial: str = "") -> tuple[int, dict]:
    return 200, {"Response": {"SendStatusSet": [{"SerialNo": serial, "PhoneNumber": f"+86{MOBILE}", "Fee": 1,
                                                 "Code": code, "Message": message, "IsoCode": "CN"}],
                              "RequestId": "r"}}


TENCENT = {
    "ok": _tencent("Ok", "send success", "2645:1234567890"),
    "throttled": _tencent("LimitExceeded.PhoneNumberThirtySecondLimit", "the number is limited"),
    "invalid": _tencent("InvalidParameterValue.IncorrectPhoneNumber", "incorrect phone number"),
}
HTTP = {
    "ok": (200, {"code": "ok", "id": "bank-1"}),
    "throttled": (429, {"code": "throttled", "message": "slow down"}),
    "invalid": (400, {"code": "BAD_NUMBER", "message": "not a number we serve"}),
}


class Provider:
    """The local stand-in for a provider: answers each request with the next scripted outcome
    ("ok" once the script is spent) and keeps what it received."""

    def __init__(self):
        self.script: list[str] = []
        self.requests: list[dict] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outcome = provider.script.pop(0) if provider.script else "ok"
                if self.headers.get("x-acs-action"):
                    kind, answers = "aliyun", ALIYUN
                    fields = {key: values[0] for key, values in parse_qs(urlparse(self.path).query).items()}
                elif self.headers.get("X-TC-Action"):
                    kind, answers, fields = "tencent", TENCENT, json.loads(body)
                else:
                    kind, answers, fields = "http", HTTP, json.loads(body)
                    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                    fields["signed"] = hmac.compare_digest(self.headers.get("X-Signature", ""), expected)
                provider.requests.append({"kind": kind, "outcome": outcome, **fields})
                if outcome == "timeout":
                    time.sleep(1.5)
                    outcome = "ok"
                status, answer = answers[outcome]
                data = json.dumps(answer, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass   # the gateway gave up waiting, as the "timeout" outcome intends

            def log_message(self, *args):
                pass

        self.errors: list[str] = []

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                # Kept, not printed: formatting a traceback in this thread calls ast.parse, which
                # races the test's own (see tests/conftest.py, _serialised_ast_parse).
                provider.errors.append(repr(sys.exc_info()[1]))

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def sent(self) -> list[dict]:
        return [r for r in self.requests if r["outcome"] in ("ok", "timeout")]


@pytest.fixture(scope="module")
def local_provider():
    provider = Provider()
    yield provider
    provider.server.shutdown()
    assert provider.errors == [], "the local provider failed to answer"


@pytest.fixture
def provider(local_provider):
    local_provider.script.clear()
    local_provider.requests.clear()
    return local_provider


def use(app, provider: Provider, kind: str) -> None:
    """Switch the app to `kind`, pointed at the local server."""
    app.config.update(SMS_GATEWAY=kind, SMS_ENDPOINT=f"127.0.0.1:{provider.port}", SMS_PROTOCOL="http",
                      SMS_ACCESS_KEY_ID="test-id", SMS_ACCESS_KEY_SECRET="test-secret", SMS_SIGN_NAME="示范银行",
                      SMS_SDK_APP_ID="1400000001", SMS_REGION="ap-guangzhou", SMS_TIMEOUT=5,
                      SMS_HTTP_URL=f"http://127.0.0.1:{provider.port}/sms", SMS_HTTP_SECRET=SECRET)
    app.extensions.pop("sms_gateway", None)


def patient(app, seconds: float) -> None:
    """How long the gateway waits for an answer: short only where a test wants it to give up, as a
    busy CI machine can take more than half a second to answer even a quick request."""
    app.config["SMS_TIMEOUT"] = seconds
    app.extensions.pop("sms_gateway", None)


def acceptance_template(code: str = "SMS_4650001") -> None:
    db.session.add(SmsTemplate(kind=NoticeKind.ACCEPTANCE, code=code, params="number, tracking_code"))
    db.session.commit()


def texts() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == OutboxChannel.SMS)
                                   .order_by(OutboxMessage.id)))


def test_the_acceptance_notice_of_a_mobile_only_customer_reaches_alibaba_cloud(app, client_for, provider):
    use(app, provider, "aliyun")
    acceptance_template()
    complaint = register(client_for("staff1"), customer_contact="+86 138 0013 8000")
    assert provider.requests == [], "nothing is sent before the delivery job runs"

    assert notify.deliver_due() == {"sent": 1, "failed": 0, "dropped": 0}
    [request] = provider.requests
    assert request["PhoneNumbers"] == MOBILE and request["SignName"] == "示范银行"
    assert request["TemplateCode"] == "SMS_4650001"
    params = json.loads(request["TemplateParam"])
    assert params["number"] == complaint.number and len(params["tracking_code"]) == 11
    [text] = texts()
    assert text.state == OutboxState.SENT and text.provider_code == "900619746936498440^0"
    assert notify.deliver_due() == {"sent": 0, "failed": 0, "dropped": 0} and len(provider.requests) == 1   # once


def test_the_acceptance_notice_of_a_mobile_only_customer_reaches_tencent_cloud(app, client_for, provider):
    use(app, provider, "tencent")
    acceptance_template("1234567")
    complaint = register(client_for("staff1"), customer_contact=MOBILE)

    assert notify.deliver_due() == {"sent": 1, "failed": 0, "dropped": 0}
    [request] = provider.requests
    assert request["PhoneNumberSet"] == [f"+86{MOBILE}"] and request["SmsSdkAppId"] == "1400000001"
    assert request["TemplateId"] == "1234567" and request["TemplateParamSet"][0] == complaint.number
    assert texts()[0].provider_code == "2645:1234567890"


@pytest.mark.parametrize("kind", ["aliyun", "tencent", "http"])
def test_a_throttled_text_is_retried_later_without_counting_and_delivered_once(app, client_for, provider, clock,
                                                                               mailbox, kind):
    use(app, provider, kind)
    acceptance_template("1234567")
    provider.script[:] = ["throttled"]
    register(client_for("staff1"), customer_contact=MOBILE)

    assert notify.deliver_due() == {"sent": 0, "failed": 1, "dropped": 0}
    [text] = texts()
    assert text.state == OutboxState.PENDING and text.attempts == 0, "throttling is no fault of the text"
    assert text.provider_code in sms.THROTTLE_CODES
    assert notify.deliver_due() == {"sent": 0, "failed": 0, "dropped": 0}, "it waits its pause"
    clock.advance(minutes=1)
    assert notify.deliver_due() == {"sent": 1, "failed": 0, "dropped": 0}
    assert notify.deliver_due() == {"sent": 0, "failed": 0, "dropped": 0}
    assert [r["outcome"] for r in provider.requests] == ["throttled", "ok"] and len(provider.sent()) == 1
    assert texts()[0].state == OutboxState.SENT and texts()[0].attempts == 1


def test_a_text_still_throttled_after_a_day_is_given_up(app, client_for, provider, clock):
    use(app, provider, "aliyun")
    acceptance_template()
    register(client_for("staff1"), customer_contact=MOBILE)
    provider.script[:] = ["throttled"] * 100
    for _ in range(30):
        notify.deliver_due()
        clock.advance(hours=1)
    [text] = texts()
    assert text.state == OutboxState.FAILED and text.provider_code == "isv.BUSINESS_LIMIT_CONTROL"
    assert 24 <= len(provider.requests) <= 30, "no more than about one try an hour once it has waited"


INVALID_CODES = {"aliyun": "isv.MOBILE_NUMBER_ILLEGAL", "tencent": "InvalidParameterValue.IncorrectPhoneNumber",
                 "http": "BAD_NUMBER"}


@pytest.mark.parametrize("kind", ["aliyun", "tencent", "http"])
def test_an_invalid_number_fails_with_the_providers_code_and_holds_back_no_other_message(
        app, client_for, provider, mailbox, clock, kind):
    use(app, provider, kind)
    acceptance_template("1234567")
    register(client_for("staff1"), customer_contact=MOBILE)
    notify.queue_message("dept1@example.com", "部门通知", "正文")
    sms.queue_sms("13900139000", "第二条短信", "第二条", None, NoticeKind.ACCEPTANCE, {})
    db.session.commit()
    provider.script[:] = ["invalid"]

    assert notify.deliver_due() == {"sent": 2, "failed": 1, "dropped": 0}
    assert mailbox.to("dept1@example.com")
    first, second = texts()
    assert first.state == OutboxState.PENDING and first.attempts == 1
    assert first.provider_code == INVALID_CODES[kind]
    assert second.state == OutboxState.SENT
    for _ in range(notify.MAX_ATTEMPTS):
        provider.script[:] = ["invalid"]
        clock.advance(hours=1)
        notify.deliver_due()
    assert texts()[0].state == OutboxState.FAILED, "given up after the last attempt, for the administrator"


@pytest.mark.parametrize("kind", ["aliyun", "tencent", "http"])
def test_a_provider_too_slow_to_answer_holds_back_no_e_mail_and_the_text_waits(app, client_for, provider, mailbox,
                                                                               clock, kind):
    use(app, provider, kind)
    acceptance_template()
    register(client_for("staff1"), customer_contact=MOBILE)
    sms.queue_sms("13900139000", "第二条短信", "第二条", None, NoticeKind.ACCEPTANCE, {})
    notify.queue_message("dept1@example.com", "部门通知", "正文")
    db.session.commit()
    provider.script[:] = ["timeout"]
    # The server sleeps 1.5 s on "timeout"; Tencent's SDK waits whole seconds, at least one.
    patient(app, 0.5)

    assert notify.deliver_due() == {"sent": 1, "failed": 1, "dropped": 0}
    assert mailbox.to("dept1@example.com"), "the e-mail went out"
    first, second = texts()
    assert first.state == OutboxState.PENDING and first.provider_code == "unreachable"
    assert second.state == OutboxState.PENDING and second.attempts == 0, "not tried while the provider is away"
    patient(app, 5)
    clock.advance(minutes=1)
    assert notify.deliver_due() == {"sent": 2, "failed": 0, "dropped": 0}


def test_the_bank_gateway_receives_a_signed_request(app, provider):
    use(app, provider, "http")
    sms.queue_sms(MOBILE, "您的投诉已受理", "受理", None)
    db.session.commit()
    assert notify.deliver_due() == {"sent": 1, "failed": 0, "dropped": 0}
    [request] = provider.requests
    assert request["signed"] and request["phone"] == MOBILE and request["text"] == "您的投诉已受理"


def test_without_a_template_code_a_provider_text_fails_visibly(app, client_for, provider):
    use(app, provider, "aliyun")
    register(client_for("staff1"), customer_contact=MOBILE)
    assert notify.deliver_due() == {"sent": 0, "failed": 1, "dropped": 0}
    assert provider.requests == [] and texts()[0].provider_code == "no_template"


def test_the_case_and_the_outbox_page_show_how_a_text_went_and_the_administrator_retries_it(
        app, client_for, provider, clock):
    use(app, provider, "aliyun")
    acceptance_template()
    complaint = register(client_for("staff1"), customer_contact=MOBILE)
    provider.script[:] = ["invalid"]
    notify.deliver_due()
    [text] = texts()
    text.state = OutboxState.FAILED   # as after the last attempt
    db.session.commit()

    case = client_for("center1").get(f"/complaints/{complaint.id}").text
    assert 'data-testid="customer-deliveries"' in case and "isv.MOBILE_NUMBER_ILLEGAL" in case
    admin = client_for("admin")
    page = admin.get("/admin/outbox").text
    assert "isv.MOBILE_NUMBER_ILLEGAL" in page and "138****8000" in page
    assert admin.post(f"/admin/outbox/{text.id}/retry").status_code == 303
    assert notify.deliver_due() == {"sent": 1, "failed": 0, "dropped": 0}
    case = client_for("center1").get(f"/complaints/{complaint.id}").text
    assert "isv.MOBILE_NUMBER_ILLEGAL" not in case


def test_a_customer_who_left_only_a_landline_is_told_by_phone(app, client_for, provider):
    use(app, provider, "aliyun")
    acceptance_template()
    complaint = register(client_for("staff1"), customer_contact="010-6512 3456")
    assert notify.deliver_due() == {"sent": 0, "failed": 0, "dropped": 0} and texts() == []
    case = client_for("center1").get(f"/complaints/{complaint.id}").text
    assert 'data-testid="phone-call-needed"' in case and "需电话告知" in case
    by_mobile = register(client_for("staff1"), customer_contact=MOBILE)
    assert 'data-testid="phone-call-needed"' not in client_for("center1").get(f"/complaints/{by_mobile.id}").text
    overview = client_for("center1").get("/center/").text
    calls = overview.split('data-testid="phone-calls"')[1].split("</section>")[0]
    assert complaint.number in calls and complaint.customer_name in calls and by_mobile.number not in calls
    assert "已登记" in calls and "010-6512 3456" not in calls   # its state; the number masked


@pytest.mark.parametrize("contact, kind", [
    ("13800138000", ContactKind.MOBILE), ("+86 138-0013-8000", ContactKind.MOBILE),
    ("008613800138000", ContactKind.MOBILE), ("12800138000", ContactKind.OTHER),
    ("010-65123456", ContactKind.LANDLINE), ("(0755)8888 8888", ContactKind.LANDLINE),
    ("65123456", ContactKind.LANDLINE), ("400-820-8820", ContactKind.LANDLINE),
    ("li.na@example.net", ContactKind.EMAIL), ("微信 wangjg1980", ContactKind.OTHER),
])
def test_a_contact_is_typed(contact, kind):
    assert sms.contact_kind(contact) == kind


@pytest.mark.parametrize("length, parts", [(0, 0), (1, 1), (70, 1), (71, 2), (134, 2), (135, 3)])
def test_a_text_over_70_characters_goes_in_parts_of_67(length, parts):
    assert sms.segments("字" * length) == parts


def test_the_administrator_sets_the_provider_template_beside_the_notice_and_sees_its_length(app, client_for,
                                                                                             provider):
    admin = client_for("admin")
    page = admin.get("/admin/notice-templates/").text
    assert 'data-testid="sms-length"' in page and "js/sms-count.js" in page
    refused = admin.post("/admin/notice-templates/sms/acceptance", data={
        "sms-acceptance-code": "SMS 1", "sms-acceptance-params": "number, password"})
    assert refused.status_code == 422 and "SMS 1" in refused.text and "password" in refused.text
    saved = admin.post("/admin/notice-templates/sms/acceptance", data={
        "sms-acceptance-code": "SMS_4650001", "sms-acceptance-params": "number,tracking_code"})
    assert saved.status_code == 303
    assert admin.post("/admin/notice-templates/sms/nonsense", data={}).status_code == 404

    use(app, provider, "aliyun")
    register(client_for("staff1"), customer_contact=MOBILE)
    notify.deliver_due()
    [request] = provider.requests
    assert request["TemplateCode"] == "SMS_4650001" and list(json.loads(request["TemplateParam"])) == [
        "number", "tracking_code"]


def test_the_length_shown_counts_segments_of_the_text_a_notice_makes(app, client_for):
    admin = client_for("admin")
    short = admin.post("/admin/notice-templates/acceptance/zh_CN", data={
        "acceptance-zh_CN-subject": "受理", "acceptance-zh_CN-body": "编号{{ number }}"})
    assert short.status_code == 303
    page = admin.get("/admin/notice-templates/").text
    # 受理. 编号TS-20261130-0001: 22 characters, one message.
    assert "22 个字符，1 条短信" in page or "22 characters, 1 text message(s)" in page


def test_the_registration_form_takes_a_typed_contact(app, client_for, provider):
    from tests.conftest import complaint_form
    staff = client_for("staff1")
    wrong = staff.post("/intake/new", data=complaint_form(customer_contact="1280013800"))
    assert wrong.status_code == 422 and "请输入中国大陆手机号码" in wrong.text and "1280013800" in wrong.text
    by_wechat = register(staff, customer_contact="微信：wangjg1980")
    assert sms.contact_kind(by_wechat.customer_contact) == ContactKind.OTHER
    assert 'data-testid="phone-call-needed"' in client_for("center1").get(f"/complaints/{by_wechat.id}").text
    beside = register(staff, customer_contact="010-65123456", customer_mobile="13900139000")
    assert notify.deliver_due()["sent"] == 1, "the mobile number given beside the landline is texted"
    assert [t.to_addr for t in texts()] == ["13900139000"]
    assert 'data-testid="phone-call-needed"' not in client_for("center1").get(f"/complaints/{beside.id}").text


def test_a_misspelt_gateway_setting_keeps_the_texts_waiting(app, mailbox, clock):
    app.config["SMS_GATEWAY"] = "aliyn"
    app.extensions.pop("sms_gateway", None)
    sms.queue_sms(MOBILE, "您的投诉已受理", "受理", None)
    notify.queue_message("dept1@example.com", "部门通知", "正文")
    db.session.commit()
    assert notify.deliver_due() == {"sent": 1, "failed": 1, "dropped": 0} and mailbox.to("dept1@example.com")
    for _ in range(notify.MAX_ATTEMPTS + 2):
        clock.advance(hours=1)
        notify.deliver_due()
    [text] = texts()
    assert text.state == OutboxState.PENDING and text.provider_code == "unknown_gateway"


def test_the_migration_keeps_only_mobile_numbers_to_text(app, tmp_path):
    """Before contacts were typed, a landline was kept as the phone to text; after the upgrade it is
    no one's phone (the customer is told by phone) and a mobile is kept in its 11 digits."""
    from flask_migrate import upgrade
    from app import create_app
    from models import CustomerAccess
    from tests.test_health_and_schema import ONE_COMPLAINT_IN_THE_FIRST_SCHEMA, _fresh_database_url
    url, drop = _fresh_database_url(app, tmp_path, "migration_sms")
    migrated = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": app.config["REDIS_URL"]})
    second = ONE_COMPLAINT_IN_THE_FIRST_SCHEMA[-1].replace("(1, 'TS-20261124-0001', 't'",
                                                           "(2, 'TS-20261124-0002', 't2'")
    with migrated.app_context():
        upgrade(revision="c2f9a7e13b60")
        with db.engine.begin() as conn:
            for statement in ONE_COMPLAINT_IN_THE_FIRST_SCHEMA + [second]:
                conn.exec_driver_sql(statement)
            for complaint_id, phone in ((1, "010-65123456"), (2, "+86 138 0013 8000")):
                conn.exec_driver_sql(
                    "INSERT INTO customer_access (complaint_id, code_hash, phone, language, link_nonce, created_at) "
                    f"VALUES ({complaint_id}, 'h', '{phone}', 'zh_CN', 'n', '2026-11-24 01:05:00')")
        upgrade()
        phones = dict(db.session.execute(select(CustomerAccess.complaint_id, CustomerAccess.phone)).all())
        assert phones == {1: None, 2: MOBILE}
        db.session.remove()
        db.engine.dispose()
    drop()


@pytest.mark.parametrize("kind", ["aliyun", "tencent", "http"])
def test_a_provider_that_refuses_connections_is_taken_for_down(app, provider, kind):
    use(app, provider, kind)
    app.config.update(SMS_ENDPOINT="127.0.0.1:1", SMS_HTTP_URL="http://127.0.0.1:1/sms")
    acceptance_template()
    for n in range(2):
        sms.queue_sms(f"1390013900{n}", "您的投诉已受理", "受理", None, NoticeKind.ACCEPTANCE, {})
    db.session.commit()
    assert notify.deliver_due() == {"sent": 0, "failed": 1, "dropped": 0}, "the second is not tried against a server that is down"
    first, second = texts()
    assert first.provider_code == "unreachable" and first.state == OutboxState.PENDING
    assert second.attempts == 0


def test_a_survey_invitation_reaches_alibaba_cloud_with_the_survey_template(app, client_for, provider):
    """The survey's texts carry the provider template the administrator set for the survey notice:
    without one, Alibaba Cloud and Tencent Cloud would refuse them."""
    from services.demo import seed_demo
    from tests.conftest import _wipe
    _wipe()
    seed_demo("real-estate")
    admin = client_for("admin")
    assert 'id="sms-survey"' in admin.get("/admin/notice-templates/").text
    assert admin.post("/admin/notice-templates/sms/survey", data={
        "sms-survey-code": "SMS_7710001", "sms-survey-params": "customer_name, link"}).status_code == 303
    use(app, provider, "aliyun")
    center = client_for("crc1")
    made = center.post("/surveys/new", data={"title": "2026年下半年用户意见调查", "period_start": "2026-07-01",
                                             "period_end": "2026-12-31", "customers": f"李娜，{MOBILE}"})
    assert made.status_code == 303, made.text
    assert center.post(made.location.replace("http://localhost", "") + "/send").status_code == 303

    assert notify.deliver_due() == {"sent": 1, "failed": 0, "dropped": 0}
    [request] = provider.requests
    assert request["PhoneNumbers"] == MOBILE and request["TemplateCode"] == "SMS_7710001"
    params = json.loads(request["TemplateParam"])
    assert list(params) == ["customer_name", "link"] and params["customer_name"] == "李娜"
    assert "/survey/" in params["link"]
    [text] = texts()
    assert text.state == OutboxState.SENT and text.template_code == "SMS_7710001"


def test_the_bank_has_no_survey_notice(app, client_for):
    admin = client_for("admin")
    page = admin.get("/admin/notice-templates/").text
    assert 'id="sms-acceptance"' in page and 'id="sms-survey"' not in page
    assert admin.post("/admin/notice-templates/sms/survey", data={"sms-survey-code": "X"}).status_code == 404
