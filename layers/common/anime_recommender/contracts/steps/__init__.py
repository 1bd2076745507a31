"""What the steps of ``statemachine/retrain.asl.json`` (and ``cleanup.asl.json``) hand each other.

One module per step function (``functions/<step>/``), each with the step's input model (what the state's
``Parameters`` / ``ItemSelector`` pass, or the execution state itself) and its output model (what the state's
``ResultPath`` stores). :mod:`.state` holds the sections several steps read. Handlers parse their event with the
input model and return ``output.to_state()``, so a step that receives or emits something else fails with a
pydantic ``ValidationError`` naming the field, which the state's Catch turns into a failure notification.

Nothing here is imported by this ``__init__``: a handler loads only the models it uses.
"""
