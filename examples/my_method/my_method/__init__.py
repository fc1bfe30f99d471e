"""An example method package for nas-harness: ``MutationHillClimber`` (an optimizer) and
``RidgePredictor`` (a predictor), registered by entry points in ``pyproject.toml``."""
