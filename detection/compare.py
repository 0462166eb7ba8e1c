"""compare(old, new) -> Change: a pure, noise-aware diff of two Documents of one source.

Text blocks are aligned with difflib on their masked form (volatile values replaced), then changed
blocks get a token-level inline diff (CJK by character, other scripts by word). List items are keyed
by their stable id and compared field by field with deepdiff; an item that leaves the end of a list
while new ones arrive at the top moved to a later page and is not reported as removed.
"""

from __future__ import annotations

import difflib
import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import NamedTuple, cast

from rapidfuzz.distance import Indel

from rulewatch.core.model import WINDOW, Block, Change, Document, Ignored, InlineRun, Item, ItemChange, TextChange
from rulewatch.core.noise import LIST_FIELD, noisy_name
from rulewatch.detection.dates import find_key_dates
from rulewatch.detection.noise import Masked, describe, mask, normalise
from rulewatch.detection.pairing import pair_blocks
from rulewatch.detection.volatility import same_shape

Opcode = tuple[str, int, int, int, int]  # difflib's: tag, old start and end, new start and end
COUNTER_SHARE = 0.8  # a field changing in this share of a list's items at once is a counter, not news
MIN_ITEMS_FOR_COUNTER = 3
MAX_INLINE_CELLS = 16_000_000  # tokens x tokens up to which a block is diffed at that grain (a 2 MB bit matrix)
# Characters of changed blocks (old and new) one comparison diffs by token; past them, by sentence. A
# rule of 200 articles rewritten whole is 40,000; a 5 MB page rewritten whole, 3.8 million, whose
# token diffs alone took 0.4 s. An alert shows the first changes; the later ones stay exact by sentence.
TOKEN_DIFF_CHARS = 1_000_000
_SENTENCE = re.compile(r"[^。；！？!?;\n]+[。；！？!?;\n]?")
# A word of Latin letters and digits is one token, as is each other character; characters of the
# private-use planes are coded too, since words are coded as such characters (_Coded).
# (One character class first, which the regex engine scans for in C: twice as fast as the two
# alternatives, on text that is mostly neither.)
_WORD = re.compile(r"[A-Za-z0-9\U000F0000-\U0010FFFF](?:(?<=[A-Za-z0-9])[A-Za-z0-9]*(?:['’.,-][A-Za-z0-9]+)*)?")
_CODES = range(0xF0000, 0x10FFFE)


def compare(old: Document, new: Document, learned: frozenset[str] = frozenset()) -> Change:
    """What differs between two Documents, with noise set aside and explained.

    `learned` holds the shapes (volatility.shape) of blocks that changed on nearly every check of this
    source before: a change confined to such a block is noise too. The change's `observed` lists the
    shapes of blocks that changed this time, for the source's history."""
    change = Change()
    if old.kind != new.kind:
        change.ignored.append(Ignored(f"document kind {old.kind} -> {new.kind}", "the page changed shape; "
                                      "its content is compared from the next check on"))
        return change
    if reread(old, new):
        change.ignored.append(Ignored(
            f"read by a newer rulewatch (reader {old.metadata.get('reader', 'unknown')} -> "
            f"{new.metadata.get('reader', 'unknown')})",
            "this release reads the page differently; its content is compared from this check on"))
        return change
    if normalise(old.title) != normalise(new.title) and mask(old.title).text != mask(new.title).text:
        change.title = (old.title, new.title)
    _compare_blocks(old.blocks, new.blocks, change, learned)
    _compare_items(old.items, new.items, change, window=bool(new.metadata.get(WINDOW)))
    if old.metadata.get("reader") != new.metadata.get("reader"):
        # A list read the same way by a newer release: its new items alert, but a kept item's title,
        # date or fields may differ only because the release reads them better.
        for item_change in [c for c in change.items if c.kind == "changed"]:
            change.items.remove(item_change)
            change.ignored.append(Ignored(f"item {item_change.item.title or item_change.item.id}",
                                          "read by a newer rulewatch; compared from this check on"))
    return change


