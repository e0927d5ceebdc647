"""What a researcher reads through DVC: one headline metrics file per pipeline, a plots page of 10-20 charts
defined once at the top of dvc.yaml, and a `dvc metrics diff` that fits an 80-column terminal."""
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DVC = str(Path(sys.executable).parent / "dvc")
PIPELINES = {"": ROOT / "dvc.yaml", "wordle/": ROOT / "wordle/dvc.yaml"}
TEMPLATES = ROOT / ".dvc/plots"


def stages(dvcyaml: Path):
    for name, st in yaml.safe_load(dvcyaml.read_text())["stages"].items():
        yield name, st.get("do", st)


def top_plots(dvcyaml: Path) -> list:
    return yaml.safe_load(dvcyaml.read_text()).get("plots", [])


@pytest.mark.parametrize("prefix", PIPELINES)
def test_one_headline_metrics_file_and_no_per_stage_plots(prefix):
    metrics = [(name, next(iter(m)) if isinstance(m, dict) else m)
               for name, st in stages(PIPELINES[prefix]) for m in st.get("metrics", [])]
    assert metrics == [("report", "metrics/headline.json")], metrics
    assert not [name for name, st in stages(PIPELINES[prefix]) if "plots" in st], "per-stage plots make a chart per run"


def template_fields(name: str) -> set[str]:
    """The data columns a template reads by name (besides the x and y that dvc.yaml gives)."""
    text = (TEMPLATES / f"{name}.json").read_text()
    return {f for f in re.findall(r'"field": "([^"<]+)"', text)} - {"rev"}   # rev: DVC adds it


@pytest.mark.parametrize("prefix", PIPELINES)
def test_every_chart_reads_columns_its_data_has(prefix):
    """A template colouring by a column the CSV lacks draws an 'undefined' legend without any error: check the
    committed data has every column each chart reads."""
    defs = top_plots(PIPELINES[prefix])
    charts = [d for d in defs if isinstance(d, dict)]
    images = [d for d in defs if isinstance(d, str)]
    if prefix == "":
        assert 10 <= len(defs) <= 20, f"{len(defs)} charts"
    for d in charts:
        (title, spec), = d.items()
        (path, y), = spec["y"].items()
        header = (ROOT / prefix / path).read_text().splitlines()[0].split(",")
        need = {spec["x"], y} | template_fields(spec["template"])
        assert need <= set(header), f"{title}: {path} lacks {need - set(header)}"
    for img in images:
        assert (ROOT / prefix / img).exists(), img


def test_committed_headline_is_small():
    def leaves(t):
        return sum(leaves(v) for v in t.values()) if isinstance(t, dict) else 1
    assert leaves(json.loads((ROOT / "metrics/headline.json").read_text())) <= 70
    assert leaves(json.loads((ROOT / "wordle/metrics/headline.json").read_text())) <= 40


def shifted(tree):
    """Every value changed: numbers by -0.123, booleans flipped, verdict words to the longest other word."""
    if isinstance(tree, dict):
        return {k: shifted(v) for k, v in tree.items()}
    if isinstance(tree, bool):
        return not tree
    if isinstance(tree, (int, float)):
        return round(tree - 0.123, 3)
    return "worse" if tree != "worse" else "1 seed"


@pytest.mark.parametrize("changed,rows", [("metrics/headline.json", 63), ("wordle/metrics/headline.json", 36)])
def test_metrics_diff_fits_80_columns(tmp_path, changed, rows):
    """`dvc metrics diff` after an experiment that changes every headline value of one pipeline (as
    `dvc exp run -S grpo.kl_coeff=0.2` changes the reply study's), in a repository holding this checkout's
    dvc.yaml files and committed headline metrics: one row per value, at most 80 columns. (Both pipelines changed
    at once make the path column 7 wider: `dvc metrics diff --no-path` or `--targets` then.)"""
    for rel in ("dvc.yaml", "params.yaml", "wordle/dvc.yaml", "wordle/params.yaml", "metrics/headline.json",
                "wordle/metrics/headline.json"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp_path / rel)
    for cmd in (["git", "init", "-q"], [DVC, "init", "-q"], ["git", "add", "-A"],
                ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "headline"]):
        subprocess.run(cmd, cwd=tmp_path, check=True, capture_output=True)
    f = tmp_path / changed
    f.write_text(json.dumps(shifted(json.loads(f.read_text()))))
    lines = subprocess.run([DVC, "metrics", "diff"], cwd=tmp_path, check=True, capture_output=True,
                           text=True).stdout.splitlines()
    assert len(lines) == rows + 1 and all(ln.startswith(changed) for ln in lines[1:])
    width = max(len(ln) for ln in lines)
    assert width <= 80, f"{width} columns:\n" + "\n".join(ln for ln in lines if len(ln) > 80)
