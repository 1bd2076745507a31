"""Interaction files → interactions.csv, streaming with flat memory.

Pass 1 reads each interaction file in blocks, validates every row (vectorised, :mod:`csv_input` gives exact
lines) and appends the good rows to one of P spill files on local disk, chosen by a hash of the user id. Pass 2
loads one spill file at a time, sorts it by (user, anime, file precedence, line), keeps the first row of each
(user, anime) pair, synthesises timestamps and appends the rows to interactions.csv. P grows with the input size
(``partition_bytes`` of CSV per spill file), so the largest thing in memory is one block or one spill file, never
the whole input. Every row of a user is in one spill file, which makes user counts exact too.

Merge of the two interaction files (one row per (user, anime)): an animelist.csv row wins over a
rating_complete.csv row for the same pair (rating_complete.csv is the subset of animelist.csv with status 2 and a
rating, so the animelist row carries the same rating as EVENT_VALUE and the finer event type); the superseded
row is counted as ``merged_overlap``. A pair repeated inside one file keeps its first row (``duplicate_pair``).
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from anime_recommender.prepare_data.anime_metadata import AnimeTable
from anime_recommender.prepare_data.csv_input import (
    CsvHeader,
    IntBlock,
    StructuralIssues,
    iter_line_blocks,
    parse_int_block,
)
from anime_recommender.prepare_data.files import ANIMELIST, INTERACTION_FILES, KaggleFile
from anime_recommender.prepare_data.prefetch import prefetched
from anime_recommender.prepare_data.rules import RuleAction, RuleLog, record_structural
from anime_recommender.prepare_data.schemas import INTERACTIONS_FIELDS
from anime_recommender.prepare_data.storage import Storage
from anime_recommender.prepare_data.timestamps import synthesize_timestamps, user_partition, window_bounds
from anime_recommender.prepare_data.values import MAX_ID

EVENT_TYPES: tuple[str, ...] = ("RATING", "WATCHING", "COMPLETED", "ON_HOLD", "DROPPED", "PLAN_TO_WATCH")
WATCHING_STATUS_EVENTS = {1: "WATCHING", 2: "COMPLETED", 3: "ON_HOLD", 4: "DROPPED", 6: "PLAN_TO_WATCH"}
_STATUS_CODES = np.full(7, -1, dtype=np.int8)
for _status, _event in WATCHING_STATUS_EVENTS.items():
    _STATUS_CODES[_status] = EVENT_TYPES.index(_event)
_RATING_CODE = EVENT_TYPES.index("RATING")
_NO_VALUE = -1  # spill encoding of an empty EVENT_VALUE

_SPILL_SCHEMA = pa.schema(
    [
        ("user", pa.int64()),
        ("anime", pa.int64()),
        ("event", pa.int8()),
        ("value", pa.int8()),
        ("source", pa.int8()),
        ("line", pa.int64()),
    ]
)
_EVENT_TYPE_ARRAY = pa.array(EVENT_TYPES, pa.string())
HEADER_LINE = (",".join(f.name for f in INTERACTIONS_FIELDS) + "\n").encode()


@dataclass
class FileCounts:
    """Per input file: data rows read, rows that passed the per-row rules, rows written to interactions.csv."""

    rows_read: int = 0
    rows_valid: int = 0
    rows_written: int = 0


@dataclass
class InteractionTotals:
    """What pass 2 found: rows written, distinct users, users with ≥ 2 interactions, event types present."""

    interactions: int = 0
    users: int = 0
    users_with_two: int = 0
    event_codes: set[int] = field(default_factory=set)
    per_file: dict[str, FileCounts] = field(default_factory=dict)

    @property
    def event_types(self) -> list[str]:
        """Event types present, sorted."""
        return sorted(EVENT_TYPES[code] for code in self.event_codes)


class _SpillFiles:
    """P Arrow IPC files in a temporary directory; rows go to ``partition(user)``."""

    def __init__(self, directory: Path, partitions: int) -> None:
        self._directory = directory
        self.partitions = partitions
        self._writers: dict[int, pa.ipc.RecordBatchStreamWriter] = {}
        self._sinks: dict[int, pa.NativeFile] = {}

    def _path(self, partition: int) -> Path:
        return self._directory / f"part-{partition:05d}.arrow"

    def append(self, columns: dict[str, np.ndarray]) -> None:
        users = columns["user"]
        if users.size == 0:
            return
        partition = user_partition(users, self.partitions)
        if self.partitions == 1:
            order, bounds = np.arange(users.size), np.array([0, users.size])
        else:
            order = np.argsort(partition, kind="stable")
            bounds = np.searchsorted(partition[order], np.arange(self.partitions + 1))
        batch = pa.record_batch([pa.array(columns[f.name][order]) for f in _SPILL_SCHEMA], schema=_SPILL_SCHEMA)
        for index in np.flatnonzero(np.diff(bounds)):
            start, stop = int(bounds[index]), int(bounds[index + 1])
            self._writer(int(index)).write_batch(batch.slice(start, stop - start))

    def _writer(self, partition: int) -> pa.ipc.RecordBatchStreamWriter:
        writer = self._writers.get(partition)
        if writer is None:
            sink = pa.OSFile(str(self._path(partition)), "wb")
            writer = pa.ipc.new_stream(sink, _SPILL_SCHEMA)
            self._sinks[partition], self._writers[partition] = sink, writer
        return writer

    def close(self) -> None:
        for partition, writer in self._writers.items():
            writer.close()
            self._sinks[partition].close()

    def read(self, partition: int) -> dict[str, np.ndarray] | None:
        path = self._path(partition)
        if not path.exists():
            return None
        with pa.OSFile(str(path), "rb") as source:
            table = pa.ipc.open_stream(source).read_all()
        path.unlink()
        return {name: table.column(name).to_numpy() for name in table.column_names}


MAX_PARTITIONS = 512  # open spill files at once; beyond ~8 GB of input the spill files grow instead


def partition_count(input_bytes: int, partition_bytes: int) -> int:
    """Number of spill files: one per ``partition_bytes`` of interaction CSV (at least 1, at most 512)."""
    return min(MAX_PARTITIONS, max(1, math.ceil(input_bytes / partition_bytes)))


class InteractionPreparer:
    """Runs pass 1 (:meth:`add_file`) then pass 2 (:meth:`write`) over a temporary spill directory."""

    def __init__(
        self,
        anime: AnimeTable,
        log: RuleLog,
        *,
        partitions: int,
        snapshot_epoch: int,
        block_size: int,
        work_dir: Path,
    ) -> None:
        self._anime = anime
        self._log = log
        self._keep_unknown = log.action("unknown_anime") is RuleAction.KEPT
        self._block_size = block_size
        self._spill = _SpillFiles(work_dir, partitions)
        self._low, self._high = window_bounds(anime.first_airing, snapshot_epoch)
        self._fallback_low, self._fallback_high = window_bounds(np.array([-(2**62)]), snapshot_epoch)
        self.totals = InteractionTotals()

    def add_file(self, storage: Storage, header: CsvHeader) -> None:
        """Pass 1 over one interaction file: validate every row, spill the good ones."""
        kaggle_file = header.file
        source = INTERACTION_FILES.index(kaggle_file)
        counts = self.totals.per_file.setdefault(kaggle_file.name, FileCounts())
        file = kaggle_file.name
        for parsed, issues in prefetched(self._parsed_blocks(storage, header)):
            with self._log.in_line_order():
                record_structural(self._log, file, header.names, issues.records)
                kept = self._validate(parsed, kaggle_file, source)
            counts.rows_read += parsed.lines.size + len(issues.records)
            counts.rows_valid += kept["user"].size
            self._spill.append(kept)

    def _parsed_blocks(self, storage: Storage, header: CsvHeader) -> Iterator[tuple[IntBlock, StructuralIssues]]:
        with storage.open_read(header.file.name) as stream:
            for first_line, block, breaks in iter_line_blocks(stream, header, self._block_size):
                yield parse_int_block(block, first_line, header, breaks)

    def _validate(self, block: IntBlock, kaggle_file: KaggleFile, source: int) -> dict[str, np.ndarray]:
        file = kaggle_file.name
        alive = np.ones(block.lines.size, dtype=bool)

        def reject(rule: str, column: str, failed: np.ndarray) -> None:
            hit = alive & failed
            if hit.any():
                index = np.flatnonzero(hit)
                self._log.record(rule, file, column, block.lines[index], block.raw_values(column, index))
                alive[hit] = False

        for column, rule in (("user_id", "invalid_user_id"), ("anime_id", "invalid_anime_id")):
            values = block.values[column]
            reject(rule, column, ~block.ok[column] | (values < 0) | (values > MAX_ID))
        rating = block.values["rating"]
        reject("invalid_rating", "rating", ~block.ok["rating"])
        lowest = 0 if kaggle_file is ANIMELIST else 1
        reject("rating_out_of_range", "rating", (rating < lowest) | (rating > 10))
        if kaggle_file is ANIMELIST:
            status = block.values["watching_status"]
            in_table = (status >= 0) & (status < _STATUS_CODES.size)
            codes = np.where(in_table, _STATUS_CODES[np.clip(status, 0, _STATUS_CODES.size - 1)], -1)
            reject("invalid_watching_status", "watching_status", ~block.ok["watching_status"] | (codes < 0))
        else:
            codes = np.full(block.lines.size, _RATING_CODE, dtype=np.int8)
        known, _ = self._anime.positions(block.values["anime_id"])
        unknown = alive & ~known
        if self._keep_unknown:
            index = np.flatnonzero(unknown)
            self._log.record("unknown_anime", file, "anime_id", block.lines[index], block.raw_values("anime_id", index))
        else:
            reject("unknown_anime", "anime_id", unknown)
        keep = np.flatnonzero(alive)
        value = rating[keep]
        return {
            "user": block.values["user_id"][keep],
            "anime": block.values["anime_id"][keep],
            "event": codes[keep].astype(np.int8),
            "value": np.where(value > 0, value, _NO_VALUE).astype(np.int8),
            "source": np.full(keep.size, source, dtype=np.int8),
            "line": block.lines[keep],
        }

    def write(self, sink: BinaryIO) -> InteractionTotals:
        """Pass 2: dedupe each spill file, add timestamps, append to ``sink`` (header first)."""
        self._spill.close()
        sink.write(HEADER_LINE)
        options = pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=65536)  # ints, fixed names
        for table in prefetched(self._prepared_partitions()):
            pacsv.write_csv(table, sink, write_options=options)
        return self.totals

    def _prepared_partitions(self) -> Iterator[pa.Table]:
        """Each spill file deduplicated and timestamped, as the table to append to interactions.csv."""
        for partition in range(self._spill.partitions):
            columns = self._spill.read(partition)
            if columns is None:
                continue
            kept = self._dedupe(columns)
            if kept["user"].size:
                yield self._to_table(kept)

    def _dedupe(self, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Keep the first row of each (user, anime) pair in (file precedence, line) order; rows come out sorted by
        (user, anime)."""
        user, anime, source, line = columns["user"], columns["anime"], columns["source"], columns["line"]
        order = _pair_order(user, anime, source, line)
        sorted_user, sorted_anime = user[order], anime[order]
        first = np.ones(order.size, dtype=bool)
        first[1:] = (sorted_user[1:] != sorted_user[:-1]) | (sorted_anime[1:] != sorted_anime[:-1])
        if not first.all():
            sorted_source = source[order]
            winner_source = sorted_source[first][np.cumsum(first) - 1]
            for rule, mask in (
                ("duplicate_pair", ~first & (sorted_source == winner_source)),
                ("merged_overlap", ~first & (sorted_source != winner_source)),
            ):
                for index, kaggle_file in enumerate(INTERACTION_FILES):
                    hit = order[mask & (sorted_source == index)]
                    if hit.size:
                        self._log.record(
                            rule, kaggle_file.name, "user_id,anime_id", line[hit], _pair_texts(user[hit], anime[hit])
                        )
        keep = order[first]
        kept = {name: values[keep] for name, values in columns.items()}
        self._count(kept)
        return kept

    def _count(self, kept: dict[str, np.ndarray]) -> None:
        users, per_user = np.unique(kept["user"], return_counts=True)
        self.totals.interactions += int(kept["user"].size)
        self.totals.users += int(users.size)
        self.totals.users_with_two += int(np.count_nonzero(per_user >= 2))
        self.totals.event_codes.update(int(code) for code in np.unique(kept["event"]))
        for index, kaggle_file in enumerate(INTERACTION_FILES):
            written = int(np.count_nonzero(kept["source"] == index))
            if written:
                self.totals.per_file.setdefault(kaggle_file.name, FileCounts()).rows_written += written

    def _to_table(self, kept: dict[str, np.ndarray]) -> pa.Table:
        known, index = self._anime.positions(kept["anime"])
        low = np.where(known, self._low[index] if self._low.size else 0, self._fallback_low[0])
        high = np.where(known, self._high[index] if self._high.size else 0, self._fallback_high[0])
        timestamps = synthesize_timestamps(kept["user"], kept["anime"], low, high)
        value = kept["value"]
        return pa.table(
            {
                "USER_ID": kept["user"],
                "ITEM_ID": kept["anime"],
                "TIMESTAMP": timestamps,
                "EVENT_TYPE": _EVENT_TYPE_ARRAY.take(pa.array(kept["event"])),
                "EVENT_VALUE": pa.array(value, mask=value == _NO_VALUE),
            }
        )


