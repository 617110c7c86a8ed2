"""A step-load shape for concurrency sweeps in the web UI or headless.

Opt in by adding this file: ``locust -f loadtests,loadtests/shapes/step_load.py --steps 10,50,100
--step-seconds 30``. (It lives apart so that plain ``-f loadtests`` keeps Locust's own
user-count form.) Each step holds its user count for ``--step-seconds``; then the test stops.
"""
from locust import LoadTestShape, events


@events.init_command_line_parser.add_listener
def _step_arguments(parser):
    parser.add_argument("--steps", default="10,50,100", help="user counts, one step each")
    parser.add_argument("--step-seconds", type=float, default=30.0, help="duration of each step")


class StepLoadShape(LoadTestShape):
    def tick(self):
        o = self.runner.environment.parsed_options
        steps = [int(s) for s in str(o.steps).split(",") if s.strip()]
        index = int(self.get_run_time() // o.step_seconds)
        if index >= len(steps):
            return None
        return steps[index], max(1, steps[index])
