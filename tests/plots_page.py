"""Render a `dvc plots show` page in headless Chromium and read back what drew (the page template's status script,
tools/plots_render_status.html, writes it onto <body>). Used by the plots-page tests."""
import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def browser() -> str:
    """The Chromium binary, or skip: CI installs it (`apt-get install chromium`) where the system allows."""
    for name in BROWSERS:
        if path := shutil.which(name):
            return path
    pytest.skip("no Chromium on PATH (apt-get install chromium): the plots page cannot be rendered here")


def render(page: Path) -> dict:
    """charts, drawn, problems (console warnings and errors, failed embeds, images that did not load) and, per
    Vega chart, how many of its mark groups hold marks."""
    res = subprocess.run([browser(), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=30000",
                          "--dump-dom", page.resolve().as_uri()], capture_output=True, text=True, timeout=180)
    dom = res.stdout
    body = re.findall(r"<body([^>]*)>", dom)
    if not body or "data-problems" not in body[-1] or 'data-charts=""' in body[-1]:
        raise AssertionError(f"the page's status never arrived (no data-problems on <body>):\n{res.stderr[-2000:]}")
    attrs = dict(re.findall(r'data-([a-z]+)="([^"]*)"', body[-1]))
    marks, boxes = {}, {}
    for box in re.split(r'(?=<div id=")', dom)[1:]:
        ident = re.match(r'<div id="([^"]+)"', box).group(1)
        boxes[ident] = box
        groups = re.findall(r'<g class="mark-[a-z]+ role-mark[^"]*"[^>]*>(</g>)?', box)
        if groups:
            marks[ident] = sum(1 for closed in groups if not closed)   # a group closed at once drew nothing
    return {"charts": int(attrs["charts"]), "drawn": int(attrs["drawn"]),
            "problems": json.loads(html.unescape(attrs["problems"])), "marks": marks, "boxes": boxes}


def plots_show(repo: Path, out: Path, dvc: str, env=None) -> Path:
    subprocess.run([dvc, "plots", "show", "-o", str(out)], cwd=repo, check=True, capture_output=True, env=env)
    return out / "index.html"
