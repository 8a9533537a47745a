"""A labelled set of realistic complaints for the early warning: waves (many customers hit by one
outage, each telling it in their own words) among unrelated complaints, some of which share a
wave's vocabulary (the app, a card, a branch) without being about its outage.

Every text is put together from phrase pools chosen at random: the opening, the symptom, what the
customer was doing, the consequence and the demand each vary, and so does their order."""
from __future__ import annotations

import random
from dataclasses import dataclass

OPENINGS = ["", "", "您好，", "我想反映一个情况：", "我要投诉，", "麻烦你们看一下，", "本人是贵行老客户，", "再次来电，"]
TIMES = ["今天上午十点左右", "今天早上", "刚才", "中午十二点多", "大概一个小时前", "从九点开始", "今天上午", "刚刚"]
DEMANDS = ["请尽快修复并给个说法。", "要求银行道歉并解释原因。", "希望尽快恢复，耽误了我的事。", "要求赔偿由此造成的损失。",
           "请给出明确的恢复时间。", "希望以后提前通知。", "要求退还多扣的钱。", "请尽快回电说明情况。"]

# Each wave: what the customers name it by, what they saw, what they were doing, what it cost them.
WAVES = {
    "app_outage": dict(
        names=["手机银行", "手机银行APP", "贵行的APP", "手机银行客户端", "掌上银行APP"],
        symptoms=["一直登录不上，提示系统繁忙", "打开就闪退，登录失败", "登录时一直转圈，最后提示网络异常",
                  "提示系统繁忙请稍后再试，根本登录不了", "登录页面白屏，重试多次都登录失败", "显示服务暂不可用，无法登录"],
        doings=["想查一下余额", "准备给家里人转账", "要还信用卡", "想买理财", "要交房租", "想查工资到账没有"],
        costs=["耽误了还款", "转账没转出去", "只好跑到网点排队", "影响了生意上的付款", "换了好几个网络都不行"]),
    "card_fee": dict(
        names=["借记卡", "储蓄卡", "工资卡", "银行卡"],
        symptoms=["莫名被扣了年费", "被扣了一笔小额账户管理费", "短信提示扣收管理费", "被重复扣收年费",
                  "账户管理费扣了两次", "本来免年费的卡被扣了年费"],
        doings=["查账的时候", "收到短信后", "打开账单一看", "去柜台打流水时"],
        costs=["钱虽然不多但很不合理", "之前说好是免费的", "身边好几个朋友都被扣了", "从来没人通知过我"]),
    "atm_branch": dict(
        names=["城东支行的ATM", "城东支行门口的取款机", "城东支行自助银行的ATM", "城东支行ATM机"],
        symptoms=["吞卡了，卡取不出来", "取款没出钞但账户扣了钱", "吐钞失败，钱被扣了", "显示交易失败但扣款成功",
                  "出钞口卡住，钱没拿到却扣了款"],
        doings=["下班去取钱", "急着取现金交学费", "晚上去取款", "取两千元现金"],
        costs=["现在卡也没了钱也没了", "打客服电话一直占线", "大堂没有工作人员", "等了半个小时没人管"]),
    "transfer_delay": dict(
        names=["跨行转账", "他行转账", "网银跨行汇款", "跨行汇款"],
        symptoms=["到现在还没到账", "显示处理中一直没到账", "钱扣了对方一直没收到", "超过一天还未到账",
                  "状态一直是处理中，对方没收到款"],
        doings=["给供应商付货款", "给孩子打学费", "付房子首付", "给老家父母转钱"],
        costs=["对方一直在催", "差点违约", "客服只说等待", "查不到钱去了哪里"]),
    "credit_limit": dict(
        names=["信用卡", "贵行信用卡", "我的信用卡", "白金信用卡"],
        symptoms=["额度突然被降了", "没有任何通知就被降额", "额度从五万降到五千", "被无故降低额度", "额度被调低还被冻结了"],
        doings=["出国旅游刷卡时", "付酒店押金时", "在商场结账时", "还完款以后"],
        costs=["当场非常尴尬", "行程都被打乱了", "一直按时还款从未逾期", "打客服也问不出原因"]),
}

