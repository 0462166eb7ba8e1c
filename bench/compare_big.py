"""Compare cost on big documents, and extract + compare CPU per changed 20 KB page.

    .venv/bin/python bench/compare_big.py

Prints the CPU time of compare() for a 5 MB rule text with one paragraph changed (target: under
0.5 s), and of extract + compare + judge for one changed 20 KB page (the per-page cost of a cycle).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from benchsite import page  # noqa: E402

from rulewatch.core.model import Block, Document  # noqa: E402
from rulewatch.core.text import article_key  # noqa: E402
from rulewatch.detection.compare import compare  # noqa: E402
from rulewatch.detection.judge import judge  # noqa: E402
from rulewatch.detection.relevance import Taxonomy  # noqa: E402
from rulewatch.scrapers.extract import extract  # noqa: E402


def big_document(paragraphs: int, changed: int | None = None) -> Document:
    blocks = []
    for n in range(paragraphs):
        text = (f"第{n}条 银行业金融机构应当按照规定开展第{n}项信息科技风险管理工作，对供应商实施安全审查，"
                f"并在每季度结束后十五个工作日内向监管部门报送第{n}号报告。")
        if n == changed:
            text = text.replace("十五个工作日", "十个工作日")
        blocks.append(Block(text, article_key(text)))
    return Document(kind="page", url="http://x/big", title="大型规则", blocks=blocks)


def cpu(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        started = time.process_time()
        fn()
        samples.append(time.process_time() - started)
    return statistics.median(samples)


def main() -> None:
    paragraphs = 5 * 1024 * 1024 // (3 * 80)  # about 5 MB of UTF-8 CJK text
    old, new = big_document(paragraphs), big_document(paragraphs, changed=paragraphs // 2)
    size = sum(len(b.text.encode()) for b in old.blocks)
    change = compare(old, new)
    assert len(change.text) == 1
    print(f"5 MB compare: {size / 1e6:.1f} MB, {paragraphs} paragraphs, one changed: "
          f"{cpu(lambda: compare(old, new)):.3f} s CPU (median of 5)")
    moved = big_document(paragraphs)
    moved.blocks.insert(10, Block("第0条之一 新增条款：关键信息基础设施运营者应当优先采购安全可控的产品。"))
    moved.blocks.pop(paragraphs // 2)
    print(f"5 MB compare, a paragraph inserted near the top and one removed mid-way: "
          f"{cpu(lambda: compare(old, moved), 3):.3f} s CPU")

    taxonomy = Taxonomy.load()
    a, b = page(1, 0), page(1, 1)
    old_doc = extract(a, "text/html; charset=utf-8", "http://x/1")

    def per_page() -> None:
        new_doc = extract(b, "text/html; charset=utf-8", "http://x/1")
        judge(compare(old_doc, new_doc), old_doc, new_doc, taxonomy)

    n = 200
    print(f"changed 20 KB page ({len(b)} bytes): extract + compare + judge "
          f"{cpu(lambda: [per_page() for _ in range(n)], 3) / n * 1000:.2f} ms CPU")

    # The explanation of one alert (styled runs, key dates, English line, severity), on its own.
    from rulewatch.detection.explain import ExplainContext, explain_text

    new_doc = extract(b, "text/html; charset=utf-8", "http://x/1")
    change = compare(old_doc, new_doc)
    alerts = judge(change, old_doc, new_doc, taxonomy).findings
    context = ExplainContext.default()
    if alerts:
        seconds = cpu(lambda: [explain_text(alerts[0], change.text, new_doc, context) for _ in range(n)], 3)
        print(f"explaining one alert of that page ({len(change.text)} changed block(s)): "
              f"{seconds / n * 1000:.3f} ms CPU")


if __name__ == "__main__":
    main()
