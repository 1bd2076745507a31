"""End to end: the producer example puts watch events on a moto Kinesis stream, the records are read back with
GetRecords and handed to the forwarder Lambda handler as Lambda would, and Personalize Local (a real server with a
trained, deployed User-Personalization campaign) serves different recommendations afterwards.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from personalize_local import local_personalize
from sam_app.handlers import LambdaContext, load_function
from testing.personalize_setup import DeployedRecommender, deploy_small_recommender, small_dataset
from testing.watch_event_batches import event_from_get_records
from tests.support.forward_events import (
    DeliveredEvents,
    FailFirstCalls,
    drain_queue,
    reconcile,
)

ROOT = Path(__file__).resolve().parents[2]
RECIPE = "aws-user-personalization"


def load_producer() -> Any:
    spec = importlib.util.spec_from_file_location(
        "stream_watch_events_e2e", ROOT / "examples" / "stream_watch_events.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Stack:
    """Everything the live-events path touches, offline."""

    recommender: DeployedRecommender
    genre_of: dict[str, str]
    taste_of: dict[str, str]
    kinesis: Any
    runtime: Any
    sqs: Any
    dlq_url: str
    app: Any
    delivered: DeliveredEvents
    stored_events: Any

    def recommendations(self, user: str) -> list[str]:
        response = self.runtime.get_recommendations(
            campaignArn=self.recommender.campaign_arns[RECIPE], userId=user, numResults=10
        )
        return [item["itemId"] for item in response["itemList"]]

    def new_stream(self, name: str) -> str:
        """A fresh two-shard stream for one test."""
        self.kinesis.create_stream(StreamName=name, ShardCount=2)
        return name

    def batches_from_stream(self, stream: str, batch_size: int) -> Iterator[dict[str, Any]]:
        """What the event source mapping does: read each shard in order, one Lambda event per batch."""
        stream_arn = self.kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
        for shard in self.kinesis.list_shards(StreamName=stream)["Shards"]:
            iterator = self.kinesis.get_shard_iterator(
                StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            while iterator:
                page = self.kinesis.get_records(ShardIterator=iterator, Limit=batch_size)
                if not page["Records"]:
                    break
                yield event_from_get_records(page["Records"], shard_id=shard["ShardId"], stream_arn=stream_arn)
                iterator = page["NextShardIterator"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One trained campaign for the module (training is the slow part); every test uses its own users and stream.

    Every client is created here, while Personalize Local's endpoint variables are set: the autouse fixture of
    tests/conftest.py removes AWS_ENDPOINT_URL* before each test, and a client keeps the endpoint it was made with.
    """
    patch = pytest.MonkeyPatch()
    patch.setenv("AWS_ACCESS_KEY_ID", "testing")
    patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    patch.setenv("POWERTOOLS_METRICS_NAMESPACE", "AnimeRecommenderTests")
    patch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    for name in [n for n in __import__("os").environ if n.startswith("AWS_ENDPOINT_URL")]:
        patch.delenv(name)
    with mock_aws(), local_personalize(data_dir=tmp_path_factory.mktemp("personalize")) as local:
        boto3.client("s3").create_bucket(Bucket="data")
        dataset = small_dataset()
        recommender = deploy_small_recommender("data", dataset.interactions_csv, dataset.items_csv, recipes=(RECIPE,))
        kinesis = boto3.client("kinesis")
        sqs = boto3.client("sqs")
        dlq_url = sqs.create_queue(QueueName="forward-events-dlq")["QueueUrl"]
        boto3.client("ssm").put_parameter(Name="/anime-recs/tracking-id", Value=recommender.tracking_id, Type="String")
        patch.setenv("DLQ_URL", dlq_url)
        patch.setenv("TRACKING_ID_PARAMETER", "/anime-recs/tracking-id")
        patch.setenv("PUT_EVENTS_BASE_DELAY_SECONDS", "0.001")
        patch.setenv("PUT_EVENTS_MAX_DELAY_SECONDS", "0.004")
        parameters.clear_caches()
        app = load_function("forward_events")
        delivered = DeliveredEvents().attach(app.forwarder().events_client)
        yield Stack(
            recommender=recommender,
            genre_of=dataset.genre_of,
            taste_of=dataset.taste_of,
            kinesis=kinesis,
            runtime=boto3.client("personalize-runtime"),
            sqs=sqs,
            dlq_url=dlq_url,
            app=app,
            delivered=delivered,
            stored_events=lambda: local.backend.store.events(recommender.dataset_group_arn),
        )
        app.metrics.clear_metrics()
        parameters.clear_caches()
    patch.undo()


