"""Suggestions (建议) where the organisation keeps them (the hotline's 客户投诉/建议信息登记处理单): asked
for at registration, handled by the complaints' flow, counted apart; nowhere else."""
from __future__ import annotations

from sqlalchemy import select

from extensions import db
from models import Complaint, ComplaintNature, ComplaintState, CustomerMessage
from services.demo import seed_demo
from tests.conftest import Client, _wipe, complaint_form
from tests.helpers import answer, capa_signed_off, category_id, dispatch, fresh, give_result, register, visit

ADDRESS = {"x_address": "人民路12号3单元"}


def signed_in(app, username: str) -> Client:
    client = Client(app)
    assert client.login(username).status_code == 303
    return client


def hotline() -> None:
    _wipe()
    seed_demo("hotline")


def hotline_case(client, nature: str, about: str) -> Complaint:
    return register(client, nature=nature, category=str(category_id("billing")), object_text=about, **ADDRESS)


def notices(complaint) -> list[str]:
    return list(db.session.scalars(select(CustomerMessage.subject).where(CustomerMessage.complaint_id == complaint.id)
                                   .order_by(CustomerMessage.id)))


def test_a_hotline_suggestion_is_handled_like_a_complaint_and_counted_apart(app):
    hotline()
    center = signed_in(app, "hotline1")
    form = center.get("/intake/new").text
    assert 'name="nature" type="radio" value="suggestion"' in form and ">投诉/建议<" in form
    assert 'checked id="nature-0" name="nature" type="radio" value="complaint"' in form   # a complaint by default
    complaint = hotline_case(center, "complaint", "燃气表走字过快")
    suggestion = hotline_case(center, "suggestion", "建议开通线上缴费渠道")
    assert (complaint.nature, suggestion.nature) == (ComplaintNature.COMPLAINT, ComplaintNature.SUGGESTION)
    assert {d.kind for d in suggestion.deadlines} == {d.kind for d in complaint.deadlines}   # the same clocks
    # The customer hears that their suggestion (not a complaint) was registered.
    assert notices(suggestion) == [f"96296热线已受理您的建议 {suggestion.number}"]
    assert notices(complaint) == [f"96296热线已受理您的投诉 {complaint.number}"]

    assert dispatch(signed_in(app, "csdhead"), suggestion, "METER").status_code == 303
    meter = signed_in(app, "meter1")
    assert answer(meter, suggestion).status_code == 303
    # The hotline's department files its 纠正及预防措施记录表 and the 分管领导 signs it off first.
    capa_signed_off(meter, signed_in(app, "vp"), suggestion)
    assert give_result(center, suggestion).status_code == 303
    assert visit(signed_in(app, "csdhead"), suggestion).status_code == 303   # not the handler: a colleague
    done = fresh(suggestion)
    assert done.state == ComplaintState.CLOSED and done.handling_unit.code == "METER"

    page = center.get(f"/complaints/{suggestion.id}").text
    assert "<h1>建议 " in page and 'data-testid="nature">建议<' in page
    assert 'data-testid="nature">投诉<' in center.get(f"/complaints/{complaint.id}").text
    printed = center.get(f"/ledger/{suggestion.id}/print").text
    assert "<h1>客户投诉/建议信息登记处理单</h1>" in printed and 'data-testid="nature">建议<' in printed

    report = center.get("/reports/?period=2026-11").text
    assert 'data-testid="received">1<' in report     # the complaint alone
    assert 'data-testid="suggestions">1<' in report
    assert "受理建议（单独统计，不计入以上数字）" in center.get("/reports/monthly?period=2026-11").text

    found = center.get("/ledger/?nature=suggestion").text
    assert suggestion.number in found and complaint.number not in found and "投诉/建议" in found
    every = center.get("/ledger/").text
    assert suggestion.number in every and complaint.number in every
    exported = center.post("/ledger/export?nature=suggestion", data={"fmt": "csv"})
    rows = exported.data.decode("utf-8-sig").splitlines()
    assert rows[0].split(",")[:2] == ["投诉编号", "投诉/建议"] and len(rows) == 2
    assert rows[1].split(",")[:2] == [suggestion.number, "建议"]


def test_a_hotline_form_with_an_unknown_nature_is_refused_with_the_text_kept(app):
    hotline()
    center = signed_in(app, "hotline1")
    before = db.session.query(Complaint).count()
    response = center.post("/intake/new", data=complaint_form(
        nature="praise", category=str(category_id("billing")), object_text="燃气表走字过快", **ADDRESS))
    assert response.status_code == 422
    assert "燃气表走字过快" in response.text and "王建国" in response.text
    assert db.session.query(Complaint).count() == before


