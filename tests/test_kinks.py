"""The derivatives at the kinks of the piecewise functions follow PyTorch's
conventions: which side's slope a function takes exactly at its breakpoints
(relu6 at 0 and 6, hard_sigmoid and hard_swish at -3 and 3, both zeros)."""
import numpy as np
import pytest

import fastact

DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
KINKS = np.array([-3.0, 3.0, 0.0, 6.0, -0.0])


@DTYPES
def test_relu6_grad_is_zero_at_both_ends(dtype):
    np.testing.assert_array_equal(fastact.relu6_grad(KINKS.astype(dtype)), [0, 1, 0, 0, 0])


@DTYPES
def test_hard_sigmoid_grad_is_zero_at_plus_and_minus_3(dtype):
    np.testing.assert_array_equal(fastact.hard_sigmoid_grad(KINKS.astype(dtype)),
                                  np.array([0, 0, 1 / 6, 0, 1 / 6], dtype))


@DTYPES
def test_hard_swish_grad_takes_the_right_hand_slope_at_3(dtype):
    np.testing.assert_array_equal(fastact.hard_swish_grad(KINKS.astype(dtype)),
                                  [0, 1, 0.5, 1, 0.5])
