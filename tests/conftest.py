"""Shared fixtures: keep the developer's home and cache out of tests; a fast deterministic embedder by default.

Isolation works at two levels:
- for the whole session (from `pytest_sessionstart`, before any fixture of any scope is set up, and inherited by
  every subprocess), HOME and the XDG folders point into a throw-away sandbox, and the developer's real
  `corpus-qa` cache is fingerprinted; at the end of the session a changed fingerprint fails the run;
- for each test, `isolated_env` gives a fresh XDG_CACHE_HOME of its own. Only its `corpus-qa/models` folder (the
  weights-hash memo and the ONNX question encoder, both derived from the installed model) and `corpus-qa/words`
  (the English word list, sorted: qa/terms.py) are shared with the rest of the session, so the real model is
  loaded and the encoder exported once per session (`minilm`, `onnx_export`), like sentence-transformers'
  session-scoped model fixtures, and the word list parsed once.
"""

from __future__ import annotations

import inspect
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
DATA = Path(__file__).resolve().parent / "data"


def qa_variables() -> list[str]:
    """Every QA_* variable set now: any of them changes what a command does (QA_WHERE scopes every
    answer, QA_STORE moves the index), so tests start without all of them, not a list that goes stale."""
    return [name for name in os.environ if name.startswith("QA_")]


def _real_cache_dirs() -> tuple[Path, ...]:
    """Every place the developer's own corpus-qa cache may be, as seen before the session changes anything."""
    dirs = [Path(pwd.getpwuid(os.getuid()).pw_dir) / ".cache" / "corpus-qa"]
    if os.environ.get("HOME"):
        dirs.append(Path(os.environ["HOME"]) / ".cache" / "corpus-qa")
    if os.environ.get("XDG_CACHE_HOME"):
        dirs.append(Path(os.environ["XDG_CACHE_HOME"]) / "corpus-qa")
    return tuple(dict.fromkeys(d.absolute() for d in dirs))


REAL_CACHES = _real_cache_dirs()
"""The developer's real caches: tests must never write there (checked at the end of the session)."""


def fingerprint(root: Path) -> dict[str, tuple[int, int, int]] | None:
    """(inode, size, mtime) of everything under `root`, or None if it does not exist. Read-only: stat calls."""
    if not os.path.lexists(root):
        return None
    out = {}
    for path in [root, *root.rglob("*")]:
        st = path.lstat()
        out[str(path.relative_to(root))] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return out


def changed_entries(before: dict | None, after: dict | None) -> list[str]:
    """What differs between two fingerprints of one folder, as readable lines."""
    if before is None or after is None:
        return [] if before == after else ["(folder created)" if before is None else "(folder removed)"]
    return sorted(
        [f"added {p}" for p in after.keys() - before.keys()]
        + [f"removed {p}" for p in before.keys() - after.keys()]
        + [f"modified {p}" for p in before.keys() & after.keys() if before[p] != after[p]]
    )


@dataclass
class Sandbox:
    """The session's stand-in for the developer's home."""

    root: Path
    """Everything the session writes outside pytest's tmp paths goes under here; removed at the end."""
    home: Path
    """HOME for the session."""
    cache: Path
    """XDG_CACHE_HOME for the session (and session-scoped fixtures)."""
    models: Path
    """`<cache>/corpus-qa/models`, shared with every test's own cache."""
    real_before: dict[Path, Any]
    """Fingerprints of REAL_CACHES at the start."""
    patch: pytest.MonkeyPatch
    """Undoes the environment changes at the end."""


_SANDBOX = pytest.StashKey[Sandbox]()


def pytest_sessionstart(session: pytest.Session) -> None:
    root = Path(tempfile.mkdtemp(prefix="corpus-qa-tests-"))
    home, cache = root / "home", root / "home" / ".cache"
    models = cache / "corpus-qa" / "models"
    models.mkdir(parents=True)
    (cache / "corpus-qa" / "words").mkdir()
    patch = pytest.MonkeyPatch()
    patch.setenv("HOME", str(home))
    patch.setenv("XDG_CACHE_HOME", str(cache))
    patch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    patch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    for var in qa_variables():
        patch.delenv(var, raising=False)
    patch.setenv("QA_EMBEDDER", "hash")
    session.config.stash[_SANDBOX] = Sandbox(root, home, cache, models,
                                             {d: fingerprint(d) for d in REAL_CACHES}, patch)


_STARTS_A_PROCESS = re.compile(r"qa_command\(|popen_interruptible\(|subprocess\.(?:run|Popen|check_output|call)\(|"
                               r"\bqa\(\"(?:mcp|chat)\"|\"--(?:watch|ray)\"|mcp_session\([^)]*process=True")
