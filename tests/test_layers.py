"""Imports run one way: engine <- storage <- jobs <- bot <- riffcut. Every import is read from the source (`ast`),
wherever it stands: at the top, inside a function, or under `if TYPE_CHECKING:`; none may name a higher layer."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("engine", "storage", "jobs", "bot", "riffcut")  # each may import only those before it (and itself)
RANK = {name: rank for rank, name in enumerate(LAYERS)}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # the imported module, dotted and absolute
    line: int
    in_function: bool

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.target}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    if node.level == 0:
        base = node.module or ""
    else:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, *([node.module] if node.module else [])])
    # `from bot import refusals` imports the module bot.refusals (or a name of bot): both are `bot`'s layer.
    return [base] if node.module else [f"{base}.{alias.name}" for alias in node.names]


def imports_of(path: Path) -> Iterator[Import]:
    module = module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    inside = {id(child) for function in functions for child in ast.walk(function) if child is not function}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            targets = _absolute(module, path.name == "__init__.py", node)
        else:
            continue
        for target in targets:
            yield Import(module, target, node.lineno, id(node) in inside)


def project_sources() -> list[Path]:
    return sorted(path for layer in LAYERS for path in (ROOT / layer).rglob("*.py"))


def layer_of(module: str) -> str | None:
    top = module.split(".")[0]
    return top if top in RANK else None


def test_the_walk_sees_every_kind_of_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checker itself: a function-local, a TYPE_CHECKING and a relative import are all found."""
    package = tmp_path / "engine"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "sneaky.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from bot.app import build_application\n"
        "def later():\n    import riffcut.settings\n"
        "from . import words\nfrom .words import format_time\n"
    )
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    found = {(i.target, i.in_function) for i in imports_of(package / "sneaky.py")}
    assert ("bot.app", False) in found and ("riffcut.settings", True) in found
    assert ("engine.words", False) in found and ("typing", False) in found


def test_no_layer_imports_a_higher_one() -> None:
    sources = project_sources()
    assert {module_name(path).split(".")[0] for path in sources} == set(LAYERS)
    upward = [
        str(found)
        for path in sources
        for found in imports_of(path)
        if (target := layer_of(found.target)) is not None and RANK[target] > RANK[module_name(path).split(".")[0]]
    ]
    assert upward == []


def test_below_the_composition_root_nothing_reads_the_settings() -> None:
    readers = [
        str(found)
        for path in project_sources()
        for found in imports_of(path)
        if found.target.startswith("riffcut") and not found.module.startswith("riffcut")
    ]
    assert readers == []


def test_no_function_local_import_hides_the_graph() -> None:
    """Below the CLI (whose commands import what they need when they run, to start quickly), every import of the
    project stands at the top of its module, where the import graph can be read."""
    hidden = [
        str(found)
        for path in project_sources()
        for found in imports_of(path)
        if found.in_function and layer_of(found.target) is not None and not found.module.startswith("riffcut")
    ]
    assert hidden == []


def test_no_handler_module_imports_another() -> None:
    """Handlers share services (bot.submission, bot.intake, bot.prompting, ...), never each other."""
    handlers = sorted((ROOT / "bot" / "handlers").glob("*.py"))
    crossing = [
        str(found)
        for path in handlers
        for found in imports_of(path)
        if found.target.startswith("bot.handlers.") and found.target != module_name(path)
    ]
    assert len(handlers) > 5 and crossing == []
