"""What the user receives: chat previews with thumbnails, the full cut, the zip; and the job's folder."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from engine.archive import write_zip, write_zip_async, zip_names
from engine.fullcut import join_parts
from engine.preview import make_preview
from engine.probe import probe
from engine.workspace import JobWorkspace
from tests.media.measure import ffprobe, stream_end, streams


def _assert_plays_in_chat(path: Path) -> None:
    assert path.suffix == ".mp4"
    assert ffprobe(path, "-show_format")["format"]["format_name"].startswith("mov,mp4")
    kinds = {s["codec_type"]: s for s in streams(path)}
    assert (kinds["video"]["codec_name"], kinds["video"]["pix_fmt"]) == ("h264", "yuv420p")
    assert kinds["video"]["width"] % 2 == 0 and kinds["video"]["height"] % 2 == 0
    if "audio" in kinds:
        assert kinds["audio"]["codec_name"] == "aac"
    # And it decodes from start to end without a single error (every frame at its own time: the mixed full
    # cut below is variable-rate).
    every_frame = ["-fps_mode", "passthrough", "-enc_time_base", "-1"]
    decoded = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), *every_frame, "-f", "null", "-"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert decoded.returncode == 0 and decoded.stderr == ""


def _assert_thumbnail(path: Path, aspect: float) -> None:
    with Image.open(path) as image:
        assert image.format == "JPEG"
        assert max(image.size) <= 320 and min(image.size) > 0
        assert image.size[0] / image.size[1] == pytest.approx(aspect, rel=0.02)


@pytest.mark.parametrize(
    ("name", "copied", "size"),
    [
        ("h264-aac-320x240-7s.mp4", False, (320, 240)),  # already plays in the chat: sent as it is
        ("vp9-opus-no-container-duration.webm", True, (1280, 720)),
        ("mjpeg-pcm-1.5s.mov", True, (640, 480)),
        ("h264-aac-rotated-vertical-10s.mp4", False, (544, 1280)),  # display size, after rotation
    ],
)
async def test_preview(media: Path, tmp_path: Path, name: str, copied: bool, size: tuple[int, int]) -> None:
    source = await probe(media / name)
    preview = await make_preview(media / name, tmp_path / "previews")
    assert (preview.path != media / name) is copied
    _assert_plays_in_chat(preview.path)
    assert (preview.width, preview.height) == size
    assert preview.duration == pytest.approx(source.duration, abs=0.05)
    _assert_thumbnail(preview.thumbnail, size[0] / size[1])
    if copied:
        assert [s["codec_type"] for s in streams(preview.path)] == ["video", "audio"]


async def test_full_cut_joins_mixed_parts(media: Path, tmp_path: Path) -> None:
    # Different containers, codecs, sizes, one without sound: all joined into one MP4 at the first's size.
    parts = [media / "h264-no-audio-2s.mp4", media / "mjpeg-pcm-1.5s.mov", media / "h264-aac-320x240-7s.mp4"]
    infos = [await probe(p) for p in parts]
    out = await join_parts(parts, tmp_path / "full.mp4")
    _assert_plays_in_chat(out)
    video = streams(out)[0]
    assert (video["width"], video["height"]) == (640, 480)
    total = sum(i.duration for i in infos)
    assert stream_end(out, "v") == pytest.approx(total, abs=0.1)
    assert stream_end(out, "a") == pytest.approx(total, abs=0.1)


def _make_parts(folder: Path) -> list[Path]:
    folder.mkdir()
    parts = []
    for i, suffix in enumerate([".webm", ".webm", ".webm", ".webm"], start=1):
        path = folder / f"p{i}{suffix}"
        path.write_bytes(f"part {i}".encode() * 100)
        parts.append(path)
    return parts


def test_zip_has_every_part_once_the_chosen_with_new_sound(tmp_path: Path) -> None:
    parts = _make_parts(tmp_path / "parts")
    new = tmp_path / "new.mp4"
    new.write_bytes(b"new music part" * 100)
    info = {"prompt": "lo-fi beats", "parts": 4, "chosen": 2, "seed": 7, "guidance": 6.5}
    out = write_zip(tmp_path / "out" / "job.zip", parts, 2, new, info)
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        assert names == [
            "part-1-of-4.webm", "part-2-of-4-new-music.mp4", "part-3-of-4.webm", "part-4-of-4.webm", "job.json"
        ]  # fmt: skip
        assert all(entry.compress_type == zipfile.ZIP_STORED for entry in archive.infolist())
        assert not any(name.startswith("/") or ".." in name or "/" in name for name in names)
        assert archive.read("part-2-of-4-new-music.mp4") == new.read_bytes()
        assert archive.read("part-3-of-4.webm") == parts[2].read_bytes()
        assert json.loads(archive.read("job.json")) == info
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["job.zip"]  # no partial file left


def test_zip_names_are_padded_and_keep_each_container(tmp_path: Path) -> None:
    parts = [tmp_path / f"x{i}.{'mov' if i % 2 else 'mp4'}" for i in range(1, 13)]
    names = [name for _, name in zip_names(parts, 10, tmp_path / "n.mp4")]
    assert names[0] == "part-01-of-12.mov" and names[1] == "part-02-of-12.mp4"
    assert names[9] == "part-10-of-12-new-music.mp4"
    assert names == sorted(names)
    with pytest.raises(ValueError):
        zip_names(parts, 13, tmp_path / "n.mp4")


async def test_zip_from_async_code(tmp_path: Path) -> None:
    parts = await asyncio.to_thread(_make_parts, tmp_path / "parts")
    new = parts[0]
    out = await write_zip_async(tmp_path / "a.zip", parts, 1, new, {"prompt": "x"})
    with zipfile.ZipFile(out) as archive:
        assert archive.namelist()[0] == "part-1-of-4-new-music.webm"


def test_workspace_is_private_unique_and_removed_on_request(tmp_path: Path) -> None:
    root = tmp_path / "jobs"
    first = JobWorkspace.create(root, 42)
    second = JobWorkspace.create(root, 42)
    assert first.path != second.path and first.path.parent == root.resolve()
    assert first.path.name.startswith("job-42-")
    assert os.stat(first.path).st_mode & 0o777 == 0o700
    first.file("part.mp4").write_bytes(b"x")
    assert first.folder("previews").is_dir()
    with pytest.raises(ValueError):
        first.file("../escape")
    first.remove()
    assert not first.exists and second.exists
    first.remove()  # removing twice is fine


def test_workspace_id_cannot_escape_the_root(tmp_path: Path) -> None:
    ws = JobWorkspace.create(tmp_path, "../../etc")
    assert ws.path.parent == tmp_path.resolve()
