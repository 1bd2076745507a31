"""The SSM parameters the pipeline publishes and the functions read (docs/pipeline.md, "What it publishes").

Both sides build the names here: the pipeline's deployment step writes them, the forwarder reads the tracking id,
the REST API reads the campaigns, filters, event types and catalog. ``template.yaml`` creates the parameters before
the first pipeline run with the value :data:`PLACEHOLDER` (or an empty JSON value for the filters and event types);
a reader treats a placeholder as "not published yet", never as a value.
"""

from __future__ import annotations

from dataclasses import dataclass

PLACEHOLDER = "not-deployed-yet"
"""The value template.yaml gives a published parameter until the pipeline writes the real one."""


def is_placeholder(value: object) -> bool:
    """True for a parameter value the pipeline has not written yet (the template's placeholder, or nothing)."""
    return value is None or (isinstance(value, str) and value.strip() in ("", PLACEHOLDER))


@dataclass(frozen=True)
class ParameterNames:
    """The names of one project's published SSM parameters (``/{project}/...``)."""

    project: str

    def campaign(self, recipe_key: str) -> str:
        """A deployed recipe's campaign ARN."""
        return f"/{self.project}/campaigns/{recipe_key}"

    @property
    def tracking_id(self) -> str:
        """The event tracker's tracking id."""
        return f"/{self.project}/tracking-id"

    @property
    def filters(self) -> str:
        """The JSON object filter name -> filter ARN."""
        return f"/{self.project}/filters"

    @property
    def event_types(self) -> str:
        """The JSON list of event types in the data."""
        return f"/{self.project}/event-types"

    @property
    def catalog(self) -> str:
        """The s3:// URI of the live catalog.json."""
        return f"/{self.project}/catalog"

    @property
    def items_dataset(self) -> str:
        """The items dataset ARN."""
        return f"/{self.project}/datasets/items"
