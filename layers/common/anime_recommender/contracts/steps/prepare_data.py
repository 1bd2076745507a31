"""Step "Prepare data": the drop's location and options in, the prepared data's location and shape out."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from anime_recommender.contracts.steps.state import PreparedData, StepModel
from anime_recommender.prepare_data.timestamps import DEFAULT_SNAPSHOT_DATE


class PrepareDataOptions(StepModel):
    """Optional knobs of one run (``options.keepUnknownAnime`` comes from ``$.config.prepare``)."""

    keepUnknownAnime: bool = False
    snapshotDate: date = DEFAULT_SNAPSHOT_DATE


class PrepareDataInput(StepModel):
    """The state's ``Parameters``: the drop's bucket and prefix, its id, where to write."""

    bucket: str = Field(min_length=3)
    dropPrefix: str = Field(min_length=1)
    dropId: str = Field(min_length=1)
    outputPrefix: str = Field(min_length=1)
    options: PrepareDataOptions = Field(default_factory=PrepareDataOptions)


#: ``$.prepared``.
PrepareDataOutput = PreparedData
