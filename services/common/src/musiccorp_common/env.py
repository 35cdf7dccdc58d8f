"""Typed reads of environment variables: the one place MusicCorp code reads ``os.environ``.

Settings modules and the gunicorn configuration call these; nothing else touches the
environment, so every knob is discoverable by grepping for ``env_``.
"""

import os


class MissingSetting(RuntimeError):
    """A required environment variable is not set."""


_UNSET = object()


def env_str(name: str, default=_UNSET) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is _UNSET:
            raise MissingSetting(f"environment variable {name} is required but not set")
        return default
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    normalized = value.strip().lower()
    if normalized in {"1", "true", "yes", "on"}:
        return True
    if normalized in {"0", "false", "no", "off"}:
        return False
    raise MissingSetting(f"environment variable {name}={value!r} is not a boolean (true/false)")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise MissingSetting(f"environment variable {name}={value!r} is not an integer") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """A comma-separated list; empty items are dropped."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise MissingSetting(f"environment variable {name}={value!r} is not a number") from None


def env_prefixed(prefix: str) -> dict[str, str]:
    """Every non-empty variable named ``<prefix><NAME>``, as {"name": value} (NAME lower-cased)."""
    return {
        name[len(prefix) :].lower(): value
        for name, value in os.environ.items()
        if name.startswith(prefix) and value and name != prefix
    }
