"""Every stage declares, as deps, exactly the package modules its script imports (directly or not): an edit
to shared code reruns the stages that run it, and only those. A missing and an extra declaration both fail."""
import importlib.util
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("stage_deps", ROOT / "tools" / "stage_deps.py")
stage_deps = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(stage_deps)


def declared_code(stages: dict, folder: Path) -> dict[str, tuple[str, set[str], set[str]]]:
    """stage -> (its script, the package files it declares, all its deps), paths from the repo root."""
    out = {}
    for name, stage in stages.items():
        body = stage.get("do", stage)
        script = (folder / next(w for w in body["cmd"].split() if w.startswith("stages/"))).as_posix()
        deps = {(folder / d).resolve().relative_to(ROOT).as_posix() for d in body["deps"]}
        out[name] = (script, {d for d in deps if d.startswith("polyreply/")}, deps)
    return out


def mismatches(stages: dict, folder: Path = Path(".")) -> dict:
    """stage -> the package files it imports but does not declare, and those it declares but does not import."""
    bad = {}
    for name, (script, code, deps) in declared_code(stages, folder).items():
        imported = stage_deps.closure(script)
        missing, extra = sorted(imported - code), sorted(code - imported)
        if script not in deps:
            missing.insert(0, script)
        if missing or extra:
            bad[name] = {"missing": missing, "extra": extra}
    return bad


@pytest.mark.parametrize("dvc_yaml", ["dvc.yaml", "wordle/dvc.yaml"])
def test_stage_deps_are_exactly_the_imported_code(dvc_yaml):
    path = Path(dvc_yaml)
    bad = mismatches(yaml.safe_load((ROOT / path).read_text())["stages"], path.parent)
    assert not bad, f"{dvc_yaml}: declared code deps differ from what the stage scripts import: {bad}"


def test_resolver_follows_relative_and_lazy_imports():
    """core/distributed.py imports prompts inside a method, relatively; the closure must reach it."""
    assert "polyreply/core/prompts.py" in stage_deps.closure("polyreply/core/distributed.py")
    assert "polyreply/tweets/oracle.py" in stage_deps.closure("stages/grpo.py")
    assert "polyreply/tweets/scoring.py" not in stage_deps.closure("stages/generate.py")   # judges rerun scoring only


def test_check_fails_on_a_missing_and_on_an_extra_dep():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    stages["evaluate"]["do"]["deps"].remove("polyreply/tweets/scoring.py")
    stages["generate_base"]["deps"].append("polyreply/tweets/scoring.py")
    bad = mismatches(stages)
    assert bad == {"evaluate": {"missing": ["polyreply/tweets/scoring.py"], "extra": []},
                   "generate_base": {"missing": [], "extra": ["polyreply/tweets/scoring.py"]}}
