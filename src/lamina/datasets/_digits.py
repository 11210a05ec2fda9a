"""The UCI handwritten digits (8 x 8 images, 1797 samples, CC BY 4.0; see data/)."""

import dataclasses
import gzip
import importlib.resources
import math
import operator

import numpy as np

_LICENSE_FILE = "DIGITS_LICENSE.txt"


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A data set: features, labels and what they mean.

    Attributes
    ----------
    data : ndarray, shape (n_samples, n_features)
    target : ndarray of int64, shape (n_samples,)
    images : ndarray, shape (n_samples, height, width)
    target_names : ndarray
    description : str
    license : str
    """

    data: np.ndarray
    target: np.ndarray
    images: np.ndarray
    target_names: np.ndarray
    description: str
    license: str


def _data_file(name):
    return importlib.resources.files("lamina.datasets").joinpath("data", name)


def load_digits(*, n_class=10, dtype=np.float64):
    """Load the UCI optical-recognition handwritten digits, bundled with lamina.

    1797 images of 8 x 8 pixels, each pixel a count 0..16, labelled 0..9.  Created by
    E. Alpaydin and C. Kaynak (UCI Machine Learning Repository, CC BY 4.0; the full
    attribution is in ``Dataset.license``).

    Parameters
    ----------
    n_class : int, default 10
        Keep only the classes ``0 .. n_class-1``.
    dtype : float32 or float64
        dtype of ``data`` and ``images``.

    Returns
    -------
    Dataset
        ``data`` (n, 64), ``target`` (n,) int64, ``images`` (n, 8, 8).

    Examples
    --------
    >>> from lamina.datasets import load_digits
    >>> d = load_digits(n_class=2, dtype="float32")
    >>> d.data.dtype, sorted(set(d.target.tolist()))
    (dtype('float32'), [0, 1])
    """
    n_class = operator.index(n_class)
    if not 1 <= n_class <= 10:
        raise ValueError(f"n_class must be between 1 and 10, got {n_class}")
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    with _data_file("digits.csv.gz").open("rb") as raw, gzip.open(raw, "rt") as text:
        table = np.loadtxt(text, delimiter=",", dtype=np.int64)
    if table.shape != (1797, 65):
        raise RuntimeError(f"bundled digits data is damaged: shape {table.shape}")
    keep = table[:, -1] < n_class
    data = table[keep, :-1].astype(dtype)
    target = table[keep, -1].copy()
    license_text = _data_file(_LICENSE_FILE).read_text()
    return Dataset(
        data=data,
        target=target,
        images=data.reshape(-1, 8, 8),
        target_names=np.arange(n_class),
        description="UCI optical recognition of handwritten digits: 8x8 images, pixel "
                    "counts 0..16, classes 0..9 (Alpaydin & Kaynak, 1998).",
        license=license_text,
    )


def train_test_split(*arrays, test_size=0.25, random_state=None, stratify=None):
    """Split arrays into random train and test subsets (scikit-learn's convention).

    Parameters
    ----------
    *arrays : array_like
        Arrays with the same first dimension.
    test_size : float in (0, 1) or int
        Fraction or number of samples in the test set (rounded up, as scikit-learn does).
    random_state : int or numpy.random.Generator, optional
    stratify : array_like, optional
        Class labels: each class keeps its proportion in both subsets.

    Returns
    -------
    list of ndarray
        ``train, test`` for each input, in order.
    """
    if not arrays:
        raise ValueError("train_test_split needs at least one array")
    arrays = [np.asarray(a) for a in arrays]
    n = arrays[0].shape[0] if arrays[0].ndim else 0
    for i, a in enumerate(arrays):
        if a.ndim == 0 or a.shape[0] != n:
            raise ValueError(f"array {i} has shape {a.shape}; every array needs {n} rows")
    if isinstance(test_size, float):
        if not 0.0 < test_size < 1.0:
            raise ValueError(f"test_size must be in (0, 1) as a fraction, got {test_size}")
        n_test = math.ceil(test_size * n)
    else:
        n_test = operator.index(test_size)
        if not 0 < n_test < n:
            raise ValueError(f"test_size must be between 1 and {n - 1}, got {n_test}")
    if n_test <= 0 or n_test >= n:
        raise ValueError(f"test_size={test_size} leaves an empty subset of {n} samples")
    rng = random_state if isinstance(random_state, np.random.Generator) else \
        np.random.default_rng(random_state)
    if stratify is None:
        order = rng.permutation(n)
        test_idx, train_idx = order[:n_test], order[n_test:]
    else:
        labels = np.asarray(stratify)
        if labels.shape != (n,):
            raise ValueError(f"stratify has shape {labels.shape}, expected ({n},)")
        test_parts, train_parts = [], []
        classes = np.unique(labels)
        for c in classes:
            idx = rng.permutation(np.flatnonzero(labels == c))
            k = int(round(n_test * idx.size / n))
            test_parts.append(idx[:k])
            train_parts.append(idx[k:])
        test_idx = rng.permutation(np.concatenate(test_parts))
        train_idx = rng.permutation(np.concatenate(train_parts))
    out = []
    for a in arrays:
        out.extend([a[train_idx], a[test_idx]])
    return out
