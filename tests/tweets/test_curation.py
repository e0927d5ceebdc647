"""Curation (tweets/curation.py, stages curate and split): each rule at its bounds, the first-failing attribution
of the data card, the caps' order and ties, off rules, missing fields, and a split that curation cannot move."""
import dataclasses
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from polyreply.io import DataError, read_jsonl
from polyreply.tweets.config import CurateConfig
from polyreply.tweets.curation import RULES, curate, data_card
from polyreply.tweets.schema import validate_jsonl
from polyreply.tweets.split import (CURATION_COLUMNS, assign_tweets, curated_parts, split_rows,
                                    without_curation)

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data/demo/synthetic_tweet_replies.jsonl"
GOOD = "Water the strawberries at the base early in the morning"   # 56 characters, 8 distinct words
CFG = CurateConfig()   # likes [5, 500], followers [200, 20000], chars [30, 280], >= 8 distinct words
OFF = CurateConfig(**{**{f.name: 0 for f in dataclasses.fields(CurateConfig)},
                      "languages": (), "drop_urls": False, "drop_duplicates": False})


def row(i, likes=10, followers=1000, reply=GOOD, author=None, tweet="t0", delay=60.0, lang="en"):
    return {"tweet_id": tweet, "tweet": f"tweet {tweet}", "reply_id": f"r{i}", "reply": reply, "reply_likes": likes,
            "reply_author": author or f"a{i}", "reply_author_followers": followers, "reply_time_diff_seconds": delay,
            "reply_lang": lang, "source_line": i + 1}


def fails(rows, cfg=CFG):
    return [f for _, f in curate(rows, cfg)]


def test_defaults_are_the_planning_documents_filters():
    assert (CFG.min_reply_likes, CFG.max_reply_likes, CFG.min_followers, CFG.max_followers, CFG.min_chars,
            CFG.max_chars, CFG.min_unique_words) == (5, 500, 200, 20000, 30, 280, 8)
    assert CFG.max_replies_per_author == CFG.top_per_tweet == 0 and CFG.max_reply_delay_s == 0


@pytest.mark.parametrize("field,values,expected", [
    ("likes", (4, 5, 500, 501), [["likes"], [], [], ["likes"]]),
    ("followers", (199, 200, 20000, 20001), [["followers"], [], [], ["followers"]]),
])
def test_count_rules_are_inclusive_at_both_bounds(field, values, expected):
    assert fails([row(i, **{field: v}) for i, v in enumerate(values)]) == expected


def test_a_zero_upper_bound_means_none():
    cfg = dataclasses.replace(CFG, max_reply_likes=0, max_followers=0, max_chars=0)
    assert fails([row(0, likes=10 ** 6, followers=10 ** 8, reply=GOOD * 10)], cfg) == [[]]
    assert fails([row(0, likes=4)], cfg) == [["likes"]]   # the lower bound still holds


def test_length_counts_characters_without_surrounding_spaces_inclusive():
    base = "one two three four five six seven eight "          # 40 characters, 8 distinct words
    assert len(base.strip()) == 39
    cfg = dataclasses.replace(CFG, min_chars=39, max_chars=45)
    replies = ["    " + base.strip() + "    ", base.strip()[:-1], base + "nine5", base + "nine56"]   # 47 unstripped
    assert [len(r.strip()) for r in replies] == [39, 38, 45, 46]
    assert fails([row(i, reply=r) for i, r in enumerate(replies)], cfg) == [[], ["length"], [], ["length"]]


def test_unique_words_count_distinct_words_only():
    seven = "the cat sat on the mat with hat"                   # 8 words, 7 distinct ("the" twice)
    eight = "the cat sat on the mat with a hat"                 # 8 distinct
    cfg = dataclasses.replace(CFG, min_chars=0, max_chars=0)
    assert fails([row(0, reply=seven), row(1, reply=eight), row(2, reply="spam " * 20)], cfg) == [
        ["unique_words"], [], ["unique_words"]]


def test_reply_delay_is_inclusive_and_off_by_default():
    cfg = dataclasses.replace(CFG, max_reply_delay_s=600)
    assert fails([row(0, delay=600), row(1, delay=600.5)], cfg) == [[], ["reply_delay"]]
    assert fails([row(0, delay=10 ** 6)]) == [[]]


