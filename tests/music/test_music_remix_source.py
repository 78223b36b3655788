"""Remix mode takes the chosen part's sound straight from the source video (the audio stream alone, seeked and
cut), not from the split's output: the same sound the part holds, ready before the part is written."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from engine import audio_io
from engine.generator import GenerationRequest, Generator, MadeMusic
from engine.media_config import MediaConfig
from engine.options import UserOptions
from engine.probe import probe
from engine.rates import OUTPUT_RATE
from engine.render import RenderRequest, render
from engine.split import split_video
from tests.media.measure import likeness

RATE = OUTPUT_RATE  # what decode_audio gives unless told otherwise


async def test_the_sound_cut_from_the_source_is_the_parts_own(media: Path, tmp_path: Path) -> None:
    """For every part of a fast split (stream copies, cut at keyframes): the source's stretch is the part's sound."""
    src = media / "h264-aac-1080p-10s.mp4"
    info = await probe(src)
    split = await split_video(src, info, 4, tmp_path)
    for part in split.parts:
        cut = await audio_io.decode_audio(src, start=info.timeline_start + part.start, duration=part.duration)
        own = await audio_io.decode_audio(part.path, duration=part.duration)
        assert cut.shape == own.shape == (1, round(part.duration * RATE))
        assert likeness(cut[0], own[0]) > 0.95


@pytest.mark.slow
async def test_render_remixes_from_the_source(
    media: Path, tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generator = await asyncio.to_thread(Generator.load, str(tiny_model), "cpu", 512)
    src = media / "h264-aac-1080p-10s.mp4"
    decoded: list[tuple[Path, float | None, float | None]] = []
    sources: list[np.ndarray] = []
    real_decode, real_generate = audio_io.decode_audio, generator.generate_takes

    async def decode(path: str | Path, **kwargs: object) -> np.ndarray:
        decoded.append((Path(path), kwargs.get("start"), kwargs.get("duration")))  # type: ignore[arg-type]
        return await real_decode(path, **kwargs)  # type: ignore[arg-type]

    async def generate(request: GenerationRequest, takes: int = 1, on_progress: object = None) -> list[MadeMusic]:
        assert request.source_audio is not None
        sources.append(request.source_audio)
        return await real_generate(request, takes, on_progress)  # type: ignore[arg-type]

    monkeypatch.setattr(audio_io, "decode_audio", decode)
    monkeypatch.setattr(generator, "generate_takes", generate)
    request = RenderRequest("soft piano", parts=2, part=2, options=UserOptions(steps=2, seed=1, remix=0.5, previews=0))
    result = await render(src, tmp_path / "job", request, generator, MediaConfig())
    chosen = result.split.parts[1]
    assert [(path, duration) for path, _, duration in decoded] == [(src, chosen.duration)]
    assert decoded[0][1] == pytest.approx(result.info.timeline_start + chosen.start)
    own = await real_decode(chosen.path, duration=chosen.duration)
    assert sources[0].shape == (round(chosen.duration * RATE),)
    assert likeness(sources[0], own[0]) > 0.95
