"""The contracts between the pipeline's components, written once and imported by every side.

One module per contract: what the steps of ``statemachine/retrain.asl.json`` hand each other, the metric and recipe
keys, the SSM parameter names and their placeholder, the session-id rule, the filter expressions. Personalize Local
stays independent of this package; a test holds its metric keys equal to :mod:`anime_recommender.contracts.metrics`.
"""
