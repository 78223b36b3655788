"""`riffcut probe`, `riffcut split`, `riffcut remux`: the media engine from the command line.

- `riffcut probe FILE` prints one JSON object: duration, width, height, fps, rotation, video_codec,
  audio_codec (null when there is none), size_bytes.
- `riffcut split FILE --parts N [--exact] --out DIR` writes the parts and prints JSON Lines, one object per part:
  index (from 1), path, start, duration, mode (fast or exact), fell_back. The operator's limits apply
  (MAX_PARTS, MAX_VIDEO_SECONDS, ...: `engine.media_limits`).
- `riffcut remux PART AUDIO --out FILE.mp4 [--keep-original-db DB]` replaces the part's sound and prints one
  JSON object: path, duration.

Numbers are read here rather than by argparse so that a bad one gets the same one-line refusal (exit 2) as
any other bad input.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from engine.errors import BadInput, Refusal
from engine.media_limits import too_many_parts
from engine.options import KEEP_DB_MAX, KEEP_DB_MIN
from engine.parts import check_part_count
from engine.probe import probe
from engine.split import split_video
from riffcut.settings import Settings

PARTS_FLAG_NOT_WHOLE = Refusal("cli_parts_not_whole", "--parts must be a whole number; '{value}' is not.")
PARTS_FLAG_BELOW_ONE = Refusal("cli_parts_below_one", "--parts must be at least 1; {value} is not.")
KEEP_DB_FLAG_NOT_A_NUMBER = Refusal(
    "cli_keep_db_not_a_number", "--keep-original-db must be a number of dB from {low:g} to {high:g}."
)
KEEP_DB_FLAG_OUT_OF_RANGE = Refusal(
    "cli_keep_db_out_of_range", "--keep-original-db must be from {low:g} to {high:g} dB; {value} is not."
)
OUT_NOT_A_FOLDER = Refusal("cli_out_not_a_folder", "--out must be a folder; {value} is a file.")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    probe_parser = sub.add_parser("probe", help="print a video's duration, size, frame rate and codecs as JSON")
    probe_parser.add_argument("file", metavar="FILE")
    probe_parser.set_defaults(handler=run_probe)

    split_parser = sub.add_parser("split", help="split a video into N parts of equal duration")
    split_parser.add_argument("file", metavar="FILE")
    split_parser.add_argument("--parts", required=True, metavar="N", help="how many parts")
    split_parser.add_argument(
        "--exact", action="store_true", help="re-encode so every part lasts exactly the same (slower)"
    )
    split_parser.add_argument("--out", required=True, metavar="DIR", help="folder for the parts")
    split_parser.set_defaults(handler=run_split)

    remux_parser = sub.add_parser("remux", help="replace the sound of a part with an audio file")
    remux_parser.add_argument("part", metavar="PART")
    remux_parser.add_argument("audio", metavar="AUDIO")
    remux_parser.add_argument("--out", required=True, metavar="FILE.mp4")
    remux_parser.add_argument(
        "--keep-original-db",
        metavar="DB",
        default=None,
        help=f"keep the part's own sound this many dB under the music ({KEEP_DB_MIN:g} to {KEEP_DB_MAX:g})",
    )
    remux_parser.set_defaults(handler=run_remux)


def parse_parts(text: str, max_parts: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise BadInput(PARTS_FLAG_NOT_WHOLE, value=text) from None
    if value < 1:
        raise BadInput(PARTS_FLAG_BELOW_ONE, value=value)
    if value > max_parts:
        raise too_many_parts(value, max_parts)
    return value


def parse_db(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        raise BadInput(KEEP_DB_FLAG_NOT_A_NUMBER, low=KEEP_DB_MIN, high=KEEP_DB_MAX) from None
    if not math.isfinite(value) or not KEEP_DB_MIN <= value <= KEEP_DB_MAX:
        raise BadInput(KEEP_DB_FLAG_OUT_OF_RANGE, low=KEEP_DB_MIN, high=KEEP_DB_MAX, value=text)
    return value


def out_folder(text: str) -> Path:
    out = Path(text)
    if out.exists() and not out.is_dir():
        raise BadInput(OUT_NOT_A_FOLDER, value=text)
    return out


async def run_probe(args: argparse.Namespace, settings: Settings) -> int:
    info = await probe(args.file)
    print(json.dumps(info.summary()))
    return 0


async def run_split(args: argparse.Namespace, settings: Settings) -> int:
    config = settings.media_config()
    parts = parse_parts(args.parts, config.limits.max_parts)
    info = await probe(args.file, limits=config.limits)
    check_part_count(info.duration, parts, config.min_part_seconds, config.max_part_seconds, config.limits.max_parts)
    out = out_folder(args.out)
    result = await split_video(
        args.file, info, parts, out, exact=args.exact, threads=config.threads, timeout=config.timeout
    )
    for line in result.lines():
        print(json.dumps(line))
    return 0


async def run_remux(args: argparse.Namespace, settings: Settings) -> int:
    from engine.remux import replace_audio  # brings scipy and pyloudnorm: only for this command

    keep_db = parse_db(args.keep_original_db)
    config = settings.media_config()
    out = await replace_audio(
        args.part,
        args.audio,
        args.out,
        keep_original_db=keep_db,
        loudness_lufs=config.loudness_lufs,
        threads=config.threads,
        timeout=config.timeout,
    )
    info = await probe(out, config.timeout, allow_truncated=True)
    print(json.dumps({"path": str(out), "duration": info.duration}))
    return 0
