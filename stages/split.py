"""Split curated pairs by tweet text and id into test | val | phase1 | phase2 (train = phase1 + phase2).

The assignment is computed on every row; the split files hold every row as validated (the reward model, GRPO
prompts and test references use all replies), and {train,phase1,val}_curated.jsonl the rows the curate stage
kept, for SFT and the warm-starts.

    dvc repro split           # dvc.yaml gives every path; see its cmd for a hand run
"""
import matplotlib

matplotlib.use("Agg")
import argparse  # noqa: E402
import math  # noqa: E402
from pathlib import Path  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402

from polyreply.io import read_jsonl, write_json, write_jsonl  # noqa: E402
from polyreply.tweets.config import load_params  # noqa: E402
from polyreply.tweets.split import (SPLITS, assign_tweets, curated_parts, normalise_text,  # noqa: E402
                                    quartile_chi_square, split_rows, text_leaks, without_curation)


def main() -> None:
    ap = argparse.ArgumentParser()
    for path in ("--pairs", "--out", "--metrics", "--plot"):
        ap.add_argument(path, required=True)
    args = ap.parse_args()
    params = load_params()
    cfg = params.split
    rows = read_jsonl(args.pairs)
    assignment, stratum = assign_tweets(rows, seed=cfg.seed, test_fraction=cfg.test_fraction,
                                        val_fraction=cfg.val_fraction, phase1_fraction=cfg.phase1_fraction,
                                        strata=cfg.strata)
    parts = split_rows(rows, assignment)
    curated = curated_parts(parts)
    for name in SPLITS:
        write_jsonl(Path(args.out) / f"{name}.jsonl", map(without_curation, parts[name]))
    write_jsonl(Path(args.out) / "train.jsonl", map(without_curation, parts["phase1"] + parts["phase2"]))
    for name, kept in curated.items():
        write_jsonl(Path(args.out) / f"{name}_curated.jsonl", kept)
    leaks = text_leaks(parts)
    if leaks:  # cannot happen by construction; a guard against a future change of the rule
        raise AssertionError(f"split: tweet text {leaks[0][0]!r} is in both {leaks[0][1]} and {leaks[0][2]}")
    chi = quartile_chi_square(parts, stratum)
    stats = {
        "pairs": {s: len(parts[s]) for s in SPLITS},
        "tweets": {s: len({r["tweet_id"] for r in parts[s]}) for s in SPLITS},
        "distinct_tweet_texts": {s: len({normalise_text(r["tweet"]) for r in parts[s]}) for s in SPLITS},
        "tweet_texts_in_two_splits": len(leaks),
        "pairs_total": len(rows),
        "curated_pairs": {name: len(kept) for name, kept in curated.items()},
        "curated_tweets": {name: len({r["tweet_id"] for r in kept}) for name, kept in curated.items()},
        "stratum_chi_square": chi,
        "mean_log1p_reply_likes": {s: sum(math.log1p(r["reply_likes"]) for r in parts[s]) / len(parts[s])
                                   for s in SPLITS},
    }
    assert sum(stats["pairs"].values()) == len(rows), "a row was lost or duplicated by the split"
    write_json(args.metrics, stats)

    Path("plots").mkdir(exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for s in SPLITS:
        axes[0].hist([math.log1p(r["reply_likes"]) for r in parts[s]], bins=25, density=True, histtype="step", label=s)
    axes[0].set(xlabel="log1p(reply_likes)", ylabel="density", title="Engagement by split")
    axes[0].legend()
    table = chi["table"]
    for i, s in enumerate(SPLITS):
        total = sum(table[i])
        axes[1].plot(range(1, len(table[i]) + 1), [c / total for c in table[i]], marker="o", label=s)
    p = chi["p_value"]
    axes[1].set(xlabel="engagement stratum (quartile)", ylabel="share of pairs",
                title=f"Stratum shares (chi2 p={p:.3f})" if p is not None else "Stratum shares")
    fig.tight_layout()
    fig.savefig(args.plot, dpi=110)
    print("split:", stats["pairs"], "curated:", stats["curated_pairs"], "chi2 p =", p)


if __name__ == "__main__":
    main()
