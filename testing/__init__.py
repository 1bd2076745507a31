"""Builders shared by the tests and the benchmarks: small Personalize setups, planted data, watch-event batches,
polling with a timeout. Nothing of the product imports this package; ``bench/`` may, ``tests/`` does.
"""
