"""Train the engagement reward model (frozen MiniLM + MLP) on train pairs; validate on held-out test pairs.

    dvc repro reward_model    # or: tools/python stages/reward_model.py

Outputs: models/reward_model/, metrics/reward_model.json (Pearson/Spearman on test pairs),
plots/reward_calibration.png.
"""
import matplotlib

matplotlib.use("Agg")
import argparse  # noqa: E402
from pathlib import Path  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from polyreply.io import atomic_dir, read_jsonl, write_json  # noqa: E402
from polyreply.tweets.config import load_params  # noqa: E402
from polyreply.tweets.oracle import true_engagement  # noqa: E402
from polyreply.tweets.reward_model import relative_engagement, train_reward_model  # noqa: E402
from polyreply.core.training import Timer  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    for path in ("--train", "--test", "--out", "--metrics", "--timing", "--plot"):
        ap.add_argument(path, required=True)
    args = ap.parse_args()
    params = load_params()
    cfg = params.reward_model
    train, test = read_jsonl(args.train), read_jsonl(args.test)
    with Timer() as t:
        model, history = train_reward_model(train, cfg)
    pred = model.score([r["tweet"] for r in test], [r["reply"] for r in test])
    target = relative_engagement(test)

    pearson = stats.pearsonr(pred, target)
    spearman = stats.spearmanr(pred, target)
    metrics = {"test_pearson": float(pearson.statistic), "test_pearson_p": float(pearson.pvalue),
               "test_spearman": float(spearman.statistic), "test_spearman_p": float(spearman.pvalue),
               "test_mse": float(np.mean((pred - target) ** 2)), "test_pairs": len(test),

               "train_pairs": len(train), "epochs_run": len(history),
               "best_val_mse": float(min(h["val_mse"] for h in history))}
    if params.data.oracle == "demo":  # validation against the demo world's ground truth (held-out human replies)
        oracle = np.array([true_engagement(r["tweet"], r["reply"]) for r in test])
        metrics["oracle_pearson"] = float(stats.pearsonr(pred, oracle).statistic)
        metrics["oracle_spearman"] = float(stats.spearmanr(pred, oracle).statistic)
    with atomic_dir(Path(args.out)) as out:
        model.save(out, cfg)
    write_json(args.metrics, metrics)
    write_json(args.timing, {"seconds": t.seconds, "epochs": len(history)})

    Path("plots").mkdir(exist_ok=True)
    order = np.argsort(pred)
    bins = np.array_split(order, 10)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    axes[0].scatter(target, pred, s=6, alpha=0.4)
    axes[0].set(xlabel="actual relative engagement", ylabel="predicted",
                title=f"Test pairs: r={metrics['test_pearson']:.2f}, rho={metrics['test_spearman']:.2f}")
    axes[1].plot([pred[b].mean() for b in bins], [target[b].mean() for b in bins], marker="o", label="deciles")
    lo, hi = float(min(pred.min(), target.min())), float(max(pred.max(), target.max()))
    axes[1].plot([lo, hi], [lo, hi], "k--", lw=1, label="ideal")
    axes[1].set(xlabel="mean predicted (decile)", ylabel="mean actual", title="Calibration")
    axes[1].legend()
    fig.tight_layout()
    fig.savefig(args.plot, dpi=110)
    print(f"reward_model: test Pearson {metrics['test_pearson']:.3f}, Spearman {metrics['test_spearman']:.3f}; "
          f"vs oracle Pearson {metrics.get('oracle_pearson', float('nan')):.3f}, "
          f"Spearman {metrics.get('oracle_spearman', float('nan')):.3f}")


if __name__ == "__main__":
    main()
