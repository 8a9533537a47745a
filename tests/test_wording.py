"""Words: Chinese labels use Chinese punctuation, and the timeline's sentences put their data (a unit,
the people told) where each language wants it."""
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.pofile import read_po

from tests.helpers import dispatch, register

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
CHINESE = re.compile(r"[\u3400-\u9fff]")
# What may keep ASCII brackets, colons and commas inside Chinese text: placeholders (and a host:port
# made of two), addresses, clock times, thousands.
NOT_PUNCTUATION = re.compile(r"%\(\w+\)[sd](:%\(\w+\)[sd])?|%[sd%]|https?://\S+|\b\d{1,2}:\d{2}(:\d{2})?\b"
                             r"|\b\d{1,3}(,\d{3})+\b")
ASCII = re.compile(r"[():,;]")


def ascii_punctuation(text: str) -> list[str]:
    """The ASCII brackets, colons, commas and semicolons of a Chinese text (placeholders, addresses,
    times and thousands left aside)."""
    if not CHINESE.search(text):
        return []
    return ASCII.findall(NOT_PUNCTUATION.sub("", text))


@pytest.mark.parametrize("text, found", [
    ("重大投诉: 群体性", [":"]), ("派单 (二次处理)", ["(", ")"]), ("群体性（%(count)s 人）", []),
    ("邮件经由 %(server)s:%(port)s 送达。", []), ("工作时间 08:30 至 17:30", []),
    ("详见 https://example.com/a?b=(1)", []), ("Escalate after (minutes)", []), ("%(name)s: %(count)s", []),
    ("请输入 1 至 100,000 的人数", []), ("已通知, 请查收; 谢谢", [",", ";"]),
])
def test_the_check_finds_ascii_punctuation_in_chinese_text_only(text, found):
    assert ascii_punctuation(text) == found


def test_chinese_labels_use_chinese_brackets_colons_and_commas():
    with open(CATALOG, "rb") as file:
        catalog = read_po(file)
    wrong = {}
    for message in catalog:
        translations = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        for text in translations:
            if message.id and text and ascii_punctuation(text):
                wrong[message.id] = text
    assert not wrong, "\n".join(f"{msgid!r}: {text!r}" for msgid, text in wrong.items())


def test_the_timeline_says_where_the_complaint_went_in_a_sentence_of_each_language(client_for):
    staff = client_for("staff1")
    complaint = register(staff)
    dispatch(staff, complaint, note="请核实排队情况")

    def timeline(page: str) -> str:
        return re.search(r'<ol class="timeline".*?</ol>', page, re.DOTALL).group(0)
    chinese = timeline(staff.get(f"/complaints/{complaint.id}").text)
    assert '派单至<span class="detail">运营管理部：请核实排队情况</span>' in chinese
    staff.post("/language", data={"locale": "en"})
    english = timeline(staff.get(f"/complaints/{complaint.id}").text)
    assert 'Dispatched the complaint to <span class="detail">运营管理部: 请核实排队情况</span>' in english
    assert "Dispatched to" not in english
    # The field changes under it: the Chinese one with a Chinese colon, the English one with its own.
    assert '<span class="field">Handling department</span>: — → ' in english
    assert '<span class="field">处理部门</span>：— → 运营管理部' in chinese
    # The audit says it in the same words.
    audit = client_for("center1").get("/audit/?action=dispatched").text
    assert '派单至<span class="detail">运营管理部：请核实排队情况</span>' in audit
    assert "张敏（staff1）" in audit


@pytest.mark.parametrize("locale, expected", [
    ("en", ('Reminded <span class="detail">陈晨, &lt;b&gt;刘洋&lt;/b&gt;</span> that the deadline '
            '“Department answer” is near')),
    ("zh_CN", '已提醒<span class="detail">陈晨、&lt;b&gt;刘洋&lt;/b&gt;</span>：部门答复时限将至'),
])
def test_a_reminder_names_whom_it_went_to_and_the_deadline(app, locale, expected):
    from flask_babel import force_locale

    from blueprints.ui import event_sentence
    reminder = SimpleNamespace(action="reminder_answer", detail="陈晨, <b>刘洋</b>")
    with app.test_request_context(), force_locale(locale):
        assert str(event_sentence(reminder)) == expected
        assert event_sentence(SimpleNamespace(action="registered", detail=None)) is None


@pytest.mark.parametrize("action, detail, chinese", [
    ("assigned", "陈晨 → 刘洋: 请今天回复", "陈晨 → 刘洋：请今天回复"),
    ("escalated", "王芳: 客户要求见行长", "王芳：客户要求见行长"),
    ("handed_over", "张敏 → 陈晨: 调岗。备注: 见附件", "张敏 → 陈晨：调岗。备注: 见附件"),   # the typed words kept
    ("visited", "D: 等太久", "D：等太久"),
    ("major_reported", "王芳, 李行长", "王芳、李行长"),
    ("escalated_answer", "王芳, 李行长", "王芳、李行长"),
    ("reclassified", "类别有误: 改为服务态度", "类别有误: 改为服务态度"),   # all the user's words
])
def test_the_details_the_code_writes_read_with_the_punctuation_of_each_language(app, action, detail, chinese):
    """Stored as before (rows written earlier read the same), punctuated when shown."""
    from flask_babel import force_locale

    from blueprints.ui import event_detail
    event = SimpleNamespace(action=action, detail=detail)
    with app.test_request_context():
        with force_locale("zh_CN"):
            assert event_detail(event) == chinese
        with force_locale("en"):
            assert event_detail(event) == detail


# A label glued to an ASCII colon or bracket in a template: the punctuation belongs in the translated string.
GLUED = re.compile(r"""_\((["'])[^"']*\1[^)]*\)\s*\}\}\s?[:(]|(\}\}|</span>|</strong>)(: | \()(\{\{|<)""")
# Edited in parallel for issue 15 (the complaint page and the branch's approvals); they still glue
# "%(label)s: ..." and " (二次处理)", to be moved into their strings when those edits are merged.
PENDING: set[str] = set()


def test_templates_leave_the_punctuation_around_labels_to_the_translation():
    glued = []
    for path in sorted((ROOT / "templates").rglob("*")):
        name = str(path.relative_to(ROOT / "templates"))
        if path.suffix not in (".html", ".txt") or ".en." in path.name or name in PENDING:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if GLUED.search(line):
                glued.append(f"{name}:{number}: {line.strip()[:120]}")
    assert not glued, "\n".join(glued)
