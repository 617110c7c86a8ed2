"""The judging layer: evidence in, verdicts and figures out, no query and no page.

``judging.core`` holds what every verdict is made of (outcomes, rules as data, figures over
repeats, the symmetric noise rule, how scopes combine). Each claim has its judge in a module of its
own, and ``judging.verdicts`` says which judge and which rule belong to which claim;
``judging.ladders`` turns the ladder experiments into figures. The evidence is read by the pages'
shells (``dashboard.cards``, ``dashboard.ladders``) through ``results``."""
