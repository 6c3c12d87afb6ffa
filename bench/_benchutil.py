"""Helpers shared by the benchmark files."""


def rounds_for(n):
    """Timed rounds per benchmark: many for small arrays, few for 1e7."""
    return max(5, min(200, int(2e7 // max(n, 1))))


def restore_inputs(arrays, pristine):
    """A pytest-benchmark `setup`: copy the pristine inputs back (untimed)."""
    def setup():
        for a, p in zip(arrays, pristine):
            a[...] = p
    return setup
