"""The shared parameter parser: strict, no clamping, clear messages."""
import pytest
from django.http import QueryDict

from workloads.catalogue import COUNT, DRIVER, MS
from workloads.errors import ApiError
from workloads.params import parse_query


def test_defaults_and_values():
    args = parse_query(QueryDict("ms=250"), (MS, DRIVER))
    assert args.ms == 250 and args.driver == "orm"


@pytest.mark.parametrize("query,fragment", [
    ("ms=10001", "between 0 and 10000"),
    ("ms=%201%20", None),  # " 1 " is accepted as 1: whitespace is not a different number
    ("ms=0x10", "must be an integer"),
    ("ms=١٢", "must be an integer"),  # non-ASCII digits are refused
    ("count=0", "between 1 and 500"),
    ("driver=ORM", "must be one of orm, native"),
    ("sm=1", "unknown parameter(s) sm"),
])
def test_refusals(query, fragment):
    if fragment is None:
        assert parse_query(QueryDict(query), (MS,)).ms == 1
        return
    with pytest.raises(ApiError) as err:
        parse_query(QueryDict(query), (MS, COUNT, DRIVER))
    assert err.value.status == 400 and fragment in err.value.message
