"""Every bad invocation of `riffcut` is one line on stderr, exit 2, saying what to do, before any work: before the
model loads, before a file is written, before the network is tried. Read-only commands write nothing; the
commands start without the libraries they do not need; `--help` names the variables each command reads."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.generator import Generator
from riffcut.cli import all_commands, main
from riffcut.settings import Settings
from tests.net import free_port

TOKEN = "123456:AAsecretTokenThatMustNeverBePrinted"


@pytest.fixture
def no_model_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading a model fails the test: the refusal must come first."""

    def load(*args: object, **kwargs: object) -> Generator:
        raise AssertionError("the model was loaded before the refusal")

    monkeypatch.setattr(Generator, "load", staticmethod(load))


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[Path]:
    """A folder with a file, an empty folder and a folder with a file in it; nothing else may appear."""
    (tmp_path / "notes.txt").write_text("just words")
    (tmp_path / "folder").mkdir()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    before = files_under(tmp_path)
    yield tmp_path
    assert files_under(tmp_path) == before  # nothing was written, no folder made


RENDER = ["render", "{video}", "--prompt", "calm piano", "--parts", "2", "--part", "1"]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["render", "{video}", "--prompt", "x", "--parts", "abc", "--part", "1", "--out", "o.zip"], "whole number"),
        (
            ["render", "{video}", "--prompt", "x", "--parts", "99999999999999999999", "--part", "1", "--out", "o.zip"],
            "--parts 99999999999999999999 is too many: the most is 60 (MAX_PARTS",
        ),
        (["render", "{video}", "--prompt", "x", "--parts", "0", "--part", "1", "--out", "o.zip"], "at least 1"),
        (["render", "{video}", "--prompt", "x", "--parts", "4", "--part", "5", "--out", "o.zip"], "from 1 to 4"),
        (["render", "{video}", "--prompt", "   ", "--parts", "2", "--part", "1", "--out", "o.zip"], "prompt is empty"),
        (["render", "{video}", "--prompt", "x", "--parts", "50", "--part", "1", "--out", "o.zip"], "use 1 to 2 parts"),
        ([*RENDER, "--out", "o.zip", "--steps", "many"], "Diffusion steps"),
        ([*RENDER, "--out", "o.zip", "--remix", "0.5"], "no sound"),
        ([*RENDER, "--out", "{tmp}/folder"], "is a folder; give a file name, such as"),
        ([*RENDER, "--out", "/proc"], "takes no new files"),
        ([*RENDER, "--out", "/proc/riffcut.zip"], "does not take new files"),
        ([*RENDER, "--out", "{tmp}/notes.txt/o.zip"], "is a file, not a folder"),
        ([*RENDER, "--out", "o.zip", "--full-cut", "o.zip"], "name the same file"),
        ([*RENDER, "--out", "o.zip", "--music-out", "{tmp}/folder"], "--music-out"),
        ([*RENDER, "--out", "o.zip", "--previews-out", "{tmp}/notes.txt"], "--previews-out must be a folder"),
        (["render", "{tmp}/missing.mp4", *RENDER[2:], "--out", "o.zip"], "There is no file at"),
        (["render", "{tmp}/folder", *RENDER[2:], "--out", "o.zip"], "is a folder, not a file"),
        (["render", "{video}", "--prompt", "x"], "the following arguments are required: --parts, --part, --out"),
        (["remux", "{video}", "{video}", "--out", "{tmp}/folder"], "is a folder"),
        (["remux", "{video}", "{video}", "--out", "x.mp4", "--keep-original-db", "loud"], "must be a number"),
        (["split", "{video}", "--parts", "2", "--out", "{tmp}/notes.txt"], "--out must be a folder"),
        (["split", "{video}", "--parts", "2", "--out", "/sys/riffcut"], "does not take new files"),
        (["probe", "{tmp}/folder"], "is a folder, not a file"),
        (["tiny-model", "{tmp}/notes.txt"], "must be a folder"),
        (["tiny-model", "{tmp}/full"], "holds other files"),
        (["spectrogram", "{video}", "--out", "{tmp}/folder"], "is a folder; give a file name"),
        (["audio", "{tmp}/notes.txt", "--out", "{tmp}/folder"], "is a folder"),
        ([], "the following arguments are required: COMMAND"),
        (["remix-it"], "invalid choice"),
    ],
)
def test_a_bad_invocation_is_one_line_exit_2_before_any_work(
    scene: Path, media: Path, capsys: pytest.CaptureFixture[str], no_model_load: None, argv: list[str], words: str
) -> None:
    video = media / "h264-no-audio-2s.mp4"
    args = [a.format(video=video, tmp=scene) for a in argv]
    assert main(args) == 2
    line = one_line(capsys)
    assert words in line, line
    assert line.startswith("riffcut")


