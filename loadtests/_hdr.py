"""An open-loop step's tally (``_open_loop.py``, kept by ``_recorder.py``): the requests the
generator dropped and three HdrHistograms in µs: ``corrected`` (successful requests, from their
intended start), ``uncorrected`` (the same, from the actual send) and ``lag`` (how late each
request started). Histograms travel encoded (worker reports, the stored step) and merge
exactly, which Locust's rounded buckets could not. Plain Python: testable without Locust."""
from __future__ import annotations

from hdrh.histogram import HdrHistogram

HDR_RANGE_US = (1, 60_000_000, 3)  # 1 µs to 60 s, 3 significant digits
PERCENTILES = {"p50": 0.50, "p90": 0.90, "p95": 0.95, "p99": 0.99, "p999": 0.999}


def hdr_histogram() -> HdrHistogram:
    return HdrHistogram(*HDR_RANGE_US)


def record_us(histogram: HdrHistogram, seconds: float) -> None:
    """Record a duration; one beyond the range is recorded at its top, never silently lost."""
    histogram.record_value(min(max(0, round(seconds * 1e6)), HDR_RANGE_US[1]))


def hdr_summary(histogram: HdrHistogram) -> dict:
    """Percentiles in ms and the whole histogram (µs), encoded: any percentile can be recomputed,
    and histograms of several steps or runs merged (``HdrHistogram.decode``)."""
    count = histogram.get_total_count()
    summary = {"count": count, "mean_ms": histogram.get_mean_value() / 1000 if count else None,
               "max_ms": histogram.get_max_value() / 1000 if count else None}
    summary.update({label: histogram.get_value_at_percentile(100 * p) / 1000 if count else None
                    for label, p in PERCENTILES.items()})
    summary["hdr"] = histogram.encode().decode("ascii")
    return summary


class OpenLoopTally:
    """What an open-loop generator saw: its dropped requests and three HdrHistograms (µs)."""

    KINDS = ("corrected", "uncorrected", "lag")

    def __init__(self):
        self.dropped = 0  # every request not sent ...
        self.dropped_late = 0  # ... of which the generator itself was late for (the rest: in-flight bound)
        self.histograms = {kind: hdr_histogram() for kind in self.KINDS}

    @property
    def empty(self) -> bool:
        return not self.dropped and not any(h.get_total_count() for h in self.histograms.values())

    def completed(self, corrected_s: float, uncorrected_s: float) -> None:
        """A successful request: from its intended start, and from its actual send."""
        record_us(self.histograms["corrected"], corrected_s)
        record_us(self.histograms["uncorrected"], uncorrected_s)

    def started(self, lag_s: float) -> None:
        record_us(self.histograms["lag"], lag_s)

    def wire(self) -> dict:
        return {"dropped": self.dropped, "dropped_late": self.dropped_late, **{kind: h.encode() for kind, h in self.histograms.items()}}

    def merge(self, wire: dict) -> None:
        self.dropped += wire["dropped"]
        self.dropped_late += wire.get("dropped_late", 0)
        for kind in self.KINDS:
            self.histograms[kind].decode_and_add(wire[kind])

    def result(self, options) -> dict:
        return {"rate": options.lab_rate, "arrivals": options.lab_arrivals,
                "max_in_flight": options.lab_max_in_flight, "max_lag_ms": options.lab_max_lag_ms,
                "started": self.histograms["lag"].get_total_count(), "dropped": self.dropped,
                "dropped_late": self.dropped_late,
                **{kind: hdr_summary(h) for kind, h in self.histograms.items()}}
