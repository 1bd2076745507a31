"""Metric attributions: reports on the impact of recommendations
(https://docs.aws.amazon.com/personalize/latest/dg/API_CreateMetricAttribution.html,
https://docs.aws.amazon.com/personalize/latest/dg/metric-attributions.html).

Each metric is an event type and ``SAMPLECOUNT()`` or ``SUM(<Interactions|Items>.<numeric column>)``
(https://docs.aws.amazon.com/personalize/latest/dg/API_MetricAttribute.html), aggregated over 15-minute windows by
event attribution source. AWS sends reports on PutEvents and incremental bulk data to CloudWatch and, for a bulk
import with ``publishAttributionMetricsToS3``, writes a CSV to the attribution's S3 path named
``AggregatedAttributionMetrics - ImportMethod - Timestamp.csv`` with the columns of :data:`REPORT_COLUMNS`
(https://docs.aws.amazon.com/personalize/latest/dg/metric-attribution-results-s3.html). Personalize Local writes the
S3 report; it has no CloudWatch, so streamed events are reported nowhere."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import pandas as pd

from personalize_local.exceptions import InvalidInputException, ResourceAlreadyExistsException
from personalize_local.models.domain import Page, from_resource, to_body
from personalize_local.models.group_cache import GroupDataCache
from personalize_local.models.lifecycle import CreateFailed, Lifecycle, now
from personalize_local.models.lifecycle_domain import MetricAttribution
from personalize_local.s3_output import S3OutputError, check_writable, write_csv
from personalize_local.store import Resource

logger = logging.getLogger("personalize_local")

MAX_METRICS = 10
WINDOW_SECONDS = 15 * 60
UNDEFINED_SOURCE = "SOURCE_NAME_UNDEFINED"  # https://docs.aws.amazon.com/personalize/latest/dg/event-metrics.html
REPORT_COLUMNS = ["METRIC_NAME", "EVENT_TYPE", "VALUE", "MATH_FUNCTION", "EVENT_ATTRIBUTION_SOURCE", "TIMESTAMP"]
_SAMPLECOUNT = re.compile(r"^\s*SAMPLECOUNT\(\s*\)\s*$", re.IGNORECASE)
_SUM = re.compile(r"^\s*SUM\(\s*(?P<dataset>Interactions|Items)\.(?P<column>[A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$", re.I)
_NUMERIC = ("int", "long", "float", "double")


def parse_expression(expression: str) -> tuple[str, str | None, str | None]:
    """(math function, dataset type, column) of a metric expression; InvalidInputException when it is neither
    ``SAMPLECOUNT()`` nor ``SUM(Interactions.X)`` / ``SUM(Items.X)``."""
    if _SAMPLECOUNT.match(expression):
        return "samplecount", None, None
    match = _SUM.match(expression)
    if match:
        dataset = "Interactions" if match["dataset"].lower() == "interactions" else "Items"
        return "sum", dataset, match["column"].upper()
    raise InvalidInputException(
        f"Invalid metric expression {expression!r}: "
        "use SAMPLECOUNT() or SUM(Interactions.<column>) / SUM(Items.<column>)"
    )


def attribution_report(
    interactions: pd.DataFrame, items: pd.DataFrame | None, metrics: list[dict[str, str]]
) -> pd.DataFrame:
    """The report rows of ``metrics`` over ``interactions``: one row per metric, attribution source and 15-minute
    window (TIMESTAMP = the window's start)."""
    rows: list[pd.DataFrame] = []
    for metric in metrics:
        function, dataset, column = parse_expression(metric["expression"])
        events = interactions[interactions["EVENT_TYPE"].astype(str).str.lower() == metric["event_type"].lower()]
        if not len(events):
            continue
        if "EVENT_ATTRIBUTION_SOURCE" in events.columns:
            source = events["EVENT_ATTRIBUTION_SOURCE"].astype("string").fillna(UNDEFINED_SOURCE)
        else:
            source = pd.Series(UNDEFINED_SOURCE, index=events.index)
        window = events["TIMESTAMP"].astype("int64") // WINDOW_SECONDS * WINDOW_SECONDS
        if function == "samplecount":
            value = pd.Series(1.0, index=events.index)
        elif dataset == "Interactions":
            value = pd.to_numeric(events[column], errors="coerce")
        else:
            lookup = (
                pd.Series(dtype="float64") if items is None else items.set_index(items["ITEM_ID"].astype(str))[column]
            )
            value = pd.to_numeric(events["ITEM_ID"].astype(str).map(lookup), errors="coerce")
        grouped = pd.DataFrame({"source": source, "window": window, "value": value}).groupby(["source", "window"])
        totals = grouped["value"].sum(min_count=0).reset_index()
        rows.append(
            pd.DataFrame(
                {
                    "METRIC_NAME": metric["metric_name"],
                    "EVENT_TYPE": metric["event_type"],
                    "VALUE": totals["value"].astype(float),
                    "MATH_FUNCTION": function,
                    "EVENT_ATTRIBUTION_SOURCE": totals["source"],
                    "TIMESTAMP": totals["window"],
                }
            )
        )
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=REPORT_COLUMNS)


