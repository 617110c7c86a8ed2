"""``manage.py postgres start|stop|status|url|restart``: the embedded PostgreSQL of this checkout."""
from django.core.management.base import BaseCommand, CommandError

from config.database import database_target
from deploy import embedded_postgres


class Command(BaseCommand):
    help = "Manage the embedded PostgreSQL (data in .pgdata/). 'start' is idempotent."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["start", "stop", "status", "url", "restart"])

    def handle(self, *args, action: str, **options):
        if not database_target().embedded and action != "url":
            raise CommandError("DATABASE_URL is set: the lab uses that server, not the embedded one.")
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
            target = database_target()
            self.stdout.write(embedded_postgres.url() if target.embedded else "DATABASE_URL (set in the environment)")
