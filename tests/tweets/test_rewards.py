import numpy as np
import pytest
from scipy import stats

from polyreply.core.rewards import score_completions
from polyreply.text import embed
from polyreply.tweets.config import HeuristicConfig, RewardMix, RewardModelConfig, TweetGrpoConfig
from polyreply.tweets.reward_model import embed_pairs, relative_engagement, train_reward_model
from polyreply.tweets.rewards import (heuristic_components, heuristic_reward, length_score, lexical_variety_score,
                                      make_reward_fn, punctuation_score, relevance_score, specificity_score,
                                      task_reward)


def test_heuristic_components_hand_values():
    assert relevance_score("My tomatoes are thriving", "Tomatoes love compost") == 0.5   # 1 shared word
    assert relevance_score("My tomatoes are thriving", "Thriving tomatoes!") == 1.0
    assert relevance_score("My tomatoes are thriving", "Nice weather") == 0.0
    assert length_score("one two three four", 8, 30) == 0.5
    assert length_score(" ".join(["w"] * 45), 8, 30) == 0.5
    assert length_score("", 8, 30) == 0.0
    assert lexical_variety_score("a a b b") == 0.5
    assert punctuation_score("WOW AMAZING!!!") == pytest.approx(0.2)
    assert punctuation_score("Nice work.") == 1.0
    assert specificity_score("So true!") == 0.0
    assert specificity_score("Water them early in the morning.") == 1.0


def test_heuristic_reward_is_weighted_mean():
    cfg = HeuristicConfig()
    tweet, reply = "Just planted tomatoes today", "Tomatoes need six hours of sun, good luck with them."
    comps = heuristic_components(tweet, reply, cfg)
    w = cfg.weights
    expected = (w.relevance * comps["relevance"] + w.length * comps["length"] + w.sentiment * comps["sentiment"]
                + w.lexical_variety * comps["lexical_variety"] + w.punctuation * comps["punctuation"]
                + w.genericness * comps["genericness"]) / 1.0
    assert heuristic_reward(tweet, reply, cfg) == pytest.approx(expected)
    assert heuristic_reward(tweet, reply, cfg) > heuristic_reward(tweet, "So true!", cfg)


def test_relative_engagement_removes_popularity():
    rows = [{"tweet_id": "a", "reply_likes": 0}, {"tweet_id": "a", "reply_likes": 2},
            {"tweet_id": "b", "reply_likes": 1000}]
    y = relative_engagement(rows)
    assert y[0] == pytest.approx(-np.log(3) / 2) and y[1] == pytest.approx(np.log(3) / 2) and y[2] == 0.0


def test_batched_embeddings_equal_per_example():
    texts = ["Love the tomatoes!", "Quarterly tax deadline", "So true."]
    batched = embed(texts)
    single = np.stack([embed([t])[0] for t in texts])
    assert np.allclose(batched, single, atol=1e-5)
    t, r = embed_pairs(["x tweet", "x tweet"], texts[:2])
    assert np.allclose(t[0], t[1])


def test_reward_model_learns_relevance():
    """Synthetic: likes are high for replies on the tweet's subject, low for off-topic ones."""
    rng = np.random.default_rng(0)
    topics = {"tomatoes": "garden", "espresso": "coffee", "marathon": "running", "telescope": "space",
              "guitar": "music", "sourdough": "baking"}
    rows, i = [], 0
    for t, (word, area) in enumerate(topics.items()):
        for j in range(6):
            for other in topics:
                on = other == word
                rows.append({"tweet_id": f"{t}-{j}", "tweet": f"Thoughts on {word} and {area} #{j}",
                             "reply_id": str(i), "reply": f"I really like {other} a lot",
                             "reply_likes": int(rng.poisson(30 if on else 2))})
                i += 1
    train = [r for r in rows if not r["tweet_id"].endswith("-5")]
    test = [r for r in rows if r["tweet_id"].endswith("-5")]
    model, history = train_reward_model(train, RewardModelConfig(epochs=150, hidden_size=32, patience=150))
    pred = model.score([r["tweet"] for r in test], [r["reply"] for r in test])
    assert stats.pearsonr(pred, relative_engagement(test)).statistic > 0.7
    assert history[-1]["train_mse"] < history[0]["train_mse"]