# Unrelated complaints, one of a kind each; several share words with a wave (the app, a card,
# 城东支行) without being about its outage.
NOISE = [
    "在{branch}排队等了一个多小时，只开了两个窗口，大堂经理也不解释。",
    "{branch}柜员办理业务时态度冷淡，问两句就不耐烦。",
    "理财经理推荐的产品说是保本，结果亏了百分之八，当初的宣传不实。",
    "房贷提前还款申请提交三周了还没有审批结果。",
    "手机银行里理财产品的收益率显示和合同写的不一样。",
    "信用卡账单上的分期手续费和当初说的不一样。",
    "{branch}营业厅空调坏了，夏天里面闷热难受。",
    "去{branch}办理挂失补卡，要求本人携带户口本，规定不合理。",
    "贷款客户经理多次电话推销，已经说了不需要还一直打。",
    "网点保安不让带宠物进门，语气很凶。",
    "开通了短信提醒服务却一直收不到余额变动短信。",
    "存单到期自动转存，利率比柜台宣传的低。",
    "{branch}的叫号机坏了，大家只能挤在柜台前。",
    "给老人办理代发养老金卡，要求老人本人到场，老人行动不便。",
    "个人征信报告里有一笔不是我办的贷款记录。",
    "外币兑换的汇率比网上公布的差很多。",
    "保险产品被当作存款销售，退保损失了一千多元。",
    "{branch}停车场收费，办业务也不给免费停车。",
    "网上预约了开户，到了{branch}说预约没有记录。",
    "借记卡换新卡后绑定的自动扣款全部失效了。",
    "客服热线转人工要等二十分钟。",
    "对公账户开户要求的材料反复变化，跑了三趟。",
    "ATM机上的屏幕太暗看不清，老年人操作困难。",
    "手机银行的字太小，没有老年模式。",
    "销户时被要求先还清一笔早已还过的透支款。",
    "网点搬迁没有提前公告，白跑了一趟。",
    "代销基金的赎回款晚了五天才到。",
    "工作人员把我的身份证复印件随意放在柜台上，担心泄露。",
    "办理房贷时被要求搭售保险。",
    "对账单邮寄地址改了三次还是寄到旧地址。",
    "大额取现要提前预约，但预约电话一直打不通。",
    "小微企业贷款利率比宣传的高。",
    "积分兑换的礼品一个月了还没寄到。",
    "夜间自助银行的门禁坏了，进不去。",
    "在{branch}存了五万元现金，回家发现存款凭条金额写错了。",
    "视频面签排了两天还没轮到。",
    "残疾人客户在{branch}没有无障碍通道，只能被人抬进去。",
    "收到冒充银行客服的诈骗短信，银行也没提醒。",
    "公积金贷款审批材料被弄丢，要重新提交。",
    "少儿储蓄卡开户被拒，理由说不清楚。",
]
BRANCHES = ["城西支行", "城南支行", "城北支行", "高新区支行", "城东支行"]
NOISE_TAILS = ["", "", "请给个说法。", "希望改进。", "要求道歉。", "非常不满意。", "已经不是第一次了。"]


@dataclass
class Labelled:
    label: str | None     # the wave, or None for an unrelated complaint
    content: str
    demand: str
    object_text: str


def wave_complaint(rng: random.Random, wave: str) -> Labelled:
    pools = WAVES[wave]
    name = rng.choice(pools["names"])
    parts = [rng.choice(TIMES) + rng.choice(pools["doings"]) + "，", name + rng.choice(pools["symptoms"]) + "，",
             rng.choice(pools["costs"]) + "。"]
    if rng.random() < 0.4:
        parts[0], parts[1] = name + rng.choice(pools["symptoms"]) + "，", rng.choice(TIMES) + rng.choice(pools["doings"]) + "时发现的，"
    content = rng.choice(OPENINGS) + "".join(parts)
    return Labelled(wave, content, rng.choice(DEMANDS), name)


def noise_complaint(rng: random.Random, template: str) -> Labelled:
    text = template.format(branch=rng.choice(BRANCHES))
    return Labelled(None, rng.choice(OPENINGS) + text + rng.choice(NOISE_TAILS), rng.choice(DEMANDS),
                    text[:12].rstrip("，。"))


def labelled_set(seed: int = 18, waves: int = 5, per_wave: tuple[int, int] = (6, 14), noise: int = 40) -> list[Labelled]:
    """The waves (each 6 to 14 customers) and `noise` unrelated complaints, each of a kind (two
    alike would be a wave of their own), shuffled."""
    rng = random.Random(seed)
    chosen = rng.sample(sorted(WAVES), waves)
    items = [wave_complaint(rng, wave) for wave in chosen for _ in range(rng.randint(*per_wave))]
    items += [noise_complaint(rng, text) for text in rng.sample(NOISE, min(noise, len(NOISE)))]
    rng.shuffle(items)
    return items
