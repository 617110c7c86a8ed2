# cython: language_level=3, boundscheck=False, wraparound=False
"""CPU work in C that lets other threads run Python meanwhile: ``n`` x 32 steps of a 64-bit
linear congruential generator, each step depending on the last (so the compiler can neither
skip nor vectorise it), inside ``with nogil``. 32 steps per unit make ``n`` cost about what the
same ``n`` costs the pure-Python ``cpu`` endpoint on the development machine (~50 ms at
n = 1,000,000), so one knob sizes both forms. Built by `make setup` (scripts/build-native)."""

from libc.stdint cimport uint64_t


def spin(unsigned long long n):
    cdef uint64_t x = 88172645463325252ULL
    cdef uint64_t a = 6364136223846793005ULL, c = 1442695040888963407ULL
    cdef unsigned long long i
    with nogil:
        for i in range(n * 32):
            x = x * a + c
            x ^= x >> 29
    return x