"""What in a test's own body starts a process: the `subprocess` marker's rule."""


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks `subprocess` the tests whose body starts a process (`-m 'not subprocess'`: the in-process tests),
    and puts the Milvus tests in two xdist groups, one worker each: those of the shared Milvus server (its
    session fixture starts once per run) and those of Milvus Lite (the longest chain of the suite otherwise);
    a parametrized test's local-store case joins neither."""
    for item in items:
        if item.get_closest_marker("milvus") is not None:
            callspec = getattr(item, "callspec", None)
            backend = callspec.params.get("backend") if callspec is not None else None
            if "milvus_server" in getattr(item, "fixturenames", ()) or backend == "milvus-server":
                item.add_marker(pytest.mark.xdist_group("milvus-server"))
            elif backend != "local":
                item.add_marker(pytest.mark.xdist_group("milvus-lite"))
    for item in items:
        function = getattr(item, "function", None)
        try:
            source = inspect.getsource(function) if function is not None else ""
        except (OSError, TypeError):
            continue
        if _STARTS_A_PROCESS.search(source):
            item.add_marker(pytest.mark.subprocess)


def pytest_sessionfinish(session: pytest.Session) -> None:
    sandbox = session.config.stash.get(_SANDBOX, None)
    if sandbox is None:
        return
    sandbox.patch.undo()
    leaks = [f"{d}: {line}" for d, before in sandbox.real_before.items()
             for line in changed_entries(before, fingerprint(d))]
    shutil.rmtree(sandbox.root, ignore_errors=True)
    if leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = ["The test run changed the developer's real corpus-qa cache (tests must write to temporary "
                 "folders only):", *leaks,
                 "(A `qa` command run outside the tests at the same time would also show up here.)"]
        if reporter is not None:
            reporter.write_sep("=", "REAL CACHE MODIFIED", red=True, bold=True)
            for line in lines:
                reporter.write_line(line, red=True)
        else:
            print("\n".join(lines), file=sys.stderr)


@pytest.fixture(scope="session")
def sandbox(request: pytest.FixtureRequest) -> Sandbox:
    return request.config.stash[_SANDBOX]


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox) -> Path:
    """Every test gets its own cache folder and the hash embedder unless it asks for the real model.

    The cache's `corpus-qa/models` is the session's (derived from the installed model only), so the ONNX
    question encoder exported by `onnx_export` serves every test and subprocess."""
    cache = tmp_path_factory.mktemp("cache")
    (cache / "corpus-qa").mkdir()
    (cache / "corpus-qa" / "models").symlink_to(sandbox.models, target_is_directory=True)
    (cache / "corpus-qa" / "words").symlink_to(sandbox.models.parent / "words", target_is_directory=True)
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    for var in qa_variables():  # every QA_* setting of the developer's shell (QA_WHERE, QA_STORE, ...)
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("QA_EMBEDDER", "hash")
    return cache


# -- the real model, once per session ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def minilm(sandbox: Sandbox):  # type: ignore[no-untyped-def]
    """The bundled all-MiniLM-L6-v2 at the default precision (what users run), loaded once per session."""
    from index.embedding import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    embedder.load()
    return embedder


@pytest.fixture(scope="session")
def minilm_fp32(minilm):  # type: ignore[no-untyped-def]
    """The same model in fp32 (the parity reference): `minilm` itself where the CPU has no bf16."""
    from index.embedding import MiniLMEmbedder

    return minilm if minilm.precision == "fp32" else MiniLMEmbedder(precision="fp32")


@dataclass(frozen=True)
class OnnxExport:
    """The session's ONNX question encoder."""

    path: Path
    """The verified export, in the session's shared models folder."""
    min_cosine: float
    """Worst cosine to the fp32 network on the export's check texts."""


ONNX_SAMPLES = ["Kazakhstan took in tens of thousands of Russian men."]


@pytest.fixture(scope="session")
def onnx_export(minilm, sandbox: Sandbox) -> OnnxExport:  # type: ignore[no-untyped-def]
    """Export the ONNX question encoder once per session, where every test's cache (and subprocess) finds it."""
    from index.embedding.onnx import verified

    assert minilm.onnx_path.parent.resolve() == sandbox.models.resolve(), "export to the session's models folder"
    warning = minilm.prepare_query_encoder(ONNX_SAMPLES)
    assert warning is None, warning
    assert verified(minilm.onnx_path) and minilm.query_backend == "onnx"
    checked = json.loads(minilm.onnx_path.with_suffix(".verified.json").read_text(encoding="utf-8"))
    return OnnxExport(minilm.onnx_path, float(checked["min_cosine"]))


