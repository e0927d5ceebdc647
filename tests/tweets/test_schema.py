import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from polyreply.io import DataError
from polyreply.tweets.schema import REQUIRED, validate_jsonl
from tests.conftest import good_row, write_lines

ROOT = Path(__file__).resolve().parents[2]
# the stage's outputs, as dvc.yaml passes them
VALIDATE_OUTPUTS = ["--pairs", "data/validated/pairs.jsonl", "--rejected", "data/validated/rejected.jsonl",
                    "--metrics", "metrics/validate.json"]


def test_good_rows_pass(tmp_path):
    path = write_lines(tmp_path / "in.jsonl", [good_row(i) for i in range(9)])
    res = validate_jsonl(path)
    assert len(res.rows) == 9 and not res.rejected
    assert res.rows[0]["source_line"] == 1


@pytest.mark.parametrize("line,field,message", [
    ('{"tweet_id": "t1", "tweet": "x"', "<line>", "malformed JSON"),
    ('[1, 2]', "<line>", "expected a JSON object"),
    (json.dumps({k: v for k, v in good_row(1).items() if k != "reply"}), "reply", "required field is missing"),
    (json.dumps(good_row(1, reply=None)), "reply", "required field is null"),
    (json.dumps(good_row(1, reply="   ")), "reply", "empty text"),
    (json.dumps(good_row(1, reply_likes="12")), "reply_likes", "non-negative integer"),
    (json.dumps(good_row(1, reply_likes=-3)), "reply_likes", "negative count"),
    (json.dumps(good_row(1, reply_likes=True)), "reply_likes", "non-negative integer"),
    (json.dumps(good_row(1, reply_likes=2.5)), "reply_likes", "non-negative integer"),
    ('{"tweet_id": "t1", "tweet": "x", "reply_id": "r1", "reply": "y", "reply_likes": NaN}', "reply_likes",
     "non-finite number NaN"),
    (json.dumps(good_row(1, reply_time_diff_seconds=-5)), "reply_time_diff_seconds", "finite number >= 0"),
    (json.dumps(good_row(1, tweet=["list"])), "tweet", "expected a string"),
    (json.dumps(good_row(1, reply="x" * 5000)), "reply", "above validate.max_text_chars"),
    (json.dumps(good_row(1, tweet_id="")), "tweet_id", "empty id"),
])
def test_bad_row_is_rejected_with_line_and_field(tmp_path, line, field, message):
    path = write_lines(tmp_path / "in.jsonl", [good_row(0), line, good_row(2)])
    res = validate_jsonl(path)
    assert [r["reply_id"] for r in res.rows] == ["r0", "r2"]  # no good row lost
    assert len(res.rejected) == 1
    rej = res.rejected[0]
    assert rej["line"] == 2 and rej["field"] == field and message in rej["error"]
    assert res.rows_in == len(res.rows) + len(res.rejected)


def test_utf8_bom_at_start_of_file_is_accepted(tmp_path):
    """Editors on Windows save JSONL with a BOM; line 1 is still a good row."""
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(json.dumps(good_row(i)) for i in range(3)).encode() + b"\n")
    res = validate_jsonl(path)
    assert not res.rejected and [r["reply_id"] for r in res.rows] == ["r0", "r1", "r2"]
    assert res.rows[0]["tweet_id"] == "t0"  # the BOM did not end up inside a value
    from polyreply.io import read_jsonl
    assert read_jsonl(path)[0]["tweet_id"] == "t0"


def test_null_optional_field_is_absent_not_an_error(tmp_path):
    res = validate_jsonl(write_lines(tmp_path / "in.jsonl", [good_row(0, tweet_likes=None)]))
    assert not res.rejected and "tweet_likes" not in res.rows[0]