def test_data_card_attributes_each_removal_to_the_first_failing_rule():
    short = "Nice one"
    rows = [row(0), row(1, likes=4), row(2, likes=4, followers=100), row(3, followers=100), row(4, reply=short),
            row(5, likes=1000, reply=short), row(6, reply="word " * 12), row(7)]
    flags = curate(rows, CFG)
    assert [f for _, f in flags] == [[], ["likes"], ["likes", "followers"], ["followers"],
                                     ["length", "unique_words"], ["likes", "length", "unique_words"],
                                     ["unique_words"], []]
    assert [k for k, _ in flags] == [True] + [False] * 6 + [True]
    card = data_card(rows, flags, CFG, scores=[1, 0, 0, 0, 0, 0, 0, 3], styles=["specific"] * 2 + ["echo"] * 6)
    assert (card["rows_in"], card["rows_kept"], card["rows_removed"], card["kept_share"]) == (8, 2, 6, 0.25)
    assert card["rule_order"] == list(RULES)
    alone = {k: v["removed_alone"] for k, v in card["rules"].items()}
    first = {k: v["removed_first"] for k, v in card["rules"].items()}
    off = {"reply_delay": 0, "language": 0, "urls": 0, "duplicate": 0, "author_cap": 0, "top_per_tweet": 0}
    assert alone == {"likes": 3, "followers": 2, "length": 2, "unique_words": 3, **off}
    assert first == {"likes": 3, "followers": 1, "length": 1, "unique_words": 1, **off}
    assert card["oracle_mean"] == {"all": 0.5, "kept": 2.0}
    assert card["style_mix"] == {"all": {"echo": 0.75, "specific": 0.25}, "kept": {"specific": 0.5, "echo": 0.5}}
    assert card["rules"]["likes"]["rule"] == "reply_likes in [5, 500]" and card["rules"]["author_cap"]["rule"] == "off"


def test_author_cap_keeps_the_most_liked_ties_by_reply_id_among_rows_that_pass_the_row_rules():
    rows = [row(1, likes=50, followers=100, author="ann"), row(3, likes=20, author="ann"),
            row(2, likes=20, author="ann"), row(4, likes=5, author="ann"), row(5, likes=5, author="bob")]
    cfg = dataclasses.replace(CFG, max_replies_per_author=2)
    by_id = lambda rs, c: {r["reply_id"]: f for r, (_, f) in zip(rs, curate(rs, c))}  # noqa: E731
    expected = {"r1": ["followers"], "r3": [], "r2": [], "r4": ["author_cap"], "r5": []}
    assert by_id(rows, cfg) == expected
    for seed in range(5):   # deterministic whatever the row order
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        assert by_id(shuffled, cfg) == expected
    one = by_id(rows, dataclasses.replace(cfg, max_replies_per_author=1))
    assert one["r2"] == [] and one["r3"] == ["author_cap"]   # a tie on likes: the smaller reply_id stays
    card = data_card(rows, curate(rows, cfg), cfg)
    # alone, over all rows: r1 (50) and r2 stay, r3 and r4 go; after the row rules only r4 goes
    assert card["rules"]["author_cap"] == {"rule": "<= 2 rows per reply_author (most liked first)",
                                           "removed_alone": 2, "removed_first": 1}


def test_top_per_tweet_ranks_the_kept_replies_and_comes_after_the_author_cap():
    rows = [row(0, likes=100, reply="too short"), row(1, likes=30), row(2, likes=20), row(3, likes=10),
            row(4, likes=7, tweet="t1")]
    cfg = dataclasses.replace(CFG, top_per_tweet=2)
    assert fails(rows, cfg) == [["length", "unique_words"], [], [], ["top_per_tweet"], []]
    card = data_card(rows, curate(rows, cfg), cfg)
    assert card["rules"]["top_per_tweet"]["removed_alone"] == 2 and card["rules"]["top_per_tweet"]["removed_first"] == 1
    # a row cut by the author cap takes no place in its tweet's top N
    rows = [row(1, likes=30, author="ann"), row(2, likes=20, author="ann"), row(3, likes=10, author="bob")]
    cfg = dataclasses.replace(CFG, max_replies_per_author=1, top_per_tweet=2)
    assert fails(rows, cfg) == [[], ["author_cap"], []]


