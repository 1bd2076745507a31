"""The recommendations use cases: Personalize calls plus catalog titles, with errors the API can map."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from anime_recommender.contracts.sessions import default_session_id
from anime_recommender.recommendations_api.catalog import Catalog, load_catalog
from anime_recommender.recommendations_api.errors import (
    InvalidParameterError,
    NotReadyError,
    ThrottledError,
    UpstreamError,
    UpstreamRejectedError,
)
from anime_recommender.recommendations_api.filters import FilterRequest, choose_filter, resolve_filter_request
from anime_recommender.recommendations_api.models import (
    AnimeDetail,
    EventAccepted,
    EventRequest,
    RecommendationList,
)
from anime_recommender.recommendations_api.settings import THROTTLING_CODES, PublishedSettings, SettingsConfig

MAX_NUM_RESULTS = 100
"""One page of titled results; Personalize itself allows 500, but an app shows far fewer and each item is titled."""
DEFAULT_NUM_RESULTS = 25

CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=3, read_timeout=10)
"""An API answers quickly: one retry, then the error goes to the client (503 with Retry-After)."""


@contextmanager
def personalize_errors(what: str) -> Iterator[None]:
    """Translate botocore errors from a Personalize call into the API's errors (never a raw boto3 error).

    Throttling and Personalize's own failures are retryable 503s; a request Personalize refuses (another 4xx) means
    the API let through input it should have rejected, so it is a 500 the operator has to look at.
    """
    try:
        yield
    except ClientError as error:
        details = error.response.get("Error", {})
        code = details.get("Code", "")
        message = details.get("Message", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in THROTTLING_CODES or status == 429:
            raise ThrottledError(f"Personalize is throttling requests to the {what}; retry shortly") from error
        if code == "ResourceNotFoundException" or (code == "InvalidInputException" and "active" in message.lower()):
            raise NotReadyError(f"The {what} is not available yet ({code}: {message})") from error
        if isinstance(status, int) and 400 <= status < 500:
            raise UpstreamRejectedError(f"Personalize refused the request the API built for the {what}") from error
        raise UpstreamError(f"Personalize could not serve this request to the {what} ({code})") from error
    except BotoCoreError as error:
        raise UpstreamError(f"Personalize is unreachable for the {what}") from error


class RecommendationService:
    """Recommendations, similar anime, rankings, events and catalog entries for the API."""

    def __init__(
        self,
        settings: PublishedSettings,
        runtime_client: Any,
        events_client: Any,
        s3_client: Any,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._runtime = runtime_client
        self._events = events_client
        self._s3 = s3_client
        self._clock = clock
        self._catalog_cache: tuple[str, Catalog] | None = None

    @classmethod
    def from_environment(cls) -> RecommendationService:
        """Clients from the ambient AWS configuration (honours ``AWS_ENDPOINT_URL_*``, e.g. Personalize Local)."""
        return cls(
            settings=PublishedSettings(SettingsConfig.from_environment(), boto3.client("ssm", config=CLIENT_CONFIG)),
            runtime_client=boto3.client("personalize-runtime", config=CLIENT_CONFIG),
            events_client=boto3.client("personalize-events", config=CLIENT_CONFIG),
            s3_client=boto3.client("s3", config=CLIENT_CONFIG),
        )

    # ------------------------------------------------------------------ catalog
    def catalog(self) -> Catalog:
        """The live catalog, loaded from S3 once per catalog URI (a new drop publishes a new URI)."""
        uri = self.settings.catalog_uri()
        if self._catalog_cache is not None and self._catalog_cache[0] == uri:
            return self._catalog_cache[1]
        try:
            catalog = load_catalog(self._s3, uri)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in THROTTLING_CODES or code == "SlowDown":
                raise ThrottledError("Too many requests reading the catalog; retry shortly") from error
            if code in {"NoSuchKey", "NoSuchBucket", "404"}:
                raise NotReadyError(f"The catalog {uri} published in SSM does not exist") from error
            raise UpstreamError(f"Could not read the catalog {uri} ({code})") from error
        except (ValueError, KeyError) as error:
            raise UpstreamError(f"The catalog {uri} is not a valid catalog.json") from error
        self._catalog_cache = (uri, catalog)
        return catalog

    def describe_anime(self, anime_id: int) -> AnimeDetail:
        """GET /anime/{animeId}."""
        return self.catalog().get(anime_id).as_detail()

    # ------------------------------------------------------------------ recommendations
    def recommend_for_user(self, user_id: str, request: FilterRequest, num_results: int) -> RecommendationList:
        """Top ``num_results`` for a user from the user-personalization campaign, through the pipeline's filters."""
        catalog = self.catalog()
        request = resolve_filter_request(request, catalog)
        campaign_arn = self.settings.campaign_arn("user-personalization")
        arguments: dict[str, Any] = {"campaignArn": campaign_arn, "userId": user_id, "numResults": num_results}
        if not request.is_empty:
            event_types = self.settings.event_types() if request.exclude_watched else []
            choice = choose_filter(request, event_types)
            arguments["filterArn"] = self.settings.filter_arn(choice.name)
            if choice.values:
                arguments["filterValues"] = choice.values
        with personalize_errors("user-personalization campaign"):
            response = self._runtime.get_recommendations(**arguments)
        return self._titled(response.get("itemList", []), response.get("recommendationId"), catalog)

    def similar_anime(self, anime_id: int, num_results: int) -> RecommendationList:
        """Anime similar to ``anime_id`` from the SIMS campaign."""
        catalog = self.catalog()
        catalog.get(anime_id)
        campaign_arn = self.settings.campaign_arn("sims")
        with personalize_errors("SIMS campaign"):
            response = self._runtime.get_recommendations(
                campaignArn=campaign_arn, itemId=str(anime_id), numResults=num_results
            )
        return self._titled(response.get("itemList", []), response.get("recommendationId"), catalog)

    def rank_for_user(self, user_id: str, anime_ids: list[int]) -> RecommendationList:
        """``anime_ids`` reordered for the user by the personalized-ranking campaign."""
        duplicates = sorted(anime_id for anime_id, count in Counter(anime_ids).items() if count > 1)
        if duplicates:
            raise InvalidParameterError("animeIds", f"animeIds lists these ids more than once: {duplicates}")
        catalog = self.catalog()
        catalog.require(anime_ids)
        campaign_arn = self.settings.campaign_arn("personalized-ranking")
        with personalize_errors("personalized-ranking campaign"):
            response = self._runtime.get_personalized_ranking(
                campaignArn=campaign_arn, userId=user_id, inputList=[str(anime_id) for anime_id in anime_ids]
            )
        return self._titled(response.get("personalizedRanking", []), response.get("recommendationId"), catalog)

    @staticmethod
    def _titled(items: list[dict[str, Any]], recommendation_id: str | None, catalog: Catalog) -> RecommendationList:
        return RecommendationList(
            recommendationId=recommendation_id,
            items=[catalog.item(item["itemId"], item.get("score")) for item in items],
        )

    # ------------------------------------------------------------------ events
    def record_event(self, user_id: str, event: EventRequest) -> EventAccepted:
        """Send one interaction to the event tracker (``eventValue`` 0 is a value and is sent).

        Without a ``sessionId`` the event joins the user's default session, the same one the Kinesis forwarder
        uses, so a user's API and stream events form one session.
        """
        self.catalog().get(event.animeId)
        tracking_id = self.settings.tracking_id()
        session_id = event.sessionId or default_session_id(user_id)
        sent_at = int(self._clock())
        payload: dict[str, Any] = {"eventType": event.eventType, "sentAt": sent_at, "itemId": str(event.animeId)}
        if event.eventValue is not None:
            payload["eventValue"] = event.eventValue
        if event.recommendationId is not None:
            payload["recommendationId"] = event.recommendationId
        with personalize_errors("event tracker"):
            self._events.put_events(trackingId=tracking_id, userId=user_id, sessionId=session_id, eventList=[payload])
        return EventAccepted(
            userId=user_id,
            animeId=event.animeId,
            eventType=event.eventType,
            eventValue=event.eventValue,
            sessionId=session_id,
            sentAt=sent_at,
            recommendationId=event.recommendationId,
        )