def test_bad_encoding(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(json.dumps(good_row(0)).encode() + b"\n" + b'{"tweet": "caf\xe9"}\n')
    res = validate_jsonl(path)
    assert res.rejected[0]["line"] == 2 and "UTF-8" in res.rejected[0]["error"]


def test_duplicate_reply_id_names_first_line(tmp_path):
    path = write_lines(tmp_path / "in.jsonl", [good_row(0), good_row(1), good_row(5, reply_id="r0")])
    res = validate_jsonl(path)
    assert res.rejected[0]["line"] == 3 and "first seen on line 1" in res.rejected[0]["error"]


def test_inconsistent_tweet_text(tmp_path):
    path = write_lines(tmp_path / "in.jsonl", [good_row(0), good_row(1, tweet="something else")])
    res = validate_jsonl(path)
    assert res.rejected[0]["field"] == "tweet" and "line 1" in res.rejected[0]["error"]


def test_tweet_without_reply(tmp_path):
    row = {"tweet_id": "t9", "tweet": "a tweet nobody answered"}
    res = validate_jsonl(write_lines(tmp_path / "in.jsonl", [good_row(0), row]))
    assert res.rejected[0]["field"] == "reply_id" and "missing" in res.rejected[0]["error"]


def test_extra_fields_ignored_or_rejected(tmp_path):
    path = write_lines(tmp_path / "in.jsonl", [good_row(0, mood="happy"), good_row(1)])
    res = validate_jsonl(path)
    assert len(res.rows) == 2 and res.extra_fields_ignored == {"mood": 1} and "mood" not in res.rows[0]
    res = validate_jsonl(path, extra_fields="error")
    assert len(res.rows) == 1 and res.rejected[0]["field"] == "mood"


def test_empty_and_missing_files(tmp_path):
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(DataError, match="empty.jsonl: file has no rows"):
        validate_jsonl(tmp_path / "empty.jsonl")
    with pytest.raises(DataError, match="not found"):
        validate_jsonl(tmp_path / "nope.jsonl")


def test_required_fields_documented():
    assert set(REQUIRED) == {"tweet_id", "tweet", "reply_id", "reply", "reply_likes"}


def _run_validate(tmp_path, on_error):
    rows = [good_row(0), "{broken", good_row(2, reply=""), good_row(3)]
    write_lines(tmp_path / "raw.jsonl", rows)
    params = yaml.safe_load(open(ROOT / "params.yaml"))
    params["data"]["raw_path"] = "raw.jsonl"
    params["validate"]["on_error"] = on_error
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    return subprocess.run([sys.executable, str(ROOT / "stages/validate.py"), *VALIDATE_OUTPUTS], cwd=tmp_path,
                          capture_output=True, text=True)


def test_validate_stage_fail_mode_names_file_line_field(tmp_path):
    res = _run_validate(tmp_path, "fail")
    assert res.returncode != 0
    assert "raw.jsonl:2: field '<line>': malformed JSON" in res.stderr
    assert "raw.jsonl:3: field 'reply': empty text" in res.stderr
    assert not (tmp_path / "data/validated/pairs.jsonl").exists()


def test_validate_stage_quarantine_accounts_for_every_row(tmp_path):
    res = _run_validate(tmp_path, "quarantine")
    assert res.returncode == 0, res.stderr
    summary = json.loads((tmp_path / "metrics/validate.json").read_text())
    assert (summary["rows_in"], summary["rows_out"], summary["rows_rejected"]) == (4, 2, 2)
    rejected = [json.loads(l) for l in (tmp_path / "data/validated/rejected.jsonl").read_text().splitlines()]
    assert [(r["line"], r["field"]) for r in rejected] == [(2, "<line>"), (3, "reply")]
    kept = [json.loads(l)["reply_id"] for l in (tmp_path / "data/validated/pairs.jsonl").read_text().splitlines()]
    assert kept == ["r0", "r3"]


def test_html_entities_from_the_api_are_unescaped_and_markers_kept(tmp_path):
    """The API returns "&amp;" for "&": a model trained on the raw text would learn to write "&amp;"."""
    path = write_lines(tmp_path / "in.jsonl", [good_row(0, tweet="Salt &amp; pepper &gt; sugar", reply="A &lt;3 B",
                                                        reply_lang="en", tweet_lang="en"),
                                               good_row(3, reply="ignore this <|im_end|> &amp;amp; AT&T &notes &copy")])
    res = validate_jsonl(path, extra_fields="error")   # *_lang are schema fields, not extras
    assert [r["tweet"] for r in res.rows] == ["Salt & pepper > sugar", "Tweet number 1 about gardening"]
    # unescaped once, and only the three entities the API writes
    assert [r["reply"] for r in res.rows] == ["A <3 B", "ignore this <|im_end|> &amp; AT&T &notes &copy"]
    assert res.rows[0]["reply_lang"] == "en" and not res.rejected
