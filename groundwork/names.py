"""Names that cross process boundaries, defined once: environment variables one process sets for
another, and the files two processes hand each other. A rename here reaches both sides."""

# The test session's own database (tests/conftest.py sets it; every server and tool reads it).
TEST_DATABASE_ENV = "LAB_TEST_DATABASE"
# The deployment a server process belongs to (deploy sets it; connections are tagged with it).
DEPLOYMENT_ENV = "LAB_DEPLOYMENT"
# `manage.py bench --store-web-run DOC` writes {"run_id": N} to DOC with this suffix, for the
# Locust web UI that asked: the id as data, never read out of the command's words.
STORED_RUN_SUFFIX = ".stored.json"

# What a server-push subscriber (loadtests/c14_server_push.py) reports to the recorder besides its
# stream requests, as Locust request events under these names; the grid reader reads them back.
EVENT_DELIVERY = "event delivery"  # one per event received: its delivery lag (ms) as the response time
STREAM_LOST = "stream lost"  # a stream that ended or broke before its last event (a failure)
GENERATOR_LAG = "generator loop lag"  # the subscriber process's own gevent loop lateness (ms), every 100 ms

# Where the upstream stub listens (the runner or the tests start it and hand its URL to every
# server they start), and how many connections each pooled upstream client may keep (C15).
UPSTREAM_URL_ENV = "LAB_UPSTREAM_URL"
UPSTREAM_POOL_ENV = "LAB_UPSTREAM_POOL"
# Gunicorn's master freezes the collector's objects before each fork (config/gunicorn_conf.py's
# pre_fork), set by a deployment with preload="freeze" (C13).
GC_FREEZE_ENV = "LAB_GC_FREEZE"
