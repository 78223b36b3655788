"""The engine's refusals: every sentence it may say no with, by code, in English (see `engine.errors.Refusal`).

Values are raw: file names, numbers in seconds, setting names. Setting refusals also carry `setting` (the name
used by `/set`), so a translation can name the setting and its allowed values in its own words.
"""

from __future__ import annotations

from engine.errors import Refusal

# --- files and videos (engine.ffmpeg_process, engine.probe) ---------------------------------------------------
NO_SUCH_FILE = Refusal("no_such_file", "There is no file at {path}.")
NOT_A_FILE = Refusal("not_a_file", "{path} is not a file.")
FILE_EMPTY = Refusal("file_empty", "{name} is empty.")
FILE_IS_PLAYLIST = Refusal("file_is_playlist", "{name} is a playlist, not a video.")
FILE_IS_IMAGE = Refusal("file_is_image", "{name} is an image, not a video.")
FILE_IS_SOUND = Refusal("file_is_sound", "{name} is a sound file, not a video.")
FILE_IS_TEXT = Refusal("file_is_text", "{name} is text, not a video.")
FILE_DAMAGED = Refusal("file_damaged", "{name} is damaged or incomplete: it cannot be read as a video.")
FILE_NOT_VIDEO = Refusal(
    "file_not_video", "{name} is not a video file that can be read (MP4, MOV, MKV, WebM, AVI, TS, FLV, OGG)."
)
VIDEO_SOUND_ONLY = Refusal("video_sound_only", "{name} has sound only: it holds no video stream.")
VIDEO_NO_STREAM = Refusal("video_no_stream", "{name} has no video: it holds no video stream.")
VIDEO_UNREADABLE = Refusal("video_unreadable", "{name} is damaged: its video cannot be read ({detail}).")
VIDEO_NO_FRAMES = Refusal("video_no_frames", "{name} is damaged: its video stream holds no frames.")
VIDEO_TRUNCATED = Refusal(
    "video_truncated",
    "{name} is damaged or cut off: it says it lasts {stated!T} but its video stops after {duration:.2f} s.",
)
VIDEO_NO_SIZE = Refusal("video_no_size", "{name} is damaged: its video has no picture size.")
PART_UNREADABLE = Refusal("part_unreadable", "{name} cannot be read as a video ({detail}).")

# --- sound (engine.sound_read, engine.audio_io, engine.remux) ------------------------------------------------
NO_SOUND = Refusal("no_sound", "{name} has no sound in it.")
AUDIO_UNREADABLE = Refusal(
    "audio_unreadable",
    "{name} is not a sound file that can be read (WAV, MP3, FLAC, OGG, M4A, or a video with sound).",
)
WAV_NOT_16_BIT = Refusal("wav_not_16_bit", "{name} is not 16-bit PCM WAV.")
WAV_UNREADABLE = Refusal("wav_unreadable", "{name} is not a WAV file that can be read ({detail}).")
OUTPUT_NOT_MP4 = Refusal("output_not_mp4", "The output must be an .mp4 file; {name} is not.")
KEEP_DB_OUT_OF_RANGE = Refusal(
    "keep_db_out_of_range", "The original sound's level must be {low:g} to {high:g} dB; {value:g} is not."
)
LOUDNESS_OUT_OF_RANGE = Refusal(
    "loudness_out_of_range", "The loudness target must be {low:g} to {high:g} LUFS; {value:g} is not."
)

