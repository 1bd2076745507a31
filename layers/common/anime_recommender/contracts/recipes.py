"""The recipe keys whose campaigns the pipeline deploys and the recommendations API serves.

The pipeline publishes one SSM parameter per deployed recipe (docs/pipeline.md, "What it publishes") and refuses
``deploy=true`` for any other key; the API reads exactly these parameters.
"""

from __future__ import annotations

#: Recipe keys that may have a campaign (the baseline, popularity-count, is trained and evaluated only).
DEPLOYABLE_RECIPES: tuple[str, ...] = ("user-personalization", "sims", "personalized-ranking")
