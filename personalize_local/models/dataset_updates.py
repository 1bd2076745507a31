"""UpdateDataset: replace an Items or Users dataset's schema
(https://docs.aws.amazon.com/personalize/latest/dg/API_UpdateDataset.html), with the rules of
https://docs.aws.amazon.com/personalize/latest/dg/updating-dataset-schema.html: not for Interactions datasets; the
new schema keeps every field of the previous one with its type and attributes, and every new field supports null.
The update is tracked in DescribeDataset's ``latestDatasetUpdate`` (CREATE PENDING > CREATE IN_PROGRESS > ACTIVE);
the dataset keeps its data, with the new columns empty, and keeps serving meanwhile."""

from __future__ import annotations

import logging
from typing import Any

from personalize_local.exceptions import InvalidInputException, ResourceInUseException
from personalize_local.importer import empty_column
from personalize_local.models.dataset_groups import DatasetGroups
from personalize_local.models.domain import Dataset, from_resource
from personalize_local.models.group_cache import GroupDataCache
from personalize_local.models.lifecycle import (
    ACTIVE,
    CREATE_FAILED,
    CREATE_IN_PROGRESS,
    CREATE_PENDING,
    CREATING,
    Lifecycle,
    now,
)
from personalize_local.schemas import DatasetSchema, check_schema_for_dataset_type, parse_schema
from personalize_local.store import Resource

logger = logging.getLogger("personalize_local")
REPLACEABLE = ("Items", "Users")


def check_replacement(old: DatasetSchema, new: DatasetSchema) -> None:
    """InvalidInputException unless ``new`` keeps every field of ``old`` unchanged and adds only nullable fields."""
    for field in old.fields:
        kept = new.field(field.name)
        if kept is None:
            raise InvalidInputException(
                f"The new schema must keep every field of the previous one: {field.name} is missing"
            )
        if kept != field:
            raise InvalidInputException(
                f"The new schema must not change the type or attributes of {field.name}: "
                f"{field.base_type} (nullable {field.nullable}, categorical {field.categorical}, textual "
                f"{field.textual}) became {kept.base_type} (nullable {kept.nullable}, categorical {kept.categorical}, "
                f"textual {kept.textual})"
            )
    added = [f.name for f in new.fields if old.field(f.name) is None and not f.nullable]
    if added:
        raise InvalidInputException(f"New fields must support null data: {', '.join(added)}")


class DatasetUpdates:
    """UpdateDataset, and the ``latestDatasetUpdate`` it leaves on the dataset."""

    def __init__(self, lifecycle: Lifecycle, group_data: GroupDataCache) -> None:
        self.lifecycle = lifecycle
        self.group_data = group_data

    def update_dataset(self, dataset_arn: str, schema_arn: str) -> Dataset:
        """UpdateDataset: check the replacement at once, apply it on the worker."""
        lc = self.lifecycle
        with lc.lock:
            dataset = lc.get("dataset", dataset_arn)
            dataset_type = dataset.body["dataset_type"]
            if dataset_type not in REPLACEABLE:
                raise InvalidInputException(
                    f"Only the schema of an Items or Users dataset can be replaced; {dataset.arn} is {dataset_type}"
                )
            update = dataset.body.get("latest_dataset_update") or {}
            if dataset.status != ACTIVE or update.get("status") in CREATING:
                raise ResourceInUseException(f"Dataset {dataset.arn} is {dataset.status} or being updated; wait")
            importing = [j for j in lc.store.find("dataset-import-job", parent=dataset.arn) if j.status in CREATING]
            if importing:
                raise ResourceInUseException(f"Import job {importing[0].arn} into {dataset.arn} is in progress")
            schema = lc.get("schema", schema_arn)
            parsed = parse_schema(schema.body["schema"])
            check_schema_for_dataset_type(parsed, dataset_type)
            group = lc.get("dataset-group", dataset.body["dataset_group_arn"])
            DatasetGroups._check_domain(group, schema, parsed, dataset_type)
            check_replacement(self.group_data.dataset_schema(dataset), parsed)
            stamp = now()
            dataset.body["latest_dataset_update"] = {
                "schema_arn": schema.arn,
                "status": CREATE_PENDING,
                "creation_date_time": stamp,
                "last_updated_date_time": stamp,
            }
            lc.store.save(dataset)
        lc.submit(self._run, dataset.arn)
        return from_resource(Dataset, dataset)

    def resume(self) -> None:
        """After a restart: finish the updates that were under way."""
        for dataset in self.lifecycle.store.find("dataset"):
            if (dataset.body.get("latest_dataset_update") or {}).get("status") in CREATING:
                self.lifecycle.submit(self._run, dataset.arn)

    def _set_update(self, arn: str, status: str, failure_reason: str | None = None) -> bool:
        """Move the dataset's latest update to ``status`` (on ACTIVE its schema becomes the dataset's)."""

        def apply(dataset: Resource, update: dict[str, Any]) -> None:
            dataset.body["schema_arn"] = update["schema_arn"]

        member = "latest_dataset_update"
        return self.lifecycle.set_update_status(arn, member, status, failure_reason, apply) is not None

    def _run(self, arn: str) -> None:
        lc = self.lifecycle
        lc.pause()
        if lc.wait(0) or not self._set_update(arn, CREATE_IN_PROGRESS):  # shutting down: resumed after the restart
            return
        lc.pause()
        if lc.wait(0):
            return
        try:
            with lc.lock:
                dataset = lc.store.get(arn)
                if dataset is None:
                    return
                new = parse_schema(lc.get("schema", dataset.body["latest_dataset_update"]["schema_arn"]).body["schema"])
                bulk = lc.files.read_bulk(dataset.internal["id"])
                if bulk is not None:
                    for field in new.fields:
                        if field.name not in bulk.columns:
                            bulk[field.name] = empty_column(field, len(bulk))
                    lc.files.write_bulk(dataset.internal["id"], bulk[new.names])
                self._set_update(arn, ACTIVE)
        except Exception as exc:  # a bug or an unexpected library error: the update fails, the dataset is unchanged
            logger.exception("updating %s failed", arn)
            self._set_update(arn, CREATE_FAILED, f"Internal error: {type(exc).__name__}: {exc}")
            return
        self.group_data.forget(dataset.body["dataset_group_arn"])
