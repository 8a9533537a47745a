"""How alike two customers' texts are, lexically: the Chinese is cut into overlapping character
pairs (bigrams: 手机银行 → 手机 机银 银行), Latin letters and digits into words (ATM, app, E102),
the words every complaint uses (客户, 希望, 处理 …) are dropped, and two complaints score by the
pairs they share (cosine of the two sets: 1 when identical, 0 when nothing is shared). No
dictionary and no model: it runs on the CPU in microseconds, the same on every machine.

Its limit is that of any lexical method: complaints about one outage that share no words
(“App 打不开” and “转账失败”) are not found alike; those sharing the outage's words are,
however the sentences around them are built."""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from typing import Iterable

_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+|[a-z0-9]+")
# Pairs found in complaints about anything: they say nothing about what happened.
STOP_PAIRS = frozenset("""
客户 本人 我们 你们 他们 自己 希望 要求 请求 尽快 处理 解决 问题 一下 没有 今天 昨天 前天 上午 下午
晚上 时候 工作 人员 一个 已经 还是 什么 怎么 为什么 可以 不能 情况 给予 答复 说明 解释 道歉 一直
这个 那个 但是 因为 所以 而且 如果 然后 之后 以后 之前 现在 发现 表示 认为 觉得 非常 十分 特别
需要 能够 应该 是否 进行 相关 有关 对于 关于 以及 并且 不是 就是 也是 都是 还有 没人 无人 后来
一次 多次 好几 几次 半天 多少 很多 很久 最后 结果 导致 造成 影响 严重 不满 投诉 反映 反馈 称其
致电 来电 来访 到店 前往 当时 其中 此事 事情 方面 给我 让我 我的 我在 我去 在我 了我 了一 是我
有人 答应 承诺 回复 联系 告知 告诉 通知 核实 查明 原因 说法 态度 合理 补偿 赔偿 负责 责任
十点 点左 左右 早上 刚才 中午 二点 点多 大概 小时 开始 刚刚 九点 不了 不行 到现在 现在 一点
""".split())


def terms(*texts: str) -> frozenset[str]:
    """The comparable terms of the texts: Chinese character pairs and Latin words, without the
    everyday words of STOP_PAIRS. Full-width letters and digits read as their ASCII selves."""
    found = set()
    for text in texts:
        for run in _RUN.findall(unicodedata.normalize("NFKC", text or "").lower()):
            if run.isascii():
                if len(run) >= 2 and not run.isdigit():   # amounts and dates differ between customers
                    found.add(run)
                continue
            found.update(_pairs(run))
    return frozenset(found)


def _pairs(run: str) -> list[str]:
    """The character pairs of a run of Chinese, the everyday words cut out first: 客户要求尽快处理
    gives nothing, not 户要 求尽 快处 (pairs straddling two everyday words, as common as they are)."""
    kept = [True] * len(run)
    for i in range(len(run) - 1):
        if run[i:i + 2] in STOP_PAIRS:
            kept[i] = kept[i + 1] = False
    return [run[i:i + 2] for i in range(len(run) - 1) if kept[i] and kept[i + 1]]


def score(a: frozenset[str], b: frozenset[str]) -> float:
    """Cosine of the two term sets: the shared terms over the geometric mean of their sizes."""
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


def score_stored(a: frozenset[str], stored: list[str]) -> float:
    """score() against terms as stored (distinct, in a list): a lookup scores hundreds of
    candidates, and building a set of each costs more than the scoring."""
    if not a or not stored:
        return 0.0
    return len(a.intersection(stored)) / math.sqrt(len(a) * len(stored))


def pack(found: Iterable[str]) -> str:
    """Terms as stored: sorted, space-separated (no term holds a space)."""
    return " ".join(sorted(found))


def unpack(stored: str | None) -> frozenset[str]:
    return frozenset(stored.split()) if stored else frozenset()


def shared_words(shared: Iterable[str], *texts: str, limit: int = 6) -> list[str]:
    """The shared terms as a reader sees them: runs of the texts covered by shared pairs, joined
    back into words (手机 机银 银行 → 手机银行), longest first; Latin words as written."""
    shared = set(shared)
    words: Counter = Counter()
    for text in texts:
        normal = unicodedata.normalize("NFKC", text or "")
        for run in _RUN.findall(normal.lower()):
            if run.isascii():
                if run in shared:
                    words[run.upper() if len(run) <= 4 else run] += 1
                continue
            start = None
            for i in range(len(run)):
                covered = run[i:i + 2] in shared or (i > 0 and run[i - 1:i + 1] in shared)
                if covered and start is None:
                    start = i
                elif not covered and start is not None:
                    words[run[start:i]] += 1
                    start = None
            if start is not None:
                words[run[start:]] += 1
    ranked = sorted(words, key=lambda word: (-len(word), -words[word], word))
    kept: list[str] = []
    for word in ranked:
        if not any(word in longer for longer in kept):
            kept.append(word)
        if len(kept) == limit:
            break
    return kept


def common_terms(term_sets: list[frozenset[str]], share: float = 0.5) -> frozenset[str]:
    """The terms found in at least `share` of the sets (and in two of them at least)."""
    counts = Counter(term for found in term_sets for term in found)
    needed = max(2, math.ceil(share * len(term_sets)))
    return frozenset(term for term, count in counts.items() if count >= needed)


def groups(items: list[tuple[int, frozenset[str]]], threshold: float) -> list[list[int]]:
    """Connected groups of the items (id, terms) whose pairs score `threshold` or more, each
    sorted by id, the largest first. Only pairs sharing a term are compared (an inverted index),
    so a window of mostly unrelated complaints costs little more than its length."""
    by_term: dict[str, list[int]] = {}
    for index, (_id, found) in enumerate(items):
        for term in found:
            by_term.setdefault(term, []).append(index)
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i
    for index, (_id, found) in enumerate(items):
        candidates = {other for term in found for other in by_term[term] if other > index}
        for other in candidates:
            if root(index) != root(other) and score(found, items[other][1]) >= threshold:
                parent[root(other)] = root(index)
    grouped: dict[int, list[int]] = {}
    for index, (item_id, _found) in enumerate(items):
        grouped.setdefault(root(index), []).append(item_id)
    return sorted((sorted(ids) for ids in grouped.values()), key=lambda ids: (-len(ids), ids[0]))
