"""The CLI's checks of what it is given, made before any work, each refused in one sentence (exit 2).

- Numbers are read here rather than by argparse, so that a bad one gets a sentence of its own: `--parts abc` is
  not a whole number, `--parts 99999999999999999999` is too many (over MAX_PARTS), not a bad number.
- Files to read: there, a file (not a folder), readable.
- Files and folders to write: not a folder where a file is wanted (nor a file where a folder is), and their
  folder (or the nearest one that exists) takes new files: tried with a nameless temporary file that leaves
  nothing behind, so a read-only folder, /proc or /sys is refused before any work, whoever runs the command.

Nothing here creates a file or a folder. Imports stay light (`riffcut --help` and `riffcut probe` start fast).
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

from engine.errors import BadInput, LimitExceeded, Refusal
from engine.media_limits import Limit

NOT_WHOLE = Refusal("cli_not_whole", "{flag} must be a whole number; '{value}' is not.")
BELOW_ONE = Refusal("cli_below_one", "{flag} must be at least 1; {value} is not.")
NOT_A_NUMBER = Refusal("cli_not_a_number", "{flag} must be a number; '{value}' is not.")
TOO_MANY_PARTS_FLAG = Refusal(
    "cli_too_many_parts",
    "--parts {value} is too many: the most is {allowed} (MAX_PARTS; --no-limits lifts it for local use).",
)
NO_FILE = Refusal("cli_no_file", "There is no file at {path}.")
IS_A_FOLDER = Refusal("cli_is_a_folder", "{path} is a folder, not a file.")
UNREADABLE = Refusal("cli_unreadable", "{path} cannot be read ({reason}); check its permissions.")
OUT_IS_A_FOLDER = Refusal(
    "cli_out_is_a_folder", "{flag} {path} is a folder; give a file name, such as {path}/{example}."
)
OUT_IS_A_FILE = Refusal("cli_out_is_a_file", "{flag} must be a folder; {path} is a file.")
OUT_READ_ONLY_FOLDER = Refusal(
    "cli_out_read_only_folder", "{flag} {path} is a folder, and takes no new files ({reason}); choose another place."
)
OUT_UNDER_A_FILE = Refusal("cli_out_under_a_file", "{flag} {path} cannot be made: {parent} is a file, not a folder.")
OUT_NOT_WRITABLE = Refusal(
    "cli_out_not_writable",
    "{flag} {path} cannot be written: the folder {folder} does not take new files ({reason}); choose another place.",
)
OUT_FILE_NOT_WRITABLE = Refusal(
    "cli_out_file_not_writable", "{flag} {path} cannot be overwritten ({reason}); choose another place."
)
SAME_OUTPUT_TWICE = Refusal("cli_same_output_twice", "{flag} and {other} name the same file, {path}.")


# --- numbers -------------------------------------------------------------------------------------------


def whole_number(text: str, flag: str) -> int:
    """A whole number as written (any size: a huge one is too many, not malformed); BadInput otherwise."""
    try:
        return int(text.strip())
    except ValueError:
        raise BadInput(NOT_WHOLE, flag=flag, value=text) from None


def parse_parts(text: str, max_parts: int | None) -> int:
    """`--parts`: a whole number, at least 1, at most `max_parts` (MAX_PARTS; None: no limit)."""
    value = whole_number(text, "--parts")
    if value < 1:
        raise BadInput(BELOW_ONE, flag="--parts", value=value)
    if max_parts is not None and value > max_parts:
        raise LimitExceeded(TOO_MANY_PARTS_FLAG, limit=Limit.PARTS, value=value, allowed=max_parts)
    return value


def parse_float(text: str | None, flag: str) -> float | None:
    """A finite number, or None when the flag was not given; its range is the caller's (or the option's) to check."""
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        raise BadInput(NOT_A_NUMBER, flag=flag, value=text) from None
    if not math.isfinite(value):
        raise BadInput(NOT_A_NUMBER, flag=flag, value=text)
    return value


def parse_int(text: str | None, flag: str) -> int | None:
    return None if text is None else whole_number(text, flag)


# --- files to read ----------------------------------------------------------------------------------------


def readable_file(text: str | Path) -> Path:
    """An existing file this process can read (opened and closed at once)."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise BadInput(IS_A_FOLDER, path=str(text))
    if not path.exists():
        raise BadInput(NO_FILE, path=str(text))
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise BadInput(UNREADABLE, path=str(text), reason=_reason(exc)) from None
    return path


# --- files and folders to write ---------------------------------------------------------------------------


def _reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


def _nearest_existing(path: Path, flag: str) -> Path:
    """The folder `path` would be made in: itself or its nearest ancestor that exists (which must be a folder)."""
    for folder in (path, *path.parents):
        if folder.exists():
            if not folder.is_dir():
                raise BadInput(OUT_UNDER_A_FILE, flag=flag, path=str(path), parent=str(folder))
            return folder
    return Path.cwd()


def _takes_new_files(folder: Path, flag: str, path: Path) -> None:
    try:
        with tempfile.TemporaryFile(dir=folder):  # nameless where the system allows it; removed at once otherwise
            pass
    except OSError as exc:
        raise BadInput(OUT_NOT_WRITABLE, flag=flag, path=str(path), folder=str(folder), reason=_reason(exc)) from None


def writable_file(text: str | Path, flag: str, example: str = "out") -> Path:
    """Where a command will write a file: not a folder, and the place takes it (nothing is made here)."""
    path = Path(text).expanduser()
    if path.is_dir():
        try:
            _takes_new_files(path, flag, path)
        except BadInput as refused:
            reason = str(refused.values["reason"])
            raise BadInput(OUT_READ_ONLY_FOLDER, flag=flag, path=str(text), reason=reason) from None
        raise BadInput(OUT_IS_A_FOLDER, flag=flag, path=str(text), example=example)
    if path.exists():
        if not os.access(path, os.W_OK):
            raise BadInput(OUT_FILE_NOT_WRITABLE, flag=flag, path=str(text), reason="it is read-only")
        folder = path.parent
    else:
        folder = _nearest_existing(path.parent, flag)
    _takes_new_files(folder, flag, path)
    return path


def writable_folder(text: str | Path, flag: str) -> Path:
    """Where a command will write files: a folder (made later if it is not there yet) that takes them."""
    path = Path(text).expanduser()
    if path.exists() and not path.is_dir():
        raise BadInput(OUT_IS_A_FILE, flag=flag, path=str(text))
    _takes_new_files(_nearest_existing(path, flag), flag, path)
    return path


def distinct(outputs: dict[str, Path | None]) -> None:
    """No two output flags name the same file."""
    seen: dict[Path, str] = {}
    for flag, path in outputs.items():
        if path is None:
            continue
        key = path.resolve()
        if key in seen:
            raise BadInput(SAME_OUTPUT_TWICE, flag=seen[key], other=flag, path=str(path))
        seen[key] = flag
