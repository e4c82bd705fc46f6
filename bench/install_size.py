"""Installed size of corpus-qa: the site-packages folder of a fresh virtual environment per variant (the
default install and each extra), installed the way the README's set-up does (torch first, then corpus-qa from
this checkout, not editable, so its own files count too). Each environment is deleted after it is measured.

    python bench/install_size.py [--variants default,milvus,ray,test] [--torch torch==2.13.0] [--keep]

`--torch` says which torch to install first (`torch==2.14.1` measures the CUDA build where the package source
serves one). Sizes are the files' own sizes (what `du --apparent-size` adds up), less what an empty
environment holds (pip, setuptools), in MB of 10^6 bytes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VARIANTS = ("default", "milvus", "ray", "test")
TORCH = re.compile(r"^(torch|torchgen|functorch|torch-[^/]*\.dist-info)$")
CUDA = re.compile(r"^(nvidia|nvidia_[^/]*|cuda|cuda_[^/]*|triton|triton-[^/]*)$")
"""Top-level entries of site-packages that PyPI's CUDA build of torch brings along."""


def site_packages(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python*/site-packages")) or sorted(venv.glob("Lib/site-packages"))
    return found[0]


def tree_size(path: Path) -> int:
    """Bytes of the files under `path` (or of `path`), links not followed."""
    if path.is_symlink() or path.is_file():
        return path.lstat().st_size
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            total += os.lstat(os.path.join(root, name)).st_size
    return total


def measure(site: Path) -> dict[str, int]:
    """Bytes in site-packages, split into torch, its CUDA packages and the rest; and how many distributions."""
    sizes = {"total": 0, "torch": 0, "cuda": 0, "dists": 0}
    for entry in site.iterdir():
        size = tree_size(entry)
        sizes["total"] += size
        if TORCH.match(entry.name):
            sizes["torch"] += size
        elif CUDA.match(entry.name) or CUDA.match(entry.name.split("-")[0]):
            sizes["cuda"] += size
        if entry.name.endswith(".dist-info"):
            sizes["dists"] += 1
    return sizes


def pip(venv: Path, *args: str) -> None:
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", *args], check=True)


def install(variant: str, torch: str, keep: bool) -> tuple[dict[str, int], dict[str, int]]:
    """(the measured environment, the same freshly made and empty)."""
    venv = Path(tempfile.mkdtemp(prefix=f"qa-size-{variant}-"))
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        empty = measure(site_packages(venv))
        pip(venv, torch)
        target = str(REPO) if variant == "default" else f"{REPO}[{variant}]"
        pip(venv, target)
        return measure(site_packages(venv)), empty
    finally:
        if keep:
            print(f"kept {venv}", file=sys.stderr)
        else:
            shutil.rmtree(venv, ignore_errors=True)


def mb(size: int) -> str:
    return f"{size / 1e6:,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--torch", default="torch==2.13.0", help="What to install first [torch==2.13.0].")
    parser.add_argument("--keep", action="store_true", help="Keep the environments (their paths go to stderr).")
    args = parser.parse_args()
    rows = []
    for variant in args.variants.split(","):
        sizes, empty = install(variant, args.torch, args.keep)
        added = sizes["total"] - empty["total"]
        rows.append((variant, sizes["dists"] - empty["dists"], added, sizes["torch"], sizes["cuda"],
                     added - sizes["torch"] - sizes["cuda"]))
        print(f"{variant}: {mb(added)} MB", file=sys.stderr)
    print(f"{args.torch}, Python {sys.version.split()[0]}, {sys.platform}; MB of 10^6 bytes, "
          "an empty environment's pip and setuptools left out")
    print("| install | distributions | site-packages | torch | CUDA packages | everything else |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for variant, dists, added, torch_size, cuda_size, rest in rows:
        name = "`corpus-qa`" if variant == "default" else f"`corpus-qa[{variant}]`"
        print(f"| {name} | {dists} | {mb(added)} | {mb(torch_size)} | {mb(cuda_size)} | {mb(rest)} |")


if __name__ == "__main__":
    main()
