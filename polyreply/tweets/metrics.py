"""Pure evaluation metrics: Pass@k, diversity, quality. All raise on invalid input."""
from __future__ import annotations

from itertools import combinations

import numpy as np

from ..text import words


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased Pass@k (Chen et al. 2021): 1 - C(n-c, k) / C(n, k) = 1 - prod_{i<k} (n-c-i)/(n-i)."""
    if not (0 <= c <= n) or not (1 <= k <= n):
        raise ValueError(f"pass_at_k needs 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    prod = 1.0
    for i in range(k):
        prod *= (n - c - i) / (n - i)
    return 1.0 - prod


def max_at_k(scores, k: int) -> float:
    """Expected best score of k replies drawn without replacement from the n sampled ones (max@k).

    Unbiased like pass@k, but on the judge's scale, so it cannot saturate at 1: with scores sorted
    ascending, s_(i) is the best of a k-subset when the other k-1 come from the i-1 below it,
    so E[max] = sum_i s_(i) C(i-1, k-1) / C(n, k).
    """
    s = np.sort(np.asarray(scores, float))
    n = len(s)
    if not 1 <= k <= n:
        raise ValueError(f"max_at_k needs 1 <= k <= n, got n={n}, k={k}")
    from math import comb
    weights = np.array([comb(i, k - 1) for i in range(n)], float) / comb(n, k)
    return float(weights @ s)


def chrf(hypothesis: str, reference: str) -> float:
    """Sentence chrF (Popovic 2015; sacrebleu defaults: char 6-grams, beta 2) in [0, 1]."""
    return _chrf().sentence_score(hypothesis, [reference]).score / 100.0


_CHRF = None


def _chrf():
    global _CHRF
    if _CHRF is None:
        from sacrebleu.metrics import CHRF
        _CHRF = CHRF()
    return _CHRF


# Where chrF(reply, tweet) starts and stops counting as an echo of the tweet (chrF weighs recall twice, so a
# reply that contains the whole tweet scores high whatever it adds). Measured on every reply of the demo
# data (data/demo/synthetic_tweet_replies.jsonl, 6218 replies) and tests/fixtures/real_tweet_replies.jsonl:
#   demo non-echo styles (specific, question, hostile, ...): max 0.595, p99 <= 0.50
#   demo echo style (copy + "This." / "So true!" / quoted):  min 0.936, median 0.977
#   copies of the tweet, demo: verbatim 1.000, quoted >= 0.982, "<tweet> So true." >= 0.939,
#     "Love this! <tweet>" >= 0.922; fixture: all copy variants >= 0.974
#   fixture humans quoting a phrase and adding their own point: 0.47-0.59 (full credit);
#     the tweet nearly verbatim plus "<- this is the dream, well done": 0.753 (partly discounted)
#   the full tweet quoted with a 10-word comment after it: 0.64-0.87 on the demo tweets (partly discounted)
ECHO_CHRF_LO = 0.60   # at or below: no echo (just above the demo's non-echo maximum 0.595)
ECHO_CHRF_HI = 0.90   # at or above: a full echo (just below the lowest copy-with-opener, 0.922)


def chrf_echo(reply: str, tweet: str, lo: float = ECHO_CHRF_LO, hi: float = ECHO_CHRF_HI) -> float:
    """How much a reply echoes its tweet, in [0, 1]: clip((chrF(reply, tweet) - lo) / (hi - lo), 0, 1).

    0 for a reply that only shares some words with the tweet, 1 for a copy (with or without an opener
    or quotes); the thresholds are measured, see ECHO_CHRF_LO / ECHO_CHRF_HI.
    """
    if not 0.0 <= lo < hi <= 1.0:
        raise ValueError(f"chrf_echo needs 0 <= lo < hi <= 1, got lo={lo}, hi={hi}")
    return float(np.clip((chrf(reply, tweet) - lo) / (hi - lo), 0.0, 1.0))


def leave_one_out_best(similarities) -> float:
    """Best similarity to n-1 of a tweet's n references, averaged over which one is left out.

    A human reply is scored against the n-1 *other* replies; a model reply is scored the same way,
    so both take a best over n-1 references (scoring models against all n gave them one extra
    chance, and a copy of a reference scored 1.0 against itself).
    """
    s = np.sort(np.asarray(similarities, float))
    n = len(s)
    if n < 2:
        raise ValueError("leave-one-out reference similarity needs >= 2 references")
    # leaving out the best reference leaves the second best; leaving out any other keeps the best
    return float(((n - 1) * s[-1] + s[-2]) / n)


def _ngrams(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def distinct_n(texts: list[str], n: int) -> float:
    """Distinct-n (Li et al. 2016): unique n-grams / all n-grams over the set of replies.

    A set whose replies contain no n-gram at all (e.g. all empty) has no diversity: 0.0.
    """
    if not texts:
        raise ValueError("distinct_n needs at least one text")
    grams = [g for t in texts for g in _ngrams(words(t), n)]
    return len(set(grams)) / len(grams) if grams else 0.0


def bleu(hypothesis: str, references: list[str]) -> float:
    """Sentence BLEU in [0, 1] via sacrebleu (13a tokenisation, exp smoothing for zero counts)."""
    from sacrebleu.metrics import BLEU
    scorer = BLEU(effective_order=True)
    return scorer.sentence_score(hypothesis, references).score / 100.0


def self_bleu(texts: list[str]) -> float:
    """Self-BLEU (Zhu et al. 2018): mean BLEU of each reply against the others. Higher = less diverse."""
    if len(texts) < 2:
        raise ValueError("self_bleu needs at least two texts")
    return float(np.mean([bleu(t, texts[:i] + texts[i + 1:]) for i, t in enumerate(texts)]))


def mean_pairwise_cosine_distance(embeddings: np.ndarray) -> float:
    """Semantic diversity: mean over pairs of (1 - cosine similarity), rows unit-normalised."""
    if embeddings.shape[0] < 2:
        raise ValueError("semantic diversity needs at least two embeddings")
    sims = embeddings @ embeddings.T
    iu = np.triu_indices(embeddings.shape[0], k=1)
    return float(np.mean(1.0 - sims[iu]))


def pairwise_lexical_distance(texts: list[str]) -> np.ndarray:
    """1 - Jaccard similarity of word sets, for every pair (1 when both are empty? no: 0)."""
    sets = [set(words(t)) for t in texts]
    n = len(sets)
    out = np.zeros((n, n), dtype=np.float32)
    for i, j in combinations(range(n), 2):
        union = sets[i] | sets[j]
        d = 1.0 - (len(sets[i] & sets[j]) / len(union)) if union else 0.0
        out[i, j] = out[j, i] = d
    return out


def rouge_l(candidate: str, references: list[str]) -> float:
    """Best ROUGE-L F1 of the candidate against any reference."""
    if not references:
        raise ValueError("rouge_l needs at least one reference")
    scorer = _rouge()
    return max(scorer.score(ref, candidate)["rougeL"].fmeasure for ref in references)


_ROUGE = None


def _rouge():
    global _ROUGE
    if _ROUGE is None:
        from rouge_score import rouge_scorer
        _ROUGE = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    return _ROUGE


def bertscore_f1(candidates: list[str], references: list[list[str]], batch_size: int = 1) -> np.ndarray:
    """BERTScore F1 (Zhang et al. 2020) with the packaged MiniLM encoder, layer 6, no rescaling.

    Multi-reference: the best reference per candidate. Empty candidates score 0 by
    definition (bert-score would warn and return 0 too).

    batch_size=1 on purpose: bert-score batches the *set* of unique sentences, whose order follows
    PYTHONHASHSEED, so batch composition and padding (and the last bits of every score) changed from
    run to run. One sentence per forward pass makes the score a function of the inputs only (~35% slower).
    """
    if len(candidates) != len(references):
        raise ValueError("bertscore_f1: candidates and references differ in length")
    from bert_score import score
    from ..text import encoder_path
    scores = np.zeros(len(candidates), dtype=np.float64)
    idx = [i for i, c in enumerate(candidates) if c.strip()]
    if idx:
        _, _, f1 = score([candidates[i] for i in idx], [references[i] for i in idx],
                         model_type=encoder_path(), num_layers=6, batch_size=batch_size,
                         rescale_with_baseline=False, verbose=False)
        scores[idx] = f1.numpy()
    if not np.all(np.isfinite(scores)):
        raise FloatingPointError("bertscore produced non-finite values")
    return scores
