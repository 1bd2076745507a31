"""The forwarder's tracking id: read from the SSM parameter the contract names; the template's placeholder is
"no event tracker yet" (the forwarder then leaves the records to the stream's retry)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from anime_recommender.contracts.parameters import PLACEHOLDER, ParameterNames
from anime_recommender.forward_events import PublishedTrackingId, TrackingIdNotDeployed


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        parameters.clear_caches()
        yield boto3.client("ssm")
        parameters.clear_caches()


def test_without_an_explicit_parameter_the_projects_published_name_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROJECT_NAME", "my-recs")
    source = PublishedTrackingId.from_environment({"TRACKING_ID_CACHE_SECONDS": "7"})
    assert source == PublishedTrackingId(ParameterNames("my-recs").tracking_id, 7)
    assert PublishedTrackingId.from_environment({"TRACKING_ID_PARAMETER": "/x/id"}).parameter_name == "/x/id"


def test_the_placeholder_is_no_tracker_and_a_real_value_is_returned(ssm) -> None:
    name = ParameterNames("anime-recs").tracking_id
    ssm.put_parameter(Name=name, Value=PLACEHOLDER, Type="String")
    source = PublishedTrackingId(name)
    with pytest.raises(TrackingIdNotDeployed, match=f"{name} holds 'not-deployed-yet'"):
        source()

    ssm.put_parameter(Name=name, Value="tracking-7", Type="String", Overwrite=True)
    source.forget()
    assert source() == "tracking-7"
