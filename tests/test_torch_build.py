"""Which torch build is installed (qa/torch_build.py): read from package metadata, never by importing torch, shown
by `qa config`, and a warning, once, when a CUDA build sits on a machine without a GPU.

A CUDA build cannot be the tests' own torch: CI installs the CPU build, and PyPI's CUDA build is 5.5 GB with its
packages, too much to install for a test. So these tests describe one with package metadata written to a temporary
folder: a `torch` dist-info and `torch/version.py` shaped like PyPI's Linux wheel of torch 2.14.1 (no local version
label, `cuda = '13.0'` in version.py, nvidia-* and cuda-* requirements), with its CUDA packages' dist-infos. Python
finds them the way it finds installed packages (`sys.path`, or PYTHONPATH for the `qa` subprocesses), so the real
metadata reading is what runs. The shapes were copied from that wheel, installed once in a throwaway environment on
this machine, where `detect()` read it the same way and `qa index` warned once.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from dataclasses import replace
from importlib.metadata import version as installed_version
from pathlib import Path

import pytest

from qa import torch_build
from qa.torch_build import CPU_INDEX, TorchBuild, detect, find_gpu, warning_once
from tests.conftest import clean_env, qa_command

PYPI_CUDA_REQUIRES = [
    "filelock",
    "sympy>=1.13.3",
    'cuda-toolkit[cublas,cudart,cufft,nvrtc]==13.0.3; platform_system == "Linux"',
    'cuda-bindings<14,>=13.0.3; platform_system == "Linux" and python_version < "3.15"',
    'nvidia-cudnn-cu13==9.24.0.43; platform_system == "Linux"',
    'nvidia-nccl-cu13==2.30.7; platform_system == "Linux"',
    'triton~=3.8.0; platform_system == "Linux" and python_version < "3.15"',
    'optree>=0.13.0; extra == "optree"',
]
"""Requirements of PyPI's torch 2.14.1 Linux wheel (a shortened list, same forms)."""

CUDA_DISTS = {  # name -> (version, requirements, bytes)
    "cuda_toolkit": ("13.0.3.0", ['nvidia-cublas==13.1.1.3; extra == "cublas"',
                                  'nvidia-cuda-nvrtc==13.0.88; extra == "nvrtc"'], 1_000),
    "cuda_bindings": ("13.5.0", ["cuda-pathfinder~=1.1"], 20_000_000),
    "cuda_pathfinder": ("1.9.1", [], 300_000),
    "nvidia_cublas": ("13.1.1.3", [], 1_200_000_000),
    "nvidia_cuda_nvrtc": ("13.0.88", [], 200_000_000),
    "nvidia_cudnn_cu13": ("9.24.0.43", ["nvidia-cublas"], 1_000_000_000),
    "nvidia_nccl_cu13": ("2.30.7", [], 400_000_000),
    "triton": ("3.8.0", [], 500_000_000),
}
CUDA_NAMES = ("cuda-bindings", "cuda-pathfinder", "cuda-toolkit", "nvidia-cublas", "nvidia-cuda-nvrtc",
              "nvidia-cudnn-cu13", "nvidia-nccl-cu13", "triton")