@pytest.mark.parametrize(
    ("variable", "value", "argv", "words"),
    [
        ("LOG_LEVEL", "LOUD", ["split", "{video}", "--parts", "2", "--out", "o"], "LOG_LEVEL: 'LOUD' is not a level"),
        ("DATABASE_URL", "postgres://somewhere/db", ["db", "current"], "DATABASE_URL: 'postgres' is not a database"),
        ("DATABASE_URL", "not a url", ["db", "upgrade"], "DATABASE_URL: not a database URL"),
        ("DATABASE_URL", "postgresql://u:pw@localhost/db", ["db", "current"], "not an async driver"),
        ("MAX_IMAGE_WIDTH", "500", [*RENDER, "--out", "o.zip"], "MAX_IMAGE_WIDTH must be divisible by 8"),
    ],
)
def test_a_bad_setting_is_one_line_exit_2(
    scene: Path,
    media: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    argv: list[str],
    words: str,
) -> None:
    monkeypatch.setenv(variable, value)
    assert main([a.format(video=media / "h264-no-audio-2s.mp4") for a in argv]) == 2
    line = one_line(capsys)
    assert line.startswith("riffcut: bad setting: ") and words in line, line


def test_a_database_that_cannot_be_reached_is_one_line_with_the_password_hidden(
    scene: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgresql+asyncpg://riffcut:hunter2@127.0.0.1:{free_port()}/riffcut")
    assert main(["db", "current"]) == 2
    line = one_line(capsys)
    assert "cannot be opened" in line and "DATABASE_URL" in line and "riffcut:***@127.0.0.1" in line
    assert "hunter2" not in line


def test_db_current_makes_no_database(scene: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "current"]) == 0
    out = capsys.readouterr().out
    assert "no database yet" in out and "riffcut db upgrade" in out
    assert not (scene / "data").exists()