REREAD_OVERLAP = 0.5  # items a re-read list must share with its last snapshot to be compared as usual


def reread(old: Document, new: Document) -> bool:
    """Whether `new` was read by another reader revision than `old` in a way that would show as a
    change: a page (any block may be the reader's doing), or a list that shares under half its
    items with the last snapshot (another array or group was chosen). A list read the same way
    keeps alerting on its new items across an upgrade."""
    if old.metadata.get("reader") == new.metadata.get("reader"):
        return False
    if old.kind != "list":
        return old.blocks != new.blocks or old.title != new.title
    if not old.items:
        return bool(new.items)
    ids = {i.id for i in new.items} | {i.title for i in new.items}
    shared = sum(1 for i in old.items if i.id in ids or i.title in ids)
    return shared < REREAD_OVERLAP * len(old.items)


# ---- text blocks ---------------------------------------------------------------------------------


def _compare_blocks(old: list[Block], new: list[Block], change: Change, learned: frozenset[str]) -> None:
    """Align blocks on their raw text (identical blocks cost nothing), then judge only the blocks in
    the differing stretches on their masked text: a counter's or a stamp's change is noise there."""
    raw_a = [b.text for b in old]
    raw_b = [b.text for b in new]
    # Trim the common ends first: a one-paragraph change in a huge document stays linear.
    head = 0
    while head < len(raw_a) and head < len(raw_b) and raw_a[head] == raw_b[head]:
        head += 1
    tail = 0
    while tail < len(raw_a) - head and tail < len(raw_b) - head and raw_a[-1 - tail] == raw_b[-1 - tail]:
        tail += 1
    mid_a, mid_b = raw_a[head : len(raw_a) - tail], raw_b[head : len(raw_b) - tail]
    if not mid_a and not mid_b:
        return
    old_m: dict[int, Masked] = {}
    new_m: dict[int, Masked] = {}
    budget = _TokenBudget()
    # Masked text of the differing stretch, aligned again: noise-only edits line up as equal.
    a = {i: _masked(old_m, i, raw_a[i]).text for i in range(head, len(raw_a) - tail)}
    b = {j: _masked(new_m, j, raw_b[j]).text for j in range(head, len(raw_b) - tail)}
    for tag, i1, i2, j1, j2 in _block_opcodes(list(a.values()), list(b.values())):
        olds = list(range(head + i1, head + i2))
        news = list(range(head + j1, head + j2))
        if tag == "equal":
            for i, j in zip(olds, news, strict=True):
                _note_masked(old[i], new[j], old_m[i], change, budget)
            continue
        pairs = pair_blocks([a[i] for i in olds], [b[j] for j in news],
                            [old[i].key for i in olds], [new[j].key for j in news])
        for pi, pj in pairs:
            if pi is None and pj is not None:
                _added(new[news[pj]], new_m[news[pj]], change)
            elif pj is None and pi is not None:
                _removed(old[olds[pi]], old_m[olds[pi]], change)
            elif pi is not None and pj is not None:
                i, j = olds[pi], news[pj]
                _changed(old[i], new[j], old_m[i], new_m[j], change, learned, budget)


def _block_opcodes(a: list[str], b: list[str]) -> list[Opcode]:
    """Opcodes (as difflib gives them) aligning two lists of block texts.

    Texts that occur once on each side anchor the alignment first (the longest run of them in the same
    order, as patience diff does), and difflib aligns only the gaps between anchors: difflib alone
    searched the whole of both lists once per match it found, 0.9 s for a 5 MB rule rewritten whole
    with a few articles left as they were."""
    anchors = _unique_common_in_order(a, b)
    opcodes: list[Opcode] = []
    i = j = 0
    for ai, bj in [*anchors, (len(a), len(b))]:
        opcodes += _gap_opcodes(a, b, i, ai, j, bj)
        if ai < len(a):
            if opcodes and opcodes[-1][0] == "equal" and opcodes[-1][2] == ai and opcodes[-1][4] == bj:
                opcodes[-1] = ("equal", opcodes[-1][1], ai + 1, opcodes[-1][3], bj + 1)
            else:
                opcodes.append(("equal", ai, ai + 1, bj, bj + 1))
        i, j = ai + 1, bj + 1
    return opcodes


