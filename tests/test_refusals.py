"""Refusals carry a machine-readable code and raw values, with the English sentence as before."""

from __future__ import annotations

import pickle

import pytest

import bot.refusals
import engine.refusals
import jobs.refusals
import storage.refusals
from engine.errors import BadInput, LimitExceeded, MissingTool, Refusal
from engine.host_check import parse_ffmpeg_version, require_recent
from engine.media_limits import Limit, MediaLimits, check_video
from engine.parts import check_part_count
from jobs.events import FailureReason
from riffcut.commands import checks, music


def test_a_refusal_has_its_code_its_raw_values_and_the_same_english() -> None:
    with pytest.raises(BadInput) as refused:
        check_part_count(7.04, 99, 1.0, 60.0)
    error = refused.value
    assert error.code == "parts_too_short"
    assert dict(error.values) == {
        "count": 99, "each": 7.04 / 99, "min_s": 1.0, "max_s": 60.0, "duration": 7.04, "counts": (1, 7)
    }  # fmt: skip
    assert error.message == (
        "99 parts of 0.07 s each would be too short (parts must last 1 to 60 s); for this 7.04 s video use "
        "1 to 7 parts."
    )
    assert pickle.loads(pickle.dumps(error)).values == error.values  # a worker process can send it back


def test_the_english_conversions() -> None:
    assert engine.refusals.VIDEO_TOO_LONG_TO_SPLIT.words({"duration": 3725.5, "min_s": 1, "max_s": 75}) == (
        "The video lasts 01:02:05.50, too long for any number of parts between 1 s and 75 s (00:01:15) each."
    )
    assert engine.refusals.PARTS_BELOW_ONE.words({"counts": (3, 3)}).endswith("use exactly 3 parts.")
    assert storage.refusals.TOO_MANY_JOBS.words({"limit": 1}).startswith("You already have 1 job waiting")
    assert storage.refusals.TOO_MANY_JOBS.words({"limit": 3}).startswith("You already have 3 jobs waiting")


def test_a_refusal_without_its_values_or_a_second_code_is_a_mistake() -> None:
    with pytest.raises(TypeError, match="needs the values"):
        BadInput(engine.refusals.FILE_EMPTY)
    with pytest.raises(ValueError, match="share the code"):
        Refusal("file_empty", "Another sentence for the same code.")


def test_every_catalogue_refusal_is_known_by_a_code_of_its_own() -> None:
    catalogues = (engine.refusals, storage.refusals, jobs.refusals, bot.refusals, checks, music)
    made = [value for module in catalogues for value in vars(module).values() if isinstance(value, Refusal)]
    codes = [refusal.code for refusal in made]
    assert len(codes) == len(set(codes)) > 60
    assert set(codes) <= set(Refusal.known())


def test_a_limit_refusal_keeps_its_limit_value_and_allowed_through_a_worker_process() -> None:
    with pytest.raises(LimitExceeded) as refused:
        check_video(0.1, 16000, 16000, 3, MediaLimits())
    error = refused.value
    assert error.code == "video_too_many_pixels"
    assert (error.limit, error.value, error.allowed) == (Limit.VIDEO_PIXELS, 256_000_000, 4096 * 2304)
    assert error.message == (
        "The video is 16000x16000 pixels (256.0 megapixels); the largest picture accepted is 9.4 megapixels."
    )
    back = pickle.loads(pickle.dumps(error))
    assert isinstance(back, LimitExceeded) and back.message == error.message
    assert (back.limit, back.value, back.allowed, dict(back.values)) == (
        error.limit, error.value, error.allowed, dict(error.values)
    )  # fmt: skip
    reason = FailureReason.of_error(error)
    assert reason.values["limit"] == "MAX_VIDEO_PIXELS" and reason.message == error.message


def test_a_missing_tool_is_a_refusal_of_its_own_kind() -> None:
    with pytest.raises(MissingTool) as refused:
        require_recent(parse_ffmpeg_version("ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright (c) 2000-2021"))
    error = refused.value
    assert (error.code, dict(error.values)) == ("ffmpeg_too_old", {"version": "4.4.2-0ubuntu0.22.04.1"})
    assert error.message.startswith("ffmpeg 4.4.2-0ubuntu0.22.04.1 is too old: Riffcut needs FFmpeg 5.1 or later; ")
    assert isinstance(pickle.loads(pickle.dumps(error)), MissingTool)
