"""Compare cost when a rule is rewritten whole: every article's wording new.

    .venv/bin/python bench/compare_rewrite.py

Targets (issue 18): a 200-article rule fully rewritten is compared in under 50 ms, a 5 MB page fully
rewritten in under 1 s. Three shapes of rewrite, each timed as CPU (median of several runs):

- reworded: every article keeps its number and about two thirds of its wording (pairs as changed);
- renumbered: reworded, and a new article inserted near the top shifts every later number by one;
- replaced: every article's text is new (nothing pairs; all removed and added).

It also prints how many similarity measures pairing spends per block (at most PAIR_CALLS_PER_BLOCK).
Changed blocks are diffed by token up to TOKEN_DIFF_CHARS of text per comparison and by sentence past
it (detection/compare.py): the 5 MB shapes cross it about a quarter of the way in.
Each case runs twice: with CPython's default collector settings, and with those the `rulewatch`
command sets before a cycle (rulewatch/command.py: later collections, import-time objects frozen).
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))
from rulewatch.command import GC_GENERATION0, GC_OLDER  # noqa: E402
from rulewatch.core.model import Block, Document  # noqa: E402
from rulewatch.core.text import article_key  # noqa: E402
from rulewatch.detection.compare import compare  # noqa: E402
from rulewatch.detection.pairing import pair_blocks, similarity  # noqa: E402

# Phrases of one rule share most of their characters: the case where cheap similarity bounds do not prune.
PHRASES = [
    "银行业金融机构应当", "建立健全信息科技风险管理体系", "对关键信息基础设施", "实施安全审查",
    "采购安全可控的产品和服务", "在每季度结束后十五个工作日内", "向监管部门报送", "网络安全事件报告",
    "供应商应当提供源代码", "并接受检测", "数据出境安全评估", "个人信息保护", "应急预案和演练",
    "外包服务管理", "第三方服务提供者", "不得擅自", "按照国家有关规定", "定期开展风险评估",
    "董事会承担最终责任", "高级管理层负责组织实施", "审计部门应当", "每年至少一次", "整改情况",
]
CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    if n >= 1000:  # no rule runs this long; the 5 MB page numbers its articles in digits past 999
        return str(n)
    if n < 10:
        return CN_DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return (CN_DIGITS[tens] if tens > 1 else "") + "十" + (CN_DIGITS[ones] if ones else "")
    hundreds, rest = divmod(n, 100)
    tail = "" if rest == 0 else ("零" + cn_number(rest) if rest < 10 else
                                 (CN_DIGITS[1] if rest < 20 else "") + cn_number(rest))
    return CN_DIGITS[hundreds] + "百" + tail


def article(rng: random.Random, number: int, phrases: int) -> list[str]:
    return [f"第{cn_number(number)}条", *(rng.choice(PHRASES) for _ in range(phrases))]


def reword(rng: random.Random, words: list[str], share: float) -> list[str]:
    return [words[0], *(rng.choice(PHRASES) if rng.random() < share else w for w in words[1:])]


def document(articles: list[list[str]]) -> Document:
    blocks = []
    for words in articles:
        text = words[0] + " " + "，".join(words[1:]) + "。"
        blocks.append(Block(text, article_key(text)))
    return Document(kind="page", url="http://x/rule", title="规则", blocks=blocks)


def rewrites(count: int, phrases: int) -> dict[str, tuple[Document, Document]]:
    rng = random.Random(count)
    old = [article(rng, n + 1, phrases) for n in range(count)]
    reworded = [reword(rng, a, 0.35) for a in old]
    inserted = [article(rng, 3, phrases)]
    renumbered = reworded[:2] + inserted + [[f"第{cn_number(n + 4)}条", *a[1:]] for n, a in enumerate(reworded[2:])]
    other = random.Random(-count)
    replaced = [[a[0], *(other.choice(PHRASES[::-1]) + "并" + other.choice(PHRASES) for _ in range(phrases))]
                for a in old]
    return {"reworded": (document(old), document(reworded)),
            "renumbered": (document(old), document(renumbered)),
            "replaced": (document(old), document(replaced))}


def cpu(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.process_time()
        fn()
        samples.append(time.process_time() - started)
    return statistics.median(samples)


def main() -> None:
    defaults = gc.get_threshold()
    for label, threshold in (("default collector", defaults), ("as `rulewatch run`", (GC_GENERATION0, *GC_OLDER))):
        print(f"# {label}: gc thresholds {threshold}", flush=True)
        gc.set_threshold(*threshold)
        if threshold != defaults:
            gc.freeze()  # what the command freezes: the imports, not the documents (made below, as a cycle makes them)
        measure([(count, phrases, repeat, rewrites(count, phrases))
                 for count, phrases, repeat in ((200, 8, 7), (20_000, 10, 3))])


def measure(cases: list[tuple[int, int, int, dict[str, tuple[Document, Document]]]]) -> None:
    for count, _, repeat, shapes in cases:
        for name, (old, new) in shapes.items():
            size = sum(len(b.text.encode()) for b in new.blocks)
            change = compare(old, new)
            kinds = {k: sum(1 for t in change.text if t.kind == k) for k in ("changed", "added", "removed")}
            seconds = cpu(lambda old=old, new=new: compare(old, new), repeat)
            print(f"{count} articles ({size / 1e6:.2f} MB) {name}: {seconds * 1000:.1f} ms CPU; "
                  f"{kinds['changed']} changed, {kinds['added']} added, {kinds['removed']} removed; "
                  f"{measures(old, new) / len(old.blocks):.1f} similarity measures per block")


def measures(old: Document, new: Document) -> int:
    """Similarity measures pairing spends on the whole documents as one stretch (the most it can)."""
    calls = 0

    def counted(a: str, b: str) -> float:
        nonlocal calls
        calls += 1
        return similarity(a, b)

    pair_blocks([b.text for b in old.blocks], [b.text for b in new.blocks],
                [b.key for b in old.blocks], [b.key for b in new.blocks], counted)
    return calls


if __name__ == "__main__":
    main()
