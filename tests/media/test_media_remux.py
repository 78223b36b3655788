"""Replacing a part's sound: exact length, loudness, format, the video left as it was where it can be."""

from __future__ import annotations

import asyncio
import struct
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest

from engine.archive import write_zip_async
from engine.errors import BadInput
from engine.fullcut import join_parts
from engine.probe import probe
from engine.remux import replace_audio, video_end
from engine.sound_read import decode_sound
from engine.split import SplitResult, split_video
from tests.media.measure import ffprobe, likeness, loudness, stream_end, streams

# An AAC frame is 1024 samples (21 ms at 48 kHz): the sound may end up to one frame past the video.
AAC_FRAME = 1024 / 48000


def _split(src: Path, parts: int, out: Path) -> SplitResult:
    async def go() -> SplitResult:
        return await split_video(src, await probe(src), parts, out)

    return asyncio.run(go())


@pytest.fixture(scope="module")
def hd_parts(media: Path, tmp_path_factory: pytest.TempPathFactory) -> SplitResult:
    return _split(media / "h264-aac-1080p-10s.mp4", 4, tmp_path_factory.mktemp("hd"))


@pytest.fixture(scope="module")
def hd_new(hd_parts: SplitResult, music_wav: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Part 2 of the 1080p video with the 5 s music (longer than the part: trimmed)."""
    out = tmp_path_factory.mktemp("new") / "part-2-new.mp4"
    return asyncio.run(replace_audio(hd_parts.parts[1].path, music_wav, out))


def _written(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.mp4"))


def top_level_boxes(path: Path) -> list[str]:
    """The MP4 file's top-level box types in file order (ftyp, moov, mdat, ...)."""
    data = path.read_bytes()
    boxes, at = [], 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        if size == 1:  # a 64-bit size follows the type
            size = struct.unpack(">Q", data[at + 8 : at + 16])[0]
        elif size == 0:  # to the end of the file
            size = len(data) - at
        boxes.append(kind.decode("latin-1"))
        if size < 8:
            break
        at += size
    return boxes


def _assert_sound_fits_video(path: Path) -> None:
    video_end, audio_end = stream_end(path, "v"), stream_end(path, "a")
    assert video_end - 0.005 <= audio_end <= video_end + AAC_FRAME + 0.005


def test_new_sound_is_trimmed_to_the_part(hd_new: Path, hd_parts: SplitResult) -> None:
    _assert_sound_fits_video(hd_new)
    assert stream_end(hd_new, "v") == pytest.approx(stream_end(hd_parts.parts[1].path, "v"), abs=0.001)


def test_output_is_mp4_h264_copied_aac_48k_faststart(hd_new: Path, hd_parts: SplitResult) -> None:
    fmt = ffprobe(hd_new, "-show_format")["format"]
    assert fmt["format_name"].startswith("mov,mp4")
    video, audio = streams(hd_new)
    assert (video["codec_name"], audio["codec_name"], audio["sample_rate"]) == ("h264", "aac", "48000")
    original = streams(hd_parts.parts[1].path)[0]
    # Stream copy: the very same pictures, bit for bit in size, not a re-encode.
    assert (video["nb_frames"], video["bit_rate"]) == (original["nb_frames"], original["bit_rate"])
    boxes = top_level_boxes(hd_new)
    assert "moov" in boxes and "mdat" in boxes
    assert boxes.index("moov") < boxes.index("mdat")  # +faststart: the index before the media data


def test_loudness_is_normalised(hd_new: Path) -> None:
    assert loudness(hd_new) == pytest.approx(-14.0, abs=1.0)


async def test_short_music_is_padded_with_silence(hd_parts: SplitResult, short_music: Path, tmp_path: Path) -> None:
    out = await replace_audio(hd_parts.parts[0].path, short_music, tmp_path / "padded.mp4")
    _assert_sound_fits_video(out)
    assert stream_end(out, "v") == pytest.approx(3.0, abs=0.001)


async def test_loudness_target_is_configurable(hd_parts: SplitResult, music_wav: Path, tmp_path: Path) -> None:
    out = await replace_audio(hd_parts.parts[2].path, music_wav, tmp_path / "quieter.mp4", loudness_lufs=-20)
    assert loudness(out) == pytest.approx(-20.0, abs=1.0)


async def test_keep_original_mixes_the_parts_own_sound(hd_parts: SplitResult, music_wav: Path, tmp_path: Path) -> None:
    part = hd_parts.parts[1].path
    plain = await replace_audio(part, music_wav, tmp_path / "plain.mp4")
    mixed = await replace_audio(part, music_wav, tmp_path / "mixed.mp4", keep_original_db=0)
    quiet = await replace_audio(part, music_wav, tmp_path / "quiet.mp4", keep_original_db=-60)
    _assert_sound_fits_video(mixed)
    # The original at the music's level makes the sound louder (up to 3 dB; this part's own sound is a
    # metronome, short clicks that reach the music's loudness only by being limited); 60 dB below it adds
    # nothing audible.
    assert loudness(mixed) > loudness(plain) + 1.0
    assert loudness(quiet) == pytest.approx(loudness(plain), abs=0.3)
    # The part's own sound is in the mix, where it was under the picture, and not in the plain replacement.
    own = (await decode_sound(part, channels=2, rate=48000))[0]
    mixed_sound = await decode_sound(mixed, channels=2, rate=48000)
    plain_sound = (await decode_sound(plain, channels=2, rate=48000))[0]
    assert likeness(mixed_sound[0], own) > 0.25
    assert abs(likeness(plain_sound, own)) < 0.1
    # Nothing goes over full scale: peaks that the gain would push over are limited.
    assert float(np.abs(mixed_sound).max()) < 0.95


async def test_part_without_sound_gets_one(media: Path, music_wav: Path, tmp_path: Path) -> None:
    src = media / "h264-no-audio-2s.mp4"
    out = await replace_audio(src, music_wav, tmp_path / "with-sound.mp4", keep_original_db=-10)
    assert [s["codec_type"] for s in streams(out)] == ["video", "audio"]
    _assert_sound_fits_video(out)
    assert stream_end(out, "v") == pytest.approx(2.0, abs=0.001)


async def test_video_that_mp4_cannot_copy_is_reencoded(media: Path, music_wav: Path, tmp_path: Path) -> None:
    out = await replace_audio(media / "mjpeg-pcm-1.5s.mov", music_wav, tmp_path / "mjpeg-new.mp4")
    video, audio = streams(out)
    assert (video["codec_name"], video["pix_fmt"], audio["codec_name"]) == ("h264", "yuv420p", "aac")
    assert int(video["nb_frames"]) == 15
    _assert_sound_fits_video(out)


async def test_bad_inputs_are_refused(media: Path, music_wav: Path, tmp_path: Path) -> None:
    part = media / "h264-no-audio-2s.mp4"
    text = tmp_path / "notes.txt"
    text.write_text("not music")
    with pytest.raises(BadInput, match="-60 to 0 dB"):
        await replace_audio(part, music_wav, tmp_path / "a.mp4", keep_original_db=5)
    with pytest.raises(BadInput, match="not a sound file"):
        await replace_audio(part, text, tmp_path / "b.mp4")
    with pytest.raises(BadInput, match="has no sound"):
        await replace_audio(part, media / "h264-no-audio-2s.mp4", tmp_path / "c.mp4")
    with pytest.raises(BadInput, match=r"\.mp4"):
        await replace_audio(part, music_wav, tmp_path / "d.mkv")
    with pytest.raises(BadInput, match="There is no file"):
        await replace_audio(part, tmp_path / "missing.wav", tmp_path / "e.mp4")
    assert _written(tmp_path) == []


@pytest.mark.slow  # re-encodes a whole video
async def test_full_cut_and_zip_of_a_real_split(hd_parts: SplitResult, hd_new: Path, tmp_path: Path) -> None:
    """The chosen part (2 of 4) with its new sound, joined back with the others, and zipped with them."""
    paths = [p.path for p in hd_parts.parts]
    full = await join_parts([paths[0], hd_new, *paths[2:]], tmp_path / "full.mp4")
    info = await probe(full)
    assert (info.width, info.height, info.video_codec, info.audio_codec) == (1920, 1080, "h264", "aac")
    assert info.duration == pytest.approx(10.04, abs=0.05)
    assert stream_end(full, "a") == pytest.approx(stream_end(full, "v"), abs=0.05)

    archive = await write_zip_async(tmp_path / "job.zip", paths, 2, hd_new, {"prompt": "calm piano"})
    with zipfile.ZipFile(archive) as z:
        assert z.namelist() == [
            "part-1-of-4.mp4", "part-2-of-4-new-music.mp4", "part-3-of-4.mp4", "part-4-of-4.mp4", "job.json"
        ]  # fmt: skip
        assert z.read("part-2-of-4-new-music.mp4") == await asyncio.to_thread(hd_new.read_bytes)


class Spawned:
    """The programs the engine starts."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.programs: list[str] = []
        real = asyncio.create_subprocess_exec

        async def spy(*args: str, **kwargs: object) -> asyncio.subprocess.Process:
            self.programs.append(args[0])
            return await real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(asyncio, "create_subprocess_exec", spy)


async def test_a_split_part_is_remuxed_in_one_ffmpeg_run(
    hd_parts: SplitResult, music_wav: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    part = hd_parts.parts[2]
    assert part.info is not None
    spawned = Spawned(monkeypatch)
    out = await replace_audio(part.path, music_wav, tmp_path / "one.mp4", info=part.info)
    assert spawned.programs == ["ffmpeg"]  # no probe, no loudness pass: one run
    _assert_sound_fits_video(out)
    assert loudness(out) == pytest.approx(-14.0, abs=1.0)
    # Keeping the part's own sound decodes it once more, and that is all.
    spawned.programs.clear()
    await replace_audio(part.path, music_wav, tmp_path / "two.mp4", info=part.info, keep_original_db=-6)
    assert spawned.programs == ["ffmpeg", "ffmpeg"]


@pytest.fixture(scope="module")
def mono_music(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the generator writes: mono, 44.1 kHz, 16-bit WAV."""
    music = tmp_path_factory.mktemp("mono") / "mono.wav"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=f=330:d=4:r=44100", str(music)], check=True
    )
    return music


