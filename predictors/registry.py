"""Predictors by name. Imports are lazy: torch-based predictors load torch only when used."""

from __future__ import annotations

from importlib import import_module

from predictors.base import Predictor

# name -> "module:ClassName"; one line per predictor.
_PREDICTORS: dict[str, str] = {
    "mlp": "predictors.mlp_ensemble:MLPEnsemblePredictor",
    "gp": "predictors.gp:GPPredictor",
    "xgb": "predictors.xgb:XGBPredictor",
    "lce": "predictors.lce:LCEPredictor",
    "sotla": "predictors.sotla:SoTLAPredictor",
    "omni": "predictors.omni:OmniPredictor",
    "synflow": "predictors.zerocost:Synflow",
    "snip": "predictors.zerocost:Snip",
    "grasp": "predictors.zerocost:Grasp",
    "fisher": "predictors.zerocost:Fisher",
    "grad_norm": "predictors.zerocost:GradNorm",
    "jacov": "predictors.zerocost:Jacov",
    "nwot": "predictors.zerocost:Nwot",
    "params": "predictors.zerocost:Params",
    "flops": "predictors.zerocost:Flops",
}


def names() -> list[str]:
    return list(_PREDICTORS)


def get(name: str) -> type[Predictor]:
    target = _PREDICTORS.get(name)
    if target is None:
        raise ValueError(f"unknown predictor {name!r}; accepted: {', '.join(names())}")
    module, _, cls = target.partition(":")
    return getattr(import_module(module), cls)
