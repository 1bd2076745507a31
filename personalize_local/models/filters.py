"""Filter resources (CreateFilter ... DeleteFilter) and their parsed expressions for serving."""

from __future__ import annotations

import threading

from personalize_local.exceptions import InvalidInputException, LimitExceededException
from personalize_local.filters import FilterExpression, FilterSyntaxError, parse_filter
from personalize_local.models.domain import Filter, Page, from_resource, to_body
from personalize_local.models.group_cache import GroupDataCache
from personalize_local.models.lifecycle import ACTIVE, Lifecycle
from personalize_local.store import Resource

MAX_FILTERS_PER_GROUP = 30


class Filters:
    """CreateFilter ... DeleteFilter, and the ACTIVE filters serving applies."""

    def __init__(self, lifecycle: Lifecycle, group_data: GroupDataCache) -> None:
        self.lifecycle = lifecycle
        self.group_data = group_data
        self._lock = threading.Lock()
        self._parsed: dict[str, FilterExpression] = {}
        lifecycle.register("filter", delete=self._forget)

    def create_filter(
        self, name: str, dataset_group_arn: str, filter_expression: str, tags: list[dict[str, str]] | None = None
    ) -> Filter:
        """CreateFilter: the expression is parsed now; a syntax error is an InvalidInputException naming the place."""
        lc = self.lifecycle
        lc.check_name(name)
        try:
            expression = parse_filter(filter_expression)
        except FilterSyntaxError as exc:
            raise InvalidInputException(f"Could not create filter. {exc}") from None
        with lc.lock:
            group = lc.get_active("dataset-group", dataset_group_arn)
            self._check_fields(expression, group.arn)
            lc.ensure_unique_name("filter", name)
            if len(lc.store.find("filter", parent=group.arn)) >= MAX_FILTERS_PER_GROUP:
                raise LimitExceededException(f"At most {MAX_FILTERS_PER_GROUP} filters per dataset group")
            flt = Filter(
                name=name,
                filter_arn=lc.arn(f"filter/{name}"),
                dataset_group_arn=group.arn,
                filter_expression=filter_expression,
            )
            resource = lc.create(Resource("filter", flt.filter_arn, name, group.arn, to_body(flt)), tags)
        return from_resource(Filter, resource)

    def _check_fields(self, expression: FilterExpression, group_arn: str) -> None:
        """Every field the expression names must be a field of that dataset's schema in the group.

        A filter filters on "the fields of your datasets"
        (https://docs.aws.amazon.com/personalize/latest/dg/filter-expressions.html); a dataset the group does not
        have (yet) is not checked, as its schema is not known.
        """
        schemas = self.group_data.declared_schemas(group_arn)
        for dataset, field in sorted(expression.dataset_fields):
            schema = schemas.get(dataset)
            if schema is not None and field.upper() not in {name.upper() for name in schema.names}:
                raise InvalidInputException(
                    f"Could not create filter. {dataset}.{field} is not a field of the {dataset} dataset's schema"
                )

    def describe_filter(self, filter_arn: str) -> Filter:
        """DescribeFilter."""
        return from_resource(Filter, self.lifecycle.get("filter", filter_arn))

    def list_filters(
        self, dataset_group_arn: str | None = None, next_token: str | None = None, max_results: int | None = None
    ) -> Page[Filter]:
        """ListFilters (newest first)."""
        parent = ("dataset-group", dataset_group_arn)
        return self.lifecycle.list_page("filter", Filter, next_token, max_results, parent)

    def delete_filter(self, filter_arn: str) -> None:
        """DeleteFilter."""
        with self.lifecycle.lock:
            self.lifecycle.delete(self.lifecycle.get("filter", filter_arn))

    def active(self, filter_arn: str, group_arn: str) -> tuple[Filter, FilterExpression]:
        """An ACTIVE filter of ``group_arn`` and its parsed expression (InvalidInputException otherwise)."""
        resource = self.lifecycle.get("filter", filter_arn)
        if resource.status != ACTIVE:
            raise InvalidInputException(f"Filter {filter_arn} is not ACTIVE (status {resource.status})")
        if resource.parent != group_arn:
            raise InvalidInputException(f"Filter {filter_arn} belongs to another dataset group")
        flt = from_resource(Filter, resource)
        expression = self._parsed.get(filter_arn)
        if expression is None:
            expression = parse_filter(flt.filter_expression)
            with self._lock:
                self._parsed[filter_arn] = expression
        return flt, expression

    def _forget(self, resource: Resource) -> None:
        with self._lock:
            self._parsed.pop(resource.arn, None)
