"""Arrays of more than 2**31 elements: no 32-bit index or length overflows
anywhere on the way (numpy's loop, the thread split, the kernels' counters).

Opt-in: `python -m pytest tests -m large`. It needs about 9 GB of free
memory (one float32 array of 2**31 + 4163 elements, computed in place) and
takes a few minutes (4 min on a busy 2-core machine); the default run leaves
it out (pyproject.toml)."""
import numpy as np
import pytest

import fastact

pytestmark = pytest.mark.large

N = 2**31 + 4163        # past the int32 range, and not a multiple of any vector width


@pytest.fixture(scope="module")
def huge():
    try:
        return np.zeros(N, dtype=np.float32)
    except MemoryError:
        pytest.fail("-m large needs ~9 GB of free memory")


@pytest.fixture
def restore_threads():
    old = fastact.get_num_threads()
    yield
    fastact.set_num_threads(old)


@pytest.mark.parametrize("threads", [1, 2])
def test_sigmoid_in_place_over_more_than_2_31_elements(huge, restore_threads, threads):
    fastact.set_num_threads(threads)
    head = np.linspace(-30, 30, 1000, dtype=np.float32)
    tail = np.linspace(-20, 20, 1000, dtype=np.float32)[::-1].copy()
    huge[:1000] = head
    huge[-1000:] = tail
    huge[2**31 - 500:2**31 + 500] = head     # across the int32 boundary
    huge[2**30] = huge[N - 1001] = 0
    result = fastact.sigmoid(huge, out=huge)
    assert result is huge
    for got, values in ((huge[:1000], head), (huge[-1000:], tail),
                        (huge[2**31 - 500:2**31 + 500], head)):
        np.testing.assert_array_equal(got.view(np.uint32),
                                      fastact.sigmoid(values).view(np.uint32))
    # elements far from the ones set went through too
    assert huge[2**30] == np.float32(0.5) and huge[N - 1001] == np.float32(0.5)