def test_the_bank_asks_no_such_question_and_ignores_a_forged_one(app, client_for):
    staff = client_for("staff1")
    form = staff.get("/intake/new").text
    assert 'name="nature"' not in form and "投诉/建议" not in form
    complaint = register(staff, nature="suggestion")   # forged: not on the bank's form
    assert complaint.nature == ComplaintNature.COMPLAINT
    assert notices(complaint) == [f"您的投诉已受理：{complaint.number}"]
    page = staff.get(f"/complaints/{complaint.id}").text
    assert 'data-testid="nature"' not in page and "<h1>投诉 " in page
    assert register(staff, nature="praise").nature == ComplaintNature.COMPLAINT   # never a 500
    printed = staff.get(f"/ledger/{complaint.id}/print").text
    assert "客户投诉/建议信息登记处理单" not in printed
    ledger = staff.get("/ledger/?nature=suggestion")   # no such filter: the parameter is ignored
    assert ledger.status_code == 200 and complaint.number in ledger.text and 'name="nature"' not in ledger.text
    report = client_for("center1").get("/reports/?period=2026-11").text
    assert 'data-testid="suggestions"' not in report


# ----------------------------------------------------------------------------- from the customer's side

def test_a_hotline_customer_chooses_suggestion_on_the_public_form(app):
    from tests.test_public import public_client, web_form
    hotline()
    customer = public_client(app)
    form = customer.get("/complain").text
    assert 'name="nature" type="radio" value="suggestion"' in form and "投诉/建议" in form
    before = db.session.query(Complaint).count()
    refused = customer.post("/complain", data=web_form(nature="praise", category=str(category_id("billing")),
                                                       branch="0", object_text="建议开通线上缴费渠道"))
    assert refused.status_code == 422 and "建议开通线上缴费渠道" in refused.text
    assert db.session.query(Complaint).count() == before
    filed = customer.post("/complain", data=web_form(nature="suggestion", category=str(category_id("billing")),
                                                     branch="0", object_text="建议开通线上缴费渠道"))
    assert filed.status_code == 200, filed.text
    db.session.expire_all()
    suggestion = db.session.scalar(select(Complaint).order_by(Complaint.id.desc()).limit(1))
    assert suggestion.nature == ComplaintNature.SUGGESTION
    assert notices(suggestion) == [f"96296热线已受理您的建议 {suggestion.number}"]


def test_the_bank_public_form_asks_no_such_question_and_ignores_a_forged_one(app):
    from tests.test_public import file_online, public_client
    customer = public_client(app)
    assert 'name="nature"' not in customer.get("/complain").text
    complaint, _ = file_online(customer, nature="suggestion")
    assert complaint.nature == ComplaintNature.COMPLAINT


def _api(app, unit: str):
    from services import api_keys
    from models import ApiChannel, ApiScope, Unit
    from tests.test_api import Api
    _row, key = api_keys.create_key("热线系统", ApiChannel.HOTLINE, list(ApiScope),
                                    db.session.scalar(select(Unit).where(Unit.code == unit)))
    db.session.commit()
    return Api(app, key)


def test_the_channel_api_files_a_suggestion_where_they_are_kept(app):
    from tests.test_api import body
    hotline()
    api = _api(app, "CSD")
    wrong = api.file(body(category_id=category_id("billing"), nature="praise"), "call-0")
    assert wrong.status_code == 422 and "nature" in wrong.json["fields"]
    filed = api.file(body(category_id=category_id("billing"), nature="suggestion",
                          object_text="建议开通线上缴费渠道"), "call-1")
    assert filed.status_code == 201, filed.json
    complaint = db.session.scalar(select(Complaint).where(Complaint.number == filed.json["number"]))
    assert complaint.nature == ComplaintNature.SUGGESTION
    plain = api.file(body(category_id=category_id("billing")), "call-2")
    assert db.session.scalar(select(Complaint.nature).where(Complaint.number == plain.json["number"])) \
        == ComplaintNature.COMPLAINT


def test_the_bank_api_refuses_a_suggestion(app):
    from tests.test_api import body
    api = _api(app, "CSC")
    before = db.session.query(Complaint).count()
    refused = api.file(body(nature="suggestion"))
    assert refused.status_code == 422 and refused.json["code"] == "validation_failed"
    assert list(refused.json["fields"]) == ["nature"]
    assert db.session.query(Complaint).count() == before
    assert api.file(body(nature="complaint")).status_code == 201


def _mail(subject: str, sender: str = "li.na@example.cn") -> bytes:
    from email.message import EmailMessage
    from email.utils import make_msgid
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "complaints@example.com", subject
    message["Message-ID"] = make_msgid(domain="example.cn")
    message.set_content("希望增加网上缴费和电子发票。")
    return message.as_bytes()


def test_an_e_mail_whose_subject_starts_with_suggestion_is_a_suggestion_at_the_hotline(app):
    from services import mail_intake
    hotline()
    taken = [mail_intake.take(_mail(subject)) for subject in ("建议：开通线上缴费", "【建议】增加电子发票",
                                                              "燃气表走字过快，建议赔偿")]
    db.session.commit()
    natures = [db.session.get(Complaint, t.complaint_id).nature for t in taken]
    assert natures == [ComplaintNature.SUGGESTION, ComplaintNature.SUGGESTION, ComplaintNature.COMPLAINT]


def test_an_e_mail_starting_with_suggestion_is_a_complaint_at_the_bank(app):
    from services import mail_intake
    taken = mail_intake.take(_mail("建议：增开窗口"))
    db.session.commit()
    assert taken.outcome == mail_intake.COMPLAINT
    assert db.session.get(Complaint, taken.complaint_id).nature == ComplaintNature.COMPLAINT
