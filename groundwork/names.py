"""Names that cross process boundaries, defined once: environment variables one process sets for
another, and the files two processes hand each other. A rename here reaches both sides."""

# The test session's own database (tests/conftest.py sets it; every server and tool reads it).
TEST_DATABASE_ENV = "LAB_TEST_DATABASE"
# The deployment a server process belongs to (deploy sets it; connections are tagged with it).
DEPLOYMENT_ENV = "LAB_DEPLOYMENT"
# `manage.py bench --store-web-run DOC` writes {"run_id": N} to DOC with this suffix, for the
# Locust web UI that asked: the id as data, never read out of the command's words.
STORED_RUN_SUFFIX = ".stored.json"
