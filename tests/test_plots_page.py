"""The plots page as a person sees it: `dvc plots show` rendered in headless Chromium, offline."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from polyreply.tweets.chart_data import COLOURS
from tests.plots_page import plots_show, render

ROOT = Path(__file__).resolve().parents[1]
DVC = str(Path(sys.executable).parent / "dvc")


def test_committed_plots_page_draws_every_chart(tmp_path):
    expected = sum(len(yaml.safe_load(f.read_text()).get("plots", [])) for f in (ROOT / "dvc.yaml",
                                                                               ROOT / "wordle/dvc.yaml"))
    page = render(plots_show(ROOT, tmp_path / "page", DVC))
    assert page["problems"] == []
    assert page["charts"] == page["drawn"] == expected
    assert len(page["marks"]) == expected - 2 and all(n > 0 for n in page["marks"].values()), page["marks"]
    assert "cdn.jsdelivr" not in (tmp_path / "page/index.html").read_text()   # offline: vega is inlined
    # a model has its own colour (chart_data.COLOURS, carried by the data): the SFT chart's lines take theirs from it
    (sft,) = [box for ident, box in page["boxes"].items() if ident.startswith("SFT_objective")]
    for m in ("sft_baseline", "sft_polychromic", "warmstart_baseline", "warmstart_polychromic"):
        assert re.search(f'stroke="{COLOURS[m]}"', sft, re.I), m


def test_the_check_sees_a_broken_chart(tmp_path):
    """A template Vega-Lite rejects and a chart whose data has no rows must show up as problems."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for cmd in (["git", "init", "-q"], [DVC, "init", "-q"]):
        subprocess.run(cmd, cwd=repo, check=True, capture_output=True)
    (repo / ".dvc/plots").mkdir()
    shutil.copy(ROOT / ".dvc/offline_plots_template.html", repo / ".dvc/")
    subprocess.run([DVC, "config", "plots.html_template", "offline_plots_template.html"], cwd=repo, check=True)
    broken = (ROOT / ".dvc/plots/curves.json").read_text().replace('"type": "line"', '"type": "lines"')
    (repo / ".dvc/plots/broken.json").write_text(broken)
    shutil.copy(ROOT / ".dvc/plots/curves.json", repo / ".dvc/plots/")
    (repo / "a.csv").write_text("model,colour,seed,step,loss\nsft_baseline,#4c78a8,1,0,2.0\nsft_baseline,#4c78a8,1,1,1.5\n")
    (repo / "empty.csv").write_text("model,colour,seed,step,loss\n")
    (repo / "dvc.yaml").write_text(yaml.safe_dump({"plots": [
        {"good": {"template": "curves", "x": "step", "y": {"a.csv": "loss"}}},
        {"broken": {"template": "broken", "x": "step", "y": {"a.csv": "loss"}}},
        {"empty": {"template": "curves", "x": "step", "y": {"empty.csv": "loss"}}}]}))
    page = render(plots_show(repo, tmp_path / "page", DVC))
    assert page["charts"] == 3 and page["drawn"] == 1
    assert sorted(p.split(": ")[:2] for p in page["problems"]) == [["empty", "#empty"], ["error", "#broken"]]
