"""UpdateSolution and automatic training: solutions with ``performAutoTraining`` get new solution versions on the
schedule of ``solutionConfig.autoTrainingConfig.schedulingExpression``.

What AWS documents (https://docs.aws.amazon.com/personalize/latest/dg/solution-config-auto-training.html,
https://docs.aws.amazon.com/personalize/latest/dg/API_CreateSolution.html,
https://docs.aws.amazon.com/personalize/latest/dg/API_UpdateSolution.html):

- ``performAutoTraining`` defaults to true; versions are created every 7 days unless the expression says otherwise.
- The first automatic version starts within one hour after the solution is ACTIVE (or after an update that turns
  automatic training on completes); a version created manually within that hour skips the first automatic training.
- Automatic training happens only when bulk or real-time interaction data arrived since the last training.
- A solution update goes ``CREATE PENDING > CREATE IN_PROGRESS > ACTIVE`` (or ``CREATE FAILED``) and is shown as
  ``latestSolutionUpdate`` of DescribeSolution.

Automatic versions are ordinary FULL versions with ``trainingType`` AUTOMATIC. The schedule runs on the backend's
:class:`SimulatedClock` (``BackendConfig.clock_speed``), so a sped-up clock makes days pass in seconds."""

from __future__ import annotations

import logging
from typing import Any

from personalize_local.exceptions import InvalidInputException, ResourceInUseException
from personalize_local.models.clock import SimulatedClock, schedule_seconds
from personalize_local.models.domain import Solution, SolutionVersion, from_resource
from personalize_local.models.lifecycle import ACTIVE, CREATING, TRAINING, Lifecycle, arn_region, now
from personalize_local.models.periodic import Periodic
from personalize_local.models.recommenders import data_token
from personalize_local.models.solutions import Solutions
from personalize_local.store import Resource

logger = logging.getLogger("personalize_local")

FIRST_TRAINING_DELAY = 3600.0  # "within one hour after the solution is ACTIVE"
CHECK_EVERY = 60.0  # simulated seconds between two looks at the schedule
MIN_REAL_CHECK, MAX_REAL_CHECK = 0.05, 60.0  # real seconds between two looks, whatever the clock speed

# Keys of a solution's internal state (simulated epoch seconds).
_ANCHOR = "autoTrainingAnchor"  # when the schedule (re)started: the solution ACTIVE, or an update ACTIVE
_LAST = "autoTrainingLast"  # the last scheduled training (done or skipped); None before the first one
_TOKEN = "autoTrainingDataToken"  # the group's data token at that time


