"""A real `riffcut bot` process against the fake server: killed with SIGKILL at several points of a job, and
refused its token; its output (every line of every run) never carries the token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.bot.bot_harness import uploads
from tests.bot.bot_process import BotProcess, namespaces
from tests.fake_telegram import Call, FakeTelegram, FakeUser, ViewMessage
from tests.leaks import secrets_in

pytestmark = pytest.mark.slow


@pytest.fixture
async def bot_process(tg: FakeTelegram, tmp_path: Path, tiny_model: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(tg, tmp_path, tiny_model)
    try:
        yield process
    finally:
        await process.stop()
        assert secrets_in(process.lines, tg.token) == []
        assert secrets_in([c.text or "" for c in tg.calls], tg.token) == []


async def in_flight(tg: FakeTelegram, method: str, since: int) -> Call:
    """The request, received whole (its upload read), that the fake holds before answering."""

    def held() -> Call | None:
        return next((c for c in tg.calls[since:] if c.method == method and c.params and c.status is None), None)

    return await tg.wait_until(held, 240, what=f"{method} in flight")


async def say(tg: FakeTelegram, user: FakeUser, text: str, where: str) -> ViewMessage:
    sent = tg.send_text(user, text)
    return await tg.wait_for_bot_message(user, lambda m: where in m.content, timeout=60, after=sent)


async def started_with_a_card(bot: BotProcess, user: FakeUser, video: Path, *, steps: int, parts: int) -> ViewMessage:
    """Start the bot; the user sets the steps and sends the video with a prompt: the card for `parts` parts."""
    await bot.start()
    await bot.started()
    await say(bot.tg, user, f"/set steps {steps}", "steps")
    sent = bot.tg.send_video(user, video, caption="calm piano")
    await bot.tg.wait_for_bot_message(user, lambda m: "Ready" in m.content, timeout=60, after=sent)
    return await say(bot.tg, user, f"/parts {parts}", "Ready")


async def test_a_refused_token_is_one_line_without_the_token(bot_process: BotProcess, tg: FakeTelegram) -> None:
    """A typo in TELEGRAM_API_BASE_URL: the Bot API answers 401 to the token the bot sends."""
    bot_process.env["TELEGRAM_API_BASE_URL"] = f"{tg.url}/bott"
    await bot_process.start()
    assert await bot_process.exited() != 0
    assert bot_process.lines[-1].startswith(f"riffcut: The Bot API at {tg.url} refused the bot's token")
    assert not [line for line in bot_process.lines if "Traceback" in line]


async def test_killed_at_every_point_of_a_job_sends_each_result_once(
    bot_process: BotProcess, tg: FakeTelegram, tiny_video: Path
) -> None:
    """SIGKILL while the job runs, then while each kind of upload is in flight (the part, the previews' album, the
    zip): after each restart the job goes on, and only the file in flight at a kill is sent again. Each point is
    held by the fake server until the kill (no race with the tiny model's speed)."""
    ann = tg.add_user("Ann")
    bot_process.env["MIN_PART_SECONDS"] = "0.5"  # three parts of the 2 s video: the other two make an album
    card = await started_with_a_card(bot_process, ann, tiny_video, steps=10, parts=3)

    fetching = tg.hold("getFile")  # the job fetching its video: it runs
    since = tg.mark()
    tg.press(ann, card, "Split-n-Generate")
    await in_flight(tg, "getFile", since)
    await bot_process.kill()  # 1: while the job runs (it runs again at the next start: its second attempt)
    fetching.set()

    in_flight_methods = ["sendVideo", "sendMediaGroup", "sendDocument"]
    for method in in_flight_methods:
        gate = tg.hold(method)  # held by Telegram, received whole, until the bot is killed
        since, said = tg.mark(), len(bot_process.lines)
        await bot_process.start()
        held = await in_flight(tg, method, since)
        if method == "sendVideo":  # the part goes out early, while the job runs: killed once the job is done (a
            # second kill while it runs would fail it, interrupted twice), with the part's upload still in flight
            await bot_process.wait_for_line(lambda line: "job 1: done" in line, said)
        await bot_process.kill()  # 2, 3, 4: the upload in flight...
        gate.set()  # ...which Telegram takes after the bot is gone
        await tg.wait_until(lambda: held.status is not None, what=f"{method} taken")  # noqa: B023

    since = tg.mark()
    await bot_process.start()
    done = await tg.wait_for_bot_message(ann, lambda m: "done in" in m.content, timeout=240, after=card)
    assert "Job #1" in done.content
    # Each file in flight at a kill was taken by Telegram after the bot died: the bot could not know, so it is the
    # one file sent again (Telegram has no idempotency key); the music, never in flight at a kill, came once.
    assert uploads(tg, ann) == {
        "part-1-of-3-new-music.mp4": 2,  # the part with its music: in flight at kill 2
        "part-2-of-3.mp4": 2,  # the other parts' previews, the album in flight at kill 3
        "part-3-of-3.mp4": 2,
        "h264-no-audio-2s-riffcut.zip": 2,  # in flight at kill 4
        "music.m4a": 1,
    }
    assert not [m for m in tg.bot_messages(ann) if "went wrong" in m.content or "❌" in m.content]
    await bot_process.stop()
    assert bot_process.exit_codes[:4] == [-9, -9, -9, -9]
    assert "job 1: interrupted while running (attempt 1); queued again" in bot_process.output


needs_namespaces = pytest.mark.skipif(
    namespaces() is None, reason="this machine lets no process have mounts of its own (unshare -m, or -Urm)"
)


def said_to(tg: FakeTelegram, user: FakeUser) -> list[str]:
    return [m.content for m in tg.bot_messages(user)]


@needs_namespaces
async def test_a_full_disk_when_a_video_arrives_is_one_sentence(
    tg: FakeTelegram, tmp_path: Path, tiny_model: Path, video: Path
) -> None:
    """TEMPORARY_DIRECTORY is a 64 KB tmpfs: the 330 KB video cannot be downloaded to be checked."""
    bot = BotProcess(tg, tmp_path, tiny_model, setup='mkdir -p "$TEMPORARY_DIRECTORY"\n'
                     'mount -t tmpfs -o size=64k none "$TEMPORARY_DIRECTORY"')  # fmt: skip
    ann = tg.add_user("Ann")
    try:
        await bot.start()
        await bot.started()
        sent = tg.send_video(ann, video)
        answer = await tg.wait_for_bot_message(ann, lambda m: "Checking" not in m.content, after=sent, timeout=60)
        assert answer.content == (
            "The server is short of space right now, so I cannot take this; please try again later."
        )
        await tg.wait_until(lambda: said_to(tg, ann) == [answer.content])  # "Checking your video…" removed
        line = await bot.wait_for_line(lambda text: "the disk is full" in text)
        assert "No space left on device" in line  # the operator's log keeps the detail
    finally:
        await bot.stop()
    assert secrets_in(bot.lines, tg.token) == []


@needs_namespaces
async def test_a_full_disk_in_the_middle_of_a_job_is_one_sentence(
    tg: FakeTelegram, tmp_path: Path, tiny_model: Path, tiny_video: Path
) -> None:
    """TEMPORARY_DIRECTORY is a 160 KB tmpfs: the 70 KB video is checked and fetched, then the split, the music and
    the previews run out of space. The member reads that the server is short of space: no path, no ffmpeg."""
    bot = BotProcess(tg, tmp_path, tiny_model, setup='mkdir -p "$TEMPORARY_DIRECTORY"\n'
                     'mount -t tmpfs -o size=160k none "$TEMPORARY_DIRECTORY"')  # fmt: skip
    ann = tg.add_user("Ann")
    try:
        card = await started_with_a_card(bot, ann, tiny_video, steps=2, parts=2)
        tg.press(ann, card, "Split-n-Generate")
        failed = await tg.wait_for_bot_message(ann, lambda m: "❌" in m.content, timeout=240, after=card)
        assert failed.content == (
            "❌ Job #1: The server ran short of disk space while making this job; please try again later."
        )
        await bot.wait_for_line(lambda text: "No space left on device" in text)  # the operator's log has it
    finally:
        await bot.stop()
    everything = "\n".join(said_to(tg, ann))
    assert str(tmp_path) not in everything and "No space" not in everything and "ffmpeg" not in everything
    assert secrets_in(bot.lines, tg.token) == []


@needs_namespaces
async def test_a_read_only_database_at_start_up_is_one_line(bot_process: BotProcess) -> None:
    await bot_process.start("db", "upgrade")
    assert await bot_process.exited() == 0
    data = bot_process.env["DATA_DIR"]
    bot_process.setup = f'mount --bind -o ro "{data}" "{data}"'  # the data folder, database and all, read-only
    await bot_process.start()
    assert await bot_process.exited() != 0
    assert bot_process.lines[-1] == (
        f"riffcut: The database ({data}/riffcut.db) cannot be written ({data}/riffcut.db is read-only); make it "
        "writable, then start again."
    )
    assert not [line for line in bot_process.lines if "Traceback" in line]


@needs_namespaces
async def test_a_database_made_read_only_while_running_stops_new_work_and_says_so(
    bot_process: BotProcess, tg: FakeTelegram, tiny_video: Path
) -> None:
    bot_process.setup = ":"  # a mount namespace of its own, changed below while the bot runs
    data = bot_process.env["DATA_DIR"]
    ann = tg.add_user("Ann")
    await bot_process.start()
    await bot_process.started()
    sent = tg.send_video(ann, tiny_video, caption="calm piano")
    await tg.wait_for_bot_message(ann, lambda m: "Ready" in m.content, timeout=60, after=sent)

    await bot_process.in_namespace("mount", "--bind", "-o", "ro", data, data)
    noticed = await bot_process.wait_for_line(lambda line: "cannot be written" in line)
    assert "ERROR storage.database" in noticed and "no new videos or jobs are taken" in noticed
    refusal = "The server's storage cannot be written right now, so I cannot take new videos or jobs"
    assert refusal in (await say(tg, ann, "/generate", "storage")).content
    again = tg.send_video(ann, tiny_video)
    assert refusal in (await tg.wait_for_bot_message(ann, lambda m: "storage" in m.content, 60, after=again)).content
    await say(tg, ann, "/help", "Commands")  # alive and answering
    assert bot_process.process is not None and bot_process.process.returncode is None

    await bot_process.in_namespace("umount", data)
    since = len(bot_process.lines)
    await bot_process.wait_for_line(lambda line: "can be written again" in line, since)
    assert "queued" in (await say(tg, ann, "/generate", "Job #")).content
    assert sum("cannot be written:" in line for line in bot_process.lines) == 1  # said once, not per request
    assert not [line for line in bot_process.lines if "Traceback" in line]
