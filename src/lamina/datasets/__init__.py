"""Small real data sets shipped inside lamina, so examples and the demo download nothing.

Examples
--------
>>> from lamina.datasets import load_digits, train_test_split
>>> digits = load_digits()
>>> digits.data.shape, digits.target.shape
((1797, 64), (1797,))
>>> X_train, X_test, y_train, y_test = train_test_split(
...     digits.data, digits.target, test_size=0.25, random_state=0)
>>> X_train.shape, X_test.shape
((1347, 64), (450, 64))
"""

from lamina.datasets._digits import Dataset, load_digits, train_test_split

__all__ = ["Dataset", "load_digits", "train_test_split"]
