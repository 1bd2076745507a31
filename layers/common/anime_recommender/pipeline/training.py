"""Step "Train solutions" (one Map iteration per recipe): describe-or-create the solution, train this drop's version."""

from __future__ import annotations

from typing import Any

from anime_recommender.pipeline.config import PollBudget, RecipeSettings
from anime_recommender.pipeline.personalize import PersonalizeResources
from anime_recommender.pipeline.polling import poll_result


def train_solution(
    resources: PersonalizeResources,
    dataset_group_arn: str,
    recipe: RecipeSettings,
    content_hash: str,
    previous: dict[str, Any],
    budget: PollBudget,
) -> dict[str, Any]:
    """One poll for one recipe: the ``training`` section (``solutionArn``, ``solutionVersionArn``, ``complete``)."""
    attempt = int(previous.get("attempt", 0))
    solution = resources.ensure_solution(dataset_group_arn, recipe)
    states = [solution]
    version_arn = previous.get("solutionVersionArn")
    if solution.phase == "ACTIVE":
        version = resources.ensure_solution_version(solution.arn or "", content_hash, version_arn)
        version_arn = version.arn
        states.append(version)
    result = poll_result(f"training {recipe.key}", states, attempt, budget)
    if solution.phase != "ACTIVE" or version_arn is None:
        result["complete"] = False
    return {**result, "recipe": recipe.key, "solutionArn": solution.arn, "solutionVersionArn": version_arn}
