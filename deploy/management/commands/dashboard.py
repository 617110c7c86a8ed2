"""``manage.py dashboard [--port 8000] [--host H]``: the results dashboard, served by a small
deployment of its own (one Gunicorn gthread worker), so that the deployments under test
never load dashboard, bench or fault code. Ctrl-C stops it."""
from deploy.deployments import Deployment
from deploy.management.commands.serve import Command as ServeCommand

DASHBOARD_PORT = 8000


def dashboard_deployment(host: str = "127.0.0.1", port: int = DASHBOARD_PORT) -> Deployment:
    return Deployment("gunicorn", workers=1, threads=4, host=host, port=port, pool_size=4, app="dashboard")


class Command(ServeCommand):
    help = "Serve the results dashboard (runs, comparisons, claims) in a deployment of its own."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=DASHBOARD_PORT)
        parser.add_argument("--host", default="127.0.0.1", help="bind address (loopback unless told otherwise)")
        parser.add_argument("--check", action="store_true", help="only check and print the command line")

    def deployment(self, options: dict) -> Deployment:
        return dashboard_deployment(options["host"], options["port"])