class MetricAttributions:
    """Create/Describe/List/Update/DeleteMetricAttribution, ListMetricAttributionMetrics, and the S3 reports of
    bulk imports."""

    def __init__(self, lifecycle: Lifecycle, group_data: GroupDataCache) -> None:
        self.lifecycle = lifecycle
        self.group_data = group_data
        # Reports are published by dataset import jobs: wrap the import job the DatasetGroups part registered.
        import_job = lifecycle.create_jobs["dataset-import-job"]
        lifecycle.register("dataset-import-job", create=self._publishing(import_job))
        lifecycle.delete_children("dataset-group", "metric-attribution")

    # ------------------------------------------------------------------ operations
    def create_metric_attribution(
        self,
        name: str,
        dataset_group_arn: str,
        metrics: list[dict[str, str]],
        metrics_output_config: dict[str, Any],
    ) -> MetricAttribution:
        """CreateMetricAttribution: the metrics' expressions and columns are checked against the group's schemas."""
        lc = self.lifecycle
        lc.check_name(name)
        with lc.lock:
            group = lc.get_active("dataset-group", dataset_group_arn)
            self._check_metrics(group.arn, metrics)
            lc.ensure_unique_name("metric-attribution", name)
            attribution = MetricAttribution(
                name=name,
                metric_attribution_arn=lc.arn(f"metric-attribution/{name}"),
                dataset_group_arn=group.arn,
                metrics_output_config=metrics_output_config,
                metrics=list(metrics),
            )
            resource = Resource(
                "metric-attribution", attribution.metric_attribution_arn, name, group.arn, to_body(attribution)
            )
            resource = lc.create(resource)
        return from_resource(MetricAttribution, resource)

    def describe_metric_attribution(self, metric_attribution_arn: str) -> MetricAttribution:
        """DescribeMetricAttribution."""
        return from_resource(MetricAttribution, self.lifecycle.get("metric-attribution", metric_attribution_arn))

    def list_metric_attributions(
        self, dataset_group_arn: str | None = None, next_token: str | None = None, max_results: int | None = None
    ) -> Page[MetricAttribution]:
        """ListMetricAttributions (newest first)."""
        parent = ("dataset-group", dataset_group_arn)
        return self.lifecycle.list_page("metric-attribution", MetricAttribution, next_token, max_results, parent)

    def list_metric_attribution_metrics(
        self, metric_attribution_arn: str | None = None, next_token: str | None = None, max_results: int | None = None
    ) -> Page[dict[str, str]]:
        """ListMetricAttributionMetrics: the attribution's metrics, in the order they were added."""
        if not metric_attribution_arn:
            raise InvalidInputException("metricAttributionArn is required")
        attribution = self.lifecycle.get("metric-attribution", metric_attribution_arn)
        return self.lifecycle.paginate(list(attribution.body["metrics"]), next_token, max_results)

    def update_metric_attribution(
        self,
        metric_attribution_arn: str | None = None,
        add_metrics: list[dict[str, str]] | None = None,
        remove_metrics: list[str] | None = None,
        metrics_output_config: dict[str, Any] | None = None,
    ) -> MetricAttribution:
        """UpdateMetricAttribution: remove metrics by name, add metrics, replace the output configuration."""
        lc = self.lifecycle
        if not metric_attribution_arn:
            raise InvalidInputException("metricAttributionArn is required")
        with lc.lock:
            attribution = lc.get_active("metric-attribution", metric_attribution_arn)
            metrics = list(attribution.body["metrics"])
            names = {m["metric_name"] for m in metrics}
            unknown = sorted(set(remove_metrics or []) - names)
            if unknown:
                raise InvalidInputException(f"removeMetrics names metrics the attribution does not have: {unknown}")
            metrics = [m for m in metrics if m["metric_name"] not in set(remove_metrics or [])]
            metrics += list(add_metrics or [])
            self._check_metrics(attribution.body["dataset_group_arn"], metrics)
            attribution.body["metrics"] = metrics
            if metrics_output_config is not None:
                attribution.body["metrics_output_config"] = metrics_output_config
            attribution.body["last_updated_date_time"] = now()
            lc.store.save(attribution)
        return from_resource(MetricAttribution, attribution)

    def delete_metric_attribution(self, metric_attribution_arn: str) -> None:
        """DeleteMetricAttribution (reports stop; files already written stay)."""
        with self.lifecycle.lock:
            self.lifecycle.delete(self.lifecycle.get("metric-attribution", metric_attribution_arn))

    # ------------------------------------------------------------------ checks
    def _check_metrics(self, group_arn: str, metrics: list[dict[str, str]]) -> None:
        if not 1 <= len(metrics) <= MAX_METRICS:
            raise InvalidInputException(f"A metric attribution has 1 to {MAX_METRICS} metrics, got {len(metrics)}")
        seen: set[str] = set()
        schemas = self.group_data.declared_schemas(group_arn)
        for metric in metrics:
            name = metric["metric_name"]
            if name in seen:
                raise ResourceAlreadyExistsException(f"The metric attribution already has a metric named {name}")
            seen.add(name)
            _, dataset, column = parse_expression(metric["expression"])
            if dataset is None:
                continue
            schema = schemas.get(dataset)
            if schema is None:
                raise InvalidInputException(f"Metric {name}: the dataset group has no {dataset} dataset for {column}")
            field = schema.field(str(column))
            if field is None or field.base_type not in _NUMERIC:
                raise InvalidInputException(f"Metric {name}: {dataset}.{column} is not a numeric field of the schema")

    # ------------------------------------------------------------------ reports
    def _publishing(self, import_job: Callable[[Resource], None]) -> Callable[[Resource], None]:
        """``import_job`` followed by the S3 reports of the group's metric attributions, when the job asks for them."""

        def run(job: Resource) -> None:
            targets = self._report_targets(job)
            for target in targets:  # fail before importing anything when a report cannot be written
                try:
                    check_writable(target.body["metrics_output_config"]["s3_data_destination"]["path"])
                except S3OutputError as exc:
                    raise CreateFailed(f"Metric attribution {target.arn}: {exc}") from exc
            dataset = self.lifecycle.store.get(job.body["dataset_arn"])
            before = 0
            if targets and dataset is not None:
                existing = self.lifecycle.files.read_bulk(dataset.internal["id"])
                before = 0 if existing is None or job.body["import_mode"] == "FULL" else len(existing)
            import_job(job)
            if targets and dataset is not None:
                self._publish(job, dataset, targets, before)

        return run

    def _report_targets(self, job: Resource) -> list[Resource]:
        """The ACTIVE metric attributions with an S3 path that a bulk Interactions import job reports to."""
        if not job.body.get("publish_attribution_metrics_to_s3"):
            return []
        dataset = self.lifecycle.store.get(job.body["dataset_arn"])
        if dataset is None or dataset.body["dataset_type"] != "Interactions":
            return []
        found = self.lifecycle.store.find("metric-attribution", parent=dataset.body["dataset_group_arn"])
        return [a for a in found if a.status == "ACTIVE" and a.body["metrics_output_config"].get("s3_data_destination")]

    def _publish(self, job: Resource, dataset: Resource, targets: list[Resource], first_row: int) -> None:
        """Write one report per attribution over the records this import added (rows ``first_row`` onwards)."""
        bulk = self.lifecycle.files.read_bulk(dataset.internal["id"])
        if bulk is None:
            return
        imported = bulk.iloc[first_row:]
        items = self.group_data.frames(dataset.body["dataset_group_arn"]).items
        filename = f"AggregatedAttributionMetrics-{job.body['import_mode']}-{int(now())}.csv"
        for target in targets:
            report = attribution_report(imported, items, target.body["metrics"])
            path = target.body["metrics_output_config"]["s3_data_destination"]["path"]
            try:
                write_csv(path, filename, report)
            except S3OutputError:  # checked writable just before the import; the import itself succeeded
                logger.exception("metric report of %s for %s could not be written", target.arn, job.arn)
