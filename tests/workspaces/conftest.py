"""The pipeline's fixtures serve the tests of a workspace's own key too."""

from tests.generations.conftest import pipeline_settings  # noqa: F401
