"""The package modules a stage script imports, directly or not: what its dvc.yaml entry declares as deps.

    .venv/bin/python tools/stage_deps.py stages/grpo.py      # one path a line, from the repo root
    .venv/bin/python tools/stage_deps.py --fix dvc.yaml      # rewrite every stage's package deps to match

Resolves absolute (``polyreply.x``) and package-relative (``from ..x import``) imports, imports inside
functions included, and adds every package ``__init__.py`` on the way (Python runs them on import).
tests/pipeline/test_dag_deps.py holds each dvc.yaml to exactly this set.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "polyreply"


def module_file(dotted: str) -> Path | None:
    """polyreply.a.b -> polyreply/a/b.py or polyreply/a/b/__init__.py (None: not a package module)."""
    base = ROOT.joinpath(*dotted.split("."))
    for f in (base.with_suffix(".py"), base / "__init__.py"):
        if f.exists():
            return f
    return None


def _package_of(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name != "__init__" else rel.parts[:-1]
    return ".".join(parts)


def imported_modules(path: Path) -> set[str]:
    """Dotted names of the package modules ``path`` imports (with every parent package)."""
    found: set[str] = set()
    in_package = path.resolve().is_relative_to(ROOT / PACKAGE)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        candidates = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                if not in_package:
                    continue
                pkg = _package_of(path.resolve()).split(".")
                base = pkg[:len(pkg) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            candidates = [mod] + [f"{mod}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            candidates = [a.name for a in node.names]
        for name in candidates:
            if (name == PACKAGE or name.startswith(PACKAGE + ".")) and module_file(name):
                parts = name.split(".")
                found |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return found


def closure(script: str | Path) -> set[str]:
    """Repo-relative paths of every package file that running ``script`` imports."""
    todo, seen = [Path(ROOT, script)], set()
    while todo:
        f = todo.pop()
        rel = f.relative_to(ROOT).as_posix()
        if rel in seen:
            continue
        seen.add(rel)
        todo += [module_file(m) for m in imported_modules(f)]
    return seen - {Path(script).as_posix()}


def fix_dvc_yaml(path: Path) -> list[str]:
    """Rewrite each stage's run of `- polyreply/...` dep lines (text-level: comments and layout stay)."""
    import re
    lines, out, changed = path.read_text(encoding="utf-8").splitlines(keepends=True), [], []
    script, i = None, 0
    while i < len(lines):
        m = re.search(r"\b(stages/\S+\.py)\b", lines[i]) if "cmd:" in lines[i] else None
        if m:
            script = (path.parent / m.group(1)).resolve().relative_to(ROOT)
        dep = re.match(r"(\s*)- (\.\./)*polyreply/", lines[i])
        if dep and script is not None:
            prefix = lines[i][:lines[i].index("- ") + 2] + (dep.group(2) or "")
            j = i
            while j < len(lines) and re.match(r"\s*- (\.\./)*polyreply/", lines[j]):
                j += 1
            new = [f"{prefix}{d}\n" for d in sorted(closure(script))]
            if new != lines[i:j]:
                changed.append(script.as_posix())
            out += new
            i = j
            continue
        out.append(lines[i])
        i += 1
    path.write_text("".join(out), encoding="utf-8")
    return changed


if __name__ == "__main__":
    if sys.argv[1:2] == ["--fix"]:
        for f in sys.argv[2:]:
            print(f, "updated:", ", ".join(fix_dvc_yaml(Path(f).resolve())) or "nothing")
    else:
        for script in sys.argv[1:]:
            print("\n".join(sorted(closure(script))))
