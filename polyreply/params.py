"""Strict params for both studies: typed, frozen dataclass blocks built from a params.yaml.

Each field is declared once with ``param(default, help, gt=/ge=/lt=/le=)``: its bound is checked
generically and its help is what ``describe`` prints. Unknown keys, wrong types and values out of range
fail *before any work* with a message naming the dotted key, so a typo in
``dvc exp run -S grpo.kl_coef=0.2`` cannot silently fall back to a default. Rules that tie two fields
together stay explicit, in a block's ``check(where)`` or in a study's loader.
"""
from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml


class ParamsError(ValueError):
    """A params.yaml value is missing, unknown, mistyped or out of range."""


_BOUNDS = ("gt", "ge", "lt", "le")


def param(default: Any = dataclasses.MISSING, help: str = "", *, factory=None, gt=None, ge=None, lt=None,
          le=None):
    """A params field: its default (or ``factory`` for a nested block), one line of help and its bounds."""
    meta = {"help": help, **{k: v for k, v in zip(_BOUNDS, (gt, ge, lt, le)) if v is not None}}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def bound_text(meta: dict) -> str | None:
    """'> 0', 'in (0, 1]', ... for a field's declared bounds (None: unbounded)."""
    low = ("(", meta["gt"]) if "gt" in meta else ("[", meta["ge"]) if "ge" in meta else None
    high = (")", meta["lt"]) if "lt" in meta else ("]", meta["le"]) if "le" in meta else None
    if low and high:
        return f"in {low[0]}{low[1]}, {high[1]}{high[0]}"
    if low:
        return f"{'>' if low[0] == '(' else '>='} {low[1]}"
    if high:
        return f"{'<' if high[0] == ')' else '<='} {high[1]}"
    return None


def _in_bounds(value: float, meta: dict) -> bool:
    return (("gt" not in meta or value > meta["gt"]) and ("ge" not in meta or value >= meta["ge"])
            and ("lt" not in meta or value < meta["lt"]) and ("le" not in meta or value <= meta["le"]))


def check(cond: bool, where: str, message: str) -> None:
    """A rule that the field bounds cannot say: raise ParamsError naming ``where`` unless ``cond``."""
    if not cond:
        raise ParamsError(f"{where}: {message}")


def _key_for(field_name: str) -> str:
    # ``lambda`` is a Python keyword: the field is ``lambda_``, the YAML key ``lambda``.
    return field_name[:-1] if field_name.endswith("_") else field_name


def _coerce(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin is typing.Union:  # Optional[X]
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(inner[0], value, where)
    if origin is Literal:
        if value not in args:
            raise ParamsError(f"{where}: {value!r} is not one of {list(args)}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ParamsError(f"{where}: expected a list, got {type(value).__name__} {value!r}")
        item_tp = args[0] if args else Any
        return tuple(_coerce(item_tp, v, f"{where}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(tp):
        return build(tp, value, where)
    if tp is bool:
        if not isinstance(value, bool):
            raise ParamsError(f"{where}: expected true/false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamsError(f"{where}: expected an integer, got {type(value).__name__} {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParamsError(f"{where}: expected a number, got {type(value).__name__} {value!r}")
        if not math.isfinite(float(value)):
            raise ParamsError(f"{where}: expected a finite number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ParamsError(f"{where}: expected a string, got {type(value).__name__} {value!r}")
        return value
    raise TypeError(f"unsupported config type {tp!r} at {where}")


def build(cls: type, data: Any, where: str):
    """Build dataclass ``cls`` from mapping ``data``; ``where`` is the dotted params key."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ParamsError(f"{where}: expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {_key_for(f.name): f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ParamsError(
            f"{where}.{unknown[0]}: unknown key (allowed under {where}: {', '.join(sorted(fields))})"
        )
    kwargs = {}
    for key, f in fields.items():
        if key in data:
            kwargs[f.name] = _coerce(hints[f.name], data[key], f"{where}.{key}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ParamsError(f"{where}.{key}: required key is missing")
    obj = cls(**kwargs)
    check_bounds(obj, where)
    rules = getattr(obj, "check", None)
    if rules is not None:
        rules(where)
    return obj


def check_bounds(obj, where: str) -> None:
    """Every numeric field against the bounds declared next to it (``param(..., gt=0)``)."""
    for f in dataclasses.fields(obj):
        value, text = getattr(obj, f.name), bound_text(f.metadata)
        if text is not None and value is not None and not _in_bounds(value, f.metadata):
            raise ParamsError(f"{where}.{_key_for(f.name)}: must be {text}, got {value!r}")


def describe(cls: type, where: str) -> list[str]:
    """One line per field, nested blocks expanded: 'key (default; bound): help'."""
    lines = []
    for f in dataclasses.fields(cls):
        key = f"{where}.{_key_for(f.name)}"
        if f.default_factory is not dataclasses.MISSING and dataclasses.is_dataclass(f.default_factory):
            lines += describe(f.default_factory, key)
            continue
        bound = bound_text(f.metadata)
        lines.append(f"{key} ({f.default!r}{'; ' + bound if bound else ''}): {f.metadata.get('help', '')}")
    return lines


@dataclass(frozen=True)
class Params:
    """Seeds plus one checked dataclass per block: ``params.grpo.kl_coeff``."""
    seeds: tuple[int, ...]
    blocks: dict
    exploratory_seeds: tuple[int, ...] = ()
    positive_control_seeds: tuple[int, ...] = ()

    def __getattr__(self, name):
        try:
            return self.blocks[name]
        except KeyError:
            raise AttributeError(name) from None


def load_blocks(path: str | Path, blocks: dict[str, type],
                extra_keys: tuple[str, ...] = ("seeds",)) -> tuple[dict, dict]:
    """Read ``path`` and build every block (so any bad key fails before a stage does work).

    Returns (raw mapping, built blocks). ``extra_keys``: top-level keys the caller reads itself (seeds)."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParamsError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: top level must be a mapping")
    allowed = set(blocks) | set(extra_keys)
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ParamsError(f"{path}: {unknown[0]}: unknown top-level key (allowed: {', '.join(sorted(allowed))})")
    return raw, {name: build(cls, raw.get(name), name) for name, cls in blocks.items()}


def seed_list(raw: dict, key: str, default: list[int], path, allow_empty: bool = False) -> tuple[int, ...]:
    """A list of distinct integer seeds (non-empty unless ``allow_empty``)."""
    seeds = _coerce(list[int], raw.get(key, default), key)
    if (not seeds and not allow_empty) or len(set(seeds)) != len(seeds):
        raise ParamsError(f"{path}: {key}: must be a {'' if allow_empty else 'non-empty '}list of distinct integers")
    return seeds