# --- parts (engine.parts, engine.render) ----------------------------------------------------------------------
PARTS_NOT_WHOLE = Refusal("parts_not_whole", "The number of parts must be a whole number; {value} is not.")
PARTS_AT_LEAST_ONE = Refusal("parts_at_least_one", "The number of parts must be at least 1.")
PARTS_BELOW_ONE = Refusal("parts_below_one", "The number of parts must be at least 1; for this video use {counts!R}.")
VIDEO_TOO_SHORT_TO_SPLIT = Refusal(
    "video_too_short_to_split",
    "The video lasts {duration:.2f} s, too short to split: every part must last at least {min_s!S}.",
)
VIDEO_TOO_LONG_TO_SPLIT = Refusal(
    "video_too_long_to_split",
    "The video lasts {duration!T}, too long for any number of parts between {min_s!S} and {max_s!S} each.",
)
PARTS_TOO_SHORT = Refusal(
    "parts_too_short",
    "{count} parts of {each:.2f} s each would be too short (parts must last {min_s:g} to {max_s:g} s); "
    "for this {duration:.2f} s video use {counts!R}.",
)
PARTS_TOO_LONG = Refusal(
    "parts_too_long",
    "{count} parts of {each:.2f} s each would be too long (parts must last {min_s:g} to {max_s:g} s); "
    "for this {duration:.2f} s video use {counts!R}.",
)
VIDEO_TOO_LONG_FOR_MAX_PARTS = Refusal(
    "video_too_long_for_max_parts",
    "The video lasts {duration!T}, too long for {max_parts} parts (the most accepted) of at most {max_s!S} each.",
)
PART_NOT_WHOLE = Refusal("part_not_whole", "The chosen part must be a whole number from 1 to {parts}; {value} is not.")
PART_OUT_OF_RANGE = Refusal("part_out_of_range", "The chosen part must be from 1 to {parts}; there is no part {part}.")

# --- the operator's limits (engine.media_limits): LimitExceeded, whose values are also `limit` (the setting's
# name), `value` (the input's) and `allowed` (the limit); `what` is the file's name, or "The video" ------------
VIDEO_TOO_LONG = Refusal("video_too_long", "{what} lasts {value!T}; the longest video accepted is {allowed!T}.")
VIDEO_TOO_MANY_FRAMES = Refusal(
    "video_too_many_frames", "{what} has {value:,} frames; the most accepted is {allowed:,}."
)
VIDEO_FRAMES_OVER_LIMIT = Refusal(
    "video_frames_over_limit", "{what} has more than {allowed:,} frames; the most accepted is {allowed:,}."
)
VIDEO_TOO_MANY_PIXELS = Refusal(
    "video_too_many_pixels",
    "{what} is {width}x{height} pixels ({value!M}); the largest picture accepted is {allowed!M}.",
)
VIDEO_SIDE_TOO_LONG = Refusal(
    "video_side_too_long", "{what} is {width}x{height} pixels; no side may be longer than {allowed} pixels."
)
VIDEO_SIDE_TOO_SHORT = Refusal(
    "video_side_too_short", "{what} is {width}x{height} pixels; each side must be at least {allowed} pixels."
)
VIDEO_TOO_ELONGATED = Refusal(
    "video_too_elongated",
    "{what} is {width}x{height} pixels, {ratio:g} times as long as it is wide; the most accepted is {allowed:g} to 1.",
)
TOO_MANY_PARTS = Refusal("too_many_parts", "{value} parts are too many; the most accepted is {allowed}.")
PROBE_TOO_SLOW = Refusal(
    "probe_too_slow",
    "{what} took longer than {allowed:g} s to read, the most a video may take to be checked; it may be damaged.",
)

# --- the machine (engine.host_check): MissingTool -----------------------------------------------------------
_INSTALL_FFMPEG = "install FFmpeg 5.1 or later (Debian 12: apt-get install ffmpeg), or put it first on PATH"
FFMPEG_NOT_FFMPEG = Refusal("ffmpeg_not_ffmpeg", "{tool} on PATH does not say it is FFmpeg; " + _INSTALL_FFMPEG + ".")
FFMPEG_MISSING = Refusal("ffmpeg_missing", "{ffmpeg} and {ffprobe} are not both on PATH; " + _INSTALL_FFMPEG + ".")
FFMPEG_TOO_OLD = Refusal(
    "ffmpeg_too_old", "ffmpeg {version} is too old: Riffcut needs FFmpeg 5.1 or later; " + _INSTALL_FFMPEG + "."
)
NO_SUCH_CUDA_DEVICE = Refusal(
    "no_such_cuda_device", "DEVICE={device}, but this machine has {count} CUDA device(s): cuda:0 to cuda:{last}."
)

