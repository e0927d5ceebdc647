"""The core is task-agnostic: no module under polyreply/core/ imports a study (tweets, wordle), directly or
through another package module."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("stage_deps", ROOT / "tools" / "stage_deps.py")
stage_deps = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(stage_deps)

STUDIES = ("polyreply/tweets/", "polyreply/wordle/")


def test_core_imports_no_study():
    offending = {}
    for f in sorted((ROOT / "polyreply" / "core").glob("*.py")):
        rel = f.relative_to(ROOT).as_posix()
        reached = sorted(p for p in stage_deps.closure(rel) if p.startswith(STUDIES))
        if reached:
            offending[rel] = reached
    assert not offending, f"the core imports study code: {offending}"


def test_layout_check_sees_a_relative_import():
    """The resolver behind the check follows package-relative imports (the core's style)."""
    grpo = stage_deps.imported_modules(ROOT / "polyreply" / "core" / "grpo.py")
    assert {"polyreply.core.rewards", "polyreply.progress", "polyreply.core"} <= grpo
