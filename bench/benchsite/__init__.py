"""A bench-only Django site on top of the product: one view, three ways of serving it, and in-process workers.

Imported by the benchmarks' product processes (``PYTHONPATH`` includes ``bench/``); never by the product.
"""
