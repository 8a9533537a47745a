"""What bench-data's customers write: complaints about some 30 topics of a bank, each told in many
ways — what it is about (手机银行, 网银, 掌上银行 …), what went wrong, what the customer was doing,
what it cost them, where (one of many branches and streets), amounts, card ends, dates and
opening and closing words, in varying order — and now and then a burst: one outage or fee run
that many customers complain about within hours, each in their own words. The lookups then meet
what real ones do: a few everyday words, many telling ones, and crowds of like complaints."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

# Topic: category code, weight, names of what it is about, what went wrong, what the customer was
# doing, what it cost them.
TOPICS = [
    ("system_app", 8, ["手机银行", "手机银行APP", "掌上银行", "网上银行", "网银", "贵行的APP", "手机银行客户端"],
     ["一直登录不上", "提示系统繁忙请稍后再试", "打开就闪退", "收不到短信验证码", "人脸识别一直失败", "页面一直转圈",
      "提示网络异常", "升级以后用不了", "指纹登录失效了", "密码输对了还提示错误", "转账页面卡住不动", "显示服务暂不可用"],
     ["想查一下余额", "准备给家里转账", "要还信用卡", "想买理财", "交水电费", "查工资到账没有", "给孩子交学费", "交房租"],
     ["耽误了还款", "只好跑到网点排队", "影响了生意上的付款", "换了好几个网络都不行", "打客服也说不清楚", "被收了逾期利息"]),
    ("system_app", 4, ["跨行转账", "他行转账", "网银汇款", "手机银行转账", "大额转账", "跨行汇款"],
     ["迟迟没有到账", "一直显示处理中", "被退回了还扣了手续费", "钱扣了对方却没收到", "被限额转不出去", "转错了账户要求追回",
      "到账时间比承诺的晚了两天"],
     ["给供应商付货款", "给父母打生活费", "付房子首付", "还朋友的钱", "交押金", "给工人发工资"],
     ["对方一直在催", "差点违约", "客服只会让等", "查不到钱去了哪里", "被收了违约金"]),
    ("product_quality", 5, ["ATM", "ATM机", "取款机", "存取款一体机", "自助设备", "CRS机", "自助存款机"],
     ["吞卡了", "没出钞却扣了款", "存进去的钱没有入账", "少吐了几张钞票", "屏幕失灵按不动", "吐出一张残币",
      "显示交易失败但扣款成功", "出钞口卡住了"],
     ["下班去取钱", "急着取现金", "晚上去存营业款", "取两千块钱交学费", "帮老人取养老金"],
     ["卡也没了钱也没了", "大堂没有工作人员", "打电话一直占线", "等了半个小时没人管", "第二天才处理"]),
    ("fees", 5, ["借记卡", "储蓄卡", "工资卡", "社保卡", "一类账户", "银行卡"],
     ["被扣了年费", "被扣了小额账户管理费", "被收了短信服务费", "跨行取款被收了手续费", "被重复扣费",
      "本来免费的卡被扣了费", "挂失补卡收费太高"],
     ["查账的时候", "收到短信后", "打流水的时候", "看账单时"],
     ["钱虽然不多但很不合理", "办卡时说好是免费的", "从来没人通知过", "身边好几个人都被扣了"]),
    ("fees", 5, ["信用卡", "白金信用卡", "联名信用卡", "贵行信用卡", "副卡"],
     ["被收了年费", "分期手续费比说的高", "被收了违约金", "利息计算有误", "最低还款后被收了全额利息",
      "还款日没有自动扣款", "账单金额不对"],
     ["还款的时候", "看账单才发现", "注销时", "办了分期以后"],
     ["当初办卡时没说清楚", "要求退还多收的钱", "影响了征信", "打客服一直推诿"]),
    ("product_quality", 4, ["信用卡", "我的信用卡", "信用卡额度", "贵行信用卡"],
     ["额度突然被降了", "没有任何通知就被冻结", "被无故封卡", "提额申请一直被拒", "被盗刷了", "出现了境外交易",
      "有几笔不是我刷的消费"],
     ["出国旅游刷卡时", "付酒店押金时", "在商场结账时", "还完款以后", "半夜收到短信"],
     ["当场非常尴尬", "行程都被打乱", "一直按时还款从未逾期", "报警也没有结果", "客服也问不出原因"]),
    ("product_quality", 3, ["银行卡", "借记卡", "账户", "卡里的钱"],
     ["被人盗刷了", "出现不明扣款", "被转走了一笔钱", "在外地被取现", "被开通了我不知道的快捷支付"],
     ["卡一直在我身上", "半夜收到扣款短信", "去补登存折时", "查余额时"],
     ["银行说不是他们的责任", "报警后银行不配合", "要求银行先行赔付", "一直在等调查结果"]),
    ("waiting", 6, ["排队", "叫号", "等候时间", "窗口"],
     ["等了两个多小时", "只开了一个窗口", "有人插队没人管", "叫号系统乱了", "取号后一直不叫", "中午窗口全关了",
      "对公窗口不办个人业务"],
     ["去办存款", "去办挂失", "带老人去取钱", "去开户", "午休时间去办业务"],
     ["假请了一天", "老人站得受不了", "大堂经理也不解释", "最后没办成又白跑一趟"]),
    ("service_attitude", 7, ["柜员", "大堂经理", "客服人员", "理财经理", "保安", "客户经理", "网点负责人"],
     ["态度冷淡", "很不耐烦", "语气恶劣", "互相推诿", "上班时间玩手机", "直接挂了电话", "当众训斥客户",
      "说话阴阳怪气"],
     ["问两句问题时", "办业务的时候", "咨询贷款时", "投诉的时候", "电话咨询时"],
     ["非常气愤", "完全没有服务意识", "要求当面道歉", "要求处理当事人"]),
    ("sales", 5, ["理财产品", "基金", "结构性存款", "贵金属", "代销信托", "净值型理财"],
     ["说是保本结果亏了", "风险等级和我的评估不符", "没有告知风险", "收益和宣传的差很多", "被诱导购买",
      "赎回款迟迟不到", "到期不能赎回"],
     ["听了理财经理推荐", "存款到期时", "退休后想理财", "把养老钱拿去买"],
     ["损失了好几万", "当初的宣传不实", "要求退还本金", "录音录像都没有"]),
    ("sales", 3, ["保险", "分红险", "万能险", "储蓄型保险", "意外险"],
     ["被当作存款卖给我", "退保损失很大", "收益远低于承诺", "办贷款时被搭售", "被强制捆绑购买"],
     ["去存定期时", "办房贷时", "老人去取钱时", "续期缴费时"],
     ["根本不知道买的是保险", "损失了一千多元", "要求全额退保", "老人看不懂合同"]),
    ("waiting", 4, ["房贷", "经营贷", "消费贷", "车贷", "公积金贷款", "装修贷"],
     ["审批太慢", "放款一直拖延", "被拒了也不说原因", "材料被弄丢了", "利率突然上调", "提前还款要排队几个月",
      "提前还款要收违约金"],
     ["买房签约后", "交完材料后", "生意急用钱", "想提前还款"],
     ["差点违约", "多付了很多利息", "客户经理联系不上", "跑了好几趟"]),
    ("service_attitude", 3, ["催收", "催收电话", "贷后电话", "外包催收"],
     ["骚扰我的家人", "半夜打电话", "语言威胁", "已经还清了还在催", "打到我单位去"],
     ["逾期几天后", "协商还款时", "还款后第二天"],
     ["影响了我的工作", "家人很害怕", "要求停止骚扰"]),
    ("product_quality", 3, ["征信报告", "征信记录", "个人征信"],
     ["有错误的逾期记录", "有一笔不是我办的贷款", "多了好多查询记录", "异议处理不及时"],
     ["申请房贷时", "换工作背调时", "办信用卡被拒后"],
     ["房贷批不下来", "要求立即更正", "银行互相推诿"]),
    ("sales", 3, ["营销电话", "推销短信", "贷款推销电话", "信用卡推销"],
     ["天天打来", "拒绝了还一直打", "知道我的个人信息", "上班时间不停打"],
     ["在开会的时候", "晚上休息时", "退订以后"],
     ["严重影响生活", "怀疑信息被泄露", "要求删除我的号码"]),
    ("environment", 4, ["营业厅", "网点", "自助银行", "停车场", "卫生间", "无障碍通道", "等候区"],
     ["空调坏了", "卫生太差", "座位不够", "门禁坏了进不去", "不让停车", "没有饮水机", "灯坏了一半", "地面很滑"],
     ["夏天去办业务", "晚上去存钱", "带孩子去", "推着轮椅去"],
     ["闷热难受", "老人差点摔倒", "不像一家银行", "反映多次没有改"]),
    ("other", 5, ["开户", "销户", "挂失", "补卡", "密码重置", "非柜面交易限制", "账户冻结"],
     ["要求的材料太多", "被限制了非柜面交易", "跑了好几趟都没办成", "不给办理也不说原因", "要求本人到场",
      "说要证明我是我"],
     ["外地工作回来", "给孩子办卡", "工资卡被冻结后", "换了手机号以后"],
     ["工资领不出来", "规定不合理", "请了两次假", "要求给个书面说法"]),
    ("product_quality", 3, ["定期存款", "大额存单", "存单", "整存整取", "通知存款"],
     ["利息算少了", "自动转存的利率很低", "提前支取损失了利息", "到期没有提醒", "存单找不到记录"],
     ["到期去取时", "核对利息时", "急用钱提前取时"],
     ["和柜员说的不一样", "要求补足利息", "感觉被骗了"]),
    ("other", 3, ["养老金", "老年人业务", "代办", "社保卡激活"],
     ["要求老人本人到场", "自助机老人不会用", "没人帮忙操作", "代领需要的材料太多"],
     ["老人行动不便", "带父亲去办", "母亲卧床在家"],
     ["一点也不体谅老人", "希望上门服务", "老人白跑一趟"]),
    ("fees", 2, ["外币兑换", "外汇汇款", "境外汇款", "结汇"],
     ["汇率比网上公布的差", "手续费太高", "到账特别慢", "被退回还扣了费"],
     ["孩子出国留学", "出差前换汇", "给国外客户付款"],
     ["损失了好几百", "没有事先说明", "要求退还手续费"]),
    ("system_app", 4, ["快捷支付", "微信绑卡", "支付宝绑卡", "自动扣款", "代扣", "云闪付"],
     ["绑定失败", "扣了两次款", "解绑不了", "限额太低", "换卡后全部失效", "被扣了不认识的钱"],
     ["网上购物时", "交话费时", "还花呗时", "换新卡以后"],
     ["影响了正常付款", "商家说是银行的问题", "客服让找第三方"]),
    ("system_app", 2, ["短信提醒", "动账通知", "余额提醒", "微信提醒"],
     ["一直收不到", "被收了费还收不到", "延迟好几个小时", "发到别人手机上了"],
     ["开通后", "换号以后", "卡被盗刷时"],
     ["没能及时发现被盗刷", "要求退费", "毫无作用"]),
    ("product_quality", 2, ["POS机", "收单", "商户结算", "聚合收款码"],
     ["结算延迟", "费率悄悄上调", "被无故冻结", "到账金额不对"],
     ["店里营业时", "月底对账时", "节日期间"],
     ["影响了进货", "生意受损", "要求恢复原费率"]),
    ("waiting", 4, ["客服热线", "人工客服", "客服电话", "在线客服"],
     ["一直打不通", "转人工要等半小时", "答非所问", "只有机器人回复", "说会回电一直没回"],
     ["卡被吞后", "发现盗刷后", "想挂失时", "咨询账单时"],
     ["错过了最佳处理时间", "急死人了", "客服形同虚设"]),
    ("other", 2, ["个人信息", "身份证复印件", "客户资料", "交易记录"],
     ["被泄露了", "被随意放在柜台上", "被冒用办了业务", "被发给了别人"],
     ["接到诈骗电话后", "办完业务后", "查征信时"],
     ["担心财产安全", "要求查明责任人", "要求书面说明"]),
    ("other", 2, ["零钱兑换", "硬币存款", "残币兑换", "大额取现"],
     ["不给兑换", "预约电话打不通", "拒收硬币", "要提前三天预约"],
     ["店里找零用", "孩子存钱罐的硬币", "急用现金"],
     ["银行不应该拒收人民币", "规定说不清楚", "白跑一趟"]),
    ("other", 2, ["积分", "积分兑换的礼品", "活动奖励", "立减金", "优惠券"],
     ["一直没到账", "规则突然改了", "兑换失败还扣了积分", "礼品和图片不一样"],
     ["参加活动后", "消费满额后", "兑换礼品时"],
     ["宣传误导", "要求补发", "感觉被骗"]),
]
BRANCHES = [p + "支行" for p in ("城东", "城西", "城南", "城北", "高新区", "开发区", "人民路", "解放路", "中山路",
                                  "建设路", "滨江", "湖滨", "火车站", "大学城", "新华街", "东湖", "西湖", "北苑",
                                  "南湖", "江北", "临港", "万达广场", "经开区", "科技园")]
PLACES = BRANCHES + ["总行营业部", "社区网点", "离行自助银行", "商场里的自助银行"]
OPENINGS = ["", "", "", "您好，", "我想反映一个情况，", "我要投诉，", "本人是贵行老客户，", "再次来电反映，", "客户称",
            "客户来电反映，", "客户到店反映，", "客户在网上留言，"]
WHEN = ["今天上午", "今天下午", "昨天晚上", "前天", "上周五", "这个月初", "月底", "刚才", "中午", "周末",
        "{m}月{d}日", "{m}月{d}日上午", "{m}月{d}日下午", "{h}点多"]
AMOUNTS = ["{n}元", "{n}块钱", "{n}多元", "两千元", "五万元", "三百多块", "一万二", "八千多元", "几十块钱"]
DETAILS = ["涉及金额{amount}", "金额{amount}", "卡号尾号{tail}", "共{amount}", "被扣了{amount}", "损失{amount}"]
TAILS = ["", "", "", "请给个说法。", "希望尽快解决。", "已经不是第一次了。", "非常不满意。", "要求回电。",
         "不解决就向监管部门投诉。", "请核实。"]
DEMANDS = ["尽快处理并答复。", "要求道歉并解释原因。", "要求退还多扣的钱。", "要求赔偿损失。", "请尽快回电说明情况。",
           "希望改进服务。", "要求给出书面答复。", "要求追究相关人员责任。"]
# What happened next, and who and where: the long tail of words every real complaint has.
AFTERWARDS = ["后来又打了客服电话", "工作人员让我回去等通知", "到现在已经过去三天了", "之前已经反映过两次", "大堂经理说系统问题他们也没办法",
              "客服说会在二十四小时内回复", "我当场要求见负责人", "对方说这是总行的规定", "网点说要上报等审批",
              "我把聊天记录和截图都保存了", "营业员让我自己去找第三方", "家里老人为此急得睡不着", "同事也遇到了一样的事",
              "问了三个人说法都不一样", "约好的回访电话一直没有打来", "对方让我写个情况说明", "保安把我拦在门外",
              "等到下班也没人处理", "说是要走流程", "只给了一个工单号"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
ROLES = ["经理", "柜员", "主任", "客户经理", "大堂经理", "行长", "师傅", "专员"]
SYLLABLES = "金银华福安康泰和平盛兴隆祥瑞丰阳光明春秋东南西北新旧锦绣花园城苑湖山水田林竹梅兰桂枫松柏云霞星月海江河港湾桥塘溪泉"
STREETS = ["路", "街", "大道", "小区", "花园", "家园", "新村", "广场", "商城", "市场"]
MERCHANTS = ["京东", "淘宝", "美团", "拼多多", "携程", "滴滴", "中石化加油站", "沃尔玛", "苏宁", "国美", "永辉超市", "物业公司",
             "燃气公司", "自来水公司", "学校", "医院", "4S店", "驾校", "健身房", "装修公司"]
BURST_SHARE = 0.04        # complaints that belong to a burst
BURST_DAYS = 5            # one burst every this many days, on average
BURST_HOURS = 6           # ... its complaints come within this many hours


@dataclass
class Text:
    category: str
    content: str
    object_text: str
    demand: str


class Writer:
    """Complaint texts for bench-data, with a seeded random generator; `bursts` over `span` before `now`."""

    def __init__(self, rng: random.Random, now: datetime, span: timedelta):
        self.rng, self.now = rng, now
        self.weights = [weight for _c, weight, *_r in TOPICS]
        self.bursts = [(now - span * rng.random(), self._narrowed(self._topic()), rng.choice(PLACES))
                       for _ in range(max(1, span.days // BURST_DAYS))]

    def _topic(self):
        return self.rng.choices(TOPICS, self.weights)[0]

    def _narrowed(self, topic):
        """A burst's topic: one outage or fee run, so two of its symptoms (told in every other way)."""
        category, weight, names, symptoms, doings, costs = topic
        return category, weight, names, self.rng.sample(symptoms, 2), doings, costs

    def complaint(self, registered: datetime) -> tuple[datetime, Text]:
        """When it was registered (a burst's complaint moves to its burst) and what it says."""
        rng = self.rng
        if rng.random() < BURST_SHARE:
            at, topic, place = rng.choice(self.bursts)
            return min(at + timedelta(hours=BURST_HOURS * rng.random()), self.now), self._write(topic, place)
        return registered, self._write(self._topic(), rng.choice(PLACES) if rng.random() < 0.5 else "")

    def _write(self, topic, place: str) -> Text:
        rng = self.rng
        category, _weight, names, symptoms, doings, costs = topic
        name, symptom = rng.choice(names), rng.choice(symptoms)
        when = rng.choice(WHEN).format(m=rng.randint(1, 12), d=rng.randint(1, 28), h=rng.randint(8, 20))
        where = f"在{place}" if place else ""
        happened = f"{name}{symptom}"
        doing = rng.choice(doings)
        parts = [f"{when}{where}{doing}，{happened}", f"{happened}，是{when}{where}{doing.removesuffix('时')}时发现的",
                 f"{where}{name}{when}{symptom}，当时{doing}"][rng.randrange(3)].lstrip("，")
        if rng.random() < 0.3:
            parts += "，" + self._who_where()
        if rng.random() < 0.4:
            amount = rng.choice(AMOUNTS).format(n=rng.choice((50, 100, 200, 300, 500, 1000, 2000, 3000, 5000, 8000)))
            parts += "，" + rng.choice(DETAILS).format(amount=amount, tail=f"{rng.randrange(10000):04d}")
        after = "".join(rng.choice(AFTERWARDS) + "，" for _ in range(rng.choice((0, 1, 1, 2, 3))))
        content = f"{rng.choice(OPENINGS)}{parts}，{after}{rng.choice(costs)}。{rng.choice(TAILS)}"
        obj = rng.choice([name, name, f"{name}{symptom}", f"{place}{name}" if place else name])
        return Text(category, content, obj[:60], rng.choice(DEMANDS))

    def _who_where(self) -> str:
        """A person, a street or a merchant: names no other complaint may share."""
        rng = self.rng
        return rng.choice([
            lambda: f"接待的是一位姓{rng.choice(SURNAMES)}的{rng.choice(ROLES)}",
            lambda: f"{rng.choice(SURNAMES)}{rng.choice(ROLES)}说会跟进",
            lambda: f"我住在{''.join(rng.sample(SYLLABLES, 2))}{rng.choice(STREETS)}附近",
            lambda: f"在{rng.choice(MERCHANTS)}付款时出的问题",
            lambda: f"是{''.join(rng.sample(SYLLABLES, 2))}{rng.choice(STREETS)}那边的网点"])()
