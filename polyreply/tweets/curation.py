"""Curation: the planning documents' collection filters, for the pairs that SFT and the warm-starts imitate.

Only imitation uses the curated pairs: the reward model learns from every reply (it needs the bad ones), GRPO's
prompts are every phase-2 tweet and the test references are every human reply (stages/split.py).

Rules, in the fixed order ``RULES`` (bounds inclusive; a 0 upper bound means none; a rule whose settings are
all 0 is off, removes nothing and needs no field):
  likes          min_reply_likes <= reply_likes <= max_reply_likes
  followers      min_followers <= reply_author_followers <= max_followers
  length         min_chars <= len(reply.strip()) <= max_chars (characters)
  unique_words   at least min_unique_words distinct words (polyreply.text.words)
  reply_delay    reply_time_diff_seconds <= max_reply_delay_s
  language       reply_lang is one of languages (the platform's code, e.g. "en")
  urls           (drop_urls) the reply holds no URL
  duplicate      (drop_duplicates) one row per reply text (leading @handles, case and spacing ignored),
                 the most liked, across tweets: copy-paste spam and bots keep one copy
  author_cap     at most max_replies_per_author rows per reply_author
  top_per_tweet  only the top_per_tweet rows of each tweet
The three caps (duplicate, author_cap, top_per_tweet) rank by reply_likes (most first, ties by reply_id) the
rows that pass every earlier rule, so a row fails a cap only when it passes everything before it; every row
lists each row rule it fails.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict

from ..io import DataError
from ..text import words

RULES = ("likes", "followers", "length", "unique_words", "reply_delay", "language", "urls", "duplicate",
         "author_cap", "top_per_tweet")
ROW_RULES = RULES[:7]
CAPS = {"duplicate": "reply", "author_cap": "reply_author", "top_per_tweet": "tweet_id"}   # cap -> its group field
_URL = re.compile(r"https?://|www\.\w", re.I)   # t.co links and pasted ones; a bare "site.com" is not caught
_MENTIONS = re.compile(r"^(?:@\w+\s+)+")   # "@a @b text": the platform prefixes a reply with the handles


def _group_key(rule: str, value: str) -> str:
    """The value a cap groups by; for duplicates the reply text without its leading @handles, case or spacing
    (the same spam pasted under other tweets carries other handles)."""
    return " ".join(_MENTIONS.sub("", value.strip()).lower().split()) if rule == "duplicate" else value


def _cap_size(cfg, rule: str) -> int:
    return {"duplicate": int(cfg.drop_duplicates), "author_cap": cfg.max_replies_per_author,
            "top_per_tweet": cfg.top_per_tweet}[rule]


def _on(cfg, rule: str) -> bool:
    return {"likes": cfg.min_reply_likes or cfg.max_reply_likes,
            "followers": cfg.min_followers or cfg.max_followers,
            "length": cfg.min_chars or cfg.max_chars,
            "unique_words": cfg.min_unique_words,
            "reply_delay": cfg.max_reply_delay_s,
            "language": len(cfg.languages),
            "urls": int(cfg.drop_urls),
            "duplicate": int(cfg.drop_duplicates),
            "author_cap": cfg.max_replies_per_author,
            "top_per_tweet": cfg.top_per_tweet}[rule] > 0


def describe(cfg, rule: str) -> str:
    """The rule as a line of the data card ('off' when its settings are all 0)."""
    if not _on(cfg, rule):
        return "off"
    span = lambda lo, hi: f"[{lo}, {hi if hi else 'inf'}]"  # noqa: E731
    return {"likes": f"reply_likes in {span(cfg.min_reply_likes, cfg.max_reply_likes)}",
            "followers": f"reply_author_followers in {span(cfg.min_followers, cfg.max_followers)}",
            "length": f"reply characters in {span(cfg.min_chars, cfg.max_chars)}",
            "unique_words": f">= {cfg.min_unique_words} distinct words",
            "reply_delay": f"reply_time_diff_seconds <= {cfg.max_reply_delay_s:g}",
            "language": f"reply_lang in {list(cfg.languages)}",
            "urls": "no URL in the reply",
            "duplicate": "one row per reply text (leading @handles, case, spacing ignored; most liked kept)",
            "author_cap": f"<= {cfg.max_replies_per_author} rows per reply_author (most liked first)",
            "top_per_tweet": f"top {cfg.top_per_tweet} rows per tweet by reply_likes"}[rule]


def _value(row: dict, name: str, rule: str, kind: type | tuple) -> object:
    """row[name], or a DataError naming the field, the row and the params that need it."""
    value = row.get(name)
    if value is None or isinstance(value, bool) or not isinstance(value, kind):
        what = "has no" if value is None else f"has a bad value {value!r} in"
        raise DataError(f"curate: rule {rule}: row reply_id={row.get('reply_id')!r} (validated line "
                        f"{row.get('source_line', '?')}) {what} field {name!r}; switch the rule off in params.yaml "
                        f"(curate: every setting of {rule} to 0) or fix the data")
    return value


def _within(value, lo, hi) -> bool:
    return lo <= value and (not hi or value <= hi)


def row_failures(row: dict, cfg) -> list[str]:
    """The row rules (in order) that ``row`` fails; the enabled rules' fields must be present."""
    failed = []
    if _on(cfg, "likes") and not _within(_value(row, "reply_likes", "likes", int), cfg.min_reply_likes,
                                          cfg.max_reply_likes):
        failed.append("likes")
    if _on(cfg, "followers") and not _within(_value(row, "reply_author_followers", "followers", int),
                                              cfg.min_followers, cfg.max_followers):
        failed.append("followers")
    reply = _value(row, "reply", "length", str) if any(_on(cfg, r) for r in ("length", "unique_words", "urls")) \
        else ""
    if _on(cfg, "length") and not _within(len(reply.strip()), cfg.min_chars, cfg.max_chars):
        failed.append("length")
    if _on(cfg, "unique_words") and len(set(words(reply))) < cfg.min_unique_words:
        failed.append("unique_words")
    if _on(cfg, "reply_delay") and _value(row, "reply_time_diff_seconds", "reply_delay",
                                          (int, float)) > cfg.max_reply_delay_s:
        failed.append("reply_delay")
    if _on(cfg, "language") and _value(row, "reply_lang", "language", str) not in cfg.languages:
        failed.append("language")
    if _on(cfg, "urls") and _URL.search(reply):
        failed.append("urls")
    return failed


