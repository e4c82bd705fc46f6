"""The tests themselves stay out of the developer's home: every cache is temporary, and a write to the real
cache fails the run (tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REAL_CACHES, REPO, changed_entries, fingerprint


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def test_every_cache_is_temporary(isolated_env: Path, sandbox) -> None:  # type: ignore[no-untyped-def]
    from index.paths import cache_home
    from qa.config import default_index_dir

    assert cache_home() == isolated_env / "corpus-qa"
    assert _inside(Path.home(), sandbox.root)  # code that ignores XDG_CACHE_HOME still lands in the sandbox
    for real in REAL_CACHES:
        assert not _inside(cache_home(), real) and not _inside(default_index_dir(REPO / "seeds"), real)
    # subprocesses (the `qa` command) inherit the same temporary folders
    out = subprocess.run([sys.executable, "-c", "from pathlib import Path; from index.paths import cache_home; "
                          "print(cache_home()); print(Path.home())"], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [str(isolated_env / "corpus-qa"), str(Path.home())]


def test_fingerprint_sees_added_changed_and_removed_files(tmp_path: Path) -> None:
    root = tmp_path / "corpus-qa"
    assert fingerprint(root) is None
    (root / "models").mkdir(parents=True)
    (root / "models" / "weights-hashes.json").write_text("{}", encoding="utf-8")
    before = fingerprint(root)
    assert changed_entries(before, fingerprint(root)) == []
    (root / "models" / "weights-hashes.json").write_text('{"a": 1}', encoding="utf-8")
    (root / "models" / "x.onnx").write_bytes(b"x")
    assert changed_entries(before, fingerprint(root)) == [
        "added models/x.onnx", "modified models", "modified models/weights-hashes.json"]
    (root / "models" / "x.onnx").unlink()
    (root / "models" / "weights-hashes.json").unlink()
    assert "removed models/weights-hashes.json" in changed_entries(before, fingerprint(root))
    assert changed_entries(None, before) == ["(folder created)"]


def test_a_test_writing_to_the_real_cache_fails_the_session(tmp_path: Path) -> None:
    """Run a session whose only test writes into (a stand-in for) the developer's cache: the test itself passes,
    the session fails and names the file."""
    real_home = tmp_path / "real-home"
    real_cache = real_home / ".cache" / "corpus-qa"
    (real_cache / "models").mkdir(parents=True)
    (real_cache / "models" / "weights-hashes.json").write_text("{}", encoding="utf-8")
    (tmp_path / "test_leak.py").write_text(
        "import os\nfrom pathlib import Path\nfrom tests.conftest import REAL_CACHES\n\n"
        "def test_leak():\n"
        "    target = Path(os.environ['LEAK_TARGET'])\n"
        "    assert target in REAL_CACHES  # guarded: the stand-in, never the developer's own cache\n"
        "    (target / 'models' / 'leak.onnx').write_bytes(b'x')\n",
        encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CACHE_HOME", "PYTEST_ADDOPTS")}
    env.update(HOME=str(real_home), LEAK_TARGET=str(real_cache.absolute()))
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-p", "no:cacheprovider",
                          "--rootdir", str(tmp_path), str(tmp_path / "test_leak.py")],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert "1 passed" in out.stdout, out.stdout + out.stderr
    assert out.returncode == 1, out.stdout + out.stderr
    assert "REAL CACHE MODIFIED" in out.stdout and "added models/leak.onnx" in out.stdout


def test_no_qa_setting_of_the_shell_reaches_a_test() -> None:
    """A QA_WHERE (or QA_STORE, QA_THEME, ...) exported in the developer's shell changed what 8 answer tests
    saw; the autouse fixture clears every QA_* variable, whatever its name."""
    assert sorted(name for name in os.environ if name.startswith("QA_")) == ["QA_EMBEDDER"]


def test_no_test_starts_a_child_with_preexec_fn() -> None:
    """`preexec_fn` runs Python between fork and exec, unsafe in a process with gRPC and Ray threads alive
    (a child died of SIGABRT before printing anything); children get their signals set up otherwise."""
    offenders = [p.name for p in (REPO / "tests").glob("*.py") if "preexec" + "_fn=" in p.read_text(encoding="utf-8")]
    assert offenders == []
