"""One set of versions everywhere: the locks agree with pyproject.toml, and every install uses them.

requirements/all.lock (every extra) is what scripts/bootstrap installs, so what the tests, CI and scripts/bot run;
requirements/gpu.lock is what the Dockerfile installs: the same versions without the dev extra, plus the CUDA
libraries of torch's CUDA build. Both are written by scripts/lock from pyproject.toml.
"""

from __future__ import annotations

import re
import shlex
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
ALL_LOCK = ROOT / "requirements" / "all.lock"
GPU_LOCK = ROOT / "requirements" / "gpu.lock"
REFRESH = "run scripts/lock, then scripts/bootstrap, and commit requirements/"
# What torch's CUDA build brings beyond its CPU build (requirements/gpu.lock only).
CUDA_RUNTIME = re.compile(r"^(nvidia-.*|cuda-.*|triton)$")


def read_lock(path: Path) -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+)", line)
        assert match, f"{path.name}: not a plain pin: {line!r} ({REFRESH})"
        pins[canonicalize_name(match.group(1))] = Version(match.group(2))
    return pins


def pyproject() -> dict[str, list[Requirement]]:
    """Requirements of pyproject.toml by group: "" for the dependencies, then one per extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    groups = {"": project["dependencies"], **project["optional-dependencies"]}
    return {name: [Requirement(text) for text in texts] for name, texts in groups.items()}


def applies(requirement: Requirement, extras: set[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in extras or {""})


def unmet(requirements: list[Requirement], pins: dict[str, Version], extras: frozenset[str] = frozenset()) -> list[str]:
    problems = []
    for requirement in requirements:
        if not applies(requirement, set(extras)):
            continue
        pinned = pins.get(canonicalize_name(requirement.name))
        if pinned is None:
            problems.append(f"{requirement} is not in the lock")
        elif not requirement.specifier.contains(pinned, prereleases=True):
            problems.append(f"{requirement} is not met by the lock's {pinned}")
    return problems


def test_lock_pins_every_dependency_of_pyproject_within_its_range() -> None:
    pins = read_lock(ALL_LOCK)
    problems = [problem for requirements in pyproject().values() for problem in unmet(requirements, pins)]
    assert not problems, f"requirements/all.lock is out of date with pyproject.toml: {'; '.join(problems)}: {REFRESH}"


def closure_unmet(requirements: list[Requirement], pins: dict[str, Version]) -> list[str]:
    """What `requirements` pull in, through each installed package's own requirements (with the extras asked of
    it), that `pins` lacks or pins outside the range asked."""
    problems: list[str] = []
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [(requirement, frozenset(requirement.extras)) for requirement in requirements]
    while todo:
        requirement, extras = todo.pop()
        name = canonicalize_name(requirement.name)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            problems.append(f"{name} is not installed (run scripts/bootstrap)")
            continue
        children = [child for child in map(Requirement, requires) if applies(child, set(extras))]
        problems += [f"{problem} (for {name})" for problem in unmet(children, pins, extras)]
        todo += [(child, frozenset(child.extras)) for child in children]
    return problems


def test_locks_hold_every_package_pulled_in() -> None:
    groups = pyproject()
    for lock, wanted in ((ALL_LOCK, list(groups)), (GPU_LOCK, ["", "postgres", "scale"])):
        problems = closure_unmet([r for name in wanted for r in groups[name]], read_lock(lock))
        assert not problems, f"{lock.name} misses what its packages need: {'; '.join(problems)}: {REFRESH}"


def test_the_tests_run_exactly_the_lock() -> None:
    wrong = []
    for name, pinned in read_lock(ALL_LOCK).items():
        try:
            installed = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            wrong.append(f"{name} is not installed")
            continue
        if installed.public != pinned.public:  # torch's local label (+cpu, +cu130) names the build, not the release
            wrong.append(f"{name} {installed} is installed, the lock says {pinned}")
    assert not wrong, f"this environment is not requirements/all.lock: {'; '.join(wrong)}: run scripts/bootstrap"


def test_torch_is_one_release_for_every_build() -> None:
    """A local label in the lock (2.13.0+cpu) would stop the image from taking the CUDA build of that release."""
    for lock in (ALL_LOCK, GPU_LOCK):
        torch = read_lock(lock)["torch"]
        assert torch.local is None and torch >= Version("2.6"), f"{lock.name}: torch=={torch} ({REFRESH})"
    assert read_lock(ALL_LOCK)["torch"] == read_lock(GPU_LOCK)["torch"]


def test_gpu_lock_is_the_tested_versions_without_dev_plus_cuda() -> None:
    tested, image = read_lock(ALL_LOCK), read_lock(GPU_LOCK)
    differ = [
        f"{name} {image[name]} (tested: {tested[name]})"
        for name in image
        if name in tested and image[name] != tested[name]
    ]
    assert not differ, f"requirements/gpu.lock differs from all.lock: {'; '.join(differ)}: {REFRESH}"
    extra = sorted(name for name in image if name not in tested and not CUDA_RUNTIME.match(name))
    assert not extra, f"requirements/gpu.lock has packages the tests never ran: {extra}: {REFRESH}"
    assert any(name.startswith("nvidia-cuda-runtime") for name in image), "gpu.lock lacks the CUDA runtime"
    groups = pyproject()
    problems = unmet(groups[""] + groups["postgres"] + groups["scale"], image)
    assert not problems, f"requirements/gpu.lock is out of date with pyproject.toml: {'; '.join(problems)}: {REFRESH}"
    assert not {"pytest", "mypy", "ruff"} & set(image), "the image installs no dev tools"


def test_locks_are_for_this_python() -> None:
    for lock in (ALL_LOCK, GPU_LOCK):
        header = lock.read_text().splitlines()[:5]
        assert (
            f"# This file is autogenerated by pip-compile with Python {sys.version_info[0]}.{sys.version_info[1]}"
            in header
        )
        assert "#    scripts/lock" in header  # the header says how to refresh it


def shell_commands(script: Path) -> list[list[str]]:
    """The script's lines as words (continuations joined, comments dropped), enough to find pip's uses."""
    text = re.sub(r"\\\n", " ", script.read_text())
    return [shlex.split(line, comments=True) for line in text.splitlines() if shlex.split(line, comments=True)]


def pip_installs(script: Path) -> list[list[str]]:
    """The arguments after `install` of every pip call in a shell script."""
    found = []
    for words in shell_commands(script):
        for i, word in enumerate(words):
            if word == "install" and i and ("pip" in words[i - 1] or words[i - 1] == "${pip[@]}"):
                found.append(words[i + 1 :])
    return found


def test_bootstrap_installs_the_lock_and_nothing_else() -> None:
    script = ROOT / "scripts" / "bootstrap"
    assert "lock=requirements/all.lock" in script.read_text()
    installs = pip_installs(script)
    assert ["-r", "$lock"] in installs
    assert ["--no-deps", "--no-build-isolation", "-e", "."] in installs  # the project, resolving nothing
    plain = (["-r", "$lock"], ["--no-deps", "--no-build-isolation", "-e", "."])
    others = [words for words in installs if words not in plain]
    # only TORCH_INDEX_URL's: another build of the lock's own torch release
    assert all("$TORCH_INDEX_URL" in " ".join(words) and "^torch==" in " ".join(words) for words in others), others


def test_ci_and_the_readme_commands_go_through_bootstrap() -> None:
    ci = shell_commands(ROOT / ".ci" / "run")
    assert ["scripts/test"] in ci
    for script in ("test", "bot"):
        assert ["scripts/bootstrap"] in shell_commands(ROOT / "scripts" / script)
    for path in (ROOT / ".ci" / "run", ROOT / "scripts" / "test", ROOT / "scripts" / "bot"):
        assert pip_installs(path) == [], f"{path.name} installs packages itself instead of through the lock"
        assert not re.search(r"\b(uv|poetry)\b", path.read_text())


def test_diffusers_loads_through_accelerate() -> None:
    """pyproject asks for diffusers[torch]; without accelerate, diffusers warns on every load and cannot use
    low_cpu_mem_usage (engine.generator passes it)."""
    from diffusers.utils.import_utils import is_accelerate_available

    assert is_accelerate_available()
    assert any(r.name == "diffusers" and "torch" in r.extras for r in pyproject()[""])