async def test_mono_music_makes_a_mono_track_of_the_exact_length(
    hd_parts: SplitResult, mono_music: Path, tmp_path: Path
) -> None:
    music = mono_music
    part = hd_parts.parts[3]
    out = await replace_audio(part.path, music, tmp_path / "mono.mp4", info=part.info)
    audio = streams(out)[1]
    assert (audio["codec_name"], audio["sample_rate"], audio["channels"]) == ("aac", "48000", 1)
    _assert_sound_fits_video(out)
    assert loudness(out) == pytest.approx(-14.0, abs=1.0)


@pytest.mark.parametrize(
    ("name", "exact"),
    [
        ("h264-aac-1080p-10s.mp4", False),
        pytest.param("h264-aac-rotated-vertical-10s.mp4", True, marks=pytest.mark.slow),  # exact splits re-encode
        pytest.param("vp8-vorbis-720p-30s.webm", True, marks=pytest.mark.slow),
        ("mjpeg-pcm-1.5s.mov", False),
    ],
)
async def test_what_the_split_knows_of_a_part_is_what_a_probe_finds(
    media: Path, tmp_path: Path, name: str, exact: bool
) -> None:
    info = await probe(media / name)
    result = await split_video(media / name, info, 2 if info.duration > 2 else 1, tmp_path, exact=exact)
    for part in result.parts:
        assert part.info is not None
        found = await probe(part.path)
        keys = ("width", "height", "rotation", "video_codec", "audio_codec", "pix_fmt", "video_index", "audio_index")
        assert {k: getattr(part.info, k) for k in keys} == {k: getattr(found, k) for k in keys}
        assert part.info.format_name == found.format_name
        assert video_end(part.info) == pytest.approx(video_end(found), abs=0.002)
