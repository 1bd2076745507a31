"""The data-preparation step: a Kaggle drop in one :class:`Storage` → Personalize datasets in another.

Order of work, so that a failure never leaves half-made outputs: check every header (fatal problems first), read
the anime metadata, run pass 1 over the interaction files, run pass 2 into interactions.csv, check Personalize's
minimums *before* that file is published, then publish items.csv and catalog.json, and finally report.json. The
rows the rules touched are in rejected.csv. On a fatal problem only rejected.csv and report.json are written.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from anime_recommender.prepare_data.anime_metadata import AnimeTable, attach_synopses, load_anime
from anime_recommender.prepare_data.csv_input import CsvHeader, read_header
from anime_recommender.prepare_data.errors import DataValidationError, reading
from anime_recommender.prepare_data.files import ANIME, INTERACTION_FILES, SYNOPSIS
from anime_recommender.prepare_data.interactions import (
    InteractionPreparer,
    InteractionTotals,
    partition_count,
    spill_directory,
)
from anime_recommender.prepare_data.items import catalog_entries, write_items_csv
from anime_recommender.prepare_data.rules import RuleAction, RuleLog
from anime_recommender.prepare_data.schemas import interactions_schema, items_schema
from anime_recommender.prepare_data.storage import Storage
from anime_recommender.prepare_data.timestamps import DEFAULT_SNAPSHOT_DATE, MAL_LAUNCH, TIMESTAMP_SEED, epoch_seconds

INTERACTIONS_CSV = "interactions.csv"
ITEMS_CSV = "items.csv"
CATALOG_JSON = "catalog.json"
REPORT_JSON = "report.json"
REJECTED_CSV = "rejected.csv"

HOLDOUT_NOTE = (
    "Timestamps are synthetic: a hash of (user, anime) picks a uniform second between the anime's first airing "
    "(never before MyAnimeList opened) and the snapshot date. The order of a user's interactions is therefore "
    "random, and Personalize's 'newest 10% of each test user's interactions' hold-out is a random 10% hold-out."
)


@dataclass(frozen=True)
class PrepareOptions:
    """Knobs of the step. Defaults are the production values; tests shrink the minimums or block sizes."""

    keep_unknown_anime: bool = False
    snapshot_date: date = DEFAULT_SNAPSHOT_DATE
    min_interactions: int = 1000
    min_users_with_two_interactions: int = 25
    block_size: int = 8 * 1024 * 1024
    partition_bytes: int = 16 * 1024 * 1024
    partitions: int | None = None
    max_examples: int = 5
    work_dir: str | None = None


@dataclass
class PreparedDrop:
    """What the step produced: output URIs, schemas, event types and counts (the handler's response body)."""

    uris: dict[str, str]
    with_synopsis: bool
    event_types: list[str]
    counts: dict[str, int]
    report: dict[str, Any] = field(repr=False)

    def schema_strings(self) -> dict[str, str]:
        """The Avro schemas as JSON strings, ready for CreateSchema."""
        return {
            "interactions": json.dumps(interactions_schema()),
            "items": json.dumps(items_schema(self.with_synopsis)),
        }


def prepare_drop(
    source: Storage, destination: Storage, options: PrepareOptions | None = None, drop_id: str = ""
) -> PreparedDrop:
    """Validate the Kaggle drop in ``source`` and write the Personalize datasets to ``destination``.

    Raises :class:`DataValidationError` for fatal problems, after writing report.json (and rejected.csv). This is
    the one place where every failure is classified: bad data is a :class:`DataValidationError` naming file, line
    and column (parsing libraries' errors are turned into one by :func:`~.errors.reading`); any other exception
    (storage, a bug) is written to report.json under its own type and re-raised unchanged.
    """
    options = options or PrepareOptions()
    started = time.monotonic()
    overrides = {"unknown_anime": RuleAction.KEPT} if options.keep_unknown_anime else {}
    report: dict[str, Any] = {
        "dropId": drop_id,
        "status": "failed",
        "error": None,
        "options": _jsonable(asdict(options)),
        "inputs": {},
        "counts": {},
    }
    failure: Exception | None = None
    result: PreparedDrop | None = None
    with destination.open_write(REJECTED_CSV) as rejected:
        log = RuleLog(rejected, max_examples=options.max_examples, overrides=overrides)
        try:
            result = _prepare(source, destination, options, log, report)
        except DataValidationError as error:
            failure = error
            report["error"] = error.as_report()
        except Exception as error:  # a storage failure or a bug, not bad data: still reported, then re-raised as is
            failure = error
            report["error"] = {"type": type(error).__name__, "message": str(error)}
        _record_rejections(report, log)
        report["rules"] = log.summary()
        report["counts"]["rejectedRows"] = log.rejected_rows()
    report["uris"] = {"rejected": destination.uri(REJECTED_CSV), "report": destination.uri(REPORT_JSON)}
    if result is not None:
        report["status"] = "succeeded"
        report["uris"] |= result.uris
        result.counts["rejectedRows"] = log.rejected_rows()
    report["elapsedSeconds"] = round(time.monotonic() - started, 3)
    with destination.open_write(REPORT_JSON, content_type="application/json") as sink:
        sink.write(json.dumps(report, indent=2, ensure_ascii=False).encode())
    if failure is not None:
        raise failure
    assert result is not None
    result.uris |= report["uris"]
    result.report = report
    return result


def _prepare(
    source: Storage, destination: Storage, options: PrepareOptions, log: RuleLog, report: dict[str, Any]
) -> PreparedDrop:
    with reading(ANIME.name):
        anime_header = read_header(source, ANIME)
    present = [f for f in INTERACTION_FILES if source.size(f.name) is not None]
    if not present:
        names = " or ".join(f.name for f in INTERACTION_FILES)
        raise DataValidationError(
            f"The drop has no interaction file: it needs {names} (found neither next to anime.csv). "
            "The drop was not imported.",
            file=INTERACTION_FILES[0].name,
        )
    headers: list[CsvHeader] = []
    for kaggle_file in present:
        with reading(kaggle_file.name):
            headers.append(read_header(source, kaggle_file))
    synopsis_header = None
    if source.size(SYNOPSIS.name) is not None:
        with reading(SYNOPSIS.name):
            synopsis_header = read_header(source, SYNOPSIS)

    with reading(ANIME.name):
        anime, anime_rows = load_anime(source, anime_header, log)
    report["inputs"][ANIME.name] = {
        "bytes": anime_header.size,
        "rowsRead": anime_rows,
        "rowsWritten": len(anime.records),
        "items": len(anime.records),
    }
    if not anime.records:
        raise DataValidationError(
            f"anime.csv: none of its {anime_rows} data rows has a valid MAL_ID, so there is no item to recommend "
            "(see the invalid_anime_id examples in report.json). The drop was not imported.",
            file=ANIME.name,
            column="MAL_ID",
        )
    if synopsis_header is not None:
        with reading(SYNOPSIS.name):
            rows, attached = attach_synopses(anime, source, synopsis_header, log)
        report["inputs"][SYNOPSIS.name] = {"bytes": synopsis_header.size, "rowsRead": rows, "rowsWritten": attached}

    snapshot = epoch_seconds(options.snapshot_date)
    interaction_bytes = sum(h.size for h in headers)
    partitions = options.partitions or partition_count(interaction_bytes, options.partition_bytes)
    with spill_directory(options.work_dir) as work_dir:
        preparer = InteractionPreparer(
            anime,
            log,
            partitions=partitions,
            snapshot_epoch=snapshot,
            block_size=options.block_size,
            work_dir=Path(work_dir),
        )
        for header in headers:
            with reading(header.file.name):
                preparer.add_file(source, header)
        with destination.open_write(INTERACTIONS_CSV) as sink:
            totals = preparer.write(sink)
            _record_interaction_counts(report, totals, headers, log)
            _check_minimums(totals, options, log)
    with destination.open_write(ITEMS_CSV) as sink:
        items = write_items_csv(anime, sink, log)
    with destination.open_write(CATALOG_JSON, content_type="application/json") as sink:
        sink.write(json.dumps(catalog_entries(anime), ensure_ascii=False, separators=(",", ":")).encode())
    report["counts"]["items"] = items
    report["timestamps"] = {
        "method": "uniform in [max(first airing, MAL launch), max(snapshot, that)], seeded by hash(user, anime)",
        "seed": TIMESTAMP_SEED,
        "malLaunch": MAL_LAUNCH.isoformat(),
        "snapshotDate": options.snapshot_date.isoformat(),
        "note": HOLDOUT_NOTE,
    }
    return PreparedDrop(
        uris={
            "interactions": destination.uri(INTERACTIONS_CSV),
            "items": destination.uri(ITEMS_CSV),
            "catalog": destination.uri(CATALOG_JSON),
        },
        with_synopsis=anime.with_synopsis,
        event_types=totals.event_types,
        counts={"interactions": totals.interactions, "users": totals.users, "items": items, "rejectedRows": 0},
        report=report,
    )


def _record_interaction_counts(
    report: dict[str, Any], totals: InteractionTotals, headers: list[CsvHeader], log: RuleLog
) -> None:
    for header in headers:
        counts = totals.per_file.get(header.file.name)
        report["inputs"][header.file.name] = {
            "bytes": header.size,
            "rowsRead": counts.rows_read if counts else 0,
            "rowsValid": counts.rows_valid if counts else 0,
            "rowsWritten": counts.rows_written if counts else 0,
        }
    report["counts"] |= {
        "rowsRead": sum(v["rowsRead"] for k, v in report["inputs"].items() if k != ANIME.name and "rowsValid" in v),
        "interactions": totals.interactions,
        "users": totals.users,
        "usersWithAtLeastTwoInteractions": totals.users_with_two,
        "duplicatesMerged": log.count("duplicate_pair") + log.count("merged_overlap"),
        "unknownAnimeRows": log.count("unknown_anime"),
        "eventTypes": totals.event_types,
    }


def _record_rejections(report: dict[str, Any], log: RuleLog) -> None:
    """Per input file: rows rejected and rows merged away, so that read = written + rejected + merged."""
    for name, counts in report["inputs"].items():
        counts["rowsRejected"] = log.rows_in(name, RuleAction.REJECTED)
        counts["rowsMerged"] = log.rows_in(name, RuleAction.MERGED)


def _check_minimums(totals: InteractionTotals, options: PrepareOptions, log: RuleLog) -> None:
    problems = []
    if totals.interactions < options.min_interactions:
        problems.append(f"{totals.interactions} interactions (at least {options.min_interactions} are needed)")
    if totals.users_with_two < options.min_users_with_two_interactions:
        problems.append(
            f"{totals.users_with_two} users with 2 or more interactions "
            f"(at least {options.min_users_with_two_interactions} are needed)"
        )
    if problems:
        files = ", ".join(
            f"{name}: {counts.rows_read} rows read, {counts.rows_written} kept"
            for name, counts in totals.per_file.items()
        )
        raise DataValidationError(
            f"After cleaning, the drop has {' and '.join(problems)}, below Amazon Personalize's training minimums "
            f"({files}; {log.rejected_rows()} rows rejected, see report.json). The drop was not imported.",
            file=next(iter(totals.per_file), None),
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, date):
        return value.isoformat()
    return value


__all__ = ["AnimeTable", "PrepareOptions", "PreparedDrop", "prepare_drop"]
