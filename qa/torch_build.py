"""Which build of torch is installed, read without importing torch, and a warning when it is a CUDA build on
a machine without an NVIDIA GPU.

corpus-qa embeds on the CPU. On Linux, a plain `pip install torch` from PyPI gets the CUDA build: a larger
wheel plus several GB of nvidia-* packages that go unused without a GPU, and `import torch` takes 0.4 GB more
memory with them (648 vs 224 MB here: torch 2.14.1 CUDA vs 2.13.0 CPU). The README's "Installing elsewhere"
says how to get the CPU build; this module notices when that did not happen.

It never imports torch (`qa --help` and a one-shot `qa ask` stay torch-free). The build comes from the
version's local label (`2.13.0+cpu`, `2.8.0+cu128`, PyTorch's own index), else from `torch/version.py` read
as text (PyPI's wheels carry no label: `cuda = '12.8'` there), else from the CUDA packages torch requires.
A GPU is seen from the NVIDIA driver's files or `nvidia-smi` on PATH.

Where it shows: `qa config` reports the build every time; the warning is given once, the first time an
index is built or updated with the real model (an Engine notice, so every front end shows it), and that is
remembered in the cache folder (`install-checks.json`), per environment and torch version.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import Distribution
from pathlib import Path

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
"""PyTorch's package index of CPU builds."""

GPU_SIGNS = ("/proc/driver/nvidia/version", "/dev/nvidia0")
"""Files the NVIDIA driver makes on Linux when it runs a GPU; elsewhere (Windows, WSL) `nvidia-smi` on PATH."""

MEMO = "install-checks.json"
"""In the cache folder: the environments already warned about."""

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_CUDA_PACKAGE = re.compile(r"^(?:nvidia-|cuda-)|^triton$")
"""What PyPI's Linux CUDA build of torch brings along (nvidia-cublas, cuda-toolkit, triton, ...), and the
CPU build does not."""


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _find(name: str, path: Sequence[str] | None) -> Distribution | None:
    """The installed distribution `name` that Python would import first, or None."""
    return next(iter(Distribution.discover(name=name, path=list(sys.path if path is None else path))), None)


def _required(dist: Distribution) -> list[str]:
    """The names of what `dist` requires (any marker: what does not apply here is not installed anyway)."""
    names = []
    for requirement in dist.requires or ():
        match = _NAME.match(requirement.strip())
        if match:
            names.append(_canonical(match.group()))
    return names


def _cuda_packages(torch: Distribution, path: Sequence[str] | None) -> list[Distribution]:
    """The installed CUDA packages torch requires, and those they require in turn."""
    found: dict[str, Distribution] = {}
    todo = [name for name in _required(torch) if _CUDA_PACKAGE.search(name)]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        dist = _find(name, path)
        if dist is None:
            continue
        found[name] = dist
        todo += [n for n in _required(dist) if _CUDA_PACKAGE.search(n) and n not in found]
    return [found[name] for name in sorted(found)]


def _size(dist: Distribution) -> int:
    """Bytes of the files `dist` installed, as its RECORD lists them."""
    return sum(f.size or 0 for f in dist.files or ())


def find_gpu() -> str | None:
    """What shows an NVIDIA GPU on this machine (a driver file, `nvidia-smi`), or None."""
    for sign in GPU_SIGNS:
        if os.path.exists(sign):
            return sign
    return shutil.which("nvidia-smi")


def _accelerator(version: str, version_py: str | None, has_cuda_packages: bool) -> tuple[str, str | None]:
    """(`cpu`, `cuda`, `rocm` or `xpu`, the CUDA version when known)."""
    label = version.partition("+")[2].lower()
    cuda = re.fullmatch(r"cu(\d+)(\d)", label)
    if cuda:
        return "cuda", f"{cuda.group(1)}.{cuda.group(2)}"
    if label == "cpu" or label.startswith("cpu."):
        return "cpu", None
    if label.startswith("rocm"):
        return "rocm", None
    if label == "xpu":
        return "xpu", None
    if version_py is not None:  # no label: PyPI's wheel says what it was built with in torch/version.py
        built = re.search(r"^cuda\b[^=\n]*=\s*['\"]([^'\"]+)['\"]", version_py, re.M)
        if built:
            return "cuda", built.group(1)
        if re.search(r"^hip\b[^=\n]*=\s*['\"]", version_py, re.M):
            return "rocm", None
        return "cpu", None
    return ("cuda", None) if has_cuda_packages else ("cpu", None)


def _megabytes(size: int) -> str:
    return f"{size / 1e9:.1f} GB" if size >= 1e9 else f"{size / 1e6:.0f} MB"


