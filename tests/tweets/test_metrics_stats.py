import json
import math
import os
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from polyreply.tweets.metrics import (bertscore_f1, bleu, chrf, chrf_echo, distinct_n, leave_one_out_best, max_at_k,
                                      mean_pairwise_cosine_distance, pass_at_k, rouge_l, self_bleu)
from polyreply.tweets.scoring import human_reference_similarities, reference_similarities
from polyreply.stats import (cohens_d_paired, compare, holm, mean_ci_across_seeds, minimum_detectable_effect,
                             seed_prompt_interval, sign_flip_p)


def test_pass_at_k_hand_values():
    assert pass_at_k(10, 0, 5) == 0.0
    assert pass_at_k(10, 10, 1) == 1.0
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    # n=5, c=2, k=2: 1 - C(3,2)/C(5,2) = 1 - 3/10
    assert pass_at_k(5, 2, 2) == pytest.approx(0.7)
    # n-c < k: at least one pass is guaranteed
    assert pass_at_k(4, 3, 2) == 1.0
    # matches the combinatorial definition everywhere
    for n, c, k in [(10, 4, 3), (10, 1, 10), (7, 2, 5)]:
        assert pass_at_k(n, c, k) == pytest.approx(1 - math.comb(n - c, k) / math.comb(n, k))


def test_pass_at_k_rejects_bad_input():
    with pytest.raises(ValueError):
        pass_at_k(5, 6, 1)
    with pytest.raises(ValueError):
        pass_at_k(5, 1, 6)


def test_distinct_n_hand_values():
    texts = ["the cat sat", "the cat ran"]
    assert distinct_n(texts, 1) == pytest.approx(4 / 6)   # the, cat, sat, ran over 6 tokens
    assert distinct_n(texts, 2) == pytest.approx(3 / 4)   # the cat (x2), cat sat, cat ran
    assert distinct_n(["", ""], 1) == 0.0
    with pytest.raises(ValueError):
        distinct_n([], 1)


def test_bleu_hand_computed():
    # p1=5/6, p2=3/5, p3=2/4, p4=1/3, equal lengths (BP=1): BLEU = (5/6*3/5*1/2*1/3)^(1/4)
    expected = (5 / 6 * 3 / 5 * 1 / 2 * 1 / 3) ** 0.25
    assert bleu("the cat sat on the mat", ["the cat sat on a mat"]) == pytest.approx(expected, abs=1e-4)


def test_self_bleu():
    assert self_bleu(["a b c d e", "a b c d e", "a b c d e"]) == pytest.approx(1.0)
    pair = ["the cat sat on the mat", "the cat sat on a mat"]
    expected = np.mean([bleu(pair[0], [pair[1]]), bleu(pair[1], [pair[0]])])
    assert self_bleu(pair) == pytest.approx(expected)
    assert self_bleu(["alpha beta gamma delta", "one two three four"]) < 0.05


def test_semantic_diversity_hand_values():
    e = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    # pairs: (0,1) 1, (0,2) 0, (1,2) 1 -> mean 2/3
    assert mean_pairwise_cosine_distance(e) == pytest.approx(2 / 3)


def test_rouge_l_best_reference():
    assert rouge_l("the cat sat", ["dogs bark", "the cat sat"]) == pytest.approx(1.0)
    # LCS("a b c d", "a x c y") = 2 -> P = R = 0.5
    assert rouge_l("a b c d", ["a x c y"]) == pytest.approx(0.5)


def test_bertscore_offline_orders_candidates():
    scores = bertscore_f1(["I love growing tomatoes in my garden", "Quarterly tax filing deadline", ""],
                          [["Growing tomatoes in the garden is lovely"]] * 3)
    assert scores[0] > scores[1] > 0 and scores[2] == 0.0


def test_max_at_k_hand_values_and_brute_force():
    s = [0.0, 1.0, 3.0]
    assert max_at_k(s, 1) == pytest.approx(4 / 3)               # the mean
    assert max_at_k(s, 2) == pytest.approx((1 + 3 + 3) / 3)     # pairs {0,1} {0,3} {1,3}
    assert max_at_k(s, 3) == 3.0
    rng = np.random.default_rng(0)
    x = rng.normal(size=7)
    for k in (2, 4, 6):
        brute = np.mean([max(c) for c in combinations(x, k)])
        assert max_at_k(x, k) == pytest.approx(brute)
    with pytest.raises(ValueError):
        max_at_k(s, 4)


def test_leave_one_out_reference_similarity_scores_a_new_human_like_the_others():
    """Hold out each human reply in turn as the "model" reply: by exchangeability its mean score must equal
    the remaining humans' mean score. Scoring the model against all references (the old rule) inflates it."""
    assert leave_one_out_best([0.2, 0.9, 0.5]) == pytest.approx((0.9 + 0.9 + 0.5) / 3)
    tweet = "Caught the sunset over the bay from the ferry tonight"
    replies = ["love this, where is it?", "the light in this photo is unreal", "ok", "wow amazing shot of the bay",
               "where is this? the bay looks unreal", "first!"]
    assert all(chrf_echo(r, tweet) == 0.0 for r in replies)   # no echoes: every reply is a reference, no discount
    model, human, old = [], [], []
    for i, reply in enumerate(replies):
        refs = replies[:i] + replies[i + 1:]
        model.append(reference_similarities(reply, refs, tweet))
        human.extend(human_reference_similarities(refs, tweet))
        old.append(max(chrf(reply, r) for r in refs))
    assert np.mean(model) == pytest.approx(np.mean(human), abs=1e-12)
    assert np.mean(old) > np.mean(human) + 0.01   # red on the defect: one extra reference to match
    with pytest.raises(ValueError):
        human_reference_similarities(["only one"], tweet)


