"""`.env.example` documents every setting, with its real default."""

from __future__ import annotations

from pathlib import Path

from riffcut.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _example() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def test_every_setting_is_listed_once() -> None:
    listed = _example()
    assert set(listed) == {name.upper() for name in Settings.model_fields}


def test_listed_defaults_are_the_real_defaults() -> None:
    defaults = Settings.model_construct()
    for key, value in _example().items():
        if not value:
            continue  # empty in the example: no value, or a computed default the comment explains
        real = getattr(defaults, key.lower())
        shown = str(real).lower() if isinstance(real, bool) else str(real)
        assert value in (shown, shown.removesuffix(".0")), key
