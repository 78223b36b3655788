"""`riffcut spectrogram`, `riffcut audio`, `riffcut tiny-model` and `riffcut render`: the music engine by hand."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import TextIO

from engine.errors import BadInput, Refusal
from engine.options import SCHEDULERS, UserOptions
from riffcut.settings import Settings

BAR_WIDTH = 30
NO_VIDEO_FILE = Refusal("cli_no_video_file", "There is no video at {path}.")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    spec = sub.add_parser("spectrogram", help="Turn audio into a Riffusion spectrogram image (PNG with EXIF).")
    spec.add_argument("audio", type=Path, help="any audio or video file ffmpeg can read")
    spec.add_argument("--out", type=Path, required=True, help="the PNG to write")
    spec.add_argument("--stereo", action="store_true", help="pack left and right as G and B (default: mono)")
    spec.set_defaults(handler=spectrogram_command)

    audio = sub.add_parser("audio", help="Turn a Riffusion spectrogram image into 48 kHz WAV audio.")
    audio.add_argument("image", type=Path)
    audio.add_argument("--out", type=Path, required=True, help="the WAV to write")
    audio.add_argument("--seed", type=int, default=0, help="seeds the rebuilt phase (same seed, same audio)")
    audio.set_defaults(handler=audio_command)

    tiny = sub.add_parser("tiny-model", help="Write a tiny random Stable Diffusion pipeline (for tests: noise).")
    tiny.add_argument("dir", type=Path)
    tiny.set_defaults(handler=tiny_model_command)

    render = sub.add_parser("render", help="The whole job without Telegram: split, new music on one part, zip.")
    render.add_argument("video", type=Path)
    render.add_argument("--prompt", required=True, help="what the music should be like")
    render.add_argument("--parts", type=int, required=True, help="number of equal parts")
    render.add_argument("--part", type=int, required=True, help="the part that gets new music (from 1)")
    render.add_argument("--out", type=Path, required=True, help="the zip to write")
    render.add_argument("--exact", action="store_true", help="re-encode so every part has exactly the same length")
    render.add_argument("--steps", type=int, help="diffusion steps (1 to 100, default 50)")
    render.add_argument("--guidance", type=float, help="guidance scale (0 to 45, default 6.5)")
    render.add_argument("--seed", type=int, help="seed (default: a new random one, printed in the summary)")
    render.add_argument("--negative", help="negative prompt (ignored when guidance is 1 or less)")
    render.add_argument("--remix", type=float, metavar="STRENGTH", help="start from the part's sound (0.1 to 1)")
    render.add_argument("--keep-original-db", type=float, metavar="DB", help="keep the part's sound this far below")
    render.add_argument("--full-cut", type=Path, metavar="OUT.mp4", help="also join all parts into this MP4")
    render.add_argument("--scheduler", choices=SCHEDULERS, help="diffusion sampler (default dpm)")
    render.add_argument("--windows", choices=("batch", "chained"), help="long parts: batch (default) or chained")
    render.set_defaults(handler=render_command)


# --- spectrogram / audio / tiny-model ---------------------------------------------------------------------


async def spectrogram_command(args: argparse.Namespace, settings: Settings) -> int:
    from engine import audio_io
    from engine import spectrogram as sp
    from engine.generator import resolve_device

    samples = await audio_io.decode_audio(args.audio, channels=2, rate=sp.FORMAT_RATE)
    device = resolve_device(settings.device)
    image = await asyncio.to_thread(sp.audio_to_image, samples, stereo=args.stereo, device=device, rate=sp.FORMAT_RATE)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(sp.save_image, image, args.out)
    kind = "stereo" if args.stereo else "mono"
    print(f"{args.out}: {image.width} x {image.height} {kind} spectrogram of {samples.shape[1] / sp.FORMAT_RATE:.2f} s")
    return 0


async def audio_command(args: argparse.Namespace, settings: Settings) -> int:
    from engine import audio_io
    from engine import spectrogram as sp
    from engine.generator import resolve_device

    image = await asyncio.to_thread(sp.load_image, args.image)
    device = resolve_device(settings.device)
    audio = await asyncio.to_thread(sp.image_to_audio, image, seed=args.seed, device=device)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(audio_io.write_wav, args.out, audio, sp.OUTPUT_RATE)
    kind = "stereo" if audio.shape[0] == 2 else "mono"
    print(f"{args.out}: {audio.shape[1] / sp.OUTPUT_RATE:.2f} s, {kind}, {sp.OUTPUT_RATE} Hz")
    return 0


def tiny_model_command(args: argparse.Namespace, settings: Settings) -> int:
    from engine.tiny_model import write_tiny_model

    folder = write_tiny_model(args.dir)
    print(f"{folder}: a tiny random Stable Diffusion pipeline (its music is noise); use RIFFUSION_MODEL={folder}")
    return 0


# --- render ----------------------------------------------------------------------------------------------


def options_from_args(args: argparse.Namespace) -> UserOptions:
    """UserOptions with the flags given, each checked by its spec (BadInput names the allowed values)."""
    options = UserOptions()
    flags = {
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
    }
    for name, value in flags.items():
        if value is not None:
            options = options.with_value(name, value)
    return options


class ProgressView:
    """A one-line bar on a terminal; plain lines (stages, and steps every 10 %) otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last_step_line = -1
        self.started = time.monotonic()

    def __call__(self, event: object) -> None:
        from engine.render import RenderEvent
        from engine.stages import Stage

        assert isinstance(event, RenderEvent)
        if self.tty:
            filled = round(BAR_WIDTH * event.fraction)
            text = event.message if event.step is not None else ("done" if event.done else "...")
            line = f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {event.fraction:4.0%} {event.stage}: {text}"
            self.stream.write(line[:120].ljust(100))
            self.stream.flush()
            return
        if event.step is None:
            if not event.done:
                self.stream.write(f"{event.stage}: started {event.message}".rstrip() + "\n")
            return
        if event.stage == Stage.GENERATE and event.total:
            tenth = (10 * event.step) // event.total
            if event.step == event.total or tenth != self.last_step_line:
                self.last_step_line = tenth
                self.stream.write(f"generate: {event.message}\n")

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


async def render_command(args: argparse.Namespace, settings: Settings) -> int:
    from engine.generator import Generator
    from engine.render import RenderRequest, check_request, render
    from engine.workspace import JobWorkspace

    options = options_from_args(args)
    request = RenderRequest(prompt=args.prompt, parts=args.parts, part=args.part, options=options)
    check_request(request)
    if not args.video.is_file():
        raise BadInput(NO_VIDEO_FILE, path=str(args.video))
    generator = await asyncio.to_thread(
        Generator.load, settings.riffusion_model, settings.device, settings.max_image_width
    )
    workspace = JobWorkspace.create(settings.temporary_directory, "render")
    view = ProgressView(sys.stderr)
    try:
        result = await render(
            args.video,
            workspace.path,
            request,
            generator,
            settings.media_config(),
            view,
            zip_path=args.out,
            full_cut_path=args.full_cut,
        )
    finally:
        view.close()
        workspace.remove()
    print(result.summary())
    print(f"Zip: {result.zip}")
    if result.full_cut is not None:
        print(f"Full cut: {result.full_cut}")
    return 0
