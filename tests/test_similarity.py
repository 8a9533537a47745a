"""Similar complaints (相似投诉) and the early warning of concentrated complaints (集中投诉预警)."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select, update

from extensions import db
from models import (AdminAuditEntry, Complaint, ComplaintKind, ComplaintState, Incident, OutboxMessage, WaveAlert,
                    WaveAlertMember)
from services import jobs, org_settings, textsim
from tests.helpers import all_at_once, category_id, executed, fresh, register

# One outage (the mobile banking app), told by each customer in their own words.
WAVE = [
    ("staff1", "counter", "13800000001", "手机银行登录不上，一直提示系统繁忙，想给家里转账都转不了。", "手机银行"),
    ("staff2", "phone", "13800000002", "今天上午用手机银行APP转账，登录时一直转圈，最后提示系统繁忙。", "手机银行APP"),
    ("center1", "hotline", "13800000003", "从九点开始手机银行就登录失败，提示系统繁忙请稍后再试，耽误了还款。", "手机银行"),
    ("staff1", "web", "13800000004", "打开手机银行客户端登录失败，显示系统繁忙，换了网络也不行。", "手机银行客户端"),
    ("staff2", "counter", "13800000005", "手机银行一直提示系统繁忙，登录不了，只好来网点排队办转账。", "手机银行"),
]
# Nine alike (the wave and four of it again, by other customers), each about a differently named
# object: the repeat rule (the same object 3 times) stays out of it.
NINE_ALIKE = [(user, channel, contact, content, f"{about}（{n}）") for n, (user, channel, contact, content, about)
              in enumerate(WAVE + [(u, ch, "1370000000" + str(n), c, a) for n, (u, ch, _x, c, a) in enumerate(WAVE[:4])])]
# Unrelated complaints registered meanwhile, some with a word of the wave's (手机银行, 登录).
UNRELATED = [
    ("staff1", "counter", "13900000001", "在柜台排队等候超过一小时，只开了两个窗口，无人解释原因。", "城东支行营业厅"),
    ("staff2", "phone", "13900000002", "理财经理推荐的产品说是保本，结果亏了百分之八。", "理财产品"),
    ("center1", "hotline", "13900000003", "手机银行里理财产品的收益率显示和合同写的不一样。", "手机银行理财"),
    ("staff1", "counter", "13900000004", "信用卡被莫名扣了年费，之前说好免年费的。", "信用卡年费"),
    ("staff2", "email", "13900000005", "营业厅空调坏了，里面闷热难受。", "城西支行营业厅"),
]


def file(client_for, entries):
    return [register(client_for(user), channel=channel, customer_contact=contact, content=content,
                     object_text=about, customer_name=f"客户{contact[-4:]}") for user, channel, contact, content, about in entries]


def test_terms_are_character_pairs_without_the_words_every_complaint_uses():
    found = textsim.terms("客户希望尽快处理：手机银行ATM吞卡", "")
    assert {"手机", "机银", "银行", "atm", "吞卡"} <= found
    assert not {"客户", "希望", "尽快", "处理"} & found
    assert textsim.shared_words({"手机", "机银", "银行", "繁忙"}, "手机银行提示系统繁忙") == ["手机银行", "繁忙"]


def test_differently_worded_complaints_about_one_outage_score_above_unrelated_ones():
    wave = [textsim.terms(content, about) for *_rest, content, about in WAVE]
    other = [textsim.terms(content, about) for *_rest, content, about in UNRELATED]
    alike = min(textsim.score(a, b) for i, a in enumerate(wave) for b in wave[i + 1:])
    unlike = max(textsim.score(a, b) for a in wave for b in other)
    assert alike > 0.3 > unlike, (alike, unlike)


def test_a_wave_through_several_branches_and_channels_alerts_the_center_once_and_one_click_links_it(
        app, client_for, clock, mailbox):
    noise = file(client_for, UNRELATED[:3])
    wave = file(client_for, WAVE[:4])
    clock.advance(minutes=10)
    assert jobs.watch_waves() == {"waves_raised": 0, "waves_grown": 0}   # 4 are not a wave yet
    wave += file(client_for, WAVE[4:])
    noise += file(client_for, UNRELATED[3:])
    clock.advance(minutes=10)
    assert jobs.watch_waves()["waves_raised"] == 1
    assert jobs.watch_waves() == {"waves_raised": 0, "waves_grown": 0}   # the next minute: the same wave
    alert = db.session.scalar(select(WaveAlert))
    assert alert.complaints == 5 and "手机银行" in alert.shared_words and "系统繁忙" in alert.shared_words
    members = set(db.session.scalars(select(WaveAlertMember.complaint_id)))
    assert members == {c.id for c in wave}

    # One e-mail to the center, naming what the complaints share, the units and the channels.
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_addr == "center1@example.com")).all()
    assert len(mail) == 1
    assert "手机银行" in mail[0].subject and "5" in mail[0].subject
    assert "城东支行" in mail[0].body_text and "城西支行" in mail[0].body_text and "客户服务中心" in mail[0].body_text
    assert "热线" in mail[0].body_text or "电话" in mail[0].body_text

    # The banner on the center's home, and the one click.
    center = client_for("center1")
    banner = center.get("/center/").text.split('data-testid="wave-warning"', 1)[1].split("</section>", 1)[0]
    assert "手机银行" in banner and "城东支行" in banner and "城西支行" in banner
    for complaint in wave:
        assert complaint.number in banner
    for complaint in noise:
        assert complaint.number not in banner
    response = center.post(f"/center/warnings/{alert.id}/incident")
    assert response.status_code == 303
    incident_id = int(response.location.rsplit("/", 1)[1])
    page = center.get(f"/complaints/incidents/{incident_id}").text
    for complaint in wave:
        assert complaint.number in page
        assert fresh(complaint).incident_id == incident_id and fresh(complaint).kind == ComplaintKind.CONCENTRATED
    assert all(fresh(c).incident_id is None for c in noise)
    assert 'data-testid="wave-warning"' not in center.get("/center/").text
    assert center.post(f"/center/warnings/{alert.id}/incident").status_code == 303   # a second click: nothing to add
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 1

    # Complaints in an incident are left out: the next look raises nothing again.
    clock.advance(minutes=1)
    assert jobs.watch_waves() == {"waves_raised": 0, "waves_grown": 0}

    # A customer complaining about the outage after the incident opened: the alert follows it (no
    # second e-mail), the banner says so, and one click adds it to the incident.
    clock.advance(hours=3)
    late = file(client_for, [("staff2", "web", "13800000031", "手机银行还是登录失败，提示系统繁忙。", "手机银行")])[0]
    file(client_for, [("staff2", "web", "13800000032", "信用卡账单地址改不了。", "信用卡账单")])
    assert jobs.watch_waves() == {"waves_raised": 0, "waves_grown": 1}
    banner = center.get("/center/").text.split('data-testid="wave-warning"', 1)[1].split("</section>", 1)[0]
    assert late.number in banner and "又有 1 件投诉" in banner
    assert center.post(f"/center/warnings/{alert.id}/incident").status_code == 303
    assert fresh(late).incident_id == incident_id
    assert 'data-testid="wave-warning"' not in center.get("/center/").text
    assert len(db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_addr == "center1@example.com")).all()) == 1


def test_the_alert_grows_with_the_wave_without_a_second_mail(app, client_for, clock):
    file(client_for, WAVE)
    assert jobs.watch_waves()["waves_raised"] == 1
    file(client_for, [("staff1", "phone", "13800000009", "手机银行登录失败，系统繁忙，一直转圈。", "手机银行")])
    clock.advance(minutes=1)
    assert jobs.watch_waves() == {"waves_raised": 0, "waves_grown": 1}
    assert db.session.scalar(select(WaveAlert.complaints)) == 6
    assert db.session.scalar(select(func.count()).select_from(WaveAlert)) == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.to_addr == "center1@example.com")) == 1


def test_one_customer_repeating_is_no_wave_two_through_two_units_are_and_the_window_slides(app, client_for, clock):
    same = [("staff1", "counter", "13800000001", content, about) for _user, _channel, _contact, content, about in WAVE]
    file(client_for, same)
    assert jobs.watch_waves()["waves_raised"] == 0
    file(client_for, [("staff2", "hotline", "13800000001", WAVE[0][3], WAVE[0][4])])   # elsewhere, still one customer
    assert jobs.watch_waves()["waves_raised"] == 0
    two_customers = [("staff1", "counter", "13800000002", WAVE[1][3], WAVE[1][4])]      # 7 complaints, 2 units
    file(client_for, two_customers)
    assert jobs.watch_waves()["waves_raised"] == 1
    clock.advance(hours=3)    # out of the 2-hour window, even through other channels
    file(client_for, WAVE[1:3])
    assert jobs.watch_waves()["waves_raised"] == 0


def test_two_workers_at_once_raise_one_alert_and_one_mail(app, client_for, clock):
    file(client_for, WAVE)
    results = all_at_once(app, jobs.watch_waves, 2)
    assert sum(r["waves_raised"] for r in results) == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(WaveAlert)) == 1
    assert db.session.scalar(select(func.count()).select_from(WaveAlertMember)) == 5
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.to_addr == "center1@example.com")) == 1


def test_a_complaints_page_lists_its_similar_cases_that_the_user_may_see(app, client_for, clock):
    wave = file(client_for, WAVE[:3])
    file(client_for, UNRELATED)
    page = client_for("center1").get(f"/complaints/{wave[0].id}").text
    assert page.count('data-testid="similar-case"') == 2
    assert wave[1].number in page and wave[2].number in page
    assert "手机银行" in page and "系统繁忙" in page   # what they share
    # staff1 of 城东支行 sees its own branch's complaints only: wave[1] came to 城西支行, wave[2] to the center.
    mine = client_for("staff1").get(f"/complaints/{wave[0].id}").text
    assert 'data-testid="similar-case"' not in mine and 'data-testid="link-similar"' not in mine
    # Each user's own, in one process (a statement per viewer, services.similarity): staff2 of 城西支行
    # sees its branch's, and staff1 still none.
    theirs = file(client_for, [("staff2", "counter", "13800000009", WAVE[1][3], "手机银行转账")])[0]
    page = client_for("staff2").get(f"/complaints/{wave[1].id}").text
    assert page.count('data-testid="similar-case"') == 1 and theirs.number in page
    assert 'data-testid="similar-case"' not in client_for("staff1").get(f"/complaints/{wave[0].id}").text


def test_one_click_on_a_similar_case_links_both_into_an_incident(app, client_for, clock):
    first, second, third = file(client_for, WAVE[:3])
    center = client_for("center1")
    assert center.post(f"/complaints/{first.id}/similar/{second.id}/link").status_code == 303
    incident = fresh(first).incident
    assert incident is not None and fresh(second).incident_id == incident.id
    assert "手机银行" in incident.title
    # The third's page names the incident the others are in, and offers to join it.
    case = re.search(r'<li data-testid="similar-case">.*?</li>', center.get(f"/complaints/{third.id}").text, re.S).group(0)
    assert f"已归入事件 <a href=\"/complaints/incidents/{incident.id}\">{incident.title}</a>" in case
    assert "将本投诉并入其事件" in case
    center.post(f"/complaints/{third.id}/similar/{first.id}/link")   # joins the incident the other is in
    assert fresh(third).incident_id == incident.id
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 1
    staff = client_for("staff1")
    assert staff.post(f"/complaints/{first.id}/similar/{second.id}/link").status_code == 403   # the center's to do


@pytest.mark.one_backend
def test_the_banner_and_the_buttons_are_the_centers(app, client_for):
    for user in ("staff1", "head1", "dept1"):
        assert client_for(user).post("/center/warnings/1/incident").status_code == 403
    assert client_for("center1").post("/center/warnings/99/incident").status_code == 404
    assert client_for("center1").post("/center/warnings/99/dismiss").status_code == 404


@pytest.mark.one_backend
def test_a_complaints_page_costs_the_same_with_2_or_8_similar_cases(app, client_for):
    from tests.test_query_counts import statements
    first, *_rest = file(client_for, NINE_ALIKE[:3])
    center = client_for("center1")
    center.get(f"/complaints/{first.id}")   # the process reads the dispatch form's units and people once (routing)
    few = statements(center, f"/complaints/{first.id}")
    file(client_for, NINE_ALIKE[3:])
    page = center.get(f"/complaints/{first.id}").text
    assert page.count('data-testid="similar-case"') == 8
    assert statements(center, f"/complaints/{first.id}") == few


@pytest.mark.one_backend
def test_a_complaints_page_reads_its_terms_with_the_complaint(app, client_for):
    first, *_rest = file(client_for, WAVE[:3])
    center = client_for("center1")
    with executed() as runs:
        page = center.get(f"/complaints/{first.id}").text
    assert page.count('data-testid="similar-case"') == 2
    assert not [run for run in runs if run.statement.lstrip().startswith("SELECT complaint_terms.")]


def timeline(page: str) -> str:
    return re.search(r'<ol class="timeline".*?</ol>', page, re.DOTALL).group(0)


def test_the_repeat_rule_counts_complaints_written_alike_and_says_why_on_each_case(app, client_for):
    category = {"category": str(category_id("system_app"))}
    staff = client_for("staff1")
    # Three customers, three differently named objects, one outage: by default the rule finds them alike.
    alike = [register(staff, customer_contact=contact, content=content, object_text=about, **category)
             for _user, _channel, contact, content, about in WAVE[:3]]
    assert all(fresh(c).repeated and fresh(c).is_major for c in alike)
    unrelated = register(staff, customer_contact="13900000009", content=UNRELATED[2][3], object_text=UNRELATED[2][4],
                         **category)
    assert not fresh(unrelated).is_major
    # Each case says why it was counted: written alike, how alike against the threshold, the words shared
    # (手机银行APP against the third's 手机银行); or the same object (the first and the third: 手机银行).
    assert '按相同投诉对象合并计数：<span class="detail">手机银行</span>' in timeline(staff.get(f"/complaints/{alike[0].id}").text)
    chinese = timeline(staff.get(f"/complaints/{alike[1].id}").text)
    found = re.search(r'按相似措辞合并计数：<span class="detail">相似度 (0\.\d\d)（阈值 0\.40）；共同词语：([^<]+)</span>',
                      chinese)
    assert found, chinese
    assert float(found.group(1)) >= 0.4 and "手机银行" in found.group(2) and "系统繁忙" in found.group(2)
    staff.post("/language", data={"locale": "en"})
    english = timeline(staff.get(f"/complaints/{alike[1].id}").text)
    assert re.search(r'Counted together because it is written alike: <span class="detail">similarity 0\.\d\d, '
                     r'at least 0\.40 needed; words shared: [^<]*手机银行', english), english


def test_the_repeat_rule_says_when_it_counted_the_same_object(app, client_for):
    category = {"category": str(category_id("system_app"))}
    staff = client_for("staff1")
    made = [register(staff, customer_contact=f"1380000000{n}", content=content, object_text="ATM 机吞卡", **category)
            for n, content in enumerate(["取款时ATM机把卡吞了。", "柜员机吞卡，等了很久。", "自助设备吃卡不退。"])]
    assert all(fresh(c).is_major for c in made)
    for complaint in made:
        page = timeline(staff.get(f"/complaints/{complaint.id}").text)
        assert '按相同投诉对象合并计数：<span class="detail">ATM 机吞卡</span>' in page
        assert "按相似措辞合并计数" not in page


@pytest.mark.one_backend
def test_the_repeat_rule_page_says_when_the_organisation_does_not_count_repeats(app, client_for):
    admin = client_for("admin")
    assert 'data-testid="repeat-rule-off"' not in admin.get("/admin/repeat-rule").text
    org = org_settings.current()
    org.records = {**org.records, "severity": [{"criterion": "media"}]}   # criteria without `repeated`
    db.session.commit()
    assert "本单位认定重大投诉的标准不含重复投诉，此规则不适用。" in admin.get("/admin/repeat-rule").text


def test_the_administrator_sets_the_repeat_rules_similarity(app, client_for):
    admin = client_for("admin")
    page = admin.get("/admin/repeat-rule").text
    assert 'value="0.40"' in page and "重复投诉规则" in page
    for typed in ("1.5", "0", "-0.2", "abc", "nan", "", "０.５"):
        response = admin.post("/admin/repeat-rule", data={"threshold": typed})
        assert response.status_code == 422, typed
        assert f'value="{typed}"' in response.text and "请输入大于 0、不超过 1 的数" in response.text
    assert db.session.scalar(select(func.count()).select_from(AdminAuditEntry)) == 0
    assert admin.post("/admin/repeat-rule", data={"threshold": "0.95"}).status_code == 303
    entry = db.session.scalar(select(AdminAuditEntry))
    assert entry.action == "repeat_rule_changed" and entry.changes == {"similarity": [0.4, 0.95]}
    assert 'value="0.95"' in admin.get("/admin/repeat-rule").text
    assert "修改重复投诉规则的相似度" in admin.get("/audit/?source=admin").text
    # Now what is written alike is not alike enough: different objects are not the same complaint.
    staff = client_for("staff1")
    category = {"category": str(category_id("system_app"))}
    made = [register(staff, customer_contact=contact, content=content, object_text=about, **category)
            for _user, _channel, contact, content, about in WAVE[:3]]
    assert not any(fresh(c).is_major for c in made)
    assert client_for("staff1").get("/admin/repeat-rule").status_code == 403


def test_the_similar_cases_are_those_of_the_30_days_around_a_complaint(app, client_for, clock):
    too_old = file(client_for, WAVE[1:2])[0]
    clock.advance(days=2)
    inside = file(client_for, WAVE[2:3])[0]
    clock.advance(days=29)                      # 31 days after the first, 29 after the second
    complaint = file(client_for, WAVE[:1])[0]
    section = client_for("center1").get(f"/complaints/{complaint.id}").text.split('data-testid="similar"', 1)[1]
    assert inside.number in section and too_old.number not in section
    # ... and the second's page, 2 days after the first and 29 before the last, lists both.
    assert client_for("center1").get(f"/complaints/{inside.id}").text.count('data-testid="similar-case"') == 2


def test_the_similar_cases_are_found_through_the_index_of_the_days_of_their_window(app, client_for, monkeypatch):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    from services import similarity
    first, *_others = file(client_for, WAVE[:3])
    with executed() as runs:
        assert client_for("center1").get(f"/complaints/{first.id}").text.count('data-testid="similar-case"') == 2
    keyed = [run for run in runs if "complaint_term_keys" in run.statement]
    assert keyed
    # A complaint told only in words every hundredth complaint uses: the newest of the window sharing one.
    monkeypatch.setattr(similarity, "everyday_terms", lambda: dict.fromkeys(similarity.terms_of(fresh(first)), 0.02))
    with executed() as runs:
        assert client_for("center1").get(f"/complaints/{first.id}").text.count('data-testid="similar-case"') == 2
    assert not [run for run in runs if "complaint_term_keys" in run.statement]
    # The keys asked for (a term with its 10 days, counted from 2000-01-01) are the index's own.
    statement, parameters = keyed[0]
    keys = next(value for value in parameters.values() if isinstance(value, str) and ":" in value)   # (one text)
    days = (fresh(first).registered_at.date() - date(2000, 1, 1)).days // 10
    assert {f"{days}:繁忙", f"{days - 3}:繁忙"} <= set(keys.split(" ")) and f"{days + 4}:繁忙" not in keys.split(" ")
    assert "complaint_term_keys(complaint_terms.registered_at, complaint_terms.terms) && string_to_array(" in statement
    db.session.execute(db.text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(db.session.scalars(db.text(
        "EXPLAIN SELECT complaint_id FROM complaint_terms WHERE complaint_term_keys(registered_at, terms) "
        "&& string_to_array(:keys, ' ')"), {"keys": keys}))
    assert "ix_complaint_terms_keys" in plan, plan
    db.session.rollback()


def test_the_similar_cases_are_the_open_ones(app, client_for, clock):
    wave = file(client_for, WAVE[:3])
    closed = fresh(wave[1])
    closed.state = ComplaintState.CLOSED
    db.session.commit()
    section = client_for("center1").get(f"/complaints/{wave[0].id}").text.split('data-testid="similar"', 1)[1]
    assert section.count('data-testid="similar-case"') == 1
    assert wave[2].number in section and wave[1].number not in section


def test_around_a_complaint_with_no_open_one_in_its_window_the_lookup_reads_no_terms(app, client_for):
    """An old complaint's page: every complaint of its window closed, none to show, and PostgreSQL
    asks the open ones' index first and never reads the terms (it scored up to 500 of them)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    wave = file(client_for, WAVE[:2])   # (two customers: not repeats, whose page looks up those counted)
    db.session.execute(update(Complaint).values(state=ComplaintState.CLOSED))   # the demo's too
    db.session.commit()

    def terms_read() -> tuple[int, bool]:   # (similar cases listed, terms read)
        with executed() as runs:
            page = client_for("center1").get(f"/complaints/{wave[0].id}").text
        statement, parameters = next(run for run in runs if "complaint_term_keys" in run.statement)
        cursor = db.session.connection().connection.dbapi_connection.cursor()
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + statement, parameters)
        scan = next(line for (line,) in cursor.fetchall() if "Scan on complaint_terms" in line)
        db.session.rollback()
        return page.count('data-testid="similar-case"'), "never executed" not in scan
    assert terms_read() == (0, False)
    fresh(wave[1]).state = ComplaintState.DISPATCHED   # one open again: read, and listed
    db.session.commit()
    assert terms_read() == (1, True)