def _pair_order(user: np.ndarray, anime: np.ndarray, source: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Row order by (user, anime, source, line).

    Spill files hold rows in (source, line) order already (files are read in precedence order, each from top to
    bottom), so a stable sort on one composite (user, anime) key is enough, and much faster than a 4-key lexsort;
    the lexsort remains for ids too large to combine or rows not in that order.
    """
    if user.size == 0:
        return np.arange(0)
    top_anime = int(anime.max()) + 1
    in_spill_order = bool(np.all((source[1:] > source[:-1]) | ((source[1:] == source[:-1]) & (line[1:] > line[:-1]))))
    if in_spill_order and int(user.max()) < (2**63 - 1) // top_anime:
        return np.argsort(user * top_anime + anime, kind="stable")
    return np.lexsort((line, source, anime, user))


def _pair_texts(users: np.ndarray, animes: np.ndarray) -> Callable[[np.ndarray], pa.Array]:
    """Lazily rendered "user,anime" texts (only the reported or parked ones are ever built)."""

    def render(index: np.ndarray) -> pa.Array:
        return pc.binary_join_element_wise(
            pa.array(users[index]).cast(pa.string()), pa.array(animes[index]).cast(pa.string()), ","
        )

    return render


@contextmanager
def spill_directory(work_dir: str | None) -> Iterator[Path]:
    """A private temporary directory for spill files (under ``work_dir``, default the system temp dir)."""
    with tempfile.TemporaryDirectory(prefix="prepare-spill-", dir=work_dir) as directory:
        yield Path(directory)
