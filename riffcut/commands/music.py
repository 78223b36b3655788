"""`riffcut spectrogram`, `riffcut audio`, `riffcut tiny-model` and `riffcut render`: the music engine by hand.

`render` makes every check that needs no model before it loads one (minutes with the real checkpoint, or a
download): the flags' numbers and the operator's limits, the prompt not empty, the video readable and every
output writable, then the video probed and the part length rule and remix checked against it. Only then is the
model loaded, and the prompt's length in tokens checked with its tokenizer. Its progress goes to stderr: a bar
on a terminal, plain lines otherwise, stages that run at the same time each with their own lines.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from engine.errors import BadInput, Refusal
from riffcut.command import LOGGING, MODEL, RENDER, Command, Env
from riffcut.commands import checks

if TYPE_CHECKING:
    from engine.options import UserOptions
    from engine.render import RenderEvent

BAR_WIDTH = 30
NOT_AN_EMPTY_FOLDER = Refusal(
    "cli_not_an_empty_folder", "{path} holds other files; give a new or empty folder for the tiny model."
)


def spectrogram_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("audio", type=Path, help="any audio or video file ffmpeg can read")
    parser.add_argument("--out", type=Path, required=True, help="the PNG to write")
    parser.add_argument("--stereo", action="store_true", help="pack left and right as G and B (default: mono)")
    parser.set_defaults(handler=spectrogram_command)


def audio_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", type=Path)
    parser.add_argument("--out", type=Path, required=True, help="the WAV to write")
    parser.add_argument("--seed", default="0", help="seeds the rebuilt phase (same seed, same audio)")
    parser.set_defaults(handler=audio_command)


def tiny_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="a new or empty folder (or one this command wrote before)")
    parser.set_defaults(handler=tiny_model_command)


def render_arguments(parser: argparse.ArgumentParser) -> None:
    from engine.options import SCHEDULERS

    parser.add_argument("video", type=Path)
    parser.add_argument("--prompt", required=True, help="what the music should be like")
    parser.add_argument("--parts", required=True, metavar="N", help="number of equal parts")
    parser.add_argument("--part", required=True, metavar="K", help="the part that gets new music (from 1)")
    parser.add_argument("--out", type=Path, required=True, metavar="OUT.zip", help="the zip to write")
    parser.add_argument("--exact", action="store_true", help="re-encode so every part has exactly the same length")
    parser.add_argument("--steps", metavar="N", help="diffusion steps (1 to 100, default 50)")
    parser.add_argument("--guidance", metavar="X", help="guidance scale (0 to 45, default 6.5)")
    parser.add_argument("--seed", metavar="N", help="seed (default: a new random one, printed in the summary)")
    parser.add_argument("--negative", help="negative prompt (ignored when guidance is 1 or less)")
    parser.add_argument("--remix", metavar="STRENGTH", help="start from the part's sound (0.1 to 1)")
    parser.add_argument("--keep-original-db", metavar="DB", help="keep the part's sound this far below the music")
    parser.add_argument("--full-cut", type=Path, metavar="OUT.mp4", help="also join all parts into this MP4")
    parser.add_argument("--music-out", type=Path, metavar="OUT.wav", help="also keep the music alone (WAV)")
    parser.add_argument(
        "--previews-out", type=Path, metavar="DIR", help="also keep every part's preview (MP4 and thumbnail)"
    )
    parser.add_argument("--scheduler", help=f"diffusion sampler: {', '.join(SCHEDULERS)} (default dpm)")
    parser.add_argument("--windows", help="long parts: batch (default, windows made together) or chained")
    parser.add_argument(
        "--no-limits", action="store_true", help="lift the operator's limits (MAX_VIDEO_SECONDS, ...) for local use"
    )
    parser.set_defaults(handler=render_command)


COMMANDS = (
    Command(
        "spectrogram",
        "turn audio into a Riffusion spectrogram image (PNG with EXIF)",
        spectrogram_arguments,
        reads=(*LOGGING, "DEVICE"),
    ),
    Command(
        "audio",
        "turn a Riffusion spectrogram image into 48 kHz WAV audio",
        audio_arguments,
        reads=(*LOGGING, "DEVICE"),
    ),
    Command(
        "tiny-model",
        "write a tiny random Stable Diffusion pipeline (for tests: its music is noise)",
        tiny_model_arguments,
        reads=LOGGING,
    ),
    Command(
        "render",
        "the whole job without Telegram: split, new music on one part, zip",
        render_arguments,
        reads=LOGGING + MODEL + RENDER,
        lifts_limits=True,
    ),
)


# --- spectrogram / audio / tiny-model ---------------------------------------------------------------------


async def spectrogram_command(args: argparse.Namespace, env: Env) -> int:
    import asyncio

    from engine import audio_io
    from engine import spectrogram as sp
    from engine.generator import resolve_device

    source = checks.readable_file(args.audio)
    out = checks.writable_file(args.out, "--out", "spectrogram.png")
    samples = await audio_io.decode_audio(source, channels=2, rate=sp.FORMAT_RATE)
    device = resolve_device(env.settings.device)
    image = await asyncio.to_thread(sp.audio_to_image, samples, stereo=args.stereo, device=device, rate=sp.FORMAT_RATE)
    out.parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(sp.save_image, image, out)
    kind = "stereo" if args.stereo else "mono"
    print(f"{out}: {image.width} x {image.height} {kind} spectrogram of {samples.shape[1] / sp.FORMAT_RATE:.2f} s")
    return 0


async def audio_command(args: argparse.Namespace, env: Env) -> int:
    import asyncio

    from engine import audio_io
    from engine import spectrogram as sp
    from engine.generator import resolve_device

    seed = checks.whole_number(args.seed, "--seed")
    image_path = checks.readable_file(args.image)
    out = checks.writable_file(args.out, "--out", "audio.wav")
    image = await asyncio.to_thread(sp.load_image, image_path)
    device = resolve_device(env.settings.device)
    audio = await asyncio.to_thread(sp.image_to_audio, image, seed=seed, device=device)
    out.parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(audio_io.write_wav, out, audio, sp.OUTPUT_RATE)
    kind = "stereo" if audio.shape[0] == 2 else "mono"
    print(f"{out}: {audio.shape[1] / sp.OUTPUT_RATE:.2f} s, {kind}, {sp.OUTPUT_RATE} Hz")
    return 0


def tiny_model_command(args: argparse.Namespace, env: Env) -> int:
    folder: Path = args.dir
    checks.writable_folder(folder, "DIR")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / "model_index.json").is_file():
        raise BadInput(NOT_AN_EMPTY_FOLDER, path=str(folder))
    from engine.tiny_model import write_tiny_model
    from riffcut.logs import quiet_model_loading

    quiet_model_loading()
    written = write_tiny_model(folder)
    print(f"{written}: a tiny random Stable Diffusion pipeline (its music is noise); use RIFFUSION_MODEL={written}")
    return 0


# --- render ----------------------------------------------------------------------------------------------


def options_from_args(args: argparse.Namespace) -> UserOptions:
    """UserOptions with the flags given, each read and checked by its spec (BadInput names the allowed values)."""
    from engine.options import UserOptions

    options = UserOptions()
    flags: dict[str, object] = {
        "exact": args.exact or None,
        "steps": args.steps,
        "guidance": args.guidance,
        "seed": args.seed,
        "negative": args.negative,
        "remix": args.remix,
        "keep_original_db": args.keep_original_db,
        "full_cut": True if args.full_cut else None,
        "scheduler": args.scheduler,
        "windows": args.windows,
        # The previews are made only to be kept; the chosen part's own is made anyway.
        "previews": 1 if args.previews_out else 0,
    }
    for name, value in flags.items():
        if value is not None:
            options = options.with_value(name, value)
    return options


def phase_words(event: RenderEvent) -> str:
    if event.step is not None:
        return event.message
    return "done" if event.done else f"started {event.message}".rstrip()


class ProgressView:
    """A one-line bar on a terminal; plain lines otherwise: each stage's start and end, steps every 10 %."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last_step_line = -1
        self.running: list[str] = []
        self.started = time.monotonic()

    def __call__(self, event: RenderEvent) -> None:
        stage = str(event.stage)
        if event.step is None:
            if event.done and stage in self.running:
                self.running.remove(stage)
            elif not event.done and stage not in self.running:
                self.running.append(stage)
        if self.tty:
            filled = round(BAR_WIDTH * event.fraction)
            under_way = " + ".join(self.running) or stage
            bar = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {event.fraction:4.0%}"
            line = f"\r{bar} {under_way}: {phase_words(event)}"
            self.stream.write(line[:120].ljust(100))
            self.stream.flush()
            return
        seconds = time.monotonic() - self.started
        if event.step is None:
            self.stream.write(f"{seconds:6.1f} s  {stage}: {phase_words(event)}\n")
            return
        if event.total:
            tenth = (10 * event.step) // event.total
            if event.step == event.total or tenth != self.last_step_line:
                self.last_step_line = tenth
                self.stream.write(f"{seconds:6.1f} s  {stage}: {event.message}\n")

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


