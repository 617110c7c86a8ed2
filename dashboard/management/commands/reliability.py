"""``manage.py reliability``: print the reliability table (Markdown) from the newest fault runs."""
from django.core.management.base import BaseCommand

from dashboard.reliability import markdown


class Command(BaseCommand):
    help = "Print the reliability table from the newest run of the faults suite."

    def handle(self, *args, **options):
        self.stdout.write(markdown() or "No fault runs yet: manage.py bench --suite faults")