def test_rules_that_are_off_remove_nothing_and_need_no_field():
    bare = [{"tweet_id": "t0", "tweet": "x", "reply_id": f"r{i}", "reply": "ok", "reply_likes": 10 ** 6}
            for i in range(3)]   # only the required fields
    flags = curate(bare, OFF)
    assert flags == [(True, [])] * 3
    card = data_card(bare, flags, OFF)
    assert card["rows_kept"] == 3 and card["kept_share"] == 1.0
    assert all(v == {"rule": "off", "removed_alone": 0, "removed_first": 0} for v in card["rules"].values())
    assert "oracle_mean" not in card and "style_mix" not in card


@pytest.mark.parametrize("cfg,missing,rule", [
    (CFG, "reply_author_followers", "followers"),
    (dataclasses.replace(OFF, max_replies_per_author=1), "reply_author", "author_cap"),
    (dataclasses.replace(OFF, max_reply_delay_s=60), "reply_time_diff_seconds", "reply_delay"),
])
def test_a_missing_field_of_an_enabled_rule_is_named(cfg, missing, rule):
    rows = [row(0), {k: v for k, v in row(1).items() if k != missing}]
    with pytest.raises(DataError, match=rf"rule {rule}: row reply_id='r1' \(validated line 2\) has no field "
                                        rf"'{missing}'"):
        curate(rows, cfg)


def test_a_bad_value_is_named():
    with pytest.raises(DataError, match=r"rule likes: row reply_id='r0' .* bad value '12' in field 'reply_likes'"):
        curate([row(0, likes="12")], CFG)


def flagged_demo_rows(cfg=CFG):
    rows = validate_jsonl(DEMO).rows
    return [{**r, "curated": k, "curation_failed": f} for r, (k, f) in zip(rows, curate(rows, cfg))]


def test_split_assignment_ignores_curation_and_curated_splits_are_the_flagged_subsets():
    rows = flagged_demo_rows()
    split = dict(seed=42, test_fraction=0.15, val_fraction=0.08, phase1_fraction=0.5, strata=4)
    assignment, _ = assign_tweets(rows, **split)
    assert assignment == assign_tweets([without_curation(r) for r in rows], **split)[0]
    assert assignment == assign_tweets([r for r in rows if r["curated"]] + [r for r in rows if not r["curated"]],
                                       **split)[0]
    parts = split_rows(rows, assignment)
    cur = curated_parts(parts)
    assert set(cur) == {"train", "phase1", "val"}
    for name, kept in cur.items():
        pool = parts["phase1"] + parts["phase2"] if name == "train" else parts[name]
        assert kept and all(r["curated"] is True and r["curation_failed"] == [] for r in kept)
        assert [r["reply_id"] for r in kept] == [r["reply_id"] for r in pool if r["curated"]]
        assert 0 < len(kept) < len(pool)
    assert not set(CURATION_COLUMNS) & set(without_curation(rows[0]))


def test_split_refuses_an_empty_curated_split_and_rows_without_the_flag():
    parts = {"test": [], "phase1": [dict(row(0), curated=True)], "phase2": [],
             "val": [dict(row(1), curated=False), dict(row(2), curated=False)]}
    with pytest.raises(ValueError, match=r"curation kept none of the 2 val pairs"):
        curated_parts(parts)
    parts["val"] = [row(1)]
    with pytest.raises(ValueError, match=r"row reply_id='r1' has no boolean 'curated' column"):
        curated_parts(parts)


