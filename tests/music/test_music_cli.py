"""`riffcut spectrogram`, `audio`, `tiny-model` and `render` from the command line: outputs and exit codes."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine import audio_io
from engine import spectrogram as sp
from riffcut.cli import main


@pytest.fixture
def model_env(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RIFFUSION_MODEL", str(tiny_model))
    monkeypatch.setenv("DEVICE", "cpu")
    return tiny_model


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert err and err[-1].startswith("riffcut: ")
    return err[-1]


def test_audio_to_image_and_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    t = np.arange(30870) / 44100  # 0.7 s at the format's rate
    audio_io.write_wav(tmp_path / "tone.wav", 0.4 * np.sin(2 * np.pi * 660 * t), 44100)
    assert main(["spectrogram", str(tmp_path / "tone.wav"), "--out", str(tmp_path / "s.png")]) == 0
    image = Image.open(tmp_path / "s.png")
    assert image.size == (71, 512)
    assert image.getexif()[sp.ExifTag.SAMPLE_RATE] == 44100
    assert main(["audio", str(tmp_path / "s.png"), "--out", str(tmp_path / "back.wav"), "--seed", "3"]) == 0
    back, rate = audio_io.read_wav(tmp_path / "back.wav")
    assert rate == sp.OUTPUT_RATE == 48000 and back.shape == (1, 480 * 70)
    assert "0.70 s" in capsys.readouterr().out


def test_stereo_spectrogram_of_a_video_sound(media: Path, tmp_path: Path) -> None:
    out = tmp_path / "stereo.png"
    assert main(["spectrogram", str(media / "h264-aac-320x240-7s.mp4"), "--out", str(out), "--stereo"]) == 0
    pixels = np.asarray(Image.open(out))
    assert pixels.shape[0] == 512 and pixels[..., 0].max() == 0


def test_bad_inputs_exit_2_with_one_line(media: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Image.new("RGB", (64, 300)).save(tmp_path / "small.png")
    assert main(["audio", str(tmp_path / "small.png"), "--out", str(tmp_path / "x.wav")]) == 2
    assert "300 pixels high" in one_line_error(capsys)
    assert main(["spectrogram", str(media / "h264-no-audio-2s.mp4"), "--out", str(tmp_path / "y.png")]) == 2
    assert "no sound" in one_line_error(capsys)
    assert main(["audio", str(tmp_path / "missing.png"), "--out", str(tmp_path / "z.wav")]) == 2
    assert "no file" in one_line_error(capsys)


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--parts", "4", "--part", "5"], "from 1 to 4"),
        (["--parts", "0", "--part", "1"], "at least 1"),
        (["--parts", "2", "--part", "1", "--remix", "2"], "Remix strength must be"),
        (["--parts", "2", "--part", "1", "--steps", "0"], "Diffusion steps must be"),
        (["--parts", "2", "--part", "1", "--remix", "0.5"], "cannot be remixed"),
        (["--parts", "3", "--part", "1"], "too short"),
        (["--parts", "2", "--part", "1", "--keep-original-db", "5"], "Keep original sound must be"),
    ],
)
def test_render_refusals_exit_2(
    model_env: Path, media: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], words: str
) -> None:
    args = ["render", str(media / "h264-no-audio-2s.mp4"), "--prompt", "calm piano", "--out", str(tmp_path / "o.zip")]
    assert main(args + extra) == 2
    assert words in one_line_error(capsys)
    assert not (tmp_path / "o.zip").exists()


def test_render_refuses_a_prompt_too_long_with_its_count(
    model_env: Path, media: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = str(media / "h264-no-audio-2s.mp4")
    args = ["render", video, "--prompt", "z" * 90, "--parts", "2", "--part", "1", "--out", str(tmp_path / "o.zip")]
    assert main(args) == 2
    assert "92 tokens" in one_line_error(capsys)
    missing = ["render", str(tmp_path / "nope.mp4"), "--prompt", "a", "--parts", "2", "--part", "1", "--out", "o.zip"]
    assert main(missing) == 2


@pytest.mark.slow  # a whole render
def test_render_writes_the_zip_full_cut_and_summary(
    model_env: Path, media: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, cut = tmp_path / "out" / "job.zip", tmp_path / "cut.mp4"
    music, previews = tmp_path / "keep" / "music.wav", tmp_path / "previews"
    args = ["render", str(media / "h264-no-audio-2s.mp4"), "--prompt", "calm piano", "--parts", "2", "--part", "2"]
    args += ["--out", str(out), "--steps", "2", "--seed", "9", "--full-cut", str(cut)]
    args += ["--music-out", str(music), "--previews-out", str(previews)]
    assert main(args) == 0
    printed = capsys.readouterr()
    assert "Chosen part: 2" in printed.out and "seed 9" in printed.out and "Seconds per stage" in printed.out
    assert f"Music: {music}" in printed.out and f"Previews: {previews}" in printed.out
    assert "generate: window 1 of 1, step 2/2" in printed.err  # plain progress lines when not on a terminal
    assert "split: done" in printed.err and "generate: started 1.00 s of music" in printed.err
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["job.json", "part-1-of-2.mp4", "part-2-of-2-new-music.mp4"]
    assert cut.is_file()
    sound, rate = audio_io.read_wav(music)
    assert rate == 48000 and abs(sound.shape[1] / rate - 1.0) < 0.05
    assert sorted(p.name for p in previews.iterdir()) == [
        "part-1-of-2-thumb.jpg",
        "part-1-of-2.mp4",
        "part-2-of-2-new-music-thumb.jpg",
        "part-2-of-2-new-music.mp4",
    ]


def test_the_progress_line_names_windows_made_together() -> None:
    """Windows made in one batch read "windows 1-2 of 2"; one after another, "window 2 of 3"."""
    from engine.generator import GenerationProgress

    assert GenerationProgress(3, 20, 2, 2, 3, 20, first_window=1).window_words == "windows 1-2 of 2"
    assert GenerationProgress(3, 20, 2, 3, 23, 60).window_words == "window 2 of 3"
    assert GenerationProgress(3, 20, 1, 1, 3, 20, first_window=1).window_words == "window 1 of 1"


def test_tiny_model_command_writes_the_same_model_every_time(
    tiny_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tiny-model", str(tmp_path / "tiny")]) == 0
    assert "RIFFUSION_MODEL=" in capsys.readouterr().out
    for part in ("unet/diffusion_pytorch_model.safetensors", "vae/diffusion_pytorch_model.safetensors"):
        assert (tmp_path / "tiny" / part).read_bytes() == (tiny_model / part).read_bytes()
    assert (tmp_path / "tiny" / "tokenizer" / "tokenizer_config.json").is_file()
