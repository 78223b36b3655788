"""`riffcut bot` as a real process against the fake Telegram server: started, killed with SIGKILL, restarted, its
output kept (every line of every run, to look for log lines and for secrets that must never appear).

Some cases need the machine's help: a full disk or a database made read-only while the bot runs. The process is
then started in a mount namespace of its own (`unshare`), where a small tmpfs or a read-only bind mount changes
only what that process sees; `in_namespace()` says whether this machine allows it.
"""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from tests.fake_telegram import FakeTelegram

WAIT_S = 120.0  # a guard against hanging for ever; nothing is timed


@functools.cache
def namespaces() -> list[str] | None:
    """The `unshare` command line that gives a process its own mounts (as root, or in a user namespace); None
    when this machine allows neither."""
    for command in (["unshare", "-m", "--propagation", "private"], ["unshare", "-Urm", "--propagation", "private"]):
        try:
            done = subprocess.run([*command, "mount", "-t", "tmpfs", "none", "/mnt"], capture_output=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0:
            return command
    return None


class BotProcess:
    """One bot's life over several processes: the same data folder, database and fake server each time."""

    def __init__(
        self,
        tg: FakeTelegram,
        home: Path,
        tiny_model: Path,
        env: Mapping[str, str] | None = None,
        *,
        setup: str | None = None,
    ) -> None:
        """`setup`: a shell script run in a mount namespace of the process's own before the bot starts."""
        self.tg = tg
        self.home = home
        self.setup = setup
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "RIFFCUT_"))},
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_BASE_URL": tg.base_url,
            "TELEGRAM_FILE_BASE_URL": tg.base_file_url,
            "DATA_DIR": str(home / "data"),
            "TEMPORARY_DIRECTORY": str(home / "work"),
            "RIFFUSION_MODEL": str(tiny_model),
            "DEVICE": "cpu",
            "HF_HUB_OFFLINE": "1",
            "LOG_LEVEL": "INFO",
            "MIN_FREE_DISK_MB": "0",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.process: asyncio.subprocess.Process | None = None
        self.lines: list[str] = []  # every line every run printed, stdout and stderr together
        self.exit_codes: list[int] = []
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def command(self, *args: str) -> list[str]:
        bot = [sys.executable, "-m", "riffcut", *args]
        if self.setup is None:
            return bot
        prefix = namespaces()
        assert prefix is not None, "check bot_process.namespaces() before asking for a setup"
        return [*prefix, "sh", "-euc", f'{self.setup}\nexec "$@"', "sh", *bot]

    async def start(self, *args: str) -> None:
        """Start `riffcut bot` (or `riffcut ARGS`); returns at once (wait for a line or a call to know more)."""
        assert self.process is None or self.process.returncode is not None, "the bot is already running"
        self.process = await asyncio.create_subprocess_exec(
            *self.command(*(args or ("bot",))),
            env=self.env,
            cwd=self.home,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        self._reader = asyncio.create_task(self._read(self.process))

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        async for raw in process.stdout:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))
            self._changed.set()
        self.exit_codes.append(await process.wait())
        self._changed.set()

    async def started(self) -> None:
        """Until the bot says it is ready (it polls from then on)."""
        await self.wait_for_line(lambda line: "start-up: ready" in line)

    async def wait_for_line(self, matches: Callable[[str], bool], since: int = 0) -> str:
        async with asyncio.timeout(WAIT_S):
            while True:
                found = next((line for line in self.lines[since:] if matches(line)), None)
                if found is not None:
                    return found
                if self.process is not None and self.process.returncode is not None and self._reader is not None:
                    await self._reader
                    found = next((line for line in self.lines[since:] if matches(line)), None)
                    if found is not None:
                        return found
                    raise AssertionError(f"the bot exited ({self.process.returncode}) first:\n{self.output[-3000:]}")
                self._changed.clear()
                await self._changed.wait()

    async def exited(self) -> int:
        """Until the process ends by itself; its exit status."""
        assert self.process is not None and self._reader is not None
        async with asyncio.timeout(WAIT_S):
            await self._reader
        return self.exit_codes[-1]

    async def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as a crash or the OOM killer would leave things."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        await self.exited()

    async def stop(self) -> None:
        """SIGTERM (a clean stop), then SIGKILL if it does not end."""
        if self.process is None or self.process.returncode is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            async with asyncio.timeout(30):
                await self._reader  # type: ignore[misc]
        except TimeoutError:
            os.killpg(self.process.pid, signal.SIGKILL)
            await self.exited()

    async def in_namespace(self, *command: str) -> None:
        """Run a command (e.g. a mount) in the running bot's mount namespace."""
        assert self.process is not None and self.setup is not None
        prefix = namespaces()
        assert prefix is not None
        enter = ["nsenter", "-t", str(self.process.pid), "-m"]
        if "-Urm" in prefix:
            enter += ["-U", "--preserve-credentials"]
        done = await asyncio.create_subprocess_exec(
            *enter, *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        out, _ = await done.communicate()
        assert done.returncode == 0, out.decode()
