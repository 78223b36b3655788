"""No stage of a render waits for what it does not need: the music is made while the video is split, the chosen
part with its new music is handed over before the previews, the full cut and the zip, and each stage that
overlaps another says when it starts and when it ends."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from engine import preview as preview_module
from engine import render as render_module
from engine import split
from engine.errors import BadInput
from engine.generator import Generator
from engine.media_config import MediaConfig
from engine.options import UserOptions
from engine.preview import Preview
from engine.render import FirstResult, RenderEvent, RenderRequest, prepare, render
from engine.split import SplitResult
from engine.stages import Stage

WAIT_S = 120.0  # a guard against hanging only


async def test_the_music_is_made_while_the_split_is_still_running(
    media: Path, generator: Generator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The split does not end until a diffusion step has been made: that can only happen if the music started
    while the parts were being made (the render would wait forever otherwise, and the guard would fail it)."""
    events: list[RenderEvent] = []
    first_step = asyncio.Event()
    real_split = split.split_video

    async def slow_split(*args: Any, **kwargs: Any) -> SplitResult:
        result = await real_split(*args, **kwargs)
        async with asyncio.timeout(WAIT_S):
            await first_step.wait()
        return result

    def on_event(event: RenderEvent) -> None:
        events.append(event)
        if event.step is not None:
            first_step.set()

    monkeypatch.setattr(render_module, "split_video", slow_split)
    request = RenderRequest("calm piano", 2, 2, UserOptions(steps=2, seed=5, previews=0))
    result = await render(media / "h264-no-audio-2s.mp4", tmp_path / "job", request, generator, MediaConfig(), on_event)
    marks = [(e.stage, e.done) for e in events if e.step is None]
    assert marks.index((Stage.GENERATE, False)) < marks.index((Stage.SPLIT, True))
    # The music has the chosen part's own length, which the split told as soon as it knew it.
    assert result.music_wav.is_file() and abs(result.new_part_preview.duration - result.split.parts[1].duration) < 0.1
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


@pytest.mark.slow
async def test_the_first_result_comes_before_the_previews_and_the_zip_once(
    media: Path, generator: Generator, tmp_path: Path
) -> None:
    seen: list[tuple[FirstResult, bool, bool, list[Path]]] = []
    zip_path = tmp_path / "out" / "job.zip"

    async def first(result: FirstResult) -> None:
        previews = sorted((tmp_path / "job" / "previews").glob("part-*-of-3.mp4"))
        seen.append((result, result.new_part.is_file(), zip_path.exists(), previews))

    request = RenderRequest("calm piano", 3, 2, UserOptions(steps=2, seed=8, previews=1))
    result = await render(
        media / "h264-aac-320x240-7s.mp4",
        tmp_path / "job",
        request,
        generator,
        MediaConfig(),
        on_first_result=first,
        previews_beside_music=False,
        zip_path=zip_path,
    )
    assert len(seen) == 1
    handed, part_there, zip_there, previews_then = seen[0]
    assert part_there and not zip_there
    assert previews_then == []  # the other parts' previews came after it (on a CPU host)
    assert handed == result.first_result()  # the part, its preview, the music (M4A), its cover, the seed
    assert handed.music.suffix == ".m4a" and handed.cover is not None and handed.seed == 8
    assert zip_path.is_file() and len(result.part_previews) == 3
    assert result.first_result_seconds < result.wall_seconds


@pytest.mark.slow
async def test_on_a_gpu_host_the_other_previews_are_made_beside_the_music(
    media: Path, generator: Generator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The music waits until a preview of another part exists: it can only end if the previews run beside it."""
    preview_made = asyncio.Event()
    real_preview, real_generate = preview_module.make_preview, generator.generate

    async def preview(part: str | Path, out_dir: str | Path, **kwargs: Any) -> Preview:
        made = await real_preview(part, out_dir, **kwargs)
        if "new-music" not in Path(part).name:
            preview_made.set()
        return made

    async def generate(*args: Any, **kwargs: Any) -> Any:
        audio = await real_generate(*args, **kwargs)
        async with asyncio.timeout(WAIT_S):
            await preview_made.wait()
        return audio

    monkeypatch.setattr(render_module, "make_preview", preview)
    monkeypatch.setattr(generator, "generate", generate)
    events: list[RenderEvent] = []
    request = RenderRequest("calm piano", 2, 1, UserOptions(steps=2, seed=3, previews=2))
    result = await render(
        media / "h264-aac-320x240-7s.mp4",
        tmp_path / "job",
        request,
        generator,
        MediaConfig(),
        events.append,
        previews_beside_music=True,
    )
    marks = [(e.stage, e.done) for e in events if e.step is None]
    assert marks.index((Stage.PREVIEW, False)) < marks.index((Stage.GENERATE, True))
    assert len(result.part_previews) == 2 and result.part_previews[0] is result.new_part_preview


async def test_prepare_refuses_what_needs_no_model(media: Path) -> None:
    """The checks the CLI makes before it loads a model: the numbers, an empty prompt, the part length rule
    against the probed video, remix of a part without sound."""
    video = media / "h264-no-audio-2s.mp4"
    config = MediaConfig()
    prepared = await prepare(video, RenderRequest("  calm   piano ", 2, 1), config)
    assert prepared.prompt == "calm piano" and prepared.plan.parts == 2 and not prepared.info.has_audio
    for request, words in (
        (RenderRequest("   ", 2, 1), "prompt is empty"),
        (RenderRequest("x", 50, 1), "too short"),
        (RenderRequest("x", 100, 1), "too many"),
        (RenderRequest("x", 2, 3), "there is no part 3"),
        (RenderRequest("x", 2, 1, UserOptions(steps=4, remix=0.5)), "no sound"),
    ):
        with pytest.raises(BadInput, match=words):
            await prepare(video, request, config)
