"""Settings and the current video: kept across restarts, bad values refused, concurrent writers lose nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import pytest
from sqlalchemy import text

from engine.errors import BadInput
from engine.options import UserOptions
from storage import Database, open_database
from storage.migrate import upgrade_database
from storage.options_repo import ensure_user, get_options, language_for, reset_options, set_option
from storage.video_ref import VideoRef
from storage.videos_repo import get_current_video, set_current_video, set_part, set_prompt, set_split

VIDEO = VideoRef("file-1", "uniq-1", "clip.mp4", 123_456, 7.0, 320, 240, True)


async def test_settings_written_before_a_restart_read_back_the_same(db: Database, database_url: str) -> None:
    await ensure_user(db, 7, telegram_language="ru")
    for name, value in [
        ("guidance", "12.5"),
        ("steps", 30),
        ("seed", "4294967295"),
        ("negative", "no drums"),
        ("remix", "0.3"),
        ("keep", "-20"),
        ("full_cut", "on"),
        ("previews", "0"),
    ]:
        await set_option(db, 7, name, value)
    await set_current_video(db, -100123, 7, VIDEO)
    await set_prompt(db, -100123, 7, "jazz piano")
    await set_split(db, -100123, 7, parts=3, part=2)
    before = await get_options(db, 7)
    await db.close()

    reopened = await open_database(database_url)  # a new process: migrations run again, nothing is lost
    try:
        after = await get_options(reopened, 7)
        video = await get_current_video(reopened, -100123, 7)
        language = await language_for(reopened, 7)
    finally:
        await reopened.close()
    assert after == before
    assert (after.guidance, after.steps, after.seed, after.negative) == (12.5, 30, 2**32 - 1, "no drums")
    assert (after.remix, after.keep_original_db, after.full_cut, after.previews) == (0.3, -20.0, True, 0)
    assert video is not None and video.video == VIDEO  # every field of the video, as it was sent
    assert (video.prompt, video.parts, video.part) == ("jazz piano", 3, 2)
    assert language == "ru"


async def test_a_user_never_seen_has_the_demo_defaults(db: Database) -> None:
    assert await get_options(db, 99) == UserOptions()
    assert await get_current_video(db, 1, 99) is None
    assert await language_for(db, 99) is None


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("guidance", "46", "0 to 45"),
        ("steps", "0", "1 to 100"),
        ("steps", "2.5", "whole number"),
        ("previews", "11", "2 to 10"),
        ("seed", "-1", "0 to 4294967295"),
        ("remix", "0.05", "off, or 0.1 to 1"),
        ("keep_original_db", "5", "-60 to 0 dB"),
        ("full_cut", "maybe", "on or off"),
        ("language", "de", "en, ru"),
        ("volume", "3", "There is no setting"),
    ],
)
async def test_a_bad_value_is_refused_and_the_old_value_stays(db: Database, name: str, value: str, words: str) -> None:
    await set_option(db, 5, "guidance", "9")
    await set_option(db, 5, "steps", "20")
    before = await get_options(db, 5)
    with pytest.raises(BadInput, match=words):
        await set_option(db, 5, name, value)
    assert await get_options(db, 5) == before
    assert (before.guidance, before.steps) == (9.0, 20)


async def test_a_part_outside_the_split_is_refused_and_the_old_choice_stays(db: Database) -> None:
    with pytest.raises(BadInput, match="Send a video first"):
        await set_prompt(db, 1, 5, "rock")
    await set_current_video(db, 1, 5, VIDEO)
    await set_split(db, 1, 5, parts=4, part=3)
    with pytest.raises(BadInput, match="1 to 4; 5 is out of range"):
        await set_part(db, 1, 5, 5)
    with pytest.raises(BadInput, match="1 to 2; 3 is out of range"):
        await set_split(db, 1, 5, parts=2, part=3)
    video = await get_current_video(db, 1, 5)
    assert video is not None and (video.parts, video.part) == (4, 3)


async def test_a_new_video_keeps_the_prompt_and_starts_from_one_part(db: Database) -> None:
    await set_current_video(db, 1, 5, VIDEO)
    await set_prompt(db, 1, 5, "lofi beat")
    await set_split(db, 1, 5, parts=3, part=3)
    await set_current_video(db, 1, 5, VideoRef("file-2", duration=12.0))
    video = await get_current_video(db, 1, 5)
    assert video is not None
    assert (video.video.file_id, video.video.duration, video.prompt, video.parts, video.part) == (
        "file-2",
        12.0,
        "lofi beat",
        1,
        1,
    )


async def test_whether_the_video_has_sound_is_kept_across_a_restart(db: Database, database_url: str) -> None:
    await set_current_video(db, 1, 1, VideoRef("silent", has_audio=False))
    await set_current_video(db, 1, 2, VideoRef("loud", has_audio=True))
    await set_current_video(db, 1, 3, VideoRef("unprobed"))
    await set_current_video(db, 1, 4, VideoRef("loud-first", has_audio=True))
    await set_current_video(db, 1, 4, VideoRef("then-silent", has_audio=False))  # a new video replaces it
    await db.close()

    reopened = await open_database(database_url)
    try:
        found = [await get_current_video(reopened, 1, user) for user in (1, 2, 3, 4)]
    finally:
        await reopened.close()
    assert [(v.video.file_id, v.video.has_audio) for v in found if v] == [
        ("silent", False),
        ("loud", True),
        ("unprobed", None),
        ("then-silent", False),
    ]


async def test_a_video_stored_before_sound_was_kept_reads_back_as_unknown(database_url: str) -> None:
    await upgrade_database(database_url, "0001")
    old = Database.open(database_url)
    try:
        async with old.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO users (id, options, created_at, updated_at) "
                    "VALUES (7, '{}', '2026-11-01 10:00:00', '2026-11-01 10:00:00')"
                )
            )
            await session.execute(
                text(
                    "INSERT INTO current_videos (chat_id, user_id, file_id, duration, prompt, parts, part, updated_at) "
                    "VALUES (-100, 7, 'old-file', 7.0, 'jazz', 3, 2, '2026-11-01 10:00:00')"
                )
            )
    finally:
        await old.close()

    upgraded = await open_database(database_url)  # 0001 -> newest, the row copied by the batch migration
    try:
        video = await get_current_video(upgraded, -100, 7)
        await set_current_video(upgraded, -100, 7, VideoRef("new-file", duration=2.0, has_audio=False))
        replaced = await get_current_video(upgraded, -100, 7)
    finally:
        await upgraded.close()
    assert video is not None
    assert video.video == VideoRef("old-file", duration=7.0)  # what was not kept then reads as not known
    assert (video.prompt, video.parts, video.part) == ("jazz", 3, 2)
    assert video.video.has_audio is None
    assert replaced is not None and (replaced.video.file_id, replaced.video.has_audio) == ("new-file", False)


async def test_each_member_of_a_group_has_their_own_current_video(db: Database) -> None:
    await set_current_video(db, -100, 1, VideoRef("a"))
    await set_current_video(db, -100, 2, VideoRef("b"))
    await set_current_video(db, 1, 1, VideoRef("c"))
    found = [await get_current_video(db, chat, user) for chat, user in [(-100, 1), (-100, 2), (1, 1)]]
    assert [v.video.file_id for v in found if v] == ["a", "b", "c"]


async def test_many_concurrent_writers_lose_nothing(db: Database) -> None:
    # One user changes every numeric setting at once, forty users set theirs, all at the same moment.
    own = {
        "guidance": 3.5,
        "steps": 17,
        "previews": 7,
        "seed": 42,
        "remix": 0.4,
        "keep_original_db": -12.0,
        "full_cut": True,
        "exact": True,
        "negative": "no vocals",
        "language": "en",
    }
    writes: list[Coroutine[Any, Any, object]] = [set_option(db, 1, name, value) for name, value in own.items()]
    writes += [set_option(db, 100 + n, "steps", n + 1) for n in range(40)]
    writes += [set_current_video(db, n, 100 + n, VideoRef(f"video-{n}")) for n in range(40)]
    await asyncio.gather(*writes)

    mine = await get_options(db, 1)
    assert {name: getattr(mine, name) for name in own} == own
    assert [(await get_options(db, 100 + n)).steps for n in range(40)] == list(range(1, 41))
    videos = [await get_current_video(db, n, 100 + n) for n in range(40)]
    assert [v.video.file_id if v else None for v in videos] == [f"video-{n}" for n in range(40)]


async def test_reset_brings_back_the_defaults(db: Database) -> None:
    await set_option(db, 3, "steps", 10)
    assert await reset_options(db, 3) == UserOptions()
    assert await get_options(db, 3) == UserOptions()