def test_an_open_similar_case_is_listed_however_many_closed_ones_are_more_alike(app, client_for):
    from services.similarity import similar_to
    from tests.helpers import user as account
    probe, *others = file(client_for, NINE_ALIKE)
    center = account("center1")
    ranked = [case.complaint.id for case in similar_to(fresh(probe), center)]
    assert len(ranked) == 8 and set(ranked) == {other.id for other in others}
    for closed in ranked[:-1]:   # all but the least alike
        db.session.get(Complaint, closed).state = ComplaintState.CLOSED
    db.session.commit()
    assert [case.complaint.id for case in similar_to(fresh(probe), center, limit=1)] == [ranked[-1]]


def test_a_false_alarm_is_dismissed_and_stays_dismissed_as_its_wave_grows(app, client_for, clock):
    file(client_for, WAVE)
    jobs.watch_waves()
    alert = db.session.scalar(select(WaveAlert))
    center = client_for("center1")
    assert center.post(f"/center/warnings/{alert.id}/dismiss").status_code == 303
    assert 'data-testid="wave-warning"' not in center.get("/center/").text
    file(client_for, [("staff2", "web", "13800000019", "手机银行系统繁忙，登录失败。", "手机银行")])
    clock.advance(minutes=1)
    assert jobs.watch_waves()["waves_raised"] == 0
    assert 'data-testid="wave-warning"' not in center.get("/center/").text
    assert center.post(f"/center/warnings/{alert.id}/incident").status_code == 303   # refused, told so
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 0
