"""The config's JSON Schema (draft 2020-12), generated from the pydantic models.

Editors with the YAML language server read it through the first line of
config/monitor.yaml and complete and check keys as analysts type.  Durations
and sizes are numbers to the models but strings ("15m", "15MiB") in YAML:
fields whose validator accepts such strings get a schema that says so; the
validators are probed rather than listed, so a new duration field needs no
edit here.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from monitor.config import Config

DRAFT = "https://json-schema.org/draft/2020-12/schema"
DURATION = {"anyOf": [{"type": "number", "minimum": 0},
                      {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)?\s*$"}],
            "description": "a duration: 30s, 15m, 2h, 3d (or seconds)"}
SIZE = {"anyOf": [{"type": "integer", "minimum": 0},
                  {"type": "string",
                   "pattern": r"^\s*\d+(\.\d+)?\s*([Bb]|[KkMmGg][Ii]?[Bb])?\s*$"}],
        "description": "a size: 512KiB, 15MiB (or bytes)"}


def _models(model: type[BaseModel], seen: dict[str, type[BaseModel]]) -> None:
    seen[model.__name__] = model
    for f in model.model_fields.values():
        for arg in _types(f.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel) and arg.__name__ not in seen:
                _models(arg, seen)


def _types(annotation: Any) -> list[Any]:
    args = getattr(annotation, "__args__", None)
    return [a for arg in args for a in _types(arg)] if args else [annotation]


def _kind(model: type[BaseModel], name: str) -> dict[str, Any] | None:
    """DURATION or SIZE when a before-validator of `name` turns such a string into a number."""
    for dec in model.__pydantic_decorators__.field_validators.values():
        if name not in dec.info.fields or dec.info.mode != "before":
            continue
        for sample, schema in (("15m", DURATION), ("2KiB", SIZE)):
            try:
                value = dec.func(sample)
            except (ValueError, TypeError):
                continue
            if isinstance(value, (int, float)):
                return schema
    return None


def _patch(props: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    prop = props[name]
    default = {k: prop[k] for k in ("default", "title") if k in prop}
    nullable = any(o.get("type") == "null" for o in prop.get("anyOf", []))
    props[name] = {"anyOf": [*schema["anyOf"], {"type": "null"}]} if nullable else {
        "anyOf": schema["anyOf"]}
    props[name].update(default, description=schema["description"])


def config_schema() -> dict[str, Any]:
    schema = Config.model_json_schema(by_alias=True)
    models: dict[str, type[BaseModel]] = {}
    _models(Config, models)
    for model_name, model in models.items():
        target = schema if model is Config else schema.get("$defs", {}).get(model_name)
        if not target:
            continue
        for name, f in model.model_fields.items():
            kind = _kind(model, name)
            if kind is not None:
                _patch(target["properties"], f.alias or name, kind)
    return {"$schema": DRAFT, "$id": "https://export-control-monitor/monitor.schema.json",
            **schema}


def render() -> str:
    return json.dumps(config_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