def test_heuristic_penalises_echoing_the_tweet():
    from polyreply.tweets.rewards import copied_share
    cfg = HeuristicConfig()
    tweet = "Still can't believe the derby last night. What a game."
    specific = "What a finish! The xG was 2.3 to 0.8, we deserved the derby."
    assert copied_share(tweet, tweet) == 1.0
    assert copied_share(tweet, "This! " + tweet) == 1.0
    assert copied_share(tweet, specific) < 0.3
    assert heuristic_reward(tweet, tweet, cfg) == 0.0
    assert heuristic_reward(tweet, "Love this! " + tweet, cfg) == 0.0
    assert heuristic_reward(tweet, specific, cfg) > 0.5
    off = HeuristicConfig(echo_penalty=0.0)   # the old heuristic: a copy scored near the top
    assert heuristic_reward(tweet, tweet, off) > heuristic_reward(tweet, specific, off) - 0.1


class LengthModel:
    """Stands in for the learned reward model: scores a reply by its length."""
    def score(self, tweets, replies):
        return np.array([len(r) for r in replies], dtype=np.float32)


def test_training_reward_mixes_components_and_reaches_the_core_with_the_tweet_column():
    cfg = HeuristicConfig()
    tweets = ["Just planted tomatoes today", "Finished my first marathon"]
    replies = ["Tomatoes need six hours of sun, good luck with them.", "So true!"]
    heuristic = np.array([heuristic_reward(t, r, cfg) for t, r in zip(tweets, replies)])
    learned = np.array([len(r) for r in replies], dtype=np.float64)

    def scorer(reward, **mix):
        return make_reward_fn(TweetGrpoConfig(reward=reward, **mix), cfg, LengthModel())
    assert scorer("heuristic")(tweets, replies) == pytest.approx(heuristic)
    assert scorer("learned")(tweets, replies) == pytest.approx(learned)
    hybrid = scorer("hybrid", reward_weights=RewardMix(learned=0.25, heuristic=2.0))
    assert hybrid(tweets, replies) == pytest.approx(0.25 * learned + 2.0 * heuristic)
    with pytest.raises(ValueError, match="learned reward model"):
        make_reward_fn(TweetGrpoConfig(reward="learned"), cfg, None)(tweets, replies)
    # under the core's contract the reward scores the rows' tweet column, not the prompt text
    reward = task_reward(scorer("heuristic"))
    rows = [{"prompt": f"prompt {i}", "tweet": t} for i, t in enumerate(tweets)]
    scores = score_completions(reward, rows, [replies[0], replies[1], replies[1], replies[0]], 2)
    assert scores == pytest.approx([heuristic[0], heuristic_reward(tweets[0], replies[1], cfg), heuristic[1],
                                    heuristic_reward(tweets[1], replies[0], cfg)])
    assert scores[0] != pytest.approx(heuristic_reward("prompt 0", replies[0], cfg))


def test_rows_missing_an_optional_field_still_score():
    """Real data: one row has tweet_retweets and the next not (the realistic fixture crashed polychromic SFT with
    KeyError); the reward gets the columns every row has, each repeated per completion."""
    seen = {}

    def reward(prompts, completions, **columns):
        seen.update(columns)
        return [float(len(c)) for c in completions]
    rows = [{"prompt": "p0", "tweet": "a", "tweet_retweets": 3}, {"prompt": "p1", "tweet": "b"}]
    assert list(score_completions(reward, rows, ["x", "yy", "zzz", "w"], 2)) == [1.0, 2.0, 3.0, 1.0]
    assert seen == {"tweet": ["a", "a", "b", "b"]}
