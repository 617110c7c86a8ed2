"""Gunicorn settings shared by the gthread (WSGI) and UvicornWorker (ASGI) deployments.

Only production-like choices; workers, threads and bind come from ``manage.py serve``.
"""
accesslog = None  # an access log line per request would be measured too
errorlog = "-"
loglevel = "warning"
timeout = 60  # longest endpoint: io/sleep 10 s, cpu with n=20M takes a few seconds
graceful_timeout = 10
keepalive = 5
worker_tmp_dir = "/dev/shm"  # heartbeat file off the disk, as Gunicorn's docs advise
