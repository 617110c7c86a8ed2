"""The results layer: which stored run each card and page reads, and what is read of it.

Above the instrument (``bench``: experiments, the runner, the store it writes, and the reader of one
run its planners use) and below the judging, which receives what is read here as typed records and
never runs a query. ``results.runs`` chooses runs ("one run per card": the fullest, the newest among
equals); ``results.grid`` reads a grid of cells with what became of every repeat; ``results.reference``
is the reference bundle shipped in the repository."""
