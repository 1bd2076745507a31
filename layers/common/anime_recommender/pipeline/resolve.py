"""Step 1 "Resolve the drop": is the drop complete, has its content run already, is the dataset group free?

Outcomes (``status``): READY (claimed and locked: go on), BUSY (claimed, but another drop holds the dataset
group lock: wait and retry), INCOMPLETE / DUPLICATE / IGNORED (end quietly with a ``reason``). An invalid
``config.json`` raises :class:`ConfigError` — after the content claim is taken, so a drop with a bad config fails
(and notifies) once, not once per uploaded file: the claim is marked FAILED before the error is raised, and the
other events of the same upload find it and end quietly as DUPLICATE.
"""

from __future__ import annotations

from typing import Any

from anime_recommender.pipeline.claims import S3Markers
from anime_recommender.pipeline.config import MAX_CONFIG_BYTES, PipelineConfig, load_config, parse_config_json
from anime_recommender.pipeline.drop import CONFIG_FILE, Drop, drop_prefix_for_key, list_drop, read_text
from anime_recommender.pipeline.errors import ConfigError, PollBudgetExceededError
from anime_recommender.pipeline.names import ResourceNames


def resolve(
    s3: Any, markers: S3Markers, names: ResourceNames, bucket: str, key: str, execution_arn: str
) -> dict[str, Any]:
    """Resolve the drop that ``key`` belongs to; returns the execution state for the next steps."""
    prefix = drop_prefix_for_key(key)
    if prefix is None:
        return {"status": "IGNORED", "reason": f"s3://{bucket}/{key} is not inside a drop folder incoming/<drop>/"}
    drop = list_drop(s3, bucket, prefix)
    missing = drop.missing()
    if missing:
        return {
            "status": "INCOMPLETE",
            "reason": f"s3://{bucket}/{prefix} is not complete yet: waiting for {' and '.join(missing)} "
            f"(upload anime.csv last); nothing to do",
        }
    described = drop.describe()
    described["executionArn"] = execution_arn

    def claim_is_free(current: dict[str, Any]) -> bool:
        """A dead holder's claim, or a failed run's claim once the drop has been uploaded again."""
        uploaded_again = str(current.get("uploadedAt", "")) < described["uploadedAt"]
        return markers.holder_is_dead(current) or (current.get("status") == "FAILED" and uploaded_again)

    claim_key = names.claim_key(described["contentHash"])
    claim = markers.take(
        claim_key,
        owner=execution_arn,
        details={"dropPrefix": prefix, "dropId": described["dropId"], "uploadedAt": described["uploadedAt"]},
        stale=claim_is_free,
    )
    if not claim.taken:
        hint = "; upload the drop again to retry it" if claim.holder_status == "FAILED" else ""
        return {
            "status": "DUPLICATE",
            "reason": f"the same content of s3://{bucket}/{prefix} was already taken by {claim.holder} "
            f"({claim.holder_status}); nothing to do{hint}",
        }
    try:  # read only by the claim's holder: one drop, one config error, one notification
        config = drop_config(s3, drop)
    except ConfigError as error:
        _fail_claim(markers, claim_key, execution_arn, error)
        raise ConfigError(f"{error}; the drop was not processed: fix it and upload the drop again") from error
    except Exception as error:
        _fail_claim(markers, claim_key, execution_arn, error)
        raise
    state: dict[str, Any] = {
        "status": "READY",
        "reason": f"drop {described['dropId']} is complete: {len(drop.files)} files under s3://{bucket}/{prefix}",
        "drop": described,
        "config": config.model_dump(mode="json"),
        "lock": {"acquired": False, "attempt": 0},
    }
    state["lock"] = acquire_lock(markers, names, described, attempt=0, max_attempts=None)
    if not state["lock"]["acquired"]:
        state["status"] = "BUSY"
        state["reason"] = f"waiting for {state['lock']['holder']} to release the dataset group"
    return state


def drop_config(s3: Any, drop: Drop) -> PipelineConfig:
    """The repo defaults merged with the drop's ``config.json`` (if any), validated; a :class:`ConfigError` names
    the file and every problem (too large, not UTF-8, not JSON, invalid fields)."""
    item = drop.files.get(CONFIG_FILE)
    if item is None:
        return load_config(None, source="the default config")
    source = f"s3://{drop.bucket}/{item.key}"
    if item.size > MAX_CONFIG_BYTES:
        raise ConfigError(f"{source} is {item.size} bytes; a config.json may have at most {MAX_CONFIG_BYTES}")
    try:
        text = read_text(s3, drop.bucket, item.key)
    except UnicodeDecodeError as error:
        raise ConfigError(f"{source} is not UTF-8 text: {error}") from error
    return load_config(parse_config_json(text, source), source=source)


def _fail_claim(markers: S3Markers, claim_key: str, owner: str, error: BaseException) -> None:
    """Mark this execution's content claim FAILED (uploading the drop again retries it); never masks ``error``."""
    try:
        markers.mark(claim_key, owner, "FAILED")
    except Exception as mark_error:  # the original error is what the operator must see
        error.add_note(f"the content claim {claim_key} could not be marked FAILED: {mark_error}")


def acquire_lock(
    markers: S3Markers, names: ResourceNames, drop: dict[str, Any], attempt: int, max_attempts: int | None
) -> dict[str, Any]:
    """Try to take the dataset-group lock for this drop's execution; the ``lock`` section of the state."""
    result = markers.take(
        names.lock_key(),
        owner=drop["executionArn"],
        details={"dropId": drop["dropId"], "dropPrefix": drop["dropPrefix"]},
        stale=markers.holder_is_dead,
    )
    attempt += 1
    if not result.taken and max_attempts is not None and attempt >= max_attempts:
        raise PollBudgetExceededError(
            f"the dataset group is still locked by {result.holder} after {attempt} attempts; "
            "the drop was not processed (upload it again once that execution has finished)"
        )
    return {"acquired": result.taken, "attempt": attempt, "holder": result.holder, "tookOver": result.took_over}


def release(markers: S3Markers, names: ResourceNames, drop: dict[str, Any], outcome: str) -> dict[str, Any]:
    """Release the lock and record the outcome on the content claim (SUCCEEDED or FAILED).

    A FAILED claim still stops late duplicate events of the same upload; uploading the drop again retries it.
    """
    owner = drop["executionArn"]
    lock_released = markers.release(names.lock_key(), owner)
    status = "SUCCEEDED" if outcome == "SUCCEEDED" else "FAILED"
    marked = markers.mark(names.claim_key(drop["contentHash"]), owner, status)
    return {"lockReleased": lock_released, "claim": status if marked else "not-held", "outcome": outcome}
