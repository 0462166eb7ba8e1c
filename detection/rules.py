"""Which rule a finding is about, and what it is in that rule's life. Pure: judge() files each alert it
makes (`filed`), and an upgrade files the alerts recorded before rules existed the same way.

A rule's identity is the id that names its rulemaking for its whole life (a Regulation Identifier
Number, else a docket id), else its normalised name (detection.lineage.rule_name: the draft wrapper and
《》 stripped, so a draft and its final name one rule when their names agree) and its publisher (NFRA's
and CAC's 数据安全管理办法 are two rules; lineage may still ask whether one is the other's final). A name too short to
tell one rule from another (通知, 公告) identifies nothing. The recorder files an alert under the rule
its subject (the list item, the page) was filed under before, else the rule of its key, else a new
rule (keyed by its subject when it has no key). Storage (state.rules) keeps the
rules; linking a final whose name differs from its draft's (办法 adopted as 规定) stays lineage's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from typing import TypeVar

from rulewatch.core.model import Finding, RuleRole
from rulewatch.detection.lineage import DOCKET, RIN, rule_name
from rulewatch.detection.severity import reads_as_draft

_F = TypeVar("_F", bound=Finding)  # a finding, or an alert carrying one (the upgrade files stored alerts)

# The alerts that are about a rule: a published item, a changed text or title, a changed record. A
# removed list item is not (lists rotate), nor are health notices, reminders and lineage's replies.
RULE_KINDS = ("new_item", "changed_text", "title_changed", "changed_item")
MIN_NAME_CHARS = 4  # a shorter name (通知, 公告, "rule") could be any rule's
MAX_KEY_NAME_CHARS = 300  # a longer name is keyed by its start and a digest of the whole
NAME = "name:"  # the prefix of a rule key by name, beside lineage's rin: and docket:
_CHANGE_ROLES: dict[str, RuleRole] = {"changed_text": "amended", "title_changed": "retitled",
                                      "changed_item": "updated"}


MAX_KEY_PUBLISHER_CHARS = 100


def rule_key(title: str, ids: Sequence[str], publisher: str = "") -> str:
    """The key of the rule an alert is about: rin:…, else docket:…, else name:…[@publisher]; "" when its
    name is too short to tell (the recorder then files it by its subject)."""
    for prefix in (RIN, DOCKET):
        found = sorted(i for i in ids if i.startswith(prefix))
        if found:
            return found[0]
    name = rule_name(title)
    if len(name) < MIN_NAME_CHARS:
        return ""
    if len(name) > MAX_KEY_NAME_CHARS:  # a key is indexed, and indexes take a few KB a row at most
        name = f"{name[:MAX_KEY_NAME_CHARS]}#{hashlib.sha1(name.encode()).hexdigest()[:12]}"
    issuer = "".join(publisher.split()).casefold()[:MAX_KEY_PUBLISHER_CHARS]
    return NAME + name + (f"@{issuer}" if issuer else "")


def rule_role(kind: str, title: str, severity_reasons: Sequence[str] = ()) -> RuleRole:
    """What a finding of `kind` is in its rule's life: about a draft for comment (a new draft, or a
    change to one: what a final may be linked to), else a published version (lineage marks a linked
    final "final"), or a change that amends, retitles or updates it."""
    if reads_as_draft(title, tuple(severity_reasons)):
        return "draft"
    return "published" if kind == "new_item" else _CHANGE_ROLES.get(kind, "updated")


def filed(alert: _F) -> _F:
    """The alert with the rule it is about and its role there (unchanged when it is about no rule)."""
    if alert.kind not in RULE_KINDS:
        return alert
    return replace(alert, rule_key=rule_key(alert.title, alert.rule_ids, alert.publisher),
                   rule_role=rule_role(alert.kind, alert.title, alert.severity_reasons))
