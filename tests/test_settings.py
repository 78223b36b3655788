from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import BadInput, ConfigError
from engine.options import UserOptions, spec_for
from riffcut.settings import load_settings


def test_demo_variables_keep_their_names(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TEMPORARY_DIRECTORY", str(tmp_path / "t"))
    monkeypatch.setenv("THREADS_ON_SPLITING", "3")
    monkeypatch.setenv("DEVICE", "cpu")
    monkeypatch.setenv("MAX_IMAGE_WIDTH", "768")
    s = load_settings()
    assert (s.temporary_directory, s.ffmpeg_threads, s.device, s.max_image_width) == (tmp_path / "t", 3, "cpu", 768)


def test_max_image_width_not_divisible_by_8_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_IMAGE_WIDTH", "500")
    with pytest.raises(ConfigError, match="MAX_IMAGE_WIDTH must be divisible by 8"):
        load_settings()


def test_env_file_lists_and_unknown_keys(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ALLOWED_USER_IDS=1, 2,3\nADMIN_USER_IDS=\nSOMETHING_ELSE=x\n")
    s = load_settings()
    assert s.allowed_user_ids == [1, 2, 3]
    assert s.admin_user_ids == []


def test_bad_option_is_refused_with_allowed_values() -> None:
    options = UserOptions()
    with pytest.raises(BadInput, match="0 to 45"):
        options.with_value("guidance", "46")
    assert options.guidance == 6.5
    assert options.with_value("steps", "30").steps == 30
    assert options.with_value("seed", "random").seed is None
    assert spec_for("diffusion-steps").name == "steps"
