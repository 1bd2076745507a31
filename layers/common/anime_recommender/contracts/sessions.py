"""The session-id rule: the session of an event whose sender gave none.

The forwarder (Kinesis records) and the REST API (``POST /users/{userId}/events``) both send PutEvents calls, and a
user's events without a ``sessionId`` must land in the same session whichever path they took.
"""

from __future__ import annotations

import uuid
from functools import lru_cache

#: Namespace of the default session ids (uuid5 of the user id): stable across invocations and deployments.
DEFAULT_SESSION_NAMESPACE = uuid.UUID("6f1c8f8e-2a4b-5d7e-9c3a-8b1d2e4f6a70")


@lru_cache(maxsize=65536)
def default_session_id(user_id: str) -> str:
    """The session id of a user who sent none: the same for every event of that user, in every invocation."""
    return str(uuid.uuid5(DEFAULT_SESSION_NAMESPACE, user_id))
