"""Recipes of Personalize Local. ``registry.get_recipe(name)`` is the entry point (see ``base.py``)."""