@pytest.mark.parametrize("argv", [["--help"], ["render", "--help"], ["bot", "--help"], ["probe", "{video}"]])
def test_read_only_commands_write_nothing(
    scene: Path, media: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert main([a.format(video=media / "h264-no-audio-2s.mp4") for a in argv]) == 0
    assert capsys.readouterr().out


def test_the_model_not_found_names_the_setting_the_tiny_model_and_the_cache(
    scene: Path, media: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RIFFUSION_MODEL", str(scene / "no-model-here"))
    monkeypatch.setenv("DEVICE", "cpu")
    assert main([*(a.format(video=media / "h264-no-audio-2s.mp4") for a in RENDER), "--out", "o.zip"]) == 2
    line = one_line(capsys)
    for words in ("no-model-here was not found", "RIFFUSION_MODEL", "riffcut tiny-model DIR", "Hugging Face cache"):
        assert words in line, line
    assert len(line) < 600


def test_each_commands_help_lists_the_variables_it_reads(capsys: pytest.CaptureFixture[str]) -> None:
    fields = {name.upper() for name in Settings.model_fields}
    commands = all_commands()
    for name, command in commands.items():
        assert set(command.reads) <= fields | {"HF_HOME", "HF_HUB_OFFLINE"}, name
        assert main([*name.split(), "--help"]) == 0
        text = " ".join(capsys.readouterr().out.split())
        assert all(variable in text for variable in command.reads), name
    assert set(commands["bot"].reads) >= fields  # the bot reads every setting
    assert commands["probe"].reads == ()


def run_cli(*argv: str, env: dict[str, str] | None = None, drop_root: bool = False) -> subprocess.CompletedProcess[str]:
    prefix: list[str] = []
    if drop_root and os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: file permissions cannot be tried")
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]  # root, but bound by permissions
    return subprocess.run(
        [*prefix, sys.executable, "-m", "riffcut", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def test_an_unreadable_file_and_a_read_only_folder(scene: Path, media: Path) -> None:
    secret = scene / "secret.mp4"
    shutil.copyfile(media / "h264-no-audio-2s.mp4", secret)
    secret.chmod(0)
    locked = scene / "locked"
    locked.mkdir(mode=0o555)
    try:
        for argv, words in (
            (["probe", str(secret)], "cannot be read (permission denied)"),
            (["split", str(media / "h264-no-audio-2s.mp4"), "--parts", "2", "--out", str(locked / "parts")], "locked"),
            ([*RENDER[:1], str(secret), *RENDER[2:], "--out", "o.zip"], "cannot be read"),
        ):
            done = run_cli(*[a.format(video=media / "h264-no-audio-2s.mp4") for a in argv], drop_root=True)
            assert done.returncode == 2 and done.stdout == "", done.stderr
            assert done.stderr.count("\n") == 1 and words in done.stderr, done.stderr
    finally:
        secret.unlink()
        locked.rmdir()


def test_help_and_probe_start_without_the_libraries_they_do_not_need(media: Path) -> None:
    """`riffcut --help` and `riffcut probe` import neither the settings' library nor torch, Telegram, SQLAlchemy
    or the render (what made them take 1.5 s before any work)."""
    heavy = ("pydantic_settings", "torch", "telegram", "sqlalchemy", "engine.render", "numpy")
    script = (
        "import sys\nfrom riffcut.cli import main\n"
        f"status = main(sys.argv[1:])\nprint(sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)\n"
        "sys.exit(status)"
    )
    for argv in (["--help"], ["probe", str(media / "h264-no-audio-2s.mp4")]):
        done = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr


@pytest.mark.slow  # the bot's imports, ffmpeg's check, the database, then a few tries
def test_the_bot_with_the_bot_api_unreachable_tries_then_says_so_in_one_line(tiny_model: Path) -> None:
    done = run_cli(
        "bot",
        env={
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{free_port()}/bot",
            "STARTUP_RETRY_SECONDS": "2",
            "RIFFUSION_MODEL": str(tiny_model),
            "DEVICE": "cpu",
        },
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    tries = [line for line in lines if "cannot be reached (ConnectError" in line and "; try " in line]
    assert len(tries) >= 2 and all("WARNING bot.app: start-up:" in line for line in tries)
    assert lines[-1].startswith("riffcut: The Bot API at http://127.0.0.1:") and "TELEGRAM_API_BASE_URL" in lines[-1]
    assert "Traceback" not in done.stderr and TOKEN not in done.stderr + done.stdout
    assert "loading the model" not in done.stderr  # nothing was loaded for a bot that cannot start


def test_the_token_never_reaches_the_terminal(
    scene: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever fails, with the token in its words (python-telegram-bot's InvalidToken has it), the line does not."""
    from riffcut.commands import bot as bot_command

    async def failing(env: object) -> None:
        raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setattr(bot_command, "preflight", failing)
    assert main(["bot"]) == 1
    out, err = capsys.readouterr()
    assert TOKEN not in out + err
    assert err.strip().splitlines()[-1] == "riffcut: internal error: The token `<token>` was rejected by the server."
