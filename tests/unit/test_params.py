"""The shared parameter parser: strict, no clamping, clear messages."""
import pytest
from django.http import QueryDict

from workloads.catalogue import COUNT, DRIVER, MS
from workloads.errors import ApiError
from workloads.numbers import strict_float
from workloads.params import parse_query


def test_defaults_and_values():
    args = parse_query(QueryDict("ms=250"), (MS, DRIVER))
    assert args.ms == 250 and args.driver == "orm"


@pytest.mark.parametrize("query,fragment", [
    ("ms=10001", "between 0 and 10000"),
    ("ms=%201%20", "must be an integer"),  # int() strips whitespace; the lab does not
    ("ms=%20%205", "must be an integer"),
    ("ms=--5", "must be an integer"),  # "--5".lstrip("-") is digits, int("--5") a ValueError
    ("ms=%C2%B2", "must be an integer"),  # "²".isdigit(), but int("²") is a ValueError
    ("ms=%EF%BC%95", "must be an integer"),  # full-width 5: int() accepts it
    ("ms=1_0", "must be an integer"),  # int() accepts underscores
    ("ms=5%0A", "must be an integer"),  # a trailing newline
    pytest.param("ms=" + "1" * 4301, "at most 32 characters", id="4301 digits"),  # past int()'s limit: ValueError
    pytest.param("ms=-" + "0" * 5000 + "1", "at most 32 characters", id="5002 characters"),
    ("ms=0x10", "must be an integer"),
    ("ms=١٢", "must be an integer"),  # non-ASCII digits are refused
    ("count=0", "between 1 and 500"),
    ("driver=ORM", "must be one of orm, native"),
    ("sm=1", "unknown parameter(s) sm"),
])
def test_refusals(query, fragment):
    with pytest.raises(ApiError) as err:
        parse_query(QueryDict(query), (MS, COUNT, DRIVER))
    assert err.value.status == 400 and fragment in err.value.message


@pytest.mark.parametrize("raw,value", [("+5", 5), ("-0", 0), ("0007", 7), ("0" * 31 + "9", 9)])
def test_a_sign_and_leading_zeros_are_still_the_number(raw, value):
    assert MS.parse(raw) == value


@pytest.mark.parametrize("raw", ["1.5", "-2.5e3", ".5", "5.", "+1E-2", "60000"])
def test_strict_float_reads_plain_decimals(raw):
    assert strict_float("slo", raw) == float(raw)


@pytest.mark.parametrize("raw", ["nan", "inf", "-Infinity", "1_0", " 1", "1 ", "0x10", "١", "1e", "e5", ".", "1.2.3",
                                 "1" * 40])
def test_strict_float_refuses_what_float_would_take_or_choke_on(raw):
    with pytest.raises(ApiError) as err:
        strict_float("slo", raw)
    assert err.value.status == 400 and "'slo'" in err.value.message
