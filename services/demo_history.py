"""Four months of demo history (`flask --app app seed-demo --history`): complaints taken through the
real services at their own past times (a frozen clock moved from step to step), so that the
statistics have something to say. Deterministic; added once."""
from __future__ import annotations

import random
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from extensions import db
from models import CauseKind, Channel, Complaint, ContactChannel, Satisfaction, Unit, User
from services import choices, clock, complaints, improvement, recipients, registration, routing
from services.clock import FrozenClock

TOKEN_PREFIX = "demo-history-"
OBJECTS = {  # category code: what customers complain about in it
    "waiting": ["营业厅排队", "叫号系统", "对公窗口"], "service_attitude": ["柜员服务态度", "大堂经理接待"],
    "fees": ["短信通知费", "跨行转账手续费", "账户管理费"], "system_app": ["手机银行登录", "网银转账", "App 人脸识别"],
    "product_quality": ["理财产品收益", "信用卡积分"], "sales": ["保险产品搭售", "理财风险提示"],
    "environment": ["ATM 吞卡", "营业厅空调"], "other": ["停车位", "宣传资料"],
}
CHANNELS = [Channel.COUNTER] * 4 + [Channel.PHONE] * 3 + [Channel.HOTLINE] * 3 + [
    Channel.WEB, Channel.EMAIL, Channel.LETTER, Channel.SOCIAL_MEDIA, Channel.REGULATOR]
CAUSES = {"waiting": CauseKind.PROCESS, "service_attitude": CauseKind.STAFF, "fees": CauseKind.PRODUCT,
          "system_app": CauseKind.SYSTEM, "product_quality": CauseKind.PRODUCT, "sales": CauseKind.STAFF,
          "environment": CauseKind.FACILITY, "other": CauseKind.OTHER}
DEPARTMENT_STAFF = {"OPS": "dept1", "RETAIL": "dept2", "IT": "dept3"}


def has_history() -> bool:
    return db.session.scalar(select(Complaint.id).where(Complaint.submission_token.like(f"{TOKEN_PREFIX}%"))
                             .limit(1)) is not None


def seed_history(count: int = 160, days: int = 120, seed: int = 2026) -> int:
    """Register `count` complaints over the last `days` days and handle each as far as its age allows."""
    if has_history():
        return 0
    real_clock = current_app.config.get("CLOCK")
    end = clock.now()
    frozen = FrozenClock(end - timedelta(days=days))
    current_app.config["CLOCK"] = frozen
    try:
        rng = random.Random(seed)
        users = {u.username: u for u in db.session.scalars(select(User))}
        categories = {c.code: c for c in choices.active_categories()}
        starts = sorted(end - timedelta(days=days) + timedelta(seconds=rng.randrange(days * 86400))
                        for _ in range(count))
        for number, start in enumerate(starts):
            _one(rng, number, start, end, frozen, users, categories)
            db.session.flush()
        db.session.commit()
    finally:
        current_app.config["CLOCK"] = real_clock
    return count


def _one(rng, number, start, end, frozen, users, categories):
    frozen.set(start)
    repeat_cluster = number % 40 in (10, 11, 12)   # now and then the same matter from 3 customers: major
    code = "system_app" if repeat_cluster else rng.choice(list(OBJECTS))
    category = categories[code]
    owner = users[rng.choice(["staff1", "staff1", "lobby1", "staff2"])]
    complaint, _ = registration.register_complaint(owner, f"{TOKEN_PREFIX}{number}", registration.Registration(
        customer_name=rng.choice("王李张刘陈杨黄赵吴周") + rng.choice(["先生", "女士"]),
        customer_contact=f"139{rng.randrange(10**8):08d}", channel=rng.choice(CHANNELS),
        received_at=start - timedelta(minutes=rng.randint(1, 25)),
        content=f"关于{rng.choice(OBJECTS[code])}的投诉。", demand="请尽快处理并答复。",
        object_text="手机银行登录" if repeat_cluster else f"{rng.choice(OBJECTS[code])} #{number}",
        category_id=category.id, level=rng.choice([1, 2, 2, 3, 3, 3]),
        collective=rng.random() < 0.03, regulator_forwarded=rng.random() < 0.05))
    age = end - start

    def at(hours: float) -> bool:
        """Move the clock on by `hours`; False when that is beyond today (the case stays where it is)."""
        if frozen() + timedelta(hours=hours) >= end:
            return False
        frozen.advance(hours=hours)
        return True

    if age < timedelta(hours=3):
        return
    if rng.random() < 0.07 and at(rng.uniform(0.2, 2)):
        complaints.judge_invalid(complaint, owner, "不属于本行业务范围。", "已向客户耐心解释。")
        return
    for round_ in (1, 2):
        if not _handle_round(rng, complaint, owner, users, code, at):
            return
        if not at(rng.uniform(2, 40) if rng.random() < 0.9 else rng.uniform(50, 80)):
            return
        rating = rng.choices(list(Satisfaction), [30, 42, 18, 10 if round_ == 1 else 3])[0]
        complaints.record_return_visit(complaint, users["center1"], rating, "回访记录。")
        if rating != Satisfaction.D:
            return
    if complaint.state.value == "with_leader" and at(24):
        complaints.decide_as_leader(complaint, users["leader1"], "维持原处理意见，已告知外部渠道。")


def _handle_round(rng, complaint, owner, users, code, at) -> bool:
    """Dispatch, (plan,) answer and tell the customer; False when the case's time runs out first."""
    if not at(rng.uniform(0.1, 0.9) if rng.random() < 0.85 else rng.uniform(1, 5)):
        return False
    department = db.session.get(Unit, routing.category_department(complaint.category_id).id)
    complaints.dispatch_complaint(complaint, owner, department)
    staff = users[DEPARTMENT_STAFF[department.code]]
    # Most customers are called back within the hour or two their level allows.
    if complaint.round == 1 and rng.random() < 0.85 and at(rng.uniform(0.1, 1.5) if rng.random() < 0.8 else 4):
        complaints.log_contact(complaint, owner, ContactChannel.PHONE, "已致电客户，说明处理安排。")
    if complaint.is_major:
        if not at(rng.uniform(1, 6)):
            return False
        complaints.submit_plan(complaint, staff, "调查核实，当面致歉，整改流程。", staff.name,
                        clock.to_local(clock.now()).date() + timedelta(days=5), None)
        if not at(rng.uniform(1, 10)):
            return False
        approver = recipients.plan_approvers(complaint)[0]
        complaints.review_plan(complaint, approver, True, "同意。")
    # Most departments answer within the 3 days; some are late.
    if not at(rng.uniform(3, 60) if rng.random() < 0.85 else rng.uniform(75, 120)):
        return False
    complaints.answer_complaint(complaint, staff, f"{rng.choice(OBJECTS[code])}存在问题。", "已处理并向客户说明。",
                         "立即纠正并向客户致歉。", "完善制度并开展培训。")
    db.session.flush()
    if rng.random() < 0.4:
        due = clock.to_local(clock.now()).date() + timedelta(days=rng.randint(5, 30))
        action = improvement.record_action(complaint, staff, CAUSES[code], "完善制度并开展培训。",
                                           rng.random() < 0.5, staff, due)
        if rng.random() < 0.6 and at(rng.uniform(24, 200)):
            improvement.complete_action(action, staff, "已完成培训并复核。")
    if not at(rng.uniform(1, 20)):
        return False
    complaints.give_result(complaint, owner, "已告知客户处理结果。", ContactChannel.PHONE)
    return True
