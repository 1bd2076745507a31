"""DescribeFeatureTransformation: the feature transformations the built-in recipes name
(``featureTransformationArn`` of DescribeRecipe, https://docs.aws.amazon.com/personalize/latest/dg/API_Recipe.html).

A transformation's ``defaultParameters`` are the defaults of the feature-transformation hyperparameters of the recipes
that use it: the ``*_percentile`` filters their recipe pages list under "Feature transformation hyperparameters"
(https://docs.aws.amazon.com/personalize/latest/dg/native-recipe-sims.html,
https://docs.aws.amazon.com/personalize/latest/dg/native-recipe-search.html). The response shape is
https://docs.aws.amazon.com/personalize/latest/dg/API_FeatureTransformation.html."""

from __future__ import annotations

from dataclasses import dataclass

from personalize_local.exceptions import ResourceNotFoundException
from personalize_local.models.lifecycle import ACTIVE
from personalize_local.models.recipe_catalog import RECIPE_EPOCH
from personalize_local.recipes import catalog, registry

TRANSFORMATION_SUFFIX = "_percentile"


@dataclass(kw_only=True)
class FeatureTransformation:
    """A feature transformation as DescribeFeatureTransformation shows it."""

    name: str
    feature_transformation_arn: str
    default_parameters: dict[str, str]
    creation_date_time: float
    last_updated_date_time: float
    status: str


def feature_transformation(arn: str) -> FeatureTransformation:
    """The feature transformation ``arn`` names; KeyError when no built-in recipe uses it."""
    parameters: dict[str, str] = {}
    users = [cls for cls in registry.all_recipes() if catalog.metadata_of(cls).feature_transformation_arn == arn]
    if not users:
        raise KeyError(arn)
    for cls in users:
        for hp in cls.hyperparameters:
            if hp.name.endswith(TRANSFORMATION_SUFFIX):
                parameters.setdefault(hp.name, hp.default)
    return FeatureTransformation(
        name=arn.removeprefix(catalog.FEATURE_TRANSFORMATION_ARN_PREFIX),
        feature_transformation_arn=arn,
        default_parameters=parameters,
        creation_date_time=RECIPE_EPOCH,
        last_updated_date_time=RECIPE_EPOCH,
        status=ACTIVE,
    )


class FeatureTransformations:
    """DescribeFeatureTransformation (stateless: the transformations are those of the recipe catalog)."""

    def describe_feature_transformation(self, feature_transformation_arn: str) -> FeatureTransformation:
        """DescribeFeatureTransformation; ResourceNotFoundException for an ARN no recipe names."""
        try:
            return feature_transformation(feature_transformation_arn)
        except KeyError:
            raise ResourceNotFoundException(
                f"Could not find feature transformation with ARN {feature_transformation_arn}"
            ) from None