# --- settings (engine.options) --------------------------------------------------------------------------------
SETTING_UNKNOWN = Refusal("setting_unknown", "There is no setting '{name}'. Settings: {names}.")
SETTING_NOT_A_NUMBER = Refusal("setting_not_a_number", "{title} must be {allowed}; '{value}' is not a number.")
SETTING_INVALID = Refusal("setting_invalid", "{title} must be {allowed}.")
SETTING_NOT_WHOLE = Refusal("setting_not_whole", "{title} must be a whole number: {allowed}.")
SETTING_OUT_OF_RANGE = Refusal("setting_out_of_range", "{title} must be {allowed}; {value:g} is out of range.")
SETTING_NOT_ON_OFF = Refusal("setting_not_on_off", "{title} must be on or off; '{value}' is neither.")
SETTING_NOT_BOOL = Refusal("setting_not_bool", "{title} must be on or off.")
SETTING_NOT_A_CHOICE = Refusal("setting_not_a_choice", "{title} must be one of {allowed}.")
NEGATIVE_NOT_TEXT = Refusal("negative_not_text", "Negative prompt must be text.")
NEGATIVE_TOO_MANY_CHARS = Refusal(
    "negative_too_many_chars", "Negative prompt must be at most {limit} characters; it has {count}."
)

# --- music (engine.generator, engine.spectrogram) -------------------------------------------------------------
PROMPT_EMPTY = Refusal("prompt_empty", "The prompt is empty: describe the music in a few words.")
PROMPT_TOO_LONG = Refusal(
    "prompt_too_long",
    "The prompt is too long: it makes {count} tokens and the model takes at most {limit} "
    "(start and end included); shorten it.",
)
NEGATIVE_TOO_LONG = Refusal(
    "negative_too_long",
    "The negative prompt is too long: it makes {count} tokens and the model takes at most {limit} "
    "(start and end included); shorten it.",
)
MUSIC_TOO_SHORT = Refusal("music_too_short", "The music must last more than 0 seconds.")
IMAGE_WIDTH_TOO_NARROW = Refusal(
    "image_width_too_narrow", "MAX_IMAGE_WIDTH {width} is too narrow to join windows; use at least 64."
)
REMIX_NO_SOUND = Refusal("remix_no_sound", "This part has no sound, so it cannot be remixed; turn remix off.")
REMIX_SILENT = Refusal("remix_silent", "This part is silent, so it cannot be remixed; turn remix off.")
REMIX_TOO_FEW_STEPS = Refusal(
    "remix_too_few_steps",
    "Remix strength {strength:g} with {steps} steps runs no diffusion step "
    "(img2img runs steps x strength of them): use at least {min_steps} steps.",
)
CHAINED_TOO_FEW_STEPS = Refusal(
    "chained_too_few_steps", "Chained windows run img2img at strength {strength:g}: use at least {min_steps} steps."
)
SPECTROGRAM_OTHER_PARAMETERS = Refusal(
    "spectrogram_other_parameters",
    "This spectrogram was made with other parameters (EXIF tag {tag} is {found}, expected {expected}); "
    "only the Riffusion format can be decoded.",
)
AUDIO_TOO_SHORT_FOR_SPECTROGRAM = Refusal(
    "audio_too_short_for_spectrogram", "The audio is too short to make a spectrogram of."
)
IMAGE_NOT_RGB = Refusal("image_not_rgb", "This image is not a spectrogram: it needs three colour channels.")
IMAGE_WRONG_HEIGHT = Refusal(
    "image_wrong_height",
    "This image is not a Riffusion spectrogram: it is {height} pixels high, and a spectrogram is {expected} high.",
)
SPECTROGRAM_TOO_NARROW = Refusal(
    "spectrogram_too_narrow", "This spectrogram is too narrow to decode: it needs at least 2 columns."
)
IMAGE_MISSING = Refusal("image_missing", "There is no file {path}.")
IMAGE_TOO_LARGE = Refusal(
    "image_too_large",
    "{name} is too large an image to open: more than {limit:,} pixels (Pillow's limit against decompression bombs).",
)
IMAGE_UNREADABLE = Refusal("image_unreadable", "{name} is not an image that can be read ({detail}).")