# -- the fast path: hash embedder over a small corpus ----------------------------------------------------


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A small corpus: the seed article plus two short documents in a subfolder."""
    root = tmp_path / "corpus"
    root.mkdir()
    shutil.copy(SEEDS / "blinken-central-asia.txt", root / "blinken.txt")
    (root / "notes").mkdir()
    (root / "notes" / "volcanoes.md").write_text(
        "# Volcanoes\n\nMount Etna is an active volcano on the island of Sicily. It erupts often.\n\n"
        "Vesuvius destroyed Pompeii in 79 AD.\n",
        encoding="utf-8",
    )
    (root / "notes" / "tea.rst").write_text(
        "Tea\n===\n\nGreen tea is made from leaves that are not oxidised. Black tea is fully oxidised.\n",
        encoding="utf-8",
    )
    return root


@pytest.fixture
def hash_embedder():  # type: ignore[no-untyped-def]
    from index.embedding import HashEmbedder

    return HashEmbedder()


@pytest.fixture
def engine(corpus: Path, tmp_path: Path, hash_embedder):  # type: ignore[no-untyped-def]
    from qa.config import Settings
    from qa.engine import Engine

    eng = Engine(Settings.resolve(corpus, tmp_path / "index"), embedder=hash_embedder)
    for _ in eng.prepare():
        pass
    yield eng
    eng.close()


def qa_command() -> list[str]:
    """The installed `qa` console script next to this interpreter (falls back to `python -m`)."""
    script = Path(sys.executable).parent / "qa"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from tui.cli import main; main()"]


IN_A_PROCESS_OF_ITS_OWN = ("mcp", "chat")
"""Commands run as a subprocess even by `run_qa`: they serve until EOF or a signal, or own the terminal."""


def run_qa(*args: str, stdin: str | bytes | None = None, env: dict[str, str] | None = None,
           cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    """`qa ARGS` as a user runs it, with what it wrote (bytes) and its exit status; in this process through
    click's runner (about a second faster than a new interpreter), except for the commands that need a
    process of their own (`mcp`, `chat`, `--watch`, `--ray`). An exception the command lets escape is shown
    as the real `qa` shows it: a traceback on stderr, exit status 1. Tests about processes themselves
    (signals, stdin EOF, a cold start's imports) start `qa_command()` directly."""
    if (args and args[0] in IN_A_PROCESS_OF_ITS_OWN) or "--watch" in args or "--ray" in args:
        data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
        return subprocess.run([*qa_command(), *args], input=data, capture_output=True, timeout=timeout, cwd=cwd,
                              env={**os.environ, **(env or {})}, stdin=None if data is not None else subprocess.DEVNULL)
    import traceback

    from click.testing import CliRunner

    from tui.cli import cli

    here = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        result = CliRunner().invoke(cli, list(args), input=stdin if stdin is not None else b"", env=env,
                                    prog_name="qa")
    finally:
        os.chdir(here)
    stderr = result.stderr_bytes or b""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception)).encode("utf-8")
    return subprocess.CompletedProcess(["qa", *args], result.exit_code, result.stdout_bytes, stderr)


def run_qa_text(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """`run_qa`, its output decoded strictly (every byte `qa` writes must be UTF-8)."""
    out = run_qa(*args, **kwargs)
    return subprocess.CompletedProcess(out.args, out.returncode, out.stdout.decode("utf-8"),
                                       out.stderr.decode("utf-8"))


def load_questions(*names: str) -> list[dict]:
    rows = []
    for name in names:
        path = DATA / name
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def popen_interruptible(args: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
    """Start a child the test will Ctrl+C, with SIGINT handled by default in it: Python in the child then
    raises KeyboardInterrupt even when pytest runs as a background job (which ignores SIGINT, and children
    inherit an ignored signal across exec).

    No `preexec_fn`: it runs Python between fork and exec in a child of a process with gRPC, Ray and other
    threads alive, which is documented as unsafe (a child died of SIGABRT that way). The parent's own SIGINT
    disposition is given a handler for the moment of the fork instead: handlers are reset to the default by
    exec, an ignored signal is not."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(args, **kwargs)
    finally:
        signal.signal(signal.SIGINT, previous)


def clean_env(**extra: str) -> dict[str, str]:
    """The test's environment (already isolated by `isolated_env`) plus `extra`, for subprocesses."""
    env = dict(os.environ)
    env.update(extra)
    return env


# -- a local Ray, once per session ---------------------------------------------------------------------


RAY_START_ATTEMPTS = 3
"""Ray waits 30 s for its raylet to register (hard-coded in ray._private.node); on this busy 2-core machine
that has timed out. A failed start is retried, so the session waits up to 3 x 30 s before giving up."""


@pytest.fixture(scope="session")
def ray_address(sandbox: Sandbox) -> Any:  # type: ignore[misc]
    """A local Ray (2 CPUs) for the whole session, started once: its address, for `qa index --ray ADDRESS`
    subprocesses. Started lazily, by the first test that asks for it."""
    ray = pytest.importorskip("ray")
    os.environ.setdefault("RAY_raylet_start_wait_time_s", "120")  # the GCS side of the same wait
    for attempt in range(RAY_START_ATTEMPTS):
        try:
            context = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
            break
        except Exception:  # noqa: BLE001 - Ray raises a bare Exception when its node times out at start
            ray.shutdown()
            if attempt == RAY_START_ATTEMPTS - 1:
                raise
    yield context.address_info["gcs_address"]
    ray.shutdown()
