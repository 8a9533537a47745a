"""Each profile's own steps, through the pages: the severity criteria the organisation applies (offered
with its descriptions, the others refused, the major decision following them), its own fields corrected
on the case page, the real estate's general manager told of every complaint, and the insurer's
transfer table, category by category, dispatched and answered."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from extensions import db
from models import ComplaintEvent, ComplaintState, OutboxMessage
from services import notify, org_settings, profiles
from services.demo import seed_demo
from services.routing import suggested_department
from tests.conftest import complaint_form
from tests.helpers import answer, category_id, dispatch, fresh, register, version_of
from tests.test_profiles import WALKS, empty_database, required_fields, signed_in

REGISTER_CHECKBOXES = re.compile(r'data-testid="criterion-(\w+)"')


def reclassify_boxes(page: str) -> list[str]:
    return re.findall(r'id="reclassify-(collective|litigation|media|compensation)" name=', page)


def profile(app, name: str) -> None:
    empty_database()
    seed_demo(name)


# 1. The profile's severity criteria

@pytest.mark.parametrize("name, registrar, offered", [
    ("bank", "staff1", ["collective", "litigation", "media", "compensation"]),
    ("hotline", "hall1", ["collective", "media"]),
    ("manufacturer", "mkt1", ["litigation", "compensation"]),
    ("retail", "store1", ["collective", "media", "compensation"]),
])
def test_the_registration_form_offers_the_profiles_criteria_with_its_descriptions(app, name, registrar, offered):
    if name != "bank":
        profile(app, name)
    page = signed_in(app, registrar).get("/intake/new").text
    assert REGISTER_CHECKBOXES.findall(page) == offered
    for item in profiles.load(name)["severity"]:
        if item["criterion"] in offered:
            assert item["description"] in page
    assert ('data-testid="collective-count"' in page) is ("collective" in offered)


def test_a_criterion_the_profile_lacks_is_refused_with_the_typed_text_kept(app):
    profile(app, "hotline")   # no litigation, no compensation
    client = signed_in(app, "hall1")
    form = complaint_form(category=str(category_id("supply")), object_text="片区停气三天无人处理",
                          litigation="y", **required_fields("hotline"))
    refused = client.post("/intake/new", data=form)
    assert refused.status_code == 422
    assert "片区停气三天无人处理" in refused.text and "本单位不以此认定重大投诉" in refused.text
    assert db.session.scalar(select(OutboxMessage.id)) is None   # nothing registered, nobody told
    # The criteria it applies make the complaint major and are announced.
    complaint = register(client, category=str(category_id("supply")), object_text="片区停气三天无人处理",
                         media="y", **required_fields("hotline"))
    assert complaint.is_major and complaint.media
    assert "vp@example.com" in db.session.scalars(select(OutboxMessage.to_addr)).all()   # 分管领导, as major


def test_the_reclassification_offers_and_refuses_as_the_profile_says(app):
    profile(app, "manufacturer")   # litigation, compensation, repeated
    complaint = register(signed_in(app, "mkt1"), category=str(category_id("product_quality")),
                         object_text="压缩机异响", **required_fields("manufacturer"))
    manager = signed_in(app, "mkt_mgr")
    page = manager.get(f"/complaints/{complaint.id}?actions=all").text
    assert reclassify_boxes(page) == ["litigation", "compensation"]
    assert "客户提出索赔或退货赔偿" in page   # the organisation's own words for the criterion
    data = {"level": complaint.level, "category": complaint.category_id, "kind": "routine",
            "reason": "客户补充说明", "version": version_of(manager, complaint.id)}
    refused = manager.act(complaint.id, "reclassify", {**data, "media": "y", "reason": "媒体来电询问"})
    assert refused.status_code == 422 and "媒体来电询问" in refused.text
    assert "本单位不以此认定重大投诉" in refused.text and not fresh(complaint).media
    assert manager.act(complaint.id, "reclassify", {**data, "compensation": "y"}).status_code == 303
    assert fresh(complaint).is_major


def test_repeats_make_no_complaint_major_where_the_profile_does_not_count_them(app):
    profile(app, "manufacturer")
    org = org_settings.current()
    org.records = {**org.records, "severity": [{"criterion": "litigation"}]}   # an organisation without repeats
    db.session.commit()
    client = signed_in(app, "mkt1")
    made = [register(client, category=str(category_id("product_quality")), object_text="同一批次压缩机异响",
                     customer_contact=f"1380013800{n}", **required_fields("manufacturer")) for n in range(4)]
    assert not any(fresh(c).is_major or fresh(c).repeated for c in made)
    assert 'data-testid="criterion-compensation"' not in client.get("/intake/new").text


# 2. The organisation's own fields corrected on the case page

def test_the_extra_fields_are_corrected_on_the_case_page_and_the_timeline_says_old_and_new(app):
    profile(app, "insurer")
    counter = signed_in(app, "counter1")
    complaint = register(counter, category=str(category_id("claims")), object_text="住院理赔迟迟未到账",
                         x_policy_number="P-100", x_claim_number="C-1")
    page = counter.get(f"/complaints/{complaint.id}?actions=all").text
    assert 'id="action-fields"' in page and 'name="fields-x_policy_number" value="P-100"' in page
    version = version_of(counter, complaint.id)
    # Checked as at registration: the required policy number cannot be blanked; the typed text stays.
    refused = counter.act(complaint.id, "fields", {"x_policy_number": "", "x_claim_number": "C-2-typed",
                                                   "version": version})
    assert refused.status_code == 422 and 'value="C-2-typed"' in refused.text
    assert fresh(complaint).extra == {"policy_number": "P-100", "claim_number": "C-1"}
    saved = counter.act(complaint.id, "fields", {"x_policy_number": "P-200", "x_claim_number": "",
                                                 "version": version})
    assert saved.status_code == 303
    assert fresh(complaint).extra == {"policy_number": "P-200"}
    page = counter.get(f"/complaints/{complaint.id}").text
    assert "更正了补充字段" in page and "保单号：P-100 → P-200" in re.sub(r"<[^>]+>", "", page)
    assert "理赔案号：C-1 → —" in re.sub(r"<[^>]+>", "", page)
    event = db.session.scalars(select(ComplaintEvent).where(ComplaintEvent.action == "extra_corrected")).one()
    assert event.actor.username == "counter1"
    # A form loaded before that change is refused (409) with what was typed kept.
    stale = counter.act(complaint.id, "fields", {"x_policy_number": "P-300", "version": version})
    assert stale.status_code == 409 and 'value="P-300"' in stale.text
    assert fresh(complaint).extra == {"policy_number": "P-200"}


def test_only_the_registering_unit_and_the_center_correct_the_fields_while_the_case_is_open(app):
    profile(app, "insurer")
    complaint = register(signed_in(app, "counter1"), category=str(category_id("claims")),
                         object_text="理赔金额有误", x_policy_number="P-1")
    center = signed_in(app, "center1")
    assert 'id="action-fields"' in center.get(f"/complaints/{complaint.id}?actions=all").text
    assert center.act(complaint.id, "fields", {"x_policy_number": "P-2", "version": version_of(center, complaint.id)}
                      ).status_code == 303
    dispatch(center, complaint, "CLAIMS")
    claims = signed_in(app, "claims1")
    assert 'id="action-fields"' not in claims.get(f"/complaints/{complaint.id}?actions=all").text
    assert claims.act(complaint.id, "fields", {"x_policy_number": "P-3", "version": fresh(complaint).version}
                      ).status_code == 403
    assert fresh(complaint).extra["policy_number"] == "P-2"


def test_the_bank_without_fields_offers_no_correction(client_for):
    staff = client_for("staff1")
    complaint = register(staff)
    assert 'id="action-fields"' not in staff.get(f"/complaints/{complaint.id}?actions=all").text


# 3. The real estate's general manager told of every complaint

def test_the_real_estate_general_manager_is_told_of_every_complaint_once(app, mailbox):
    profile(app, "real-estate")
    desk = signed_in(app, "sales_desk")
    form = dict(category=str(category_id("pre_promise")), object_text="样板间承诺的赠送面积未兑现",
                **required_fields("real-estate"))
    complaint = register(desk, **form)
    assert not complaint.is_major
    notify.deliver_due()
    [mail] = mailbox.to("gm@example.com")
    assert complaint.number in mail["Subject"] and "样板间承诺的赠送面积未兑现" in mail["Subject"]
    assert "每一件新投诉都会告知您" in mail.get_body(("plain",)).get_content()
    # A major one: told once, as major (not twice).
    major = register(desk, **{**form, "object_text": "交付延期业主要求赔偿", "compensation": "y"})
    notify.deliver_due()
    about_major = [m for m in mailbox.to("gm@example.com") if major.number in m["Subject"]]
    assert len(about_major) == 1 and "重大投诉" in about_major[0]["Subject"]
    assert len(mailbox.to("gm@example.com")) == 2
    assert '新投诉已报告<span class="detail">唐宏</span>' in desk.get(f"/complaints/{complaint.id}").text


def test_the_bank_leader_hears_only_of_major_complaints(client_for, mailbox):
    register(client_for("staff1"))
    notify.deliver_due()
    assert mailbox.to("leader1@example.com") == []


# 4. The insurer's transfer table, category by category, through the pages

INSURER_TABLE = WALKS["insurer"][1]   # category, what it is about, the department of the transfer table
HANDLERS = {"UW": "uw1", "CLAIMS": "claims1", "POS": "pos1", "COMP": "comp1", "FIN": "fin1"}


def test_the_insurers_categories_are_dispatched_to_their_departments_and_answered_there(app):
    profile(app, "insurer")
    counter, center = signed_in(app, "counter1"), signed_in(app, "center1")
    assert {category for category, _about, _unit in INSURER_TABLE} == {
        "underwriting", "claims", "preservation", "mis_selling", "surrender", "premium"}
    for category, about, unit in INSURER_TABLE:
        complaint = register(counter, category=str(category_id(category)), object_text=about,
                             **required_fields("insurer"))
        page = center.get(f"/complaints/{complaint.id}").text
        suggested = suggested_department(complaint).unit
        assert suggested.code == unit, category
        # The dispatch form proposes the category's department.
        assert re.search(rf'<option selected value="{suggested.id}">|<option value="{suggested.id}" selected',
                         page), category
        assert dispatch(center, complaint, unit).status_code == 303
        handler = signed_in(app, HANDLERS[unit])
        assert complaint.number in handler.get("/department/").text, category
        assert answer(handler, complaint).status_code == 303
        answered = fresh(complaint)
        assert answered.state == ComplaintState.ANSWERED and answered.handling_unit.code == unit
        assert answered.latest_answer.author.username == HANDLERS[unit]


def test_the_leader_flag_is_a_record_of_the_real_estate_only_and_must_be_true_or_false(tmp_path):
    assert profiles.load("real-estate")["records"]["leader_told_of_every_complaint"] is True
    assert "leader_told_of_every_complaint" not in profiles.load("bank")["records"]
    text = (profiles.PROFILE_DIR / "real-estate.yaml").read_text(encoding="utf-8")
    (tmp_path / "mine.yaml").write_text(text.replace("leader_told_of_every_complaint: true",
                                                     "leader_told_of_every_complaint: always"), encoding="utf-8")
    with pytest.raises(profiles.ProfileError) as refused:
        profiles.load("mine", tmp_path)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "leader_told_of_every_complaint" in row)
    assert refused.value.line == line and refused.value.reason == "must be true or false"
