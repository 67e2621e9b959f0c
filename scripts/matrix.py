"""Run the whole test suite on every Python found, with the lowest and the newest dependency versions.

    python scripts/matrix.py                       # every Python 3.10-3.14 found x {lowest, newest}
    python scripts/matrix.py --python 3.13 --deps lowest
    python scripts/matrix.py --run default:newest --run oldest:lowest --run newest:newest   # CI

Interpreters are found the usual way: ``pythonX.Y`` on PATH, else pyenv's installed versions
(``$(pyenv root)/versions/X.Y.*``); a version found nowhere gets a line saying so. Each run gets its
own virtualenv under ``.matrix/`` made by uv (never a downloaded interpreter):

* newest: the package with every extra and the ``test`` group, resolved to the newest releases;
* lowest: the same with ``--resolution lowest-direct``, so every direct dependency is at the floor
  pyproject.toml declares (the test group is pinned exactly, so only the package's floors move).

Standard library only, so it runs before anything is installed. The exit status is non-zero when
any run fails, a required interpreter is missing, or an environment cannot be built.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MATRIX_DIR = ROOT / ".matrix"
SUPPORTED = ("3.10", "3.11", "3.12", "3.13", "3.14")
# The packages whose versions the README's compatibility table reports.
REPORTED = ("langchain-core", "langchain", "langgraph", "llama-index-core", "httpx", "pydantic")
README_START = "<!-- compatibility-table:start (written by `make matrix`) -->"
README_END = "<!-- compatibility-table:end -->"


@dataclass
class Run:
    python: str
    deps: str
    exe: str | None = None
    status: str = "not run"
    summary: str = ""
    versions: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def name(self) -> str:
        return f"{self.python}-{self.deps}"


def _version_of(exe: str) -> str | None:
    try:
        out = subprocess.run(
            [exe, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _pyenv_candidates(minor: str) -> list[str]:
    root = os.environ.get("PYENV_ROOT")
    if not root and shutil.which("pyenv"):
        out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, timeout=30)
        root = out.stdout.strip() if out.returncode == 0 else None
    if not root:
        return []
    versions = Path(root) / "versions"
    found = []
    for d in versions.glob(f"{minor}.*"):
        m = re.fullmatch(rf"{re.escape(minor)}\.(\d+)", d.name)  # final releases only, no 3.13.0t etc.
        exe = d / "bin" / f"python{minor}"
        if m and exe.is_file():
            found.append((int(m.group(1)), str(exe)))
    return [exe for _, exe in sorted(found, reverse=True)]


def find_python(minor: str) -> tuple[str, str] | None:
    """(executable, full version) of a CPython ``minor`` found on PATH or through pyenv."""
    candidates = []
    on_path = shutil.which(f"python{minor}")
    if on_path:
        candidates.append(on_path)  # a pyenv shim for a version not selected fails the probe below
    candidates += _pyenv_candidates(minor)
    for exe in candidates:
        version = _version_of(exe)
        if version and version.rsplit(".", 1)[0] == minor:
            return exe, version
    return None


def find_uv() -> str:
    here = Path(sys.executable).parent / "uv"
    if here.is_file():
        return str(here)
    found = shutil.which("uv")
    if not found:
        sys.exit("matrix: uv not found (it is in the `release` dependency group: `make matrix` installs it)")
    return found


def _sh(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> int:
    with log.open("a", encoding="utf-8") as fh:
        fh.write("$ " + " ".join(cmd) + "\n")
        fh.flush()
        return subprocess.run(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, env=env).returncode


def build_env(uv: str, run: Run, log: Path) -> str | None:
    venv = MATRIX_DIR / run.name
    env = dict(os.environ, UV_PYTHON_DOWNLOADS="never", VIRTUAL_ENV=str(venv))
    if _sh([uv, "venv", "--quiet", "--clear", "--python", run.exe or "", str(venv)], log, env) != 0:
        return None
    py = str(venv / "bin" / "python")
    install = [uv, "pip", "install", "--quiet", "--python", py, "-e", ".[all]", "--group", "test"]
    if run.deps == "lowest":
        install += ["--resolution", "lowest-direct"]
    if _sh(install, log, env) != 0:
        return None
    return py


def installed_versions(py: str) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json, sys\n"
        f"names = {list(REPORTED)!r}\n"
        "out = {}\n"
        "for n in names:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: out[n] = '-'\n"
        "print(json.dumps(out))\n"
    )
    import json

    out = subprocess.run([py, "-c", code], capture_output=True, text=True, timeout=120)
    return json.loads(out.stdout) if out.returncode == 0 else {}


def _default_sigint() -> None:
    # A job started in the background by a non-interactive shell inherits SIGINT ignored, and a
    # Python started that way never raises KeyboardInterrupt: the tests that stop the emulator's
    # CLI with SIGINT (as Ctrl-C would) need the default disposition back.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


_SUMMARY = re.compile(r"^=+ (.+ in [\d.]+s.*?) =+$", re.M)


def run_suite(py: str, run: Run, log: Path, pytest_args: list[str]) -> int:
    # The README-table tests check this script's output, which does not exist until every run passed.
    cmd = [py, "-m", "pytest", "-q", "-m", "not packaging and not matrix_table", *pytest_args]
    start = time.monotonic()
    with log.open("a", encoding="utf-8") as fh:
        fh.write("$ " + " ".join(cmd) + "\n")
        fh.flush()
        proc = subprocess.run(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=_default_sigint
        )
        fh.write(proc.stdout)
    run.seconds = time.monotonic() - start
    tail = proc.stdout.strip().splitlines()[-1:] if proc.stdout.strip() else [""]
    m = _SUMMARY.search(proc.stdout)
    run.summary = m.group(1) if m else tail[0].strip("= ")
    return proc.returncode


def resolve_runs(args: argparse.Namespace) -> tuple[list[Run], list[str]]:
    """The runs to make, and a line for each interpreter that could not be found."""
    found: dict[str, tuple[str, str]] = {}
    missing: list[str] = []
    for minor in SUPPORTED:
        hit = find_python(minor)
        if hit:
            found[minor] = hit
    if args.run:
        pairs = []
        present = sorted(found, key=lambda v: tuple(map(int, v.split("."))))
        for spec in args.run:
            which, _, deps = spec.partition(":")
            if deps not in ("lowest", "newest"):
                sys.exit(f"matrix: --run {spec!r}: expected PYTHON:lowest or PYTHON:newest")
            if which == "default":
                version = _version_of(sys.executable) or ""
                which = version.rsplit(".", 1)[0]
            elif which in ("oldest", "newest"):
                if not present:
                    sys.exit("matrix: no supported Python found")
                which = present[0] if which == "oldest" else present[-1]
            pairs.append((which, deps))
        required = True
    else:
        pythons = args.python or list(SUPPORTED)
        pairs = [(p, d) for p in pythons for d in args.deps]
        required = bool(args.python)
    runs = []
    for minor, deps in pairs:
        if minor not in found:
            line = f"python{minor}: not found on PATH or in pyenv -- its runs are not made"
            if line not in missing:
                missing.append(line)
            if required:
                runs.append(Run(minor, deps, status="MISSING"))
            continue
        exe, version = found[minor]
        runs.append(Run(minor, deps, exe=exe, versions={"python": version}))
    return runs, missing


def table(runs: list[Run]) -> str:
    cols = ["Python", "deps", *REPORTED, "result"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in runs:
        cells = [r.versions.get("python", r.python), r.deps, *(r.versions.get(n, "-") for n in REPORTED), r.summary]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def update_readme(runs: list[Run]) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        sys.exit("matrix: README.md has no compatibility-table markers")
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(f"{head}{README_START}\n{table(runs)}\n{README_END}{tail}", encoding="utf-8")
    print("matrix: README.md compatibility table written")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", nargs="+", choices=SUPPORTED, help="minor versions (default: all found)")
    parser.add_argument("--deps", nargs="+", choices=("lowest", "newest"), default=["lowest", "newest"])
    parser.add_argument(
        "--run", action="append", help="PYTHON:DEPS, PYTHON a minor version or default/oldest/newest (repeatable)"
    )
    parser.add_argument("--update-readme", action="store_true", help="write the README table when all pass")
    parser.add_argument("--jobs", type=int, default=1, help="runs at once (default 1)")
    parser.add_argument("pytest_args", nargs="*", help="after --: passed to pytest")
    args = parser.parse_args(argv)

    runs, missing = resolve_runs(args)
    for line in missing:
        print(f"matrix: {line}", flush=True)
    uv = find_uv()
    MATRIX_DIR.mkdir(exist_ok=True)

    def one(run: Run) -> bool:
        """Build the run's environment and run the suite in it; True when it passed."""
        if run.status == "MISSING":
            return False
        log = MATRIX_DIR / f"{run.name}.log"
        log.write_text("", encoding="utf-8")
        print(f"matrix: {run.name}: Python {run.versions['python']} ({run.exe}), building env ...", flush=True)
        py = build_env(uv, run, log)
        if py is None:
            run.status, run.summary = "ENV FAILED", f"environment not built, see {log}"
            ok = False
        else:
            run.versions.update(installed_versions(py))
            code = run_suite(py, run, log, args.pytest_args)
            run.status = "ok" if code == 0 else f"FAILED (pytest exit {code})"
            ok = code == 0
        deps = ", ".join(f"{n} {run.versions.get(n, '-')}" for n in REPORTED)
        print(f"matrix: {run.name}: {run.status}: {run.summary} [{run.seconds:.0f}s] ({deps})", flush=True)
        return ok

    # The suite mostly waits (loopback servers, timeouts), so a few runs at once share 2 cores well.
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(one, runs))
    failed = not all(results)

    print("\nmatrix summary:")
    for run in runs:
        print(f"  {run.name:<12} {run.versions.get('python', '-'):<8} {run.status:<22} {run.summary}")
    for line in missing:
        print(f"  {line}")
    if args.update_readme and not failed:
        update_readme(runs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
