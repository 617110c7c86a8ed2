"""``manage.py postgres start|stop|status|url|restart``: the embedded PostgreSQL of this checkout.

With ``DATABASE_URL`` set the lab uses that server and never starts its own: ``start`` and
``status`` then only check that the server answers (so ``make demo`` and ``make test`` work the
same way with either), and ``stop``/``restart`` refuse, since the server is not the lab's to stop.
"""
from django.core.management.base import BaseCommand, CommandError

from groundwork.database import DatabaseUrlError, database_target
from deploy import embedded_postgres
from deploy.databases import DatabaseUnreachable, server_version


class Command(BaseCommand):
    help = "Manage the embedded PostgreSQL (data in .pgdata/). 'start' is idempotent."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["start", "stop", "status", "url", "restart"])

    def handle(self, *args, action: str, **options):
        try:
            target = database_target()
        except DatabaseUrlError as exc:
            raise CommandError(str(exc)) from None
        if not target.embedded:
            return self.external(action, target)
        if action == "start":
            try:
                st = embedded_postgres.start()
            except embedded_postgres.IncompatibleDataDirectory as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"PostgreSQL running (pid {st.pid}, max_connections {st.max_connections}) "
                              f"at {embedded_postgres.url()}")
        elif action == "stop":
            was = embedded_postgres.stop()
            self.stdout.write("PostgreSQL stopped." if was else "PostgreSQL was not running.")
        elif action == "restart":
            embedded_postgres.restart()
            self.stdout.write("PostgreSQL restarted.")
        elif action == "status":
            st = embedded_postgres.status()
            if st.running:
                self.stdout.write(f"running: PostgreSQL {embedded_postgres.data_major()}, pid {st.pid}, "
                                  f"socket {st.socket_dir}, max_connections {st.max_connections}")
            else:
                self.stdout.write("stopped")
        else:
            self.stdout.write(embedded_postgres.url())

    def external(self, action: str, target) -> None:
        """``DATABASE_URL``'s server: check it, never start or stop it."""
        if action in ("stop", "restart"):
            raise CommandError(f"DATABASE_URL is set: the lab uses that server ({target.display()}) and does not "
                               f"{action} it.")
        if action == "url":
            self.stdout.write(f"DATABASE_URL: {target.display()}")
            return
        try:
            version = server_version()
        except DatabaseUnreachable as exc:
            raise CommandError(str(exc)) from None
        verb = "using" if action == "start" else "running:"
        self.stdout.write(f"{verb} PostgreSQL {version} from DATABASE_URL ({target.display()}); "
                          "the embedded server is not started")
