"""``aws-item-attribute-affinity``: a USER_SEGMENTATION recipe — for an item-attribute query, the users most likely
to interact with items that have those attributes
(https://docs.aws.amazon.com/personalize/latest/dg/item-attribute-affinity-recipe.html).

The model is Item-Affinity's (iALS user and item factors) plus the items' metadata columns. A query is one or more
``ITEMS.<column> = "<value>"`` conditions joined by ``AND`` — only ``=`` and ``AND`` are accepted, as in AWS's
examples (https://docs.aws.amazon.com/personalize/latest/dg/batch-segment-job-output-examples.html); a ``\\``
escapes a quote or backslash inside a value. An item matches when every condition holds; a multi-valued categorical
field (``Comedy|Action``) holds each of its values. Column names and values match case-insensitively (Personalize
Local's choice). The segment is the users with the highest mean affinity to the matching items.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from personalize_local.recipes.base import RecipeType, TrainingData
from personalize_local.recipes.building_blocks import load_model, save_model
from personalize_local.recipes.item_affinity import ItemAffinityModel, ItemAffinityRecipe, UnknownItemError
from personalize_local.recipes.text import is_textual, item_table

_CONDITION = re.compile(r'\s*ITEMS\.(?P<column>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*"(?P<value>(?:[^"\\]|\\.)*)"\s*', re.I)
_AND = re.compile(r"AND\b", re.I)
_ESCAPE = re.compile(r"\\(.)")
#: The separator of a multi-valued categorical field (https://docs.aws.amazon.com/personalize/latest/dg/items-datasets.html).
VALUE_SEPARATOR = "|"


class MissingItemsError(ValueError):
    """The dataset group has no Items dataset with a categorical column (AWS requires one for this recipe)."""


def parse_query(query: str) -> list[tuple[str, str]]:
    """``[(column, value), ...]`` of ``ITEMS.a = "x" AND ITEMS.b = "y"``; ValueError naming the position otherwise."""
    conditions: list[tuple[str, str]] = []
    position = 0
    while True:
        match = _CONDITION.match(query, position)
        if match is None:
            raise ValueError(f'itemAttributes: expected ITEMS.<field> = "<value>" at position {position} of {query!r}')
        conditions.append((match["column"].upper(), _ESCAPE.sub(r"\1", match["value"])))
        position = match.end()
        if position == len(query):
            return conditions
        separator = _AND.match(query, position)
        if separator is None:
            raise ValueError(
                f"itemAttributes: expected AND at position {position} of {query!r} (only AND is supported)"
            )
        position = separator.end()


class ItemAttributeAffinityModel(ItemAffinityModel):
    """Item-Affinity's factors plus each item's attribute values (upper-cased column → lower-cased values)."""

    def __init__(
        self,
        item_ids: np.ndarray,
        user_ids: np.ndarray,
        item_factors: np.ndarray,
        user_factors: np.ndarray,
        hyperparameters: Mapping[str, str],
        attributes: Mapping[str, np.ndarray],
    ) -> None:
        super().__init__(item_ids, user_ids, item_factors, user_factors, hyperparameters)
        self.attributes = {column: np.asarray(values, dtype=object) for column, values in attributes.items()}

    def items_matching(self, query: str) -> list[str]:
        """The items every condition of ``query`` holds for; ValueError for a bad query or an unknown field,
        UnknownItemError when no item matches."""
        matched = np.ones(len(self.item_ids), dtype=bool)
        for column, value in parse_query(query):
            if column not in self.attributes:
                known = ", ".join(sorted(self.attributes))
                raise ValueError(f"itemAttributes: the Items dataset has no field {column} (fields: {known})")
            wanted = value.strip().lower()
            matched &= np.fromiter(
                (wanted in cell.split(VALUE_SEPARATOR) for cell in self.attributes[column]), bool, len(matched)
            )
        if not matched.any():
            raise UnknownItemError(f"itemAttributes: no item has {query}")
        return self.item_ids[matched].tolist()

    def save(self, directory: Path) -> None:
        """Item-Affinity's files plus the attribute columns."""
        super().save(directory)
        meta, arrays = load_model(directory)
        meta["attribute_columns"] = sorted(self.attributes)
        arrays.update({f"attribute_{column}": values for column, values in self.attributes.items()})
        save_model(directory, meta, arrays)

    @classmethod
    def load(cls, directory: Path) -> ItemAttributeAffinityModel:
        """Read back :meth:`save`."""
        meta, arrays = load_model(directory)
        base = ItemAffinityModel.load(directory)
        attributes = {column: arrays[f"attribute_{column}"] for column in meta["attribute_columns"]}
        return cls(base.item_ids, base.user_ids, base.item_factors, base.user_factors, base.hyperparameters, attributes)


def attribute_columns(item_ids: np.ndarray, items: pd.DataFrame | None) -> dict[str, np.ndarray]:
    """Each non-textual metadata column as lower-cased strings per item (``""`` where missing)."""
    table = item_table(item_ids, items)
    out: dict[str, np.ndarray] = {}
    for column in [] if table is None else table.columns:
        if column == "ITEM_ID" or (table[column].dtype == object and is_textual(table[column])):
            continue
        values = table[column].astype("string").fillna("").str.lower().str.strip()
        cells = [VALUE_SEPARATOR.join(v.strip() for v in cell.split(VALUE_SEPARATOR)) for cell in values]
        out[str(column).upper()] = np.asarray(cells, dtype=object)
    if not out:
        raise MissingItemsError("aws-item-attribute-affinity needs an Items dataset with metadata fields")
    return out


class ItemAttributeAffinityRecipe(ItemAffinityRecipe):
    """User segments for item-attribute queries."""

    name: ClassVar[str] = "aws-item-attribute-affinity"
    recipe_type: ClassVar[RecipeType] = "USER_SEGMENTATION"
    description: ClassVar[str] = (
        "Creates a user segment for each item-attribute query: the users most likely to interact with such items."
    )

    def train(
        self, data: TrainingData, hyperparameters: Mapping[str, str], seed: int = 0
    ) -> ItemAttributeAffinityModel:
        """Item-Affinity's training, plus the items' attribute columns."""
        base = super().train(data, hyperparameters, seed)
        attributes = attribute_columns(base.item_ids, data.items)
        return ItemAttributeAffinityModel(
            base.item_ids, base.user_ids, base.item_factors, base.user_factors, base.hyperparameters, attributes
        )

    @classmethod
    def model_class(cls) -> type[ItemAttributeAffinityModel]:
        """:class:`ItemAttributeAffinityModel`."""
        return ItemAttributeAffinityModel
