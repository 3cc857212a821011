from tests.engine_fixtures import *  # noqa: F401,F403
