"""What a run records about the software that produced it."""

from __future__ import annotations

import platform
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path

PACKAGES = ("nas-harness", "numpy", "pyarrow", "pandas", "scipy", "scikit-learn", "xgboost",
            "torch", "onnxruntime")


@lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    """Python, the installed versions of the packages that can change a result, and the git
    commit of the checkout when there is one."""
    found = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    commit = _git_commit()
    if commit:
        found["git_commit"] = commit
    return found


def _git_commit() -> str | None:
    root = Path(__file__).resolve().parents[1]
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
            timeout=5, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None
