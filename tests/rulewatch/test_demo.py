"""`rulewatch demo` works offline and shows one alert per kind of change, and no noise."""

from __future__ import annotations

import io

from rulewatch.demo import run_demo


def test_demo_shows_the_four_changes_and_nothing_else() -> None:
    out = io.StringIO()
    assert run_demo(out) == 0
    text = out.getvalue()
    assert text.count("=== ") == 4
    assert "=== Amended: 银行业金融机构信息科技采购管理办法" in text and "+ 第四条" in text
    assert "=== New: 关于银行业金融机构信息技术产品源代码备案有关事项的通知" in text
    assert "=== Withdrawn: 关于银行业金融机构数据安全管理办法" in text
    assert "=== New: Computer-Security Incident Notification Requirements" in text
    for noise in ("2718", "浏览次数", "第四季度统计数据发布", "关于开展农村金融服务创新试点的通知"):
        assert noise not in text.split("--- alerts")[1]
