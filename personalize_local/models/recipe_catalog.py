"""ListRecipes, DescribeRecipe, DescribeAlgorithm: the built-in recipes Personalize Local implements."""

from __future__ import annotations

from personalize_local.exceptions import ResourceNotFoundException
from personalize_local.models.domain import AlgorithmDescription, Page, RecipeDescription
from personalize_local.models.lifecycle import ACTIVE, Lifecycle
from personalize_local.models.solutions import recipe_class
from personalize_local.recipes import catalog, registry
from personalize_local.recipes.base import Recipe
from personalize_local.recipes.use_cases import USE_CASES, UseCase, use_case, use_cases_of

RECIPE_EPOCH = 1546300800.0  # creation time reported for the built-in recipes (2019-01-01)
ALGORITHM_ARN_PREFIX = "arn:aws:personalize:::algorithm/"


def _description(
    name: str, recipe_arn: str, engine: str, description: str, recipe_type: str, domain: str | None = None
) -> RecipeDescription:
    """DescribeRecipe's view of ``name``, served by the ``engine`` recipe (whose algorithm it reports)."""
    meta = catalog.metadata_of(engine)
    return RecipeDescription(
        name=name,
        recipe_arn=recipe_arn,
        algorithm_arn=meta.algorithm_arn,
        feature_transformation_arn=meta.feature_transformation_arn,
        status=ACTIVE,
        description=description,
        creation_date_time=RECIPE_EPOCH,
        last_updated_date_time=RECIPE_EPOCH,
        recipe_type=recipe_type,
        domain=domain,
    )


def describe(cls: type[Recipe]) -> RecipeDescription:
    """A recipe class as DescribeRecipe shows it."""
    meta = catalog.metadata_of(cls)
    return _description(meta.name, meta.recipe_arn, meta.name, meta.description, meta.recipe_type)


def describe_use_case(case: UseCase) -> RecipeDescription:
    """A domain use case as DescribeRecipe shows it (its algorithm is its engine recipe's)."""
    return _description(case.name, case.recipe_arn, case.recipe, case.title, case.recipe_type, case.domain)


class RecipeCatalog:
    """The recipes and their algorithms."""

    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle

    def list_recipes(
        self,
        recipe_provider: str | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
        domain: str | None = None,
    ) -> Page[RecipeDescription]:
        """ListRecipes: the custom recipes and the domain use cases; with ``domain``, that domain's use cases."""
        cases = [describe_use_case(case) for case in (use_cases_of(domain) if domain else USE_CASES)]
        recipes = ([] if domain else [describe(cls) for cls in registry.all_recipes()]) + cases
        return self.lifecycle.paginate(recipes, next_token, max_results)

    def describe_recipe(self, recipe_arn: str) -> RecipeDescription:
        """DescribeRecipe (a custom recipe or a domain use case)."""
        try:
            return describe_use_case(use_case(recipe_arn))
        except KeyError:
            return describe(recipe_class(recipe_arn))

    def describe_algorithm(self, algorithm_arn: str) -> AlgorithmDescription:
        """DescribeAlgorithm: a recipe's default hyperparameters and their ranges."""
        try:
            cls = catalog.recipe_for_algorithm(algorithm_arn)
        except KeyError:
            raise ResourceNotFoundException(f"Could not find algorithm with ARN {algorithm_arn}") from None
        ranges: dict[str, list[dict[str, object]]] = {
            "integer_hyper_parameter_ranges": [],
            "continuous_hyper_parameter_ranges": [],
            "categorical_hyper_parameter_ranges": [],
        }
        for hp in cls.hyperparameters:
            if hp.kind in ("int", "float") and hp.minimum is not None and hp.maximum is not None:
                key = "integer_hyper_parameter_ranges" if hp.kind == "int" else "continuous_hyper_parameter_ranges"
                cast = int if hp.kind == "int" else float
                ranges[key].append(
                    {
                        "name": hp.name,
                        "min_value": cast(hp.minimum),
                        "max_value": cast(hp.maximum),
                        "is_tunable": hp.tunable,
                    }
                )
            elif hp.kind == "bool" or hp.choices:
                ranges["categorical_hyper_parameter_ranges"].append(
                    {"name": hp.name, "values": list(hp.choices) or ["true", "false"], "is_tunable": hp.tunable}
                )
        return AlgorithmDescription(
            name=cls.name,
            algorithm_arn=algorithm_arn,
            algorithm_image={"name": cls.name, "docker_uri": f"personalize-local/{cls.name}"},
            default_hyper_parameters={hp.name: hp.default for hp in cls.hyperparameters},
            default_hyper_parameter_ranges=ranges,
            default_resource_config={},
            training_input_mode="File",
            creation_date_time=RECIPE_EPOCH,
            last_updated_date_time=RECIPE_EPOCH,
        )
