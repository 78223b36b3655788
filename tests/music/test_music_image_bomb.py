"""A decompression-bomb PNG (a few hundred KB that decode to hundreds of megapixels) is refused in one line."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from riffcut.cli import main


def bomb_png(path: Path, width: int, height: int, bits: int) -> Path:
    """A real bomb: a grayscale PNG of `width` x `height` black pixels, every row present, compressed away."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = bytes(1 + (width * bits + 7) // 8)  # filter byte, then the pixels
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, bits, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize(
    ("width", "height", "bits"),
    [
        (10_000, 10_000, 8),  # 100 megapixels: over Pillow's limit, where it only warns and decodes on
        (20_000, 20_000, 1),  # 400 megapixels: over twice the limit, where Pillow raises
    ],
)
@pytest.mark.parametrize("command", ["audio", "spectrogram"])
def test_a_decompression_bomb_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], width: int, height: int, bits: int, command: str
) -> None:
    bomb = bomb_png(tmp_path / "bomb.png", width, height, bits)
    assert bomb.stat().st_size < 500_000
    status = main([command, str(bomb), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("riffcut: bomb.png ")
    if command == "audio":
        assert f"more than {Image.MAX_IMAGE_PIXELS:,} pixels" in err and "decompression bombs" in err
    else:  # a picture is not sound
        assert "not a sound file" in err
    assert not (tmp_path / "out").exists()
