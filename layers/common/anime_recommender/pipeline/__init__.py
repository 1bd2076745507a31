"""The retraining pipeline's domain logic: config, drops, Personalize resources, promotion, reports.

Nothing here knows about Lambda or Step Functions; the handlers in ``functions/<step>/app.py`` parse their event,
call one function of this package and shape the response. Every function takes its AWS clients as arguments.
"""
