"""The judging layer: evidence read from the results store in, verdicts and figures out.

``judging.core`` holds what every verdict is made of (outcomes, rules as data, figures over
repeats, the symmetric noise rule, how scopes combine); ``judging.verdicts`` applies one rule per
claim; ``judging.ladders`` turns the ladder experiments into figures. Nothing here renders a page
or runs a benchmark."""
