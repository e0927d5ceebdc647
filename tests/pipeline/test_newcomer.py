"""The README's first command works verbatim on a fresh copy, in a shell with no environment activated.

DVC runs each stage's cmd through the shell with the caller's PATH, so a stage that says `python`
gets whatever PATH finds. This test runs the README's first command (restricted to the first two
stages) with the project's environment off PATH and a `python`/`python3` on PATH that cannot run
the project, as on a fresh machine. It failed on the code before tools/python existed.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def readme_first_command() -> str:
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    return next(line.split("#")[0].strip() for line in block.splitlines()
                if line.strip() and not line.strip().startswith("#"))


def fresh_copy(dest: Path) -> Path:
    """What `git clone` of this working tree gives: tracked + untracked-not-ignored files, committed."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"],
                ["git", "-c", "user.email=ci@example.org", "-c", "user.name=ci", "commit", "-qm", "fresh"]):
        subprocess.run(cmd, cwd=dest, check=True, capture_output=True)
    return dest


def install_stamp_is_current(env_prefix: Path, repo: Path) -> bool:
    """install.sh skips when its stamp matches; otherwise it would rebuild the shared environment."""
    import hashlib
    digest = hashlib.sha256(b"".join((repo / f).read_bytes()
                                     for f in ("install.sh", "requirements.txt", "pyproject.toml"))).hexdigest()
    stamp = env_prefix / "polyreply-install.sha256"
    return stamp.exists() and stamp.read_text().strip() == digest


def test_readme_first_command_runs_first_stages_without_activated_env(tmp_path):
    command = readme_first_command()
    assert command.endswith("dvc repro"), f"README's first command changed shape: {command!r}"
    repo = fresh_copy(tmp_path / "clone")
    env_prefix = Path(sys.prefix)
    if not install_stamp_is_current(env_prefix, repo):
        msg = f"{env_prefix} was not made by this install.sh (run `bash install.sh`)"
        if os.environ.get("CI"):
            pytest.fail(msg)  # CI runs install.sh first: the stamp must be there
        pytest.skip(msg)
    # The clone's .venv is the environment running these tests (install.sh finds it up to date).
    (repo / ".venv").symlink_to(env_prefix, target_is_directory=True)

    # A PATH without the environment, whose `python` and `python3` cannot run the project.
    decoys = tmp_path / "decoy-bin"
    decoys.mkdir()
    for name in ("python", "python3"):
        (decoys / name).write_text("#!/bin/sh\necho \"decoy $0: a stage used PATH's python\" >&2\nexit 97\n")
        (decoys / name).chmod(0o755)
    env_bins = {str(env_prefix / "bin"), str(Path(sys.executable).parent)}
    path = [str(decoys)] + [p for p in os.environ["PATH"].split(os.pathsep) if p and p not in env_bins]
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "CONDA_PREFIX", "POLYREPLY_PYTHON", "PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = os.pathsep.join(path)

    res = subprocess.run(["bash", "-c", command + " validate split"], cwd=repo, env=env,
                         capture_output=True, text=True, timeout=600)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    assert "decoy" not in out
    assert re.findall(r"Running stage '([^']+)'", out) == ["validate", "curate", "split"]
    assert len((repo / "data/split/test.jsonl").read_text().splitlines()) > 0
    assert (repo / "metrics/split.json").exists()

    # A DVC installed elsewhere (pipx, an IDE extension) gives its stages no .venv/bin on PATH:
    # tools/python still finds .venv.
    res = subprocess.run([sys.executable, "-m", "dvc", "repro", "-f", "validate"], cwd=repo, env=env,
                         capture_output=True, text=True, timeout=600)
    out = res.stdout + res.stderr
    assert res.returncode == 0 and "decoy" not in out, out[-3000:]


def test_launcher_says_how_to_fix_a_missing_environment(tmp_path):
    """No .venv anywhere above the checkout and nothing activated: a clear message, not a traceback."""
    repo = tmp_path / "bare"
    (repo / "tools").mkdir(parents=True)
    shutil.copy2(ROOT / "tools/python", repo / "tools/python")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX", "POLYREPLY_PYTHON")}
    res = subprocess.run([str(repo / "tools/python"), "-c", "print('ran')"], env=env, capture_output=True, text=True)
    assert res.returncode == 2 and "bash install.sh" in res.stderr and "ran" not in res.stdout


def test_launcher_prefers_a_complete_activated_env_and_passes_over_an_incomplete_one(tmp_path):
    repo = tmp_path / "checkout"
    (repo / "tools").mkdir(parents=True)
    shutil.copy2(ROOT / "tools/python", repo / "tools/python")
    (repo / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    base = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX", "POLYREPLY_PYTHON")}
    show = [str(repo / "tools/python"), "-c", "import sys; print(sys.prefix)"]
    # an "environment" whose python is the interpreter the test venv was made from: none of the project's
    # packages (built here because the base install may have no bin/python, e.g. Debian's /usr)
    bare_env = tmp_path / "bare-env"
    (bare_env / "bin").mkdir(parents=True)
    base_python = Path(getattr(sys, "_base_executable", "") or Path(sys.base_prefix) / "bin" / "python3")
    for name in ("python", "python3"):
        (bare_env / "bin" / name).symlink_to(base_python)
    res = subprocess.run(show, env={**base, "VIRTUAL_ENV": str(bare_env)}, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "not using the activated environment" in res.stderr and "torch" in res.stderr
    assert Path(res.stdout.strip()).resolve() == Path(sys.prefix).resolve()  # fell back to .venv
    # an activated env that has everything is used as is
    res = subprocess.run(show, env={**base, "VIRTUAL_ENV": sys.prefix}, capture_output=True, text=True)
    assert res.returncode == 0 and "not using" not in res.stderr
    # POLYREPLY_PYTHON without the packages is an error, not a silent fallback
    res = subprocess.run(show, env={**base, "POLYREPLY_PYTHON": str(bare_env / "bin" / "python3")},
                         capture_output=True, text=True)
    assert res.returncode == 2 and "lacks: torch" in res.stderr
