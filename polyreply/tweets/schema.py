"""Schema of tweet/reply pairs (compatible with the predecessor's collected JSONL) and validation.

Required fields: tweet_id, tweet, reply_id, reply, reply_likes.
Optional fields: tweet_author, tweet_likes, tweet_retweets, tweet_created_at, tweet_lang, reply_author,
reply_author_followers, reply_retweets, reply_created_at, reply_time_diff_seconds, reply_lang (the *_lang
fields: the language code the platform gives, e.g. "en", "und").

Every input row ends in exactly one place: the validated output or the rejected list;
``rows_in == rows_out + rows_rejected`` is asserted, never assumed. In tweet and reply texts "&amp;", "&lt;" and
"&gt;" become "&", "<" and ">" (the platform's API escapes those three); nothing else in a text is changed.
"""
from __future__ import annotations

import codecs
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from ..io import DataError

ID = "id"
TEXT = "text"
COUNT = "count"
NUMBER = "number"
STRING = "string"

REQUIRED: dict[str, str] = {
    "tweet_id": ID,
    "tweet": TEXT,
    "reply_id": ID,
    "reply": TEXT,
    "reply_likes": COUNT,
}
OPTIONAL: dict[str, str] = {
    "tweet_author": STRING,
    "tweet_likes": COUNT,
    "tweet_retweets": COUNT,
    "tweet_created_at": STRING,
    "tweet_lang": STRING,
    "reply_author": STRING,
    "reply_author_followers": COUNT,
    "reply_retweets": COUNT,
    "reply_created_at": STRING,
    "reply_time_diff_seconds": NUMBER,
    "reply_lang": STRING,
}
ALL_FIELDS = {**REQUIRED, **OPTIONAL}


class NonFinite:
    """Placeholder for JSON's NaN/Infinity so the error can name the field that held it."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


def _check_value(field_name: str, kind: str, value, max_chars: int) -> tuple[object, str | None]:
    """Return (normalised value, error message or None)."""
    if isinstance(value, NonFinite):
        return None, f"non-finite number {value!r}"
    if kind == ID:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            return None, f"expected a string or integer id, got {type(value).__name__}"
        value = str(value).strip()
        return (value, None) if value else (None, "empty id")
    if kind in (TEXT, STRING):
        if not isinstance(value, str):
            return None, f"expected a string, got {type(value).__name__}"
        if kind == TEXT:
            # the platform's API escapes & < > as &amp; &lt; &gt; (only those: html.unescape would also turn
            # "AT&T &notes" into "AT&T ¬es"); &amp; last, so "&amp;lt;" becomes "&lt;", unescaped once
            value = value.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
            if not value.strip():
                return None, "empty text"
            if len(value) > max_chars:
                return None, f"text has {len(value)} characters, above validate.max_text_chars={max_chars}"
        return value, None
    if kind == COUNT:
        if isinstance(value, bool) or not isinstance(value, int):
            return None, f"expected a non-negative integer count, got {type(value).__name__} {value!r}"
        if value < 0:
            return None, f"negative count {value}"
        return value, None
    if kind == NUMBER:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None, f"expected a number, got {type(value).__name__}"
        if not math.isfinite(value) or value < 0:
            return None, f"expected a finite number >= 0, got {value!r}"
        return value, None
    raise AssertionError(kind)


@dataclass
class ValidationResult:
    rows: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)  # {"line", "field", "error", "raw"}
    rows_in: int = 0
    extra_fields_ignored: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict:
        by_field: dict[str, int] = {}
        for r in self.rejected:
            by_field[r["field"]] = by_field.get(r["field"], 0) + 1
        return {
            "rows_in": self.rows_in,
            "rows_out": len(self.rows),
            "rows_rejected": len(self.rejected),
            "rejected_by_field": dict(sorted(by_field.items())),
            "extra_fields_ignored": dict(sorted(self.extra_fields_ignored.items())),
            "distinct_tweets": len({r["tweet_id"] for r in self.rows}),
        }


def validate_jsonl(path: str | Path, *, max_text_chars: int = 2000, extra_fields: str = "ignore") -> ValidationResult:
    """Check every line of ``path``; collect (not raise) per-row problems.

    Raises DataError only for problems of the file as a whole (missing, empty).
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: input file not found (set data.raw_path in params.yaml)")
    raw_bytes = path.read_bytes()
    if raw_bytes.startswith(codecs.BOM_UTF8):  # editors on Windows write one; it is not part of line 1's JSON
        raw_bytes = raw_bytes[len(codecs.BOM_UTF8):]
    result = ValidationResult()
    seen_reply: dict[str, int] = {}
    tweet_text: dict[str, tuple[str, int]] = {}
    lines = raw_bytes.split(b"\n")
    if lines and lines[-1] == b"":
        lines = lines[:-1]
    for lineno, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue  # blank lines are not rows
        result.rows_in += 1

        def reject(field_name: str, error: str):
            result.rejected.append({"line": lineno, "field": field_name, "error": error,
                                    "raw": raw[:500].decode("utf-8", errors="replace")})

        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            reject("<line>", f"not valid UTF-8 at byte {exc.start}")
            continue
        try:
            obj = json.loads(text, parse_constant=NonFinite)
        except (json.JSONDecodeError, ValueError) as exc:
            reject("<line>", f"malformed JSON: {getattr(exc, 'msg', str(exc))}")
            continue
        if not isinstance(obj, dict):
            reject("<line>", f"expected a JSON object, got {type(obj).__name__}")
            continue
        clean: dict = {}
        problem = None
        for name, kind in ALL_FIELDS.items():
            if name not in obj or obj[name] is None:
                if name in REQUIRED:
                    problem = (name, "required field is missing" if name not in obj else "required field is null")
                    break
                continue  # an optional field may be absent or null
            value, err = _check_value(name, kind, obj[name], max_text_chars)
            if err:
                problem = (name, err)
                break
            clean[name] = value
        if problem is None:
            extras = sorted(set(obj) - set(ALL_FIELDS))
            if extras and extra_fields == "error":
                problem = (extras[0], "unknown field (validate.extra_fields=error)")
            for name in extras:
                result.extra_fields_ignored[name] = result.extra_fields_ignored.get(name, 0) + 1
        if problem is None:
            rid = clean["reply_id"]
            if rid in seen_reply:
                problem = ("reply_id", f"duplicate reply_id {rid!r} (first seen on line {seen_reply[rid]})")
        if problem is None:
            tid = clean["tweet_id"]
            if tid in tweet_text and tweet_text[tid][0] != clean["tweet"]:
                problem = ("tweet", f"tweet_id {tid!r} has a different tweet text than on line {tweet_text[tid][1]}")
        if problem is not None:
            reject(*problem)
            continue
        seen_reply[clean["reply_id"]] = lineno
        tweet_text.setdefault(clean["tweet_id"], (clean["tweet"], lineno))
        clean["source_line"] = lineno
        result.rows.append(clean)
    if result.rows_in == 0:
        raise DataError(f"{path}: file has no rows")
    assert result.rows_in == len(result.rows) + len(result.rejected), "row accounting broken"
    return result


def format_rejections(path: str | Path, result: ValidationResult, limit: int) -> str:
    shown = [f"{path}:{r['line']}: field '{r['field']}': {r['error']}" for r in result.rejected[:limit]]
    more = len(result.rejected) - len(shown)
    tail = [f"... and {more} more"] if more > 0 else []
    return "\n".join(shown + tail)
