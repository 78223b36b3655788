"""The Dockerfile and docker-compose.yml, read as data (no Docker engine here): what the image is built from, what
it installs, who it runs as, and how the compose services share their volumes."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order; continuation lines joined, comments dropped."""
    lines = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if not line.lstrip().startswith("#")]
    text = re.sub(r"\\\n", " ", "\n".join(lines))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in text.splitlines() if line.strip()]


def instructions(name: str) -> list[str]:
    return [args for instruction, args in dockerfile() if instruction == name]


def env() -> dict[str, str]:
    values: dict[str, str] = {}
    for args in instructions("ENV"):
        for word in shlex.split(args):
            name, _, value = word.partition("=")
            values[name] = value
    return values


def run_commands() -> list[list[str]]:
    """Each command of each RUN (split on && and ;)."""
    commands = []
    for args in instructions("RUN"):
        for part in re.split(r"&&|;", args):
            if part.strip():
                commands.append(shlex.split(part))
    return commands


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_base_is_debian_12_with_the_tests_python() -> None:
    """Debian 12 (bookworm) ships FFmpeg 5.1, as the tests' machine does; Ubuntu 22.04 has 4.4, too old for
    -fps_mode. The Python is the tests' (and the locks')."""
    (base,) = instructions("FROM")
    match = re.fullmatch(r"python:(\d+)\.(\d+)(?:\.\d+)?-slim-bookworm(?:@sha256:[0-9a-f]{64})?", base)
    assert match, base
    assert (int(match.group(1)), int(match.group(2))) == sys.version_info[:2]


def test_ffmpeg_comes_from_debian_and_nothing_else_adds_sources() -> None:
    commands = run_commands()
    apt = [words for words in commands if words[:1] == ["apt-get"] and "install" in words]
    assert len(apt) == 1 and "ffmpeg" in apt[0], apt
    text = (ROOT / "Dockerfile").read_text()
    assert not re.search(r"add-apt-repository|sources\.list|deb http|curl|wget", text)


def test_the_image_installs_the_gpu_lock_and_resolves_nothing_else() -> None:
    copies = [shlex.split(args) for args in instructions("COPY")]
    lock_copy = next(words for words in copies if words[0] == "requirements/gpu.lock")
    installs = [words[words.index("install") + 1 :] for words in run_commands() if words[:2] == ["pip", "install"]]
    assert ["-r", lock_copy[1]] in installs
    others = [words for words in installs if words != ["-r", lock_copy[1]]]
    assert others and all("--no-deps" in words for words in others), installs  # the project, from the lock alone
    assert any(words[:2] == ["pip", "check"] for words in run_commands())


def test_runs_as_a_user_not_root_with_data_and_model_cache_as_volumes() -> None:
    (user,) = instructions("USER")
    uid = user.split(":")[0]
    assert uid not in ("0", "root")
    assert any(words[:1] == ["useradd"] and "--uid" in words and words[words.index("--uid") + 1] == uid
               for words in run_commands())  # fmt: skip
    volumes = [volume for args in instructions("VOLUME") for volume in yaml.safe_load(args)]
    values = env()
    assert values["DATA_DIR"] in volumes and values["HF_HOME"] in volumes
    assert instructions("CMD") == ['["riffcut", "bot"]']


def test_dockerignore_keeps_secrets_and_environments_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".venv*", ".git"} <= ignored


def volume_mounts(service: dict[str, Any]) -> dict[str, str]:
    """Named volume -> path inside the container."""
    mounts = {}
    for entry in service.get("volumes", []):
        source, target = entry.split(":")[:2]
        mounts[source] = target
    return mounts


def test_compose_bot_uses_the_image_volumes_and_a_gpu() -> None:
    spec = compose()
    bot = spec["services"]["bot"]
    assert bot["build"] == "." and "profiles" not in bot
    mounts = volume_mounts(bot)
    assert mounts["data"] == env()["DATA_DIR"] == bot["environment"]["DATA_DIR"]
    assert mounts["hf-cache"] == env()["HF_HOME"]
    (device,) = bot["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"]
    assert set(spec["volumes"]) >= {source for s in spec["services"].values() for source in volume_mounts(s)}


def test_compose_local_bot_api_server_shares_the_data_volume_at_the_same_path() -> None:
    """Local mode exchanges files by path: the server's downloads must be where getFile says for the bot, and the
    results the bot uploads from DATA_DIR must be readable by the server (its files are mode 0600: same user)."""
    services = compose()["services"]
    server, bot = services["telegram-bot-api"], services["bot"]
    assert server["profiles"] == ["local-api"]
    data = volume_mounts(bot)["data"]
    assert volume_mounts(server)["data"] == data
    work_dir = next(arg.split("=", 1)[1] for arg in server["command"] if arg.startswith("--dir="))
    assert work_dir.startswith(data + "/")
    assert "--local" in server["command"]
    assert server["user"].split(":")[0] == instructions("USER")[0].split(":")[0]


def test_compose_scale_profile_has_persistent_postgres_and_redis() -> None:
    services = compose()["services"]
    assert services["postgres"]["profiles"] == services["redis"]["profiles"] == ["scale"]
    assert volume_mounts(services["postgres"]) == {"postgres-data": "/var/lib/postgresql/data"}
    command = services["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert volume_mounts(services["redis"]) == {"redis-data": "/data"}


def test_compose_publishes_nothing_on_the_host() -> None:
    assert all("ports" not in service for service in compose()["services"].values())