@dataclass(frozen=True)
class TorchBuild:
    """The installed torch, as its package metadata describes it."""

    version: str | None
    """`2.13.0+cpu`; None when torch is not installed."""
    accelerator: str = "none"
    """`cpu`, `cuda`, `rocm`, `xpu`, or `none` (not installed)."""
    cuda: str | None = None
    """The CUDA version a CUDA build was made for (`12.8`), when known."""
    cuda_packages: tuple[str, ...] = ()
    """The nvidia-*, cuda-* and triton distributions installed for it."""
    size: int = 0
    """Bytes on disk of torch itself."""
    cuda_size: int = 0
    """Bytes on disk of `cuda_packages`."""
    gpu: str | None = None
    """What shows an NVIDIA GPU here (see `find_gpu`), or None."""
    installer: str = "pip"
    """What installed torch (its INSTALLER file: `pip`, `uv`), for the command that fixes it."""

    @property
    def unused_cuda(self) -> bool:
        """A CUDA build on a machine where no NVIDIA GPU shows."""
        return self.accelerator == "cuda" and self.gpu is None

    def describe(self) -> str:
        """One line: the version, the build, its size, and whether a GPU is there for it."""
        if self.version is None:
            return "not installed (building an index needs it: see the README, \"Set up\")"
        if self.accelerator != "cuda":
            name = {"cpu": "CPU", "rocm": "ROCm", "xpu": "Intel XPU"}.get(self.accelerator, self.accelerator)
            return f"{self.version} ({name} build: {_megabytes(self.size)})"
        cuda = f"CUDA {self.cuda} build" if self.cuda else "CUDA build"
        extra = (f", and {_megabytes(self.cuda_size)} in {len(self.cuda_packages)} CUDA packages"
                 if self.cuda_packages else "")
        gpu = "no NVIDIA GPU found" if self.gpu is None else f"NVIDIA GPU: {self.gpu}"
        return f"{self.version} ({cuda}: {_megabytes(self.size)}{extra}; {gpu})"

    def fix(self) -> str:
        """The command that replaces this build with the CPU build, for the way it was installed."""
        prefix = Path(sys.prefix)
        if prefix.parent.name == "tools" and prefix.parent.parent.name == "uv":  # ~/.local/share/uv/tools/NAME
            return f"uv tool uninstall {prefix.name} && uv tool install --torch-backend cpu {prefix.name}"
        if prefix.parent.name == "venvs" and "pipx" in prefix.parts:  # ~/.local/share/pipx/venvs/NAME
            return (f"pipx uninstall {prefix.name} && pipx install {prefix.name} "
                    f"--pip-args='--extra-index-url {CPU_INDEX}'")
        public = (self.version or "").partition("+")[0]
        remove = " ".join(["torch", *self.cuda_packages])
        if self.installer == "uv":
            return (f"uv pip uninstall --python {sys.executable} {remove} && "
                    f"uv pip install --python {sys.executable} torch=={public} --index-url {CPU_INDEX}")
        return (f"{sys.executable} -m pip uninstall -y {remove} && "
                f"{sys.executable} -m pip install torch=={public} --index-url {CPU_INDEX}")

    def warning(self) -> str | None:
        """What to tell the user about this build, or None when it suits the machine."""
        if not self.unused_cuda:
            return None
        cuda = f"CUDA {self.cuda} build" if self.cuda else "CUDA build"
        total = self.size + self.cuda_size
        return (f"torch {self.version} is a {cuda} ({_megabytes(total)} with its CUDA packages), but this machine "
                "has no NVIDIA GPU: corpus-qa embeds on the CPU, so the CUDA libraries only cost disk space, and "
                f"memory and time whenever torch loads. To install the CPU build instead: {self.fix()}")

    def to_dict(self) -> dict[str, object]:
        """For `qa config --json`."""
        return asdict(self) | {"build": self.describe(), "warning": self.warning()}


def detect(path: Sequence[str] | None = None, gpu: Callable[[], str | None] = find_gpu,
           sizes: bool = True) -> TorchBuild:
    """The torch installed where Python would import it from (`path`: sys.path), read from its metadata
    without importing it; `gpu` looks for a GPU. Without `sizes`, no RECORD is read (torch's alone lists
    14,000 files: about 80 ms) and the sizes are 0."""
    dist = _find("torch", path)
    if dist is None:
        return TorchBuild(None)
    version = dist.version
    try:
        version_py: str | None = Path(str(dist.locate_file("torch/version.py"))).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        version_py = None
    cuda_dists = _cuda_packages(dist, path)
    accelerator, cuda = _accelerator(version, version_py, bool(cuda_dists))
    if accelerator != "cuda":
        cuda_dists = []
    installer = (dist.read_text("INSTALLER") or "pip").strip() or "pip"
    return TorchBuild(
        version, accelerator, cuda, tuple(_canonical(d.metadata["Name"]) for d in cuda_dists),
        _size(dist) if sizes else 0, sum(_size(d) for d in cuda_dists) if sizes else 0, gpu(), installer,
    )


def warning_once(cache: Path | None = None, build: TorchBuild | None = None) -> str | None:
    """The warning about the installed torch (`detect`) the first time it applies to this environment and torch
    version; None after that (remembered in `cache`/install-checks.json), and when there is nothing to say.
    Never raises: a diagnostic must not stop a build."""
    try:
        quick = build or detect(sizes=False)
        if not quick.unused_cuda:
            return None
        from index.paths import PRIVATE_FILE, cache_home, private_dir

        memo = (cache or cache_home()) / MEMO
        key = f"{sys.prefix} torch {quick.version}: unused CUDA"
        try:
            seen = json.loads(memo.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            seen = {}
        warned = seen.get("warned") if isinstance(seen, dict) else None
        warned = [w for w in warned if isinstance(w, str)] if isinstance(warned, list) else []
        if key in warned:
            return None
        message = (build or detect()).warning()  # now with the sizes it reports
        if message is None:
            return None
        try:
            private_dir(memo.parent)
            tmp = memo.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"warned": [*warned, key]}), encoding="utf-8")
            os.chmod(tmp, PRIVATE_FILE)
            os.replace(tmp, memo)
        except OSError:
            pass  # a read-only cache: warned again next time
        return f"{message} (Said once; `qa config` shows the torch build.)"
    except Exception:  # noqa: BLE001 - odd metadata must never stop a build
        return None
