"""Typed configuration loading: TOML file, then environment, then CLI flags.

Each side declares its settings as a pydantic model with a description per field;
`load_config` layers the sources and turns validation errors into `ConfigError`
messages that name the key and the source to fix.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def _from_env(model: type[BaseModel], prefix: str, environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in model.model_fields:
        key = f"{prefix}{name.upper()}"
        if key in environ:
            raw = environ[key]
            field_type = model.model_fields[name].annotation
            annotation = str(field_type)
            if isinstance(field_type, type) and issubclass(field_type, BaseModel):
                # A table of settings comes from the environment as a JSON object.
                try:
                    values[name] = json.loads(raw)
                except json.JSONDecodeError as exc:
                    raise ConfigError(
                        f"{key} must be a JSON object of {name} settings, e.g. "
                        f'{key}=\'{{"key": "value"}}\' ({exc})'
                    ) from exc
                continue
            # Lists come from the environment as comma-separated values.
            values[name] = (
                [v.strip() for v in raw.split(",") if v.strip()] if "list" in annotation else raw
            )
    return values


def load_config(
    model: type[M],
    *,
    file: Path | None,
    env_prefix: str,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> M:
    """Build `model` from `file` (optional TOML), `PREFIX_FIELD` variables, then `overrides`.

    `extra_env` maps well-known variable names (e.g. `TEMPORAL_ADDRESS`) to field names.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    if file is not None:
        try:
            values.update(tomllib.loads(file.read_text()))
        except FileNotFoundError as exc:
            raise ConfigError(
                f"config file {file} does not exist; create it or drop --config"
            ) from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {file} is not valid TOML: {exc}") from exc
    for var, field in (extra_env or {}).items():
        if var in env:
            values[field] = env[var]
    values.update(_from_env(model, env_prefix, env))
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    unknown = sorted(set(values) - set(model.model_fields))
    if unknown:
        raise ConfigError(
            f"unknown configuration key(s) {', '.join(unknown)}; "
            f"known keys: {', '.join(sorted(model.model_fields))}"
        )
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{env_prefix}{'.'.join(str(p) for p in err['loc']).upper()} "
            f"({'.'.join(str(p) for p in err['loc'])}): {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from exc
