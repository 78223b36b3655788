"""`riffcut probe`, `riffcut split`, `riffcut remux`: the media engine from the command line.

- `riffcut probe FILE` prints one JSON object: duration, width, height, fps, rotation, video_codec,
  audio_codec (null when there is none), size_bytes. It reads no setting and writes nothing.
- `riffcut split FILE --parts N [--exact] [--no-limits] --out DIR` writes the parts and prints JSON Lines, one
  object per part: index (from 1), path, start, duration, mode (fast or exact), fell_back. The operator's
  limits apply (MAX_PARTS, MAX_VIDEO_SECONDS, ...: `engine.media_limits`) unless --no-limits lifts them.
- `riffcut remux PART AUDIO --out FILE.mp4 [--keep-original-db DB]` replaces the part's sound and prints one
  JSON object: path, duration.

Every check of the command line (`riffcut.commands.checks`: numbers, files to read, places to write) comes
before any work; the engine is imported when a command runs.
"""

from __future__ import annotations

import argparse
import json

from riffcut.command import FFMPEG, LIMITS, LOGGING, PART_RULE, Command, Env
from riffcut.commands import checks


def probe_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE")
    parser.set_defaults(handler=run_probe)


def split_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--parts", required=True, metavar="N", help="how many parts")
    parser.add_argument("--exact", action="store_true", help="re-encode so every part lasts exactly the same (slower)")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the parts")
    parser.add_argument(
        "--no-limits", action="store_true", help="lift the operator's limits (MAX_VIDEO_SECONDS, ...) for local use"
    )
    parser.set_defaults(handler=run_split)


def remux_arguments(parser: argparse.ArgumentParser) -> None:
    from engine.options import KEEP_DB_MAX, KEEP_DB_MIN

    parser.add_argument("part", metavar="PART")
    parser.add_argument("audio", metavar="AUDIO")
    parser.add_argument("--out", required=True, metavar="FILE.mp4")
    parser.add_argument(
        "--keep-original-db",
        metavar="DB",
        default=None,
        help=f"keep the part's own sound this many dB under the music ({KEEP_DB_MIN:g} to {KEEP_DB_MAX:g})",
    )
    parser.set_defaults(handler=run_remux)


COMMANDS = (
    Command("probe", "print a video's duration, size, frame rate and codecs as JSON", probe_arguments),
    Command(
        "split",
        "split a video into N parts of equal duration",
        split_arguments,
        reads=LOGGING + FFMPEG + PART_RULE + LIMITS,
        lifts_limits=True,
    ),
    Command(
        "remux",
        "replace the sound of a part with an audio file",
        remux_arguments,
        reads=(*LOGGING, *FFMPEG, "LOUDNESS_LUFS"),
    ),
)


async def run_probe(args: argparse.Namespace, env: Env) -> int:
    from engine.probe import probe

    info = await probe(checks.readable_file(args.file))
    print(json.dumps(info.summary()))
    return 0


async def run_split(args: argparse.Namespace, env: Env) -> int:
    from engine.parts import check_part_count
    from engine.probe import probe
    from engine.split import split_video

    config = env.settings.media_config(lift_limits=args.no_limits)
    parts = checks.parse_parts(args.parts, None if args.no_limits else config.limits.max_parts)
    source = checks.readable_file(args.file)
    out = checks.writable_folder(args.out, "--out")
    info = await probe(source, limits=config.limits)
    check_part_count(info.duration, parts, config.min_part_seconds, config.max_part_seconds, config.limits.max_parts)
    result = await split_video(
        source, info, parts, out, exact=args.exact, threads=config.threads, timeout=config.timeout
    )
    for line in result.lines():
        print(json.dumps(line))
    return 0


async def run_remux(args: argparse.Namespace, env: Env) -> int:
    from engine.probe import probe
    from engine.remux import check_keep_db, replace_audio  # brings scipy and pyloudnorm: only for this command

    keep_db = check_keep_db(checks.parse_float(args.keep_original_db, "--keep-original-db"))
    part = checks.readable_file(args.part)
    audio = checks.readable_file(args.audio)
    out = checks.writable_file(args.out, "--out", "part.mp4")
    config = env.settings.media_config()
    made = await replace_audio(
        part,
        audio,
        out,
        keep_original_db=keep_db,
        loudness_lufs=config.loudness_lufs,
        threads=config.threads,
        timeout=config.timeout,
    )
    info = await probe(made, config.timeout, allow_truncated=True)
    print(json.dumps({"path": str(made), "duration": info.duration}))
    return 0
