"""The bundled digits data set and the train/test split helper."""

import numpy as np
import pytest

from lamina.datasets import load_digits, train_test_split


def test_digits_contents():
    d = load_digits()
    assert d.data.shape == (1797, 64) and d.images.shape == (1797, 8, 8)
    assert d.data.dtype == np.float64 and d.target.dtype == np.int64
    assert d.data.min() == 0 and d.data.max() == 16
    np.testing.assert_array_equal(np.bincount(d.target),
                                  [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    assert "CC BY 4.0" in d.license and "Alpaydin" in d.license
    np.testing.assert_array_equal(d.images[5].ravel(), d.data[5])


def test_digits_options():
    d = load_digits(n_class=3, dtype=np.float32)
    assert d.data.dtype == np.float32
    assert set(d.target.tolist()) == {0, 1, 2}
    with pytest.raises(ValueError, match="n_class"):
        load_digits(n_class=11)
    with pytest.raises(TypeError, match="dtype"):
        load_digits(dtype=np.int32)


def test_split_sizes_and_determinism():
    d = load_digits()
    a = train_test_split(d.data, d.target, random_state=0)
    b = train_test_split(d.data, d.target, random_state=0)
    assert [x.shape for x in a] == [(1347, 64), (450, 64), (1347,), (450,)]
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    train, test = train_test_split(np.arange(100), test_size=0.2, random_state=1)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(100))


def test_split_stratified_keeps_proportions():
    y = np.repeat([0, 1], [80, 20])
    _, _, y_train, y_test = train_test_split(np.zeros((100, 2)), y, test_size=0.25,
                                             stratify=y, random_state=3)
    assert np.bincount(y_test).tolist() == [20, 5]


def test_split_bad_input():
    with pytest.raises(ValueError, match="rows"):
        train_test_split(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="test_size"):
        train_test_split(np.zeros(10), test_size=1.5)
    with pytest.raises(ValueError, match="test_size"):
        train_test_split(np.zeros(10), test_size=10)