def dist_info(site: Path, name: str, version: str, requires: list[str], size: int, files: list[str] = ()) -> None:
    """A distribution's metadata as pip installs it: METADATA, INSTALLER and a RECORD with file sizes."""
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    lines = [f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: {version}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    (info / "METADATA").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (info / "INSTALLER").write_text("pip\n", encoding="utf-8")
    record = [f"{name}/lib.so,sha256=x,{size}", *(f"{f},sha256=x,0" for f in files), f"{info.name}/RECORD,,"]
    (info / "RECORD").write_text("\n".join(record) + "\n", encoding="utf-8")


def fake_site(root: Path, version: str = "2.14.1", cuda: str | None = "13.0", requires: list[str] | None = None,
              with_cuda_packages: bool = True) -> Path:
    """A folder of installed-package metadata for one torch build (see the module docstring)."""
    site = root / "site"
    dist_info(site, "torch", version, PYPI_CUDA_REQUIRES if requires is None else requires, 1_100_000_000,
              ["torch/version.py"])
    (site / "torch").mkdir()  # no __init__.py: the real torch, further along the path, is still what imports
    (site / "torch" / "version.py").write_text(
        f"from typing import Optional\n__version__ = '{version}'\ndebug = False\n"
        f"cuda: Optional[str] = {cuda!r}\nhip: Optional[str] = None\n", encoding="utf-8")
    if with_cuda_packages:
        for name, (v, reqs, size) in CUDA_DISTS.items():
            dist_info(site, name, v, reqs, size)
    return site


NO_GPU: tuple[str, ...] = ()


def no_gpu() -> None:
    return None


def test_pypi_cuda_build_is_read_from_its_metadata(tmp_path: Path) -> None:
    """No local label: torch/version.py says CUDA 13.0; the CUDA packages are found through the requirements,
    the transitive ones too (cuda-bindings -> cuda-pathfinder, cuda-toolkit's extras -> nvidia-cublas)."""
    build = detect([str(fake_site(tmp_path))], gpu=no_gpu)
    assert (build.version, build.accelerator, build.cuda) == ("2.14.1", "cuda", "13.0")
    assert build.cuda_packages == CUDA_NAMES
    assert build.size == 1_100_000_000 and build.cuda_size == sum(s for _v, _r, s in CUDA_DISTS.values())
    assert build.unused_cuda and build.gpu is None
    assert detect([str(fake_site(tmp_path / "again"))], gpu=no_gpu, sizes=False) == replace(build, size=0, cuda_size=0)
    assert build.describe() == ("2.14.1 (CUDA 13.0 build: 1.1 GB, and 3.3 GB in 8 CUDA packages; "
                                "no NVIDIA GPU found)")


def test_the_warning_says_what_it_costs_and_the_command_that_fixes_it(tmp_path: Path) -> None:
    build = detect([str(fake_site(tmp_path))], gpu=no_gpu)
    message = build.warning()
    assert message is not None
    assert "torch 2.14.1 is a CUDA 13.0 build (4.4 GB with its CUDA packages)" in message
    assert "no NVIDIA GPU" in message
    fix = message.split("To install the CPU build instead: ")[1]
    python = sys.executable
    assert fix == (f"{python} -m pip uninstall -y torch {' '.join(CUDA_NAMES)} && "
                   f"{python} -m pip install torch==2.14.1 --index-url {CPU_INDEX}")


@pytest.mark.parametrize(("version", "cuda", "accelerator", "cuda_version"), [
    ("2.8.0+cu128", None, "cuda", "12.8"),  # PyTorch's CUDA index: the label says it
    ("2.4.1+cu118", None, "cuda", "11.8"),
    ("2.13.0+cpu", None, "cpu", None),  # PyTorch's CPU index (what this machine's package source serves)
    ("2.1.0+cpu.cxx11.abi", None, "cpu", None),
    ("2.6.0+rocm6.1", None, "rocm", None),
    ("2.13.0", None, "cpu", None),  # PyPI on macOS and Windows: no label, no CUDA in version.py
])
def test_the_build_of_each_kind_of_wheel(tmp_path: Path, version: str, cuda: str | None, accelerator: str,
                                        cuda_version: str | None) -> None:
    requires = [] if "cu" not in version else ["filelock"]
    site = fake_site(tmp_path, version, cuda, requires=requires, with_cuda_packages=False)
    build = detect([str(site)], gpu=no_gpu)
    assert (build.accelerator, build.cuda) == (accelerator, cuda_version)
    assert (build.warning() is not None) == (accelerator == "cuda")
    assert build.describe().startswith(version)


def test_a_cuda_build_with_a_gpu_is_not_warned_about(tmp_path: Path) -> None:
    build = detect([str(fake_site(tmp_path))], gpu=lambda: "/proc/driver/nvidia/version")
    assert build.accelerator == "cuda" and build.warning() is None
    assert build.describe().endswith("NVIDIA GPU: /proc/driver/nvidia/version)")


def test_without_version_py_the_cuda_packages_tell(tmp_path: Path) -> None:
    site = fake_site(tmp_path)
    (site / "torch" / "version.py").unlink()
    assert detect([str(site)], gpu=no_gpu).accelerator == "cuda"
    cpu_site = fake_site(tmp_path / "cpu", "2.13.0", None, requires=["filelock"], with_cuda_packages=False)
    (cpu_site / "torch" / "version.py").unlink()
    assert detect([str(cpu_site)], gpu=no_gpu).accelerator == "cpu"


def test_no_torch_installed(tmp_path: Path) -> None:
    build = detect([str(tmp_path)], gpu=no_gpu)
    assert build == TorchBuild(None) and build.warning() is None and "not installed" in build.describe()


def test_a_gpu_is_seen_from_the_driver_or_nvidia_smi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(torch_build, "GPU_SIGNS", (str(tmp_path / "proc-driver-nvidia-version"),))
    assert find_gpu() is None
    (tmp_path / "proc-driver-nvidia-version").write_text("NVRM version: 550.54\n", encoding="utf-8")
    assert find_gpu() == str(tmp_path / "proc-driver-nvidia-version")
    (tmp_path / "proc-driver-nvidia-version").unlink()
    smi = tmp_path / "nvidia-smi"
    smi.write_text("#!/bin/sh\n", encoding="utf-8")
    smi.chmod(0o755)
    assert find_gpu() == str(smi)


@pytest.mark.parametrize(("prefix", "installer", "expected"), [
    ("/home/you/.local/share/pipx/venvs/corpus-qa", "pip",
     f"pipx uninstall corpus-qa && pipx install corpus-qa --pip-args='--extra-index-url {CPU_INDEX}'"),
    ("/home/you/.local/share/uv/tools/corpus-qa", "uv",
     "uv tool uninstall corpus-qa && uv tool install --torch-backend cpu corpus-qa"),
    ("/home/you/project/.venv", "uv",
     "uv pip uninstall --python {python} torch triton && uv pip install --python {python} torch==2.14.1 "
     f"--index-url {CPU_INDEX}"),
])
def test_the_fix_follows_how_it_was_installed(monkeypatch: pytest.MonkeyPatch, prefix: str, installer: str,
                                              expected: str) -> None:
    monkeypatch.setattr(sys, "prefix", prefix)
    build = TorchBuild("2.14.1", "cuda", "13.0", ("triton",), installer=installer)
    assert build.fix() == expected.format(python=sys.executable)


def test_the_warning_is_given_once_per_environment_and_version(tmp_path: Path) -> None:
    build = detect([str(fake_site(tmp_path))], gpu=no_gpu)
    cache = tmp_path / "cache"
    first = warning_once(cache, build)
    assert first is not None and first.startswith(str(build.warning())) and "qa config" in first
    memo = cache / torch_build.MEMO
    assert stat.S_IMODE(memo.stat().st_mode) == 0o600
    assert warning_once(cache, build) is None
    assert warning_once(cache, build) is None
    assert warning_once(cache, replace(build, version="2.15.0")) is not None  # another torch: said again
    assert warning_once(cache, replace(build, gpu="nvidia-smi")) is None  # nothing to say


def test_a_cpu_build_writes_nothing(tmp_path: Path) -> None:
    cpu = TorchBuild("2.13.0+cpu", "cpu")
    assert warning_once(tmp_path, cpu) is None
    assert not (tmp_path / torch_build.MEMO).exists()


def test_an_unreadable_memo_is_not_an_error(tmp_path: Path) -> None:
    build = detect([str(fake_site(tmp_path))], gpu=no_gpu)
    (tmp_path / torch_build.MEMO).write_text("[not json", encoding="utf-8")
    assert warning_once(tmp_path, build) is not None
    assert warning_once(tmp_path, build) is None


def test_a_build_warns_once_through_the_engine(tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's notice before a build, where indexing loads torch: shown by every front end (CLI, chat, MCP)
    as a warning, once; a second build, and a second engine on the same cache, say nothing."""
    from index.build import Notice
    from index.embedding.hashing import HashEmbedder
    from qa.config import Settings
    from qa.engine import Engine

    monkeypatch.syspath_prepend(str(fake_site(tmp_path)))
    monkeypatch.setattr(torch_build, "GPU_SIGNS", NO_GPU)
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi
    monkeypatch.setenv("QA_EMBEDDER", "minilm")  # a real model's settings; the hash embedder does the work
    settings = Settings.resolve(corpus, tmp_path / "idx")

    def warnings(events) -> list[str]:  # type: ignore[no-untyped-def]
        return [e.message for e in events if isinstance(e, Notice) and e.warning]

    engine = Engine(settings, embedder=HashEmbedder())
    first = warnings(engine.prepare())
    assert len(first) == 1 and "torch 2.14.1 is a CUDA 13.0 build" in first[0]
    assert warnings(engine.reindex(rebuild=True)) == []
    engine.close()
    again = Engine(settings, embedder=HashEmbedder())
    assert warnings(again.reindex(rebuild=True)) == []
    again.close()


def test_the_hash_embedder_never_checks(tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """It never loads torch, so there is nothing to say about torch's build."""
    from index.build import Notice
    from qa.config import Settings
    from qa.engine import Engine

    monkeypatch.syspath_prepend(str(fake_site(tmp_path)))
    monkeypatch.setattr(torch_build, "GPU_SIGNS", NO_GPU)
    monkeypatch.setenv("PATH", str(tmp_path))
    engine = Engine(Settings.resolve(corpus, tmp_path / "idx"))
    assert not [e for e in engine.prepare() if isinstance(e, Notice) and e.warning]
    engine.close()


def test_qa_config_shows_the_installed_build() -> None:
    """The environment the tests run in, as `qa config` reports it (the build is whatever the set-up installed:
    the CPU build here), without importing torch."""
    out = subprocess.run([*qa_command(), "config"], capture_output=True, text=True, env=clean_env(), timeout=60)
    assert out.returncode == 0, out.stderr
    line = next(row for row in out.stdout.splitlines() if row.startswith("torch build: "))
    assert line.startswith(f"torch build: {installed_version('torch')} (")
    data = json.loads(subprocess.run([*qa_command(), "config", "--json"], capture_output=True, text=True,
                                     env=clean_env(), timeout=60, check=True).stdout)["torch"]
    assert data["version"] == installed_version("torch") and data["build"] == line.removeprefix("torch build: ")
    probe = ("import atexit, sys\n"
             "atexit.register(lambda: print('TORCH' if 'torch' in sys.modules else 'NO-TORCH', file=sys.stderr))\n"
             "from tui.cli import main\nsys.argv = ['qa', 'config']\nmain()\n")
    imported = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=clean_env(),
                              timeout=60)
    assert imported.returncode == 0 and imported.stderr.strip().endswith("NO-TORCH"), imported.stderr


@pytest.mark.skipif(find_gpu() is not None, reason="this machine has an NVIDIA GPU: a CUDA build is right here")
def test_qa_config_warns_about_a_cuda_build_without_a_gpu(tmp_path: Path) -> None:
    """The fake CUDA build found first on the path, as an installed one would be; `qa config` says so every
    time (it is where one looks), on stderr, and in the JSON."""
    site = fake_site(tmp_path)
    env = clean_env(PYTHONPATH=os.pathsep.join([str(site), *filter(None, [os.environ.get("PYTHONPATH")])]))
    out = subprocess.run([*qa_command(), "config"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "torch build: 2.14.1 (CUDA 13.0 build: 1.1 GB, and 3.3 GB in 8 CUDA packages; no NVIDIA GPU found)" \
        in out.stdout
    assert out.stderr.startswith("warning: torch 2.14.1 is a CUDA 13.0 build")
    assert f"--index-url {CPU_INDEX}" in out.stderr
    again = subprocess.run([*qa_command(), "config", "--json"], capture_output=True, text=True, env=env, timeout=60)
    data = json.loads(again.stdout)["torch"]
    assert data["accelerator"] == "cuda" and data["cuda"] == "13.0" and data["gpu"] is None
    assert data["warning"].startswith("torch 2.14.1 is a CUDA 13.0 build")