async def render_command(args: argparse.Namespace, env: Env) -> int:
    import asyncio
    import shutil

    from engine.media_config import MediaConfig
    from engine.render import RenderRequest, check_request, prepare
    from engine.workspace import JobWorkspace

    settings = env.settings
    media_config: MediaConfig = settings.media_config(lift_limits=args.no_limits)
    # The command line alone: numbers, the limits, the prompt, the files.
    parts = checks.parse_parts(args.parts, None if args.no_limits else media_config.limits.max_parts)
    part = checks.whole_number(args.part, "--part")
    options = options_from_args(args)
    request = RenderRequest(prompt=args.prompt, parts=parts, part=part, options=options)
    check_request(request)
    video = checks.readable_file(args.video)
    outputs = {
        "--out": checks.writable_file(args.out, "--out", "job.zip"),
        "--full-cut": checks.writable_file(args.full_cut, "--full-cut", "full-cut.mp4") if args.full_cut else None,
        "--music-out": checks.writable_file(args.music_out, "--music-out", "music.wav") if args.music_out else None,
    }
    checks.distinct(outputs)
    previews_out = checks.writable_folder(args.previews_out, "--previews-out") if args.previews_out else None
    # The video: probed within the limits, the part length rule and remix against it.
    prepared = await prepare(video, request, media_config)

    # Only now the model (minutes with the real checkpoint), then the prompt's length in its tokens.
    from engine.generator import Generator
    from engine.render import render
    from riffcut.logs import quiet_model_loading

    quiet_model_loading()
    generator = await asyncio.to_thread(
        Generator.load, settings.riffusion_model, settings.device, settings.max_image_width
    )
    generator.check(prepared.prompt, prepared.plan.part_duration, options, prepared.sound)

    workspace = JobWorkspace.create(settings.temporary_directory, "render")
    view = ProgressView(sys.stderr)
    try:
        result = await render(
            video,
            workspace.path,
            request,
            generator,
            media_config,
            view,
            prepared=prepared,
            zip_path=outputs["--out"],
            full_cut_path=outputs["--full-cut"],
        )
        kept: list[str] = []
        music_out = outputs["--music-out"]
        if music_out is not None:
            music_out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(result.music_wav, music_out)
            kept.append(f"Music: {music_out}")
        if previews_out is not None:
            previews_out.mkdir(parents=True, exist_ok=True)
            for preview in result.part_previews:
                for path in (preview.path, preview.thumbnail):
                    shutil.copyfile(path, previews_out / path.name)
            kept.append(f"Previews: {previews_out} ({len(result.part_previews)} parts, MP4 and JPEG)")
    finally:
        view.close()
        workspace.remove()
    print(result.summary())
    print(f"Zip: {result.zip}")
    if result.full_cut is not None:
        print(f"Full cut: {result.full_cut}")
    for line in kept:
        print(line)
    return 0