def _cap_failures(rows: list[dict], candidates: list[int], rule: str, n: int) -> set[int]:
    """Indices among ``candidates`` beyond the n most-liked of their group (ties: smaller reply_id first)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i in candidates:
        groups[_group_key(rule, _value(rows[i], CAPS[rule], rule, str))].append(i)
    cut = set()
    for members in groups.values():
        members.sort(key=lambda i: (-_value(rows[i], "reply_likes", rule, int), str(rows[i]["reply_id"])))
        cut.update(members[n:])
    return cut


def curate(rows: list[dict], cfg) -> list[tuple[bool, list[str]]]:
    """Per row: (kept, the rules it fails); kept iff it fails none."""
    failed = [row_failures(r, cfg) for r in rows]
    for rule in CAPS:
        n = _cap_size(cfg, rule)
        if n:
            for i in _cap_failures(rows, [i for i, f in enumerate(failed) if not f], rule, n):
                failed[i].append(rule)
    return [(not f, f) for f in failed]


def _removed_alone(rows: list[dict], flags, cfg, rule: str) -> int:
    if not _on(cfg, rule):
        return 0
    if rule in CAPS:
        return len(_cap_failures(rows, list(range(len(rows))), rule, _cap_size(cfg, rule)))
    return sum(rule in f for _, f in flags)


def _mix(styles: list[str]) -> dict[str, float]:
    counts = Counter(styles)
    return {k: round(v / len(styles), 4) for k, v in sorted(counts.items())} if styles else {}


def data_card(rows: list[dict], flags, cfg, scores: list[float] | None = None,
              styles: list[str] | None = None) -> dict:
    """What curation did: rows in/kept, per rule the rows it removes alone and as the first failing rule,
    the style mix before/after (``styles``, or the rows' ``synthetic_style``: demo data) and the mean of
    ``scores`` (the demo oracle) over all vs kept rows."""
    kept = [r for r, (k, _) in zip(rows, flags) if k]
    first = Counter(f[0] for _, f in flags if f)
    card = {
        "rows_in": len(rows), "rows_kept": len(kept), "rows_removed": len(rows) - len(kept),
        "kept_share": round(len(kept) / len(rows), 4) if rows else 0.0,
        "tweets_in": len({r["tweet_id"] for r in rows}), "tweets_with_kept": len({r["tweet_id"] for r in kept}),
        "rule_order": list(RULES),
        "rules": {rule: {"rule": describe(cfg, rule), "removed_alone": _removed_alone(rows, flags, cfg, rule),
                         "removed_first": first.get(rule, 0)} for rule in RULES},
    }
    assert sum(first.values()) == card["rows_removed"], "first-failing attribution broken"
    if styles is None and rows and all("synthetic_style" in r for r in rows):
        styles = [r["synthetic_style"] for r in rows]
    if styles is not None:
        assert len(styles) == len(rows)
        card["style_mix"] = {"all": _mix(styles), "kept": _mix([s for s, (k, _) in zip(styles, flags) if k])}
    if scores is not None:
        assert len(scores) == len(rows)
        kept_scores = [s for s, (k, _) in zip(scores, flags) if k]
        card["oracle_mean"] = {"all": round(sum(scores) / len(scores), 4) if scores else None,
                               "kept": round(sum(kept_scores) / len(kept_scores), 4) if kept_scores else None}
    return card
