"""Small I/O helpers: JSONL, JSON, and atomic directory outputs."""
from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator


class DataError(ValueError):
    """Bad input data; the message names file, line and field."""


def read_jsonl(path: str | Path) -> list[dict]:
    """Read a JSONL file written by this project (already validated)."""
    path = Path(path)
    rows = []
    with path.open("r", encoding="utf-8-sig") as fh:  # -sig: a leading BOM is not part of line 1
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{lineno}: malformed JSON ({exc.msg})") from None
    return rows


def write_jsonl(path: str | Path, rows: Iterable[dict]) -> int:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
    os.replace(tmp, path)
    return n


def write_json(path: str | Path, obj) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: str | Path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


@contextmanager
def atomic_dir(final: str | Path) -> Iterator[Path]:
    """Yield a scratch folder that replaces ``final`` only if the block completes.

    An interrupted stage therefore never leaves a half-written model folder that
    a later stage (or ``dvc commit``) could mistake for a finished one.
    """
    final = Path(final)
    scratch = final.with_name(final.name + ".partial")
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    try:
        yield scratch
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    if final.exists():
        shutil.rmtree(final)
    os.replace(scratch, final)