def test_watch_events_streamed_through_kinesis_change_the_users_recommendations(stack: Stack) -> None:
    newcomer, action_fan = "viewer-new", "u000"
    assert stack.taste_of[action_fan] == "Action" and newcomer not in stack.taste_of
    before = {user: stack.recommendations(user) for user in (newcomer, action_fan)}
    drama = [item for item, genre in sorted(stack.genre_of.items()) if genre == "Drama"]
    producer = load_producer()
    events = [producer.watch_event(newcomer, item, "RATING", eventValue=10.0) for item in drama[:5]]
    events += [
        producer.watch_event(action_fan, item, "RATING", eventValue=10.0, sessionId="tv-1") for item in drama[:8]
    ]

    stream = stack.new_stream("watch-events-recommendations")
    result = producer.WatchEventProducer(stream, kinesis_client=stack.kinesis).send(events)
    assert (result.written, result.failed) == (len(events), [])
    delivered = 0
    for event in stack.batches_from_stream(stream, batch_size=100):
        response = stack.app.lambda_handler(event, LambdaContext.for_function("forward-events", memory_mb=512))
        split = reconcile(event, response, stack.delivered.events, drain_queue(stack.sqs, stack.dlq_url))
        assert not split.dead_lettered and not split.reported
        delivered += len(split.delivered)
        stack.delivered.calls.clear()

    assert delivered == len(events)
    after = {user: stack.recommendations(user) for user in (newcomer, action_fan)}
    dramas = {user: (count_drama(stack, before[user]), count_drama(stack, after[user])) for user in after}
    assert after[newcomer] != before[newcomer] and after[action_fan] != before[action_fan]
    assert dramas[newcomer][0] <= 6 and dramas[newcomer][1] >= 9, (before[newcomer], after[newcomer])
    assert dramas[action_fan][1] > dramas[action_fan][0], (before[action_fan], after[action_fan])
    stored = [row for row in stack.stored_events() if row["user_id"] in (newcomer, action_fan)]
    assert sorted(row["event_id"] for row in stored) == sorted(event["eventId"] for event in events)


def count_drama(stack: Stack, items: list[str]) -> int:
    return sum(stack.genre_of[item] == "Drama" for item in items)


def test_throttled_poisoned_stream_loses_nothing_and_stores_each_event_once(stack: Stack) -> None:
    producer = load_producer()
    users, items = ["u010", "u011", "u012", "u013"], sorted(stack.genre_of)
    good = [producer.watch_event(users[n % 4], items[(n * 7) % len(items)], "WATCHING") for n in range(60)]
    poison = [
        {"userId": "u010", "eventType": "WATCHING"},
        {"userId": "u011", "itemId": "i001", "eventType": "WATCHING", "sentAt": 1e13},
    ]
    stream = stack.new_stream("watch-events-throttled")
    stack.kinesis.put_records(StreamName=stream, Records=[{"Data": b"{not json", "PartitionKey": "u012"}])
    assert producer.WatchEventProducer(stream, kinesis_client=stack.kinesis).send(good + poison).failed == []
    stored_before = len(stack.stored_events())
    throttle = FailFirstCalls(count=6)  # the first 6 PutEvents calls are throttled, then Personalize Local answers
    client = stack.app.forwarder().events_client
    client.meta.events.register("before-send.personalize-events.PutEvents", throttle)
    delivered: set[str] = set()
    dead: set[str] = set()
    invocations = 0
    try:
        for batch in stack.batches_from_stream(stream, batch_size=25):
            event = batch
            while True:  # Lambda's retry of a partial failure: the batch again from the lowest reported record
                invocations += 1
                response = stack.app.lambda_handler(event, LambdaContext.for_function("forward-events", memory_mb=512))
                split = reconcile(event, response, stack.delivered.events, drain_queue(stack.sqs, stack.dlq_url))
                stack.delivered.calls.clear()
                shard = event["Records"][0]["eventID"].split(":")[0]  # sequence numbers are unique per shard
                delivered |= {f"{shard}:{sequence}" for sequence in split.delivered}
                dead |= {f"{shard}:{sequence}" for sequence in split.dead_lettered}
                if not split.reported:
                    break
                sequences = [record["kinesis"]["sequenceNumber"] for record in event["Records"]]
                checkpoint = min(sequences.index(sequence) for sequence in split.reported)
                event = {"Records": event["Records"][checkpoint:]}
                assert invocations < 20, "Lambda would keep retrying: the forwarder never caught up"
    finally:
        client.meta.events.unregister("before-send.personalize-events.PutEvents", throttle)

    assert throttle.failed == 6
    assert (len(delivered), len(dead)) == (60, 3)
    stored = stack.stored_events()[stored_before:]
    # a replay re-sends records after the checkpoint that were already delivered: same eventId, which Personalize
    # does not use twice for training; nothing is missing.
    assert {row["event_id"] for row in stored} == {event["eventId"] for event in good}
