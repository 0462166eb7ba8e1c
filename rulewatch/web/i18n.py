"""The workspace's words in English and Simplified Chinese: by the browser's Accept-Language, or the
language the user picked (?lang=, kept in a cookie). A missing translation shows the English."""

from __future__ import annotations

LANGUAGES = ("en", "zh")
WORDS: dict[str, dict[str, str]] = {
    "Inbox": {"zh": "收件箱"}, "Calendar": {"zh": "日历"}, "Search": {"zh": "搜索"}, "Sources": {"zh": "来源"},
    "Audit log": {"zh": "审计日志"}, "Log out": {"zh": "退出"}, "Log in": {"zh": "登录"},
    "User name": {"zh": "用户名"}, "Password": {"zh": "密码"},
    "Wrong user name or password.": {"zh": "用户名或密码错误。"},
    "Too many failed logins: try again later.": {"zh": "登录失败次数过多，请稍后再试。"},
    "Severity": {"zh": "严重程度"}, "State": {"zh": "状态"}, "Owner": {"zh": "负责人"}, "Topic": {"zh": "主题"},
    "Source": {"zh": "来源"}, "Since": {"zh": "起始日期"}, "Title words": {"zh": "标题关键词"},
    "Filter": {"zh": "筛选"},
    "any": {"zh": "全部"}, "Rule": {"zh": "规则"}, "What changed": {"zh": "变化"}, "Key dates": {"zh": "关键日期"},
    "Detected": {"zh": "发现时间"}, "No alert matches.": {"zh": "没有符合条件的提醒。"}, "Next page": {"zh": "下一页"},
    "Previous page": {"zh": "上一页"}, "Deliveries": {"zh": "推送记录"}, "Triage": {"zh": "分流处理"},
    "Decisions": {"zh": "决定记录"}, "Applicable": {"zh": "适用"}, "Not applicable": {"zh": "不适用"},
    "Assign": {"zh": "指派"}, "Snooze until": {"zh": "暂缓至"}, "Done": {"zh": "完成"}, "Reason": {"zh": "原因"},
    "Closing note": {"zh": "结案说明"}, "Record": {"zh": "记录"}, "Dossier": {"zh": "规则档案"},
    "Open the page": {"zh": "打开原网页"}, "Why": {"zh": "原因"}, "In English": {"zh": "英文说明"},
    "Removed": {"zh": "删除"}, "Added": {"zh": "新增"}, "Coming deadlines": {"zh": "即将到来的期限"},
    "Subscribe (.ics)": {"zh": "订阅（.ics）"},
    "Your own link: a calendar app subscribes with it. Whoever holds it sees these deadlines; a new password "
    "revokes it.":
        {"zh": "这是您个人的订阅链接，可在日历应用中订阅。持有该链接者可看到这些期限；修改密码即失效。"},
    "Last check": {"zh": "最近检查"}, "Last success": {"zh": "最近成功"},
    "Failures in a row": {"zh": "连续失败次数"}, "Last error": {"zh": "最近错误"}, "Download CSV": {"zh": "下载 CSV"},
    "When": {"zh": "时间"}, "Who": {"zh": "操作人"}, "Through": {"zh": "途径"}, "From": {"zh": "原状态"},
    "To": {"zh": "新状态"}, "Print": {"zh": "打印"}, "Versions and dates": {"zh": "版本与日期"},
    "Changed since the draft": {"zh": "与征求意见稿相比的变化"}, "Nothing found.": {"zh": "没有找到。"},
    "first seen": {"zh": "首次出现"}, "gone": {"zh": "已消失"}, "still there": {"zh": "仍在"},
    "You may read, not change: ask an admin for the triager role.":
        {"zh": "您只能查看，不能修改：请管理员授予处理人角色。"},
    "Last change": {"zh": "最近变化"}, "Schedule": {"zh": "检查计划"}, "Accounts": {"zh": "账户"},
    "Role": {"zh": "角色"}, "Add the account": {"zh": "添加账户"}, "Remove": {"zh": "删除"},
    "Change the role": {"zh": "更改角色"}, "Added by": {"zh": "添加人"},
    "muted": {"zh": "已屏蔽"}, "signed in as": {"zh": "当前用户"},
    "new": {"en": "New", "zh": "新"}, "applicable": {"en": "Applicable", "zh": "适用"},
    "not_applicable": {"en": "Not applicable", "zh": "不适用"}, "assigned": {"en": "Assigned", "zh": "已指派"},
    "done": {"en": "Done", "zh": "已完成"}, "snoozed": {"en": "Snoozed", "zh": "暂缓"},
}


def pick(accept_language: str, chosen: str = "") -> str:
    """The language to answer in: the one chosen, else the browser's first we speak, else English."""
    if chosen in LANGUAGES:
        return chosen
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "en"


def translate(text: str, lang: str) -> str:
    """The words in `lang` (the triage states have English words too: not_applicable reads "Not applicable")."""
    return WORDS.get(text, {}).get(lang, text)
