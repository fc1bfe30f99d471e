"""Test helpers: the example package of ``examples/my_method`` made visible as if installed
(its entry points in a ``*.dist-info`` folder on ``sys.path``), and deliberately bad plugins."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "my_method"

BAD_PLUGINS = '''
from dataclasses import dataclass

import numpy as np

from optimizers.base import Optimizer


class NotAnOptimizer:
    name = "not-one"


class NoAsk(Optimizer):
    name = "no-ask"


class PlainConfig:
    x = 1


class ConfigNotDataclass(Optimizer):
    name = "plain-config"
    Config = PlainConfig

    def ask(self):
        return self.space.sample(self.rng)


class ClashesWithRS(Optimizer):
    name = "rs"

    def ask(self):
        return self.space.sample(self.rng)


class BadName(Optimizer):
    name = "a/b"

    def ask(self):
        return self.space.sample(self.rng)


class PredictorWithoutPredict:
    name = "no-predict"
    needs = frozenset({"encoding"})
    requires_fit = False

    def __init__(self, space, rng=None):
        self.space = space


class PredictorClashesWithGP:
    name = "gp"
    needs = frozenset({"encoding"})
    requires_fit = False

    def __init__(self, space, rng=None):
        self.space = space

    def predict(self, archs, info=None):
        return np.zeros(len(archs))


class PredictorBadNeeds(PredictorClashesWithGP):
    name = "bad-needs"
    needs = frozenset({"telepathy"})
'''


def install_example(site: Path) -> list[Path]:
    """Write a dist-info for examples/my_method into ``site`` and a module of bad plugins;
    return the folders to put on ``sys.path`` (or PYTHONPATH)."""
    text = (EXAMPLE / "pyproject.toml").read_text()  # (tomllib is Python >= 3.11)
    name = re.search(r'^name = "(.+)"', text, re.M).group(1)
    version = re.search(r'^version = "(.+)"', text, re.M).group(1)
    dist = site / f"{name.replace('-', '_')}-{version}.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (dist / "top_level.txt").write_text("my_method\n")
    lines = []
    for section in re.finditer(r'^\[project\.entry-points\."(.+)"\]\n((?:.+\n)*)', text, re.M):
        lines.append(f"[{section.group(1)}]")
        lines += [line.replace('"', "") for line in section.group(2).splitlines()]
    (dist / "entry_points.txt").write_text("\n".join(lines) + "\n")
    (site / "bad_plugins.py").write_text(BAD_PLUGINS)
    (site / "broken_plugin.py").write_text("raise RuntimeError('a bug at import time')\n")
    return [site, EXAMPLE]


class NoisePredictor:
    """A predictor without information: Gaussian noise (Kendall tau about 0)."""

    name = "noise"
    needs = frozenset({"encoding"})
    requires_fit = True

    def __init__(self, space, rng=None):
        import numpy as np

        self.space = space
        self.rng = rng if rng is not None else np.random.default_rng(0)

    def fit(self, archs, y, info=None):
        return self

    def predict(self, archs, info=None):
        return self.rng.normal(size=len(archs))
