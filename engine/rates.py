"""The engine's two sample rates.

`FORMAT_RATE` is the rate in the Riffusion image format's definition (../shared/riffusion-format.md): images say
44100 in their EXIF, and the format's numbers (hop 441, window 4410, FFT 17640) are counted at it. The codec
works at any rate with the same durations (engine/stft.py), so sound never has to be at this rate.

`OUTPUT_RATE` is the rate of the engine's sound: what the generator returns, what `audio_io.write_wav` writes
and `audio_io.decode_audio` reads by default, and what the remux writes into the video (AAC at 48 kHz), so the
music is resampled once, inside the codec, and never again.
"""

from __future__ import annotations

FORMAT_RATE = 44100
OUTPUT_RATE = 48000