def run_stages(tmp_path: Path, name: str, curate_params: dict) -> Path:
    """Stages curate and split as dvc.yaml runs them, in a scratch folder with the given `curate` block."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["curate"].update(curate_params)
    work = tmp_path / name
    work.mkdir()
    (work / "params.yaml").write_text(yaml.safe_dump(params))
    (work / "validated.jsonl").write_text("".join(json.dumps(r) + "\n" for r in validate_jsonl(DEMO).rows))
    for cmd in (["stages/curate.py", "--pairs", "validated.jsonl", "--raw", str(DEMO), "--out", "curated.jsonl",
                 "--metrics", "curation.json"],
                ["stages/split.py", "--pairs", "curated.jsonl", "--out", "split", "--metrics", "split.json",
                 "--plot", "split.png"]):
        res = subprocess.run([sys.executable, str(ROOT / cmd[0]), *cmd[1:]], cwd=work, capture_output=True,
                             text=True)
        assert res.returncode == 0, res.stderr[-3000:]
    return work


def test_stages_curate_and_split_leave_the_all_replies_splits_unchanged(tmp_path):
    default = run_stages(tmp_path, "default", {})
    off = run_stages(tmp_path, "off", dataclasses.asdict(OFF))
    for name in ("test", "val", "phase1", "phase2", "train"):   # what the reward model, GRPO and references read
        assert (default / "split" / f"{name}.jsonl").read_bytes() == (off / "split" / f"{name}.jsonl").read_bytes()
    curated = read_jsonl(default / "curated.jsonl")
    assert len(curated) == len(validate_jsonl(DEMO).rows) and all(isinstance(r["curated"], bool) for r in curated)
    card = json.loads((default / "curation.json").read_text())
    stats = json.loads((default / "split.json").read_text())
    assert sum(stats["curated_pairs"][s] for s in ("train", "val")) <= card["rows_kept"]
    for name in ("train", "phase1", "val"):
        kept = read_jsonl(default / "split" / f"{name}_curated.jsonl")
        every = {r["reply_id"] for r in read_jsonl(default / "split" / f"{name}.jsonl")}
        assert len(kept) == stats["curated_pairs"][name] > 0
        assert all(r["curated"] for r in kept) and {r["reply_id"] for r in kept} < every
    assert "style_mix" in card and card["oracle_mean"]["kept"] > card["oracle_mean"]["all"]
    assert json.loads((off / "curation.json").read_text())["kept_share"] == 1.0


def test_language_rule_keeps_listed_codes_and_needs_the_field():
    cfg = dataclasses.replace(CFG, languages=("en", "de"))
    assert fails([row(0, lang="en"), row(1, lang="es"), row(2, lang="und"), row(3, lang="de")], cfg) == \
        [[], ["language"], ["language"], []]
    assert fails([row(0, lang="es")]) == [[]]   # off by default
    bare = row(0)
    del bare["reply_lang"]
    with pytest.raises(DataError, match="reply_id='r0'.*field 'reply_lang'"):
        curate([bare], cfg)


def test_url_rule_catches_links_not_plain_words():
    cfg = dataclasses.replace(CFG, drop_urls=True)
    replies = [GOOD + " https://t.co/Ab12Cd", "Full thread here: HTTP://example.org/x " + GOOD, "www.shop.example " + GOOD,
               GOOD + " example.com is fine", GOOD + " (see the https docs)"]
    assert fails([row(i, reply=r) for i, r in enumerate(replies)], cfg) == [["urls"], ["urls"], ["urls"], [], []]


def test_duplicate_rule_keeps_the_most_liked_copy_of_each_text():
    """Copy-paste spam under several ids: one survives (most liked, then the smaller reply_id); leading @handles,
    case and spacing do not make a copy new; a copy that fails an earlier rule does not count against the others."""
    cfg = dataclasses.replace(CFG, drop_duplicates=True)
    spam = "Check my profile for FREE crypto signals every single day friends"
    rows = [row(0, reply=spam, likes=10), row(1, reply="@maria " + spam.upper(), likes=50),
            row(2, reply="@bob @eve  " + spam.replace(" ", "  "), likes=50), row(3, reply=spam, likes=600),
            row(4, reply=GOOD), row(5, reply="@maria " + GOOD.replace("Water", "Watering"))]
    assert fails(rows, cfg) == [["duplicate"], [], ["duplicate"], ["likes"], [], []]
    card = data_card(rows, curate(rows, cfg), cfg)
    assert card["rules"]["duplicate"] == {
        "rule": "one row per reply text (leading @handles, case, spacing ignored; most liked kept)",
        "removed_alone": 3, "removed_first": 2}
