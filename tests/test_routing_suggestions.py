"""services/routing.py: where dispatching a complaint is suggested to go, without HTTP."""
import uuid

import pytest

from extensions import db
from models import ObjectRoutingRule, Unit
from services import routing
from services.registration import register_complaint
from tests.helpers import category_id, registration, unit_id, user

pytestmark = pytest.mark.one_backend


def complaint(**changes):
    registered, _ = register_complaint(user("staff1"), uuid.uuid4().hex, registration(**changes))
    db.session.commit()
    return registered


def rule(unit: str, category: str | None = None, object_unit: str | None = None, keyword: str | None = None):
    row = ObjectRoutingRule(unit_id=unit_id(unit), category_id=category_id(category) if category else None,
                            object_unit_id=unit_id(object_unit) if object_unit else None, object_keyword=keyword)
    db.session.add(row)
    db.session.commit()
    return row


def test_without_a_rule_the_categorys_department_is_suggested(app):
    suggestion = routing.suggested_department(complaint())
    assert suggestion.unit.code == "OPS" and suggestion.rule is None
    assert routing.category_department(category_id("fees")).code == "RETAIL"


def test_the_most_specific_matching_rule_wins(app):
    by_word = rule("IT", keyword="App")
    by_branch = rule("RETAIL", category="waiting", object_unit="BR01")
    longer_word = rule("RETAIL", keyword="手机App")
    about_app = complaint(object_text="手机App登录排队")
    about_branch = complaint(object_unit_id=unit_id("BR01"))
    assert [r.id for r in routing.matching_object_rules(about_app)] == [longer_word.id, by_word.id]
    assert routing.suggested_department(about_app).rule.id == longer_word.id
    assert routing.suggested_department(about_branch).rule.id == by_branch.id
    assert routing.suggested_department(complaint(object_text="网点环境")).rule is None


def test_an_inactive_department_or_the_unit_complained_about_is_passed_over(app):
    rule("IT", keyword="柜台")
    db.session.get(Unit, unit_id("IT")).active = False
    db.session.commit()
    suggestion = routing.suggested_department(complaint(object_text="柜台服务"))
    assert suggestion.unit.code == "OPS" and suggestion.rule is None
    # 回避: a complaint about the department itself is never suggested to it, and nothing else is left.
    assert routing.suggested_department(complaint(object_unit_id=unit_id("OPS"))) is None
