"""``manage.py demo``: import the reference machine's runs (``reference/runs.json.xz``), run a suite
(quick by default) with its progress bar, then serve both
deployments side by side (WSGI on 8001, ASGI on 8002) and the dashboard in a deployment of its
own (8000), until Ctrl-C."""
import time

from django.core.management.base import BaseCommand, CommandError

from groundwork.database import database_target
from deploy.deployments import SERVER_INTERFACES, Deployment, DeploymentError
from deploy.management.commands.dashboard import DASHBOARD_PORT, dashboard_deployment
from deploy.upstream_stub import upstream_for_servers
from deploy.process import RunningDeployment, check_deployment, ignore_interrupts, prepare_database, stop_on_signals


def servers_for(interface: str) -> list[str]:
    return [server for server, interfaces in SERVER_INTERFACES.items() if interface in interfaces]


class Command(BaseCommand):
    help = "Serve a WSGI deployment (Gunicorn gthread) and an ASGI one (Uvicorn) side by side until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--wsgi-port", type=int, default=8001)
        parser.add_argument("--asgi-port", type=int, default=8002)
        parser.add_argument("--dashboard-port", type=int, default=DASHBOARD_PORT)
        parser.add_argument("--suite", default="quick", help="bench suite to run first, or 'none'")
        parser.add_argument("--wsgi-server", choices=servers_for("wsgi"), default="gunicorn",
                            help="what serves WSGI on --wsgi-port (gunicorn = gthread)")
        parser.add_argument("--asgi-server", choices=servers_for("asgi"), default="uvicorn",
                            help="what serves ASGI on --asgi-port")

    def handle(self, *args, **options):
        deployments = [Deployment(options["wsgi_server"], interface="wsgi", port=options["wsgi_port"]),
                       Deployment(options["asgi_server"], interface="asgi", port=options["asgi_port"]),
                       dashboard_deployment(port=options["dashboard_port"])]
        servers: list[RunningDeployment] = []

        stop_on_signals()
        try:
            prepare_database()
            self._import_reference()
            if options["suite"] != "none":
                self._bench(options["suite"])
            with upstream_for_servers() as upstream:  # io/upstream's other service (C15)
                for d in deployments:
                    for warning in check_deployment(d):
                        self.stderr.write(f"WARNING: {warning}")
                    self.stdout.write(f"$ {d.command_line()}")
                    servers.append(RunningDeployment.start(d))
                for s in servers:
                    s.wait_healthy()
                self._print_ready(deployments)
                self.stdout.write(f"io/upstream calls the upstream stub at {upstream}\n")
                while all(s.process.poll() is None for s in servers):
                    time.sleep(0.5)
                raise CommandError("a server exited unexpectedly; stopping the other")
        except DeploymentError as exc:
            raise CommandError(str(exc)) from None
        except KeyboardInterrupt:
            self.stdout.write("\nstopping...")
        finally:
            ignore_interrupts()  # a second Ctrl-C must not leave a server behind
            for s in servers:
                s.stop()

    def _import_reference(self) -> None:
        """The reference machine's runs (the repository's bundle), shown beside the user's own on
        the claims page; runs imported before are skipped, and a problem never stops the demo."""
        from django.core.management import call_command

        try:
            call_command("reference", "--import", stdout=self.stdout)  # by name: bench is a layer above
        except CommandError as exc:
            self.stderr.write(f"WARNING: the reference runs were not imported: {exc}")

    def _bench(self, suite: str) -> None:
        from django.core.management import call_command

        self.stdout.write(f"Running the {suite} suite first (Ctrl-C skips to serving; finished steps are kept).")
        try:
            call_command("bench", suite=suite)
        except SystemExit:
            pass  # an aborted run still has its finished steps: serve them

    def _print_ready(self, deployments: list[Deployment]) -> None:
        wsgi, asgi, dashboard = deployments
        target = database_target()
        postgres_after = ("PostgreSQL keeps running: `make clean-db` or `manage.py postgres stop`" if target.embedded
                          else f"your PostgreSQL from DATABASE_URL is left as it is: {target.display()}")
        self.stdout.write(f"""
The dashboard:  {dashboard.url}/dashboard/claims/   (runs: {dashboard.url}/dashboard/)
The lab is up. The same endpoints, two ways:
  WSGI  {wsgi.stack:<17} {wsgi.url}/api/whoami
  ASGI  {asgi.stack:<17} {asgi.url}/api/whoami
Try   {wsgi.url}/api/io/sleep?ms=200   or the cross cells {asgi.url}/sync/whoami, {wsgi.url}/async/whoami
Load  .venv/bin/locust -f loadtests/lab.py --web-host 127.0.0.1 --host {asgi.url}   (or {wsgi.url})
      --dashboard-url {dashboard.url}
      then open http://127.0.0.1:8089, pick a claim under "Custom parameters" (its links bar leads back here)
Ctrl-C stops the three servers ({postgres_after}).
""")
        self.stdout.flush()