def test_sign_flip_p_exact_hand_values():
    # d = [1, 2, 3]: 8 sign patterns; |mean| >= 2 only for all-plus and all-minus -> p = 2/8
    assert sign_flip_p(np.array([1.0, 2.0, 3.0])) == pytest.approx(0.25)
    # d = [1, -1, 2]: observed |sum| = 2; signed sums 2, 4, 0, 2, -2, 0, -4, -2 -> 6 of 8 reach it
    assert sign_flip_p(np.array([1.0, -1.0, 2.0])) == pytest.approx(0.75)
    assert sign_flip_p(np.zeros(5)) == 1.0
    rng = np.random.default_rng(0)
    strong = rng.normal(0.5, 0.2, 60)
    assert sign_flip_p(strong, permutations=999) == pytest.approx(1 / 1000)   # Monte Carlo floor (b+1)/(B+1)
    null = rng.normal(0, 1, 60)
    assert sign_flip_p(null, permutations=2000) > 0.05


def test_seed_prompt_interval_widens_with_seed_disagreement():
    rng = np.random.default_rng(0)
    agree = 0.3 + rng.normal(0, 0.2, size=(3, 50))
    a = seed_prompt_interval(agree, samples=2000)
    assert a["ci_low"] > 0 and a["df"] > 10          # seeds agree: the df grows toward the prompts'
    # per-seed effects 0.1, 0.2, 0.3 with no prompt noise: the t-interval across 3 seeds (df 2),
    # [-0.048, 0.448]; a bootstrap over the 3 seeds gave [0.106, 0.289] (too narrow)
    spread = np.repeat([[0.1], [0.2], [0.3]], 50, axis=1)
    s = seed_prompt_interval(spread, samples=500)
    half = stats.t.ppf(0.975, 2) * 0.1 / math.sqrt(3)
    assert s["df"] == pytest.approx(2) and s["ci_low"] == pytest.approx(0.2 - half) and s["ci_low"] < 0
    # one seed: the plain bootstrap over prompts, SE close to sd/sqrt(n)
    one = seed_prompt_interval(agree[:1], samples=4000)
    assert one["se"] == pytest.approx(agree[0].std(ddof=1) / math.sqrt(50), rel=0.1) and one["se_seeds"] is None
    assert minimum_detectable_effect(0.1, 0.05) == pytest.approx((1.959964 + 0.841621) * 0.1, rel=1e-5)
    assert minimum_detectable_effect(0.1, 0.05, df=2) == pytest.approx((4.302653 + 1.060660) * 0.1, rel=1e-5)


def test_compare_pairs_by_seed_and_prompt():
    rng = np.random.default_rng(0)
    a = rng.normal(0.5, 1, (2, 40))
    b = a - 0.3 + rng.normal(0, 0.5, (2, 40))
    res = compare(a, b, samples=500, permutations=999)
    d = (a - b).mean(axis=0)
    assert res["mean_diff"] == pytest.approx(d.mean()) and res["n_seeds"] == 2 and res["n_prompts"] == 40
    assert res["cohens_d"] == pytest.approx(d.mean() / d.std(ddof=1))
    assert res["ci_low"] < d.mean() < res["ci_high"] and res["p"] < 0.01
    assert res["per_seed_diff"] == pytest.approx(list((a - b).mean(axis=1)))
    assert "wilcoxon_p" not in res and "mannwhitney_p" not in res
    assert cohens_d_paired(np.array([3.0, 5.0]), np.array([1.0, 1.0])) == pytest.approx(3 / math.sqrt(2))
    with pytest.raises(ValueError):
        compare(a, b[:, :10])


def test_identical_models_give_p_one():
    a = np.array([0.1, 0.5, 0.9])
    assert compare(a, a.copy())["p"] == 1.0


def test_holm_hand_values():
    # sorted: 0.01*3=0.03, 0.02*2=0.04, 0.04*1 -> max(0.04, 0.04)
    assert holm([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])


def test_bootstrap_is_seeded():
    d = np.arange(10.0)
    assert seed_prompt_interval(d, seed=1) == seed_prompt_interval(d, seed=1)


def test_seed_aggregate_ci():
    one = mean_ci_across_seeds([0.4])
    assert one["ci_low"] is None and one["mean"] == 0.4
    three = mean_ci_across_seeds([1.0, 2.0, 3.0])
    half = stats.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)
    assert three["ci_low"] == pytest.approx(2 - half) and three["ci_high"] == pytest.approx(2 + half)


BERTSCORE_SCRIPT = """
import json
from polyreply.io import read_jsonl
from polyreply.tweets.metrics import bertscore_f1
rows = read_jsonl("data/demo/synthetic_tweet_replies.jsonl")[:300]  # many sentences of tied word counts
print(json.dumps([float(x) for x in bertscore_f1([r["reply"] for r in rows], [[r["tweet"]] for r in rows])]))
"""


def test_bertscore_does_not_depend_on_python_hash_seed():
    # bert-score orders its unique sentences through a set; the scores must not follow PYTHONHASHSEED.
    outs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        res = subprocess.run([sys.executable, "-c", BERTSCORE_SCRIPT], env=env, capture_output=True, text=True,
                             check=True, cwd=Path(__file__).resolve().parents[2])
        outs.append(json.loads(res.stdout.strip().splitlines()[0]))
    assert len(outs[0]) == 300 and outs[0] == outs[1]