def _unique_common_in_order(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    """The longest chain of (i, j) with a[i] == b[j], each text once in a and once in b, both ascending."""
    count_a = Counter(a)
    count_b = Counter(b)
    in_b = {text: j for j, text in enumerate(b) if count_b[text] == 1 and count_a[text] == 1}
    common = [(i, in_b[text]) for i, text in enumerate(a) if text in in_b]
    # Longest increasing subsequence of the j's, by patience sorting: O(k log k).
    tails: list[int] = []  # tails[n]: the smallest j ending a chain of n + 1 anchors
    tail_at: list[int] = []  # index into common of that chain's end
    before: list[int] = [-1] * len(common)
    for k, (_, bj) in enumerate(common):
        n = bisect_left(tails, bj)
        if n == len(tails):
            tails.append(bj)
            tail_at.append(k)
        else:
            tails[n] = bj
            tail_at[n] = k
        before[k] = tail_at[n - 1] if n else -1
    chain = []
    k = tail_at[-1] if tail_at else -1
    while k >= 0:
        chain.append(common[k])
        k = before[k]
    return chain[::-1]


def _gap_opcodes(a: list[str], b: list[str], i1: int, i2: int, j1: int, j2: int) -> list[Opcode]:
    if i1 == i2 and j1 == j2:
        return []
    gap_a, gap_b = a[i1:i2], b[j1:j2]
    if set(gap_a).isdisjoint(gap_b):
        return [("replace" if gap_a and gap_b else "delete" if gap_a else "insert", i1, i2, j1, j2)]
    return [(tag, i1 + x1, i1 + x2, j1 + y1, j1 + y2)
            for tag, x1, x2, y1, y2 in difflib.SequenceMatcher(None, gap_a, gap_b, autojunk=False).get_opcodes()]


def _masked(cache: dict[int, Masked], index: int, text: str) -> Masked:
    if index not in cache:
        cache[index] = mask(text)
    return cache[index]


def _note_masked(old: Block, new: Block, masked: Masked, change: Change, budget: _TokenBudget) -> None:
    if old.text != new.text and masked.kinds:
        if _key_dates_differ(old.text, new.text):
            _report_changed(old, new, change, budget)
        else:
            _ignore(change, masked, old.key)


def _key_dates_differ(old: str, new: str) -> bool:
    """Whether two versions of a block set different key dates: such a change is substantive even where
    its date looks like noise (a labelled 截止日期：…, a deadline with a time of day, a learned block)."""
    def roles_and_days(text: str) -> set[tuple[str, str]]:
        return {(d.role, d.date) for d in find_key_dates([("", text)])}
    return roles_and_days(old) != roles_and_days(new)


def _ignore(change: Change, masked: Masked, key: str) -> None:
    for kind in sorted(masked.kinds):
        where = f" in {key}" if key else ""
        change.ignored.append(Ignored(f"{kind}{where}", describe(kind)))


def _added(block: Block, masked: Masked, change: Change) -> None:
    if masked.only_volatile:
        _ignore(change, masked, block.key)
    else:
        change.text.append(TextChange("added", block.key, new=block.text, added_fragments=(block.text,)))


def _removed(block: Block, masked: Masked, change: Change) -> None:
    if masked.only_volatile:
        _ignore(change, masked, block.key)
    else:
        change.text.append(TextChange("removed", block.key, old=block.text, removed_fragments=(block.text,)))


def _changed(
    old: Block, new: Block, old_m: Masked, new_m: Masked, change: Change, learned: frozenset[str],
    budget: _TokenBudget,
) -> None:
    if old_m.text == new_m.text or (old_m.only_volatile and new_m.only_volatile):
        if _key_dates_differ(old.text, new.text):
            _report_changed(old, new, change, budget)
        else:
            _ignore(change, Masked(new_m.text, old_m.kinds | new_m.kinds), old.key)
        return
    block_shape = same_shape(old_m.text, new_m.text)
    if block_shape is not None:
        change.observed.append(block_shape)
        if block_shape in learned and not _key_dates_differ(old.text, new.text):
            where = f" in {old.key}" if old.key else ""
            change.ignored.append(Ignored(f"learned{where}", "this block changes on nearly every check of this source"))
            return
    _report_changed(old, new, change, budget)


@dataclass(slots=True)
class _TokenBudget:
    """What is left of one comparison's TOKEN_DIFF_CHARS."""

    left: int = field(default_factory=lambda: TOKEN_DIFF_CHARS)

    def take(self, old: str, new: str) -> bool:
        """Whether this pair is diffed by token, the budget permitting."""
        self.left -= len(old) + len(new)
        return self.left >= 0


def _report_changed(old: Block, new: Block, change: Change, budget: _TokenBudget) -> None:
    runs = inline_runs(old.text, new.text, by_token=budget.take(old.text, new.text))
    change.text.append(TextChange("changed", new.key or old.key, old.text, new.text, *_fragments(runs), runs))


def _fragments(runs: tuple[InlineRun, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The removed and the added runs' text, each stripped, empty ones left out."""
    removed: list[str] = []
    added: list[str] = []
    for run in runs:
        if run.op != "same" and (text := run.text.strip()):
            (removed if run.op == "removed" else added).append(text)
    return tuple(removed), tuple(added)


def inline_diff(old: str, new: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The removed and added fragments between two versions of a block, as runs of original text."""
    return _fragments(inline_runs(old, new))


def inline_runs(old: str, new: str, by_token: bool = True) -> tuple[InlineRun, ...]:
    """Old and new as one list of runs: kept text (as the new version has it), removed and added text.

    By token (a word of Latin letters or digits, any other character), aligned on their longest common
    subsequence by rapidfuzz (C++: difflib took 0.5 ms for a 100-character article). A block too long
    for that grain (the bit matrix grows with the product of the lengths) is compared by sentence, and
    one too long even for that is reported whole. Without `by_token`, it starts at the sentence."""
    codes: dict[str, str] = {}
    for pattern in (_WORD, _SENTENCE) if by_token else (_SENTENCE,):
        coded_a, coded_b = _Coded.of(old, pattern, codes), _Coded.of(new, pattern, codes)
        if coded_a is None or coded_b is None:
            break
        if len(coded_a.text) * len(coded_b.text) <= MAX_INLINE_CELLS:
            return _runs(coded_a, coded_b)
        codes.clear()
    return (InlineRun(old, "removed"), InlineRun(new, "added"))


class _Coded(NamedTuple):
    """A text with each token of several characters coded as one character, so that an alignment of
    characters is one of tokens; `offset` maps a coded position back to the text. (A named tuple: a
    page rewritten whole codes two texts for each of its articles, and a frozen dataclass cost 1 µs
    more to make.)"""

    original: str
    text: str
    positions: tuple[int, ...]  # coded positions of the multi-character tokens, ascending
    extra: tuple[int, ...]  # characters the tokens before each of those positions span beyond one

    @classmethod
    def of(cls, text: str, pattern: re.Pattern[str], codes: dict[str, str]) -> _Coded | None:
        """`text` coded (the same token, the same character from `codes`), or None when codes run out."""
        spans = [m.span() for m in pattern.finditer(text)]
        if not spans:
            return cls(text, text, (), (0,))
        pieces: list[str] = []
        positions: list[int] = []
        extra = [0]
        done = shift = 0
        for begin, end in spans:
            token = text[begin:end]
            code = codes.get(token)
            if code is None:
                if len(codes) >= len(_CODES):
                    return None
                code = codes[token] = chr(_CODES[len(codes)])
            pieces += (text[done:begin], code)
            positions.append(begin - shift)
            shift += end - begin - 1
            extra.append(shift)
            done = end
        pieces.append(text[done:])
        return cls(text, "".join(pieces), tuple(positions), tuple(extra))

    def span(self, start: int, end: int) -> str:
        """The original text of coded positions start..end."""
        positions = self.positions
        if not positions:
            return self.original[start:end]
        extra = self.extra
        return self.original[start + extra[bisect_left(positions, start)]:end + extra[bisect_left(positions, end)]]


def _runs(a: _Coded, b: _Coded) -> tuple[InlineRun, ...]:
    """The runs of an alignment of two coded texts, with kept text between two edits joined into them
    where it is no longer than the edits on either side (as diff-match-patch's semantic cleanup does):
    the longest common subsequence keeps scattered characters (一[-项-]，[-应-]) that a reader does not
    see as kept, and a rewritten article read as dozens of fragments. (Written for speed: a page
    rewritten whole runs this for each of its articles.)"""
    # Segments alternate: kept text, then one edit (Indel's deletes and inserts in a row), and so on.
    kept: list[bool] = []
    bounds: list[list[int]] = []  # [i1, i2, j1, j2] of each segment
    for tag, i1, i2, j1, j2 in cast(list[Opcode], Indel.opcodes(a.text, b.text).as_list()):
        if tag == "equal":
            kept.append(True)
            bounds.append([i1, i2, j1, j2])
        elif kept and not kept[-1]:
            last = bounds[-1]
            last[1], last[3] = i2, j2
        else:
            kept.append(False)
            bounds.append([i1, i2, j1, j2])
    runs: list[InlineRun] = []
    append, a_span, b_span = runs.append, a.span, b.span
    count = len(kept)
    k = 0
    while k < count:
        i1, i2, j1, j2 = bounds[k]
        if kept[k]:
            append(InlineRun(b_span(j1, j2), "same"))
            k += 1
            continue
        # An edit, grown over each following stretch of kept text no longer than the edit so far and
        # the edit after it (which then joins it too).
        k += 1
        while k + 1 < count:
            x1, x2, y1, y2 = bounds[k]
            n1, n2, m1, m2 = bounds[k + 1]
            if x2 - x1 > min(max(i2 - i1, j2 - j1), max(n2 - n1, m2 - m1)):
                break
            i2, j2 = n2, m2
            k += 2
        # An edit reads its removed text first, then its added text.
        if i1 < i2:
            append(InlineRun(a_span(i1, i2), "removed"))
        if j1 < j2:
            append(InlineRun(b_span(j1, j2), "added"))
    return tuple(runs)


# ---- list items ----------------------------------------------------------------------------------


def _flat(item: Item) -> dict[str, str]:
    return {"title": item.title, "url": item.url, "date": item.date, **item.field_map()}


def _same_items_renamed(old: list[Item], new: list[Item], change: Change) -> list[Item]:
    """`new` with each item that left under one id and came back under another, with the same title
    and date, given its old id and URL back: some lists flip a rule between two URLs and ids from one
    build to the next, and each flip is neither a removal nor a new rule."""
    old_ids = {i.id for i in old}
    new_ids = {i.id for i in new}
    gone = Counter((i.title, i.date) for i in old if i.id not in new_ids and i.title)
    came = Counter((i.title, i.date) for i in new if i.id not in old_ids and i.title)
    # Only a title and date that name one item on each side identify it.
    by_key = {(i.title, i.date): i for i in old if i.id not in new_ids and gone[(i.title, i.date)] == 1}
    renamed = []
    for item in new:
        key = (item.title, item.date)
        earlier = by_key.get(key) if item.id not in old_ids and came[key] == 1 else None
        if earlier is None:
            renamed.append(item)
            continue
        change.ignored.append(Ignored(f"item {item.title}", "the same title and date under a new id or URL: "
                                      "the same item, renamed by the site"))
        renamed.append(replace(item, id=earlier.id, url=earlier.url))
    return renamed


def _compare_items(old: list[Item], new: list[Item], change: Change, window: bool = False) -> None:
    """Items added, withdrawn, moved to a later page or amended. A `window` (a feed) keeps some recent
    entries and drops others for its own reasons (its length, a re-sort, an aggregator's scope): it has
    no later page for entries to come up from, so only an entry older than every kept one came back."""
    if not old and not new:
        return
    new = _same_items_renamed(old, new, change)
    old_by = {i.id: i for i in old}
    new_by = {i.id: i for i in new}
    kept_old = [k for k, i in enumerate(old) if i.id in new_by]
    kept_new = [k for k, i in enumerate(new) if i.id in old_by]
    last_kept_old = max(kept_old, default=-1)
    last_kept_new = max(kept_new, default=-1)
    added = [(k, i) for k, i in enumerate(new) if i.id not in old_by]
    gone = [(k, i) for k, i in enumerate(old) if i.id not in new_by]
    tail_gone = [i for k, i in gone if k > last_kept_old]
    mid_gone = [i for k, i in gone if k <= last_kept_old]
    top_added = [i for k, i in added if k <= last_kept_new or last_kept_new < 0]
    tail_added = [i for k, i in added if k > last_kept_new >= 0]

    # Items pushed off the end while newer ones arrived on top moved to a later page.
    if tail_gone and len(tail_gone) <= len(top_added) + len(tail_added):
        for item in tail_gone:
            change.items.append(ItemChange("moved_off", item))
            change.ignored.append(Ignored(f"item {item.title or item.id}", "pushed to a later page by newer items"))
        tail_gone = []
    # Older items that slid up from the next page after a withdrawal are not new.
    oldest_kept = min((i.date for i in new if i.id in old_by and i.date), default="")
    for item in tail_added:
        if (not window and (mid_gone or tail_gone)) or (item.date and oldest_kept and item.date < oldest_kept):
            change.ignored.append(Ignored(f"item {item.title or item.id}", "came up from a later page"))
        else:
            change.items.append(ItemChange("added", item))
    for item in top_added:
        change.items.append(ItemChange("added", item))
    for item in mid_gone + tail_gone:
        change.items.append(ItemChange("removed", item))  # a window's: recorded, never alerted (judge)
    _compare_fields(old_by, new_by, [i.id for i in new if i.id in old_by], change)


def _compare_fields(old_by: dict[str, Item], new_by: dict[str, Item], common: list[str], change: Change) -> None:
    if not common:
        return
    from deepdiff import DeepDiff  # imported here: a cycle of unchanged pages never pays for it

    old_map = {k: _flat(old_by[k]) for k in common}
    new_map = {k: _flat(new_by[k]) for k in common}
    diff = DeepDiff(old_map, new_map, view="tree")
    per_item: dict[str, list[tuple[str, str, str]]] = {}
    noisy: dict[str, str] = {}  # list fields the noise table names (a counter), with why
    for report in ("values_changed", "type_changes", "dictionary_item_added", "dictionary_item_removed"):
        for node in diff.get(report, []):
            path = node.path(output_format="list")
            if len(path) < 2:
                continue
            item_id, name = str(path[0]), str(path[1])
            old_v = "" if report == "dictionary_item_added" else str(node.t1)
            new_v = "" if report == "dictionary_item_removed" else str(node.t2)
            if mask(old_v).text == mask(new_v).text:
                continue
            rule = noisy_name(LIST_FIELD, name)
            if rule is not None:
                noisy[name] = rule.description
                continue
            per_item.setdefault(item_id, []).append((name, old_v, new_v))
    counts = Counter(name for fields in per_item.values() for name, _, _ in fields)
    floor = max(MIN_ITEMS_FOR_COUNTER, COUNTER_SHARE * len(common))
    volatile = {name for name, n in counts.items() if n >= floor and name not in ("title",)}
    for name, why in sorted(noisy.items()):
        change.ignored.append(Ignored(f"field {name}", why))
    for name in sorted(volatile):
        change.ignored.append(Ignored(f"field {name}", f"changed in {counts[name]} of {len(common)} items at once"))
    for item_id in common:
        fields = tuple(f for f in per_item.get(item_id, []) if f[0] not in volatile)
        if fields:
            change.items.append(ItemChange("changed", new_by[item_id], old_by[item_id], fields))
