"""TagResource, UntagResource, ListTagsForResource: tags of any resource by ARN."""

from __future__ import annotations

from personalize_local.models.domain import Tag
from personalize_local.models.lifecycle import Lifecycle, check_tags
from personalize_local.store import Resource


class Tags:
    """Tags of every taggable resource."""

    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle

    def _resource(self, arn: str) -> Resource:
        return self.lifecycle.get(None, arn)

    def tag_resource(self, resource_arn: str, tags: list[dict[str, str]]) -> None:
        """TagResource: add or overwrite tags (at most 200 in all)."""
        self._resource(resource_arn)
        store = self.lifecycle.store
        merged = {**store.tags(resource_arn), **check_tags(tags)}
        check_tags([{"tag_key": k, "tag_value": v} for k, v in merged.items()])
        store.set_tags(resource_arn, merged)

    def untag_resource(self, resource_arn: str, tag_keys: list[str]) -> None:
        """UntagResource."""
        self._resource(resource_arn)
        self.lifecycle.store.remove_tags(resource_arn, tag_keys)

    def list_tags_for_resource(self, resource_arn: str) -> list[Tag]:
        """ListTagsForResource."""
        self._resource(resource_arn)
        return [Tag(key, value) for key, value in self.lifecycle.store.tags(resource_arn).items()]
