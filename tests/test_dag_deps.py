"""Every stage declares, as deps, its script and every polyreply module that script imports (transitively),
so an edit to shared code reruns exactly the stages that run it."""
import ast
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def polyreply_imports(path: Path) -> set[str]:
    """polyreply module files imported by ``path`` (absolute and relative imports)."""
    tree = ast.parse(path.read_text())
    found = set()
    in_package = path.parent.name == "polyreply"
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom):
            if node.level and in_package:
                base = node.module or ""
                names = [base] if base else [a.name for a in node.names]
            elif node.module and node.module.startswith("polyreply"):
                sub = node.module.split(".", 1)[1] if "." in node.module else ""
                names = [sub] if sub else [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name.split(".", 1)[1] for a in node.names if a.name.startswith("polyreply.")]
        for name in names:
            f = ROOT / "polyreply" / f"{name}.py"
            if f.exists():
                found.add(f"polyreply/{name}.py")
    return found | {"polyreply/__init__.py"}


def closure(script: str) -> set[str]:
    todo, seen = [script], set()
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        todo.extend(polyreply_imports(ROOT / f) - seen)
    return seen


def test_stage_deps_cover_imported_code():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    missing = {}
    for name, stage in stages.items():
        body = stage.get("do", stage)
        script = next(w for w in body["cmd"].split() if w.startswith("stages/"))
        deps = set(body["deps"])
        lacking = sorted(closure(script) - deps)
        if lacking:
            missing[name] = lacking
    assert not missing, f"stages import code they do not declare as deps: {missing}"


def test_wordle_stage_deps_cover_imported_code():
    """The same for wordle/dvc.yaml, whose paths are relative to wordle/."""
    stages = yaml.safe_load((ROOT / "wordle/dvc.yaml").read_text())["stages"]
    missing = {}
    for name, stage in stages.items():
        body = stage.get("do", stage)
        script = "wordle/" + next(w for w in body["cmd"].split() if w.startswith("stages/"))
        deps = {d[3:] if d.startswith("../") else f"wordle/{d}" for d in body["deps"]}
        lacking = sorted(closure(script) - deps)
        if lacking:
            missing[name] = lacking
    assert not missing, f"wordle stages import code they do not declare as deps: {missing}"