class AutoTraining:
    """UpdateSolution and the scheduler thread that creates automatic solution versions."""

    def __init__(self, lifecycle: Lifecycle, solutions: Solutions) -> None:
        self.lifecycle = lifecycle
        self.solutions = solutions
        self.clock = SimulatedClock(lifecycle.config.clock_speed)
        self._scheduler = Periodic("auto-training", self.refresh)

    # ------------------------------------------------------------------ UpdateSolution
    def update_solution(
        self,
        solution_arn: str,
        perform_auto_training: bool | None = None,
        perform_incremental_update: bool | None = None,
        solution_update_config: dict[str, Any] | None = None,
    ) -> Solution:
        """UpdateSolution: the change is applied when ``latestSolutionUpdate`` becomes ACTIVE."""
        update_config = dict(solution_update_config or {})
        schedule_seconds((update_config.get("auto_training_config") or {}).get("scheduling_expression"))
        lc = self.lifecycle
        with lc.lock:
            solution = lc.get_active("solution", solution_arn)
            current = solution.body.get("latest_solution_update")
            if current and current["status"] in CREATING:
                raise ResourceInUseException(f"Solution {solution.arn} has an update in progress")
            # What the request leaves out keeps the solution's current value.
            merged = {**(solution.body.get("solution_config") or {}), **update_config}
            if perform_auto_training is None:
                perform_auto_training = solution.body.get("perform_auto_training", True)
            stamp = now()
            update: dict[str, Any] = {
                "perform_auto_training": perform_auto_training,
                "solution_update_config": {
                    key: merged[key] for key in ("auto_training_config", "events_config") if merged.get(key) is not None
                },
                "status": "CREATE PENDING",
                "creation_date_time": stamp,
                "last_updated_date_time": stamp,
            }
            incremental = perform_incremental_update
            if incremental is None:
                incremental = solution.body.get("perform_incremental_update")
            if incremental is not None:
                update["perform_incremental_update"] = incremental
            solution.body["latest_solution_update"] = update
            lc.store.save(solution)
        lc.submit(self._run_update, solution.arn)
        return from_resource(Solution, solution)

    def _run_update(self, arn: str) -> None:
        lc = self.lifecycle
        for status in ("CREATE IN_PROGRESS", ACTIVE):
            if lc.wait(lc.config.step_delay):
                return
            if lc.set_update_status(arn, "latest_solution_update", status, apply=self._apply) is None:
                return

    def _apply(self, solution: Resource, update: dict[str, Any]) -> None:
        """Make an ACTIVE update the solution's settings; turning automatic training on restarts the schedule."""
        was_on = solution.body.get("perform_auto_training", True)
        solution.body["perform_auto_training"] = update["perform_auto_training"]
        if "perform_incremental_update" in update:
            solution.body["perform_incremental_update"] = update["perform_incremental_update"]
        solution.body.setdefault("solution_config", {}).update(update["solution_update_config"])
        if update["perform_auto_training"] and not was_on:
            solution.internal[_ANCHOR] = self.clock.now()
            solution.internal.pop(_LAST, None)

    def resume(self) -> None:
        """After a restart: finish the solution updates that were under way."""
        for solution in self.lifecycle.store.find("solution"):
            update = solution.body.get("latest_solution_update")
            if update and update["status"] in CREATING:
                self.lifecycle.submit(self._run_update, solution.arn)

    # ------------------------------------------------------------------ the schedule
    def refresh(self, at: float | None = None) -> list[str]:
        """Create the automatic versions due at simulated time ``at`` (default: now); the new versions' ARNs."""
        moment = self.clock.now() if at is None else at
        created = []
        for solution in self.lifecycle.store.find("solution"):
            if solution.status != ACTIVE or not solution.body.get("perform_auto_training", True):
                continue
            try:
                arn = self._consider(solution, moment)
            except Exception:  # one solution's failure must not stop the others
                logger.exception("automatic training of %s failed", solution.arn)
                continue
            if arn:
                created.append(arn)
        return created

    def _consider(self, solution: Resource, moment: float) -> str | None:
        lc = self.lifecycle
        anchor = solution.internal.get(_ANCHOR)
        if anchor is None:
            anchor = self.clock.simulated(float(solution.body["last_updated_date_time"]))
        last = solution.internal.get(_LAST)
        config = solution.body.get("solution_config") or {}
        interval = schedule_seconds((config.get("auto_training_config") or {}).get("scheduling_expression"))
        due = anchor + FIRST_TRAINING_DELAY if last is None else last + interval
        if moment < due:
            return None
        versions = lc.store.find("solution-version", parent=solution.arn)
        if any(v.status in TRAINING for v in versions):
            return None  # try again when the running version is done
        token = data_token(lc.store, solution.body["dataset_group_arn"])
        if last is None:
            skip = any(self.clock.simulated(float(v.body["creation_date_time"])) >= anchor for v in versions)
        else:
            skip = token == solution.internal.get(_TOKEN)
        arn = None if skip else self._create_version(solution)
        with lc.lock:
            current = lc.store.get(solution.arn)
            if current is None:
                return arn
            current.internal.update({_ANCHOR: anchor, _LAST: moment, _TOKEN: token})
            lc.store.save(current)
        return arn

    def _create_version(self, solution: Resource) -> str | None:
        """A FULL version with trainingType AUTOMATIC; None when the group cannot train yet (no Interactions)."""
        lc = self.lifecycle
        with lc.lock, lc.in_region(arn_region(solution.arn)):
            try:
                version = self.solutions.create_solution_version(solution.arn)
            except (InvalidInputException, ResourceInUseException) as exc:
                logger.warning("automatic training of %s skipped: %s", solution.arn, exc)
                return None
            resource = lc.store.get(version.solution_version_arn)
            if resource is not None:
                resource.body["training_type"] = "AUTOMATIC"
                lc.store.save(resource)
        return from_resource(SolutionVersion, resource).solution_version_arn if resource else None

    def start(self) -> None:
        """Start the scheduler (a daemon thread that ends with the backend)."""
        self._scheduler.start(min(max(self.clock.real_seconds(CHECK_EVERY), MIN_REAL_CHECK), MAX_REAL_CHECK))

    def stop(self) -> None:
        """Stop the scheduler."""
        self._scheduler.stop()
