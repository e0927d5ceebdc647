"""Data of the plots page (`dvc plots show`): long CSVs, one row per point, read by the templates in
.dvc/plots/: one line per ``seed``, coloured by the ``colour`` column (COLOURS below), so a model has one colour on
every chart and a legend lists only the models its chart shows. dvc.yaml's top-level ``plots:`` defines each
chart once; the per-run dvclive folders stay outputs and are not charts of their own (one chart per seed made
a page of 183).
"""
import csv
from pathlib import Path

from polyreply.io import read_json
from polyreply.tweets.arms import GRPO_RUNS, POSITIVE_CONTROLS, seeds_of

# One colour per model on every chart (baseline blues, polychromic oranges, warm-starts lighter). Here, not in
# arms.py: every stage depends on arms.py, and a colour must not rerun training.
COLOURS = {"base": "#7f7f7f", "warmstart_baseline": "#9ecae9", "warmstart_polychromic": "#ffbf79",
           "sft_baseline": "#4c78a8", "sft_polychromic": "#f58518", "grpo_baseline": "#54a24b",
           "grpo_polychromic": "#e45756", "grpo_setrl": "#b279a2", "grpo_gold": "#c9a30a"}

SFT_RUNS = ("sft_baseline", "sft_polychromic", "warmstart_baseline", "warmstart_polychromic")
PROXY_RUNS = tuple(r for r in GRPO_RUNS if r not in POSITIVE_CONTROLS)   # trained on the learned reward
# file -> (runs, dvclive series under plots/metrics/, value column): one chart per objective
CURVES = {
    "sft_nll.csv": (SFT_RUNS, "train/quality_loss", "nll"),             # the SFT objective's NLL term, all four
    "val_loss.csv": (SFT_RUNS, "eval/loss", "loss"),
    "set_objective.csv": (("sft_polychromic", "warmstart_polychromic"), "train/set_objective", "set_objective"),
    "grpo_reward.csv": (PROXY_RUNS, "grpo/avg_reward", "reward"),   # reward achieved; gold's reward is the judge
    "grpo_kl.csv": (GRPO_RUNS, "grpo/kl", "kl"),
}
HELDOUT = {"heldout_oracle.csv": ("oracle", GRPO_RUNS), "heldout_reward.csv": ("reward", PROXY_RUNS)}
STYLE_SETS = {"all": "all replies", "kept": "kept for SFT"}


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def read_tsv(path: Path) -> list[tuple[int, float]]:
    """A dvclive series: header ``step<TAB>name``, then one point per line."""
    lines = path.read_text().splitlines()
    head = lines[0].split("\t")
    if "step" not in head or len(head) < 2:
        raise ValueError(f"{path}: line 1 should be 'step<TAB><metric>', got {lines[0]!r}")
    i, j = head.index("step"), len(head) - 1
    return [(int(p[i]), float(p[j])) for p in (ln.split("\t") for ln in lines[1:])]


def training_curves(params, logs: Path, out: Path) -> None:
    """Every run's curve of one objective in one file: model, seed, step, value (a model without seeds in this
    experiment, e.g. the opt-in set-RL arm, simply has no rows)."""
    for name, (runs, series, column) in CURVES.items():
        rows = [[run, COLOURS[run], seed, step, round(v, 6)] for run in runs for seed in seeds_of(run, params)
                for step, v in read_tsv(logs / run / f"seed{seed}" / "plots/metrics" / f"{series}.tsv")]
        write_csv(out / name, ["model", "colour", "seed", "step", column], rows)
    for name, (key, runs) in HELDOUT.items():   # fixed validation tweets and sampling seeds
        rows = []
        for run in runs:
            for seed in seeds_of(run, params):
                rows += [[run, COLOURS[run], seed, h["step"], round(h[key], 6)]
                         for h in read_json(logs / run / f"seed{seed}" / "heldout.json") if h.get(key) is not None]
        write_csv(out / name, ["model", "colour", "seed", "step", key], rows)   # real data (oracle null): header only


def at_k_rows(model_means: dict[str, dict], judge: str, ks) -> list[list]:
    return [[m, COLOURS[m], judge, k, round(means[f"pass@{k}/{judge}"], 6), round(means[f"max@{k}/{judge}"], 6)]
            for m, means in model_means.items() for k in ks]


def model_rows(model_means: dict[str, dict], judge: str, kmax: int, reward_of) -> list[list]:
    return [[m, COLOURS[m], round(means["semantic_diversity"], 6), round(means[f"mean_score/{judge}"], 6),
             round(means[f"max@{kmax}/{judge}"], 6), round(reward_of(means), 6)] for m, means in model_means.items()]


def evaluation_charts(model_means: dict[str, dict], judge: str, ks, reward_of, out: Path) -> None:
    """Pass@k and max@k per model (primary judge), and one row per model for the labelled scatters (the reward
    scatter leaves out the gold-reward control: its training reward is the ground truth, not this reward)."""
    header = ["model", "colour", "diversity", "score", "max_k", "reward_achieved"]
    write_csv(out / "at_k.csv", ["model", "colour", "judge", "k", "pass_at_k", "max_at_k"], at_k_rows(model_means, judge, ks))
    rows = model_rows(model_means, judge, max(ks), reward_of)
    write_csv(out / "models.csv", header, rows)
    write_csv(out / "reward_vs_score.csv", header, [r for r in rows if r[0] not in POSITIVE_CONTROLS])


def data_card_charts(curation: dict, out: Path) -> None:
    """What curation removed, rule by rule (rows removed first in rule order, and by the rule alone; rules that
    are off are left out), and the
    demo world's reply styles before and after it (real data has no style labels: header only)."""
    rows = []
    for rule in curation["rule_order"]:
        r = curation["rules"][rule]
        if r["rule"] == "off":   # the report lists these as off; a zero bar would read as "removes nothing"
            continue
        rows += [[rule, "removed first (in rule order)", r["removed_first"]],
                 [rule, "would remove alone", r["removed_alone"]]]
    write_csv(out / "curation_rules.csv", ["rule", "group", "rows"], rows)
    mix = curation.get("style_mix", {})
    write_csv(out / "reply_styles.csv", ["style", "group", "share"],
              [[style, label, share] for key, label in STYLE_SETS.items()
               for style, share in sorted(mix.get(key, {}).items())])
