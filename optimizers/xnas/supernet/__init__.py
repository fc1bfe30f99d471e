"""XNAS supernet mode: real weight-sharing search on the NB201 and DARTS supernets, with DARTS
and GDAS as baselines on the same code (``python -m harness.run --supernet``).

Modules: ``nb201`` and ``darts`` (the supernets), ``search`` (the methods and the step),
``data`` (CIFAR-10 halves), ``runner`` (one job), ``cli`` (the ``harness.run`` flags). Only
``cli`` is torch-free; import the others when torch is installed.
"""
