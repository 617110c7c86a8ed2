"""``manage.py serve SERVER [--interface wsgi|asgi] [--workers N] [--threads T] [--cpus LIST] [--port P] [--host H]``

Switch deployments with one command: prepares the database, checks the deployment, prints
the exact command line, runs the server in the foreground, and on Ctrl-C/SIGTERM stops it
with all of its workers.
"""
import sys

from django.core.management.base import BaseCommand, CommandError

from deploy.deployments import LOOPS, PRELOADS, SERVERS, Deployment, DeploymentError
from deploy.upstream_stub import upstream_for_servers
from deploy.process import RunningDeployment, check_deployment, ignore_interrupts, prepare_database, stop_on_signals


def cpu_list(text: str) -> tuple[int, ...]:
    """'0', '0,1' or '0-3' -> CPU numbers."""
    cpus: list[int] = []
    try:
        for part in text.split(","):
            low, _, high = part.partition("-")
            cpus.extend(range(int(low), int(high or low) + 1))
    except ValueError:
        raise CommandError(f"--cpus {text!r}: expected a list like 0 or 0,1 or 0-3") from None
    return tuple(cpus)


def add_deployment_arguments(parser) -> None:
    parser.add_argument("server", choices=SERVERS,
                        help="gunicorn = gthread WSGI; uvicorn = Uvicorn's own --workers; "
                             "gunicorn-uvicorn = Gunicorn with UvicornWorker (ASGI); "
                             "granian = Granian, WSGI or ASGI (--interface); "
                             "fastapi = the catalogue's FastAPI adapter on the same Uvicorn (a subset of endpoints); "
                             "starlette, bare-asgi = ping and db/read as a plain Starlette app and as a raw ASGI "
                             "callable, on the same Uvicorn (the tax ladder's bottom rungs)")
    parser.add_argument("--interface", choices=("wsgi", "asgi"), default=None,
                        help="what granian serves (the other servers speak one interface each)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None,
                        help="request threads per WSGI worker: gthread's threads, granian's --blocking-threads "
                             "(default 8)")
    parser.add_argument("--backpressure", type=int, default=None,
                        help="the overload control: requests a worker takes on at once, through the server's own "
                             "setting (gthread --worker-connections, Uvicorn --limit-concurrency, Granian "
                             "--backpressure); default: the server's")
    parser.add_argument("--backlog", type=int, default=None,
                        help="the listen backlog asked of the kernel (capped at net.core.somaxconn); "
                             "default: the server's (2048 for Gunicorn and Uvicorn, 1024 for Granian)")
    parser.add_argument("--cpus", type=cpu_list, default=None, help="pin the server to these CPUs, e.g. 0 or 0,1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1", help="bind address (loopback unless told otherwise)")
    parser.add_argument("--pool-size", type=int, default=None,
                        help="DB connections per pool per process (default LAB_DB_POOL_SIZE or 10)")
    parser.add_argument("--loop", choices=LOOPS, default=LOOPS[0], help="uvicorn's event loop (default uvloop)")
    parser.add_argument("--preload", choices=[p for p in PRELOADS if p], default="",
                        help="gunicorn and gunicorn-uvicorn: load the app in the master before forking the workers "
                             "(preload), and also freeze the collector's objects before each fork (freeze)")


def deployment_from_options(options: dict) -> Deployment:
    extra = {"pool_size": options["pool_size"]} if options.get("pool_size") else {}
    return Deployment(server=options["server"], workers=options["workers"], threads=options["threads"],
                      cpus=options["cpus"], host=options["host"], port=options["port"],
                      interface=options.get("interface"), backpressure=options.get("backpressure"),
                      backlog=options.get("backlog"), loop=options.get("loop") or LOOPS[0],
                      preload=options.get("preload") or "", **extra)


class Command(BaseCommand):
    help = "Serve the lab with one of the servers, in the foreground."

    def add_arguments(self, parser):
        add_deployment_arguments(parser)
        parser.add_argument("--check", action="store_true", help="only check and print the command line")

    def deployment(self, options: dict) -> Deployment:
        return deployment_from_options(options)

    def handle(self, *args, **options):
        deployment = self.deployment(options)
        try:
            deployment.validate()
            prepare_database()
            warnings = check_deployment(deployment)
        except DeploymentError as exc:
            raise CommandError(str(exc)) from None
        for warning in warnings:
            self.stderr.write(f"WARNING: {warning}")
        self.stdout.write(f"$ {deployment.command_line()}")
        if options["check"]:
            return
        self.stdout.flush()
        with upstream_for_servers():  # io/upstream's other service (C15): LAB_UPSTREAM_URL's, or our own stub
            code = self._serve(deployment)
        if code:
            sys.exit(code)

    def _serve(self, deployment: Deployment) -> int | None:
        """Start the server and wait for it (or Ctrl-C); its exit code."""
        server = RunningDeployment.start(deployment)
        stop_on_signals()
        try:
            server.wait_healthy()
            self.stdout.write(f"{deployment.label} ({deployment.interface.upper()}) serving at "
                              f"{deployment.health_url}  (Ctrl-C stops it)")
            self.stdout.flush()
            return server.process.wait()
        except KeyboardInterrupt:
            self.stdout.write("stopping...")
            server.stop()
            self.stdout.write(f"{deployment.label} stopped.")
            return None
        except DeploymentError as exc:
            server.stop()
            raise CommandError(str(exc)) from None
        finally:
            ignore_interrupts()  # a second Ctrl-C must not leave workers behind
            server.stop()
