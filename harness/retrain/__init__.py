"""Retrain the architectures a search recommended and compare with what the benchmark says.

``python -m harness.retrain results/<experiment> --top 3 --bench nb201-cifar10 --data-dir DIR``
"""
