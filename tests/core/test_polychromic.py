"""The polychromic set score (Hamid et al. 2025) on hand-built groups: numbers checked by hand."""
import numpy as np
import pytest
import torch

from polyreply.core.policy_gradient import set_level_advantages
from polyreply.core.polychromic import capped_distance, darling_rewards, polychromic_advantages, task_quality

# One tweet, four sampled replies: two good and different replies, a near-duplicate of the first,
# and junk (empty / spam: low task reward, far from everything).
GOOD_A, GOOD_B, DUPLICATE, JUNK = range(4)
REWARDS = np.array([[1.0, 1.0, 1.0, -1.0]])          # task reward R (training reward scale)
COSINE = np.array([[1.00, 0.45, 0.95, 0.00],
                   [0.45, 1.00, 0.45, 0.00],
                   [0.95, 0.45, 1.00, 0.00],
                   [0.00, 0.00, 0.00, 1.00]])


def distances(delta):
    d = np.clip((1.0 - COSINE) / delta, 0.0, 1.0)
    np.fill_diagonal(d, 0.0)
    return d[None]


def test_junk_member_is_pushed_down_and_good_different_member_up():
    adv, stats = polychromic_advantages(REWARDS, distances(0.5), set_size=2, reward_temperature=0.5, normalize=False)
    # by hand: q = sigmoid(+-2) = 0.881 / 0.119; capped d: a-b 1, a-dup 0.1, b-dup 1, junk-any 1
    # f: ab .881, a-dup .0881, a-j .5, b-dup .881, b-j .5, dup-j .5; mean .5582
    q = 1 / (1 + np.exp(-2.0))
    f = np.array([q, 0.1 * q, 0.5, q, 0.5, 0.5])
    b = f.mean()
    expected = [np.mean(f[[0, 1, 2]]) - b, np.mean(f[[0, 3, 4]]) - b, np.mean(f[[1, 3, 5]]) - b,
                np.mean(f[[2, 4, 5]]) - b]
    assert torch.allclose(adv, torch.tensor(expected, dtype=torch.float32), atol=1e-5)
    assert adv[JUNK] < 0, "junk must get a negative advantage"
    assert int(adv.argmax()) == GOOD_B, "the good-and-different reply must get the largest advantage"
    assert adv[DUPLICATE] < 0 and adv[GOOD_A] < 0, "near-duplicates share the blame for their set"
    assert stats["sample_quality"] == pytest.approx((3 * q + (1 - q)) / 4)


def test_without_the_cap_junk_wins_which_is_the_defect_the_cap_fixes():
    """Uncapped distance (1 - cos): the junk reply, far from everything, gets the *largest* advantage."""
    adv, _ = polychromic_advantages(REWARDS, distances(1.0), set_size=2, reward_temperature=0.5, normalize=False)
    assert int(adv.argmax()) == JUNK and adv[JUNK] > 0


def test_advantages_are_normalised_per_group_and_undefined_sets_are_refused():
    adv, _ = polychromic_advantages(REWARDS, distances(0.5), set_size=2, reward_temperature=0.5, normalize=True)
    raw, f = set_level_advantages(torch.tensor(task_quality(REWARDS[0], 0.5), dtype=torch.float32),
                                  torch.tensor(distances(0.5)[0], dtype=torch.float32), 2)
    assert torch.allclose(adv, raw / (f.std(unbiased=False) + 1e-4), atol=1e-5)
    with pytest.raises(ValueError, match="set_size=4"):  # one set: zero spread, every advantage 0
        set_level_advantages(torch.ones(4), torch.ones(4, 4), 4)


def test_task_quality_and_capped_distance():
    q = task_quality(np.array([-10.0, 0.0, 10.0]), 0.5)
    assert q[1] == pytest.approx(0.5) and 0 < q[0] < 0.01 and 0.99 < q[2] < 1
    emb = np.array([[1.0, 0.0], [0.8, 0.6], [-1.0, 0.0]])  # cos: 0.8, -1, -0.8
    d = capped_distance(emb, 0.5)
    assert np.allclose(d, [[0, 0.4, 1], [0.4, 0, 1], [1, 1, 0]])


def test_darling_reward_is_quality_times_mean_distance():
    r = darling_rewards(REWARDS, distances(0.5), reward_temperature=0.5)
    q = 1 / (1 + np.exp(-2.0))
    assert np.allclose(r[0], [q * 2.1 / 3, q * 3 / 3, q * 2.1 / 3, (1 - q) * 3 / 3])


def test_with_the_real_encoder_junk_replies_get_negative_advantages():
    """The defect as found: with the real sentence encoder, an empty reply, crypto spam and a template
    fragment got the largest advantages in a group of on-topic replies. Each junk reply now gets a
    negative advantage and an on-topic reply the largest (task reward: +1 on-topic, -1 junk)."""
    from polyreply.core.polychromic import semantic_distances
    on_topic = ["Congrats on the marathon! What was your finishing time?",
                "Well done! Which training plan did you follow for the long runs?",
                "Amazing effort. How are the legs feeling today?"]
    for junk in ("", "Buy $MOON now!!! 100x guaranteed, link in bio", "<|im_start|>assistant"):
        texts = on_topic + [junk]
        d = semantic_distances(0.8)(texts, len(texts))
        adv, _ = polychromic_advantages(np.array([[1.0, 1.0, 1.0, -1.0]]), d, set_size=2, reward_temperature=0.5)
        assert adv[3] < 0, (junk, adv)
        assert int(adv.argmax()) < 3, (junk, adv)
        # why reward_temperature stays low: a flat r = sigmoid(R / 8) lets junk ride on its diversity
        flat, _ = polychromic_advantages(np.array([[1.0, 1.0, 1.0, -1.0]]), d, set_size=2, reward_temperature=8.0)
        assert int(flat.argmax()) == 3, (junk, flat)
    # The same checks on the old set score (quality = cosine to one human reply, uncapped distance)
    # fail: the spam line gets the largest, positive advantage.
    from polyreply.text import embed
    texts = on_topic + ["Buy $MOON now!!! 100x guaranteed, link in bio"]
    e = embed(texts + ["Congrats, well done!"])
    old_quality = torch.tensor(np.clip(e[:4] @ e[4], 0, 1), dtype=torch.float32)
    old_distance = torch.tensor(np.clip(1 - e[:4] @ e[:4].T, 0, 1), dtype=torch.float32)
    old_adv, _ = set_level_advantages(old_quality, old_distance, 2)
    assert old_adv[3] > 0 and int(old_adv.argmax()) == 3, old_adv
