"""A small CNN trained on lamina's bundled 8x8 digits reaches >= 98% test accuracy."""

import time

import numpy as np
from lamina_conv import Conv2D, MaxPool2D

import lamina
from lamina.datasets import load_digits
from lamina.nn import Adam, CosineAnnealingLR, Dense, Flatten, Sequential


def test_cnn_on_digits():
    digits = load_digits(dtype=np.float32)
    X = (digits.images / 16.0).astype(np.float32)[:, None]        # (1797, 1, 8, 8)
    y = digits.target
    order = np.random.default_rng(0).permutation(len(y))
    test, train = order[:450], order[450:]
    model = Sequential([
        Conv2D(32, 3, padding="same", activation="relu"),      # (32, 8, 8)
        MaxPool2D(2),                                          # (32, 4, 4)
        Flatten(),
        Dense(128, activation="relu"),
        Dense(10),
    ], random_state=0)
    optimizer = Adam(lr=3e-3)
    start = time.perf_counter()
    # One thread: the products of a batch of 32 are small, so a second thread gains little,
    # and on a shared CI machine (or beside PyTorch's OpenMP pool, imported by other tests)
    # OpenMP barriers get expensive.  Results do not depend on the thread count.
    with lamina.threads(1):
        model.fit(X[train], y[train], optimizer=optimizer, epochs=15, batch_size=32,
                  scheduler=CosineAnnealingLR(optimizer, 15), progress=False, random_state=0)
    seconds = time.perf_counter() - start
    accuracy = model.evaluate(X[test], y[test])["accuracy"]
    print(f"digits CNN: test accuracy {accuracy:.4f} after {seconds:.2f} s of training")
    assert accuracy >= 0.98
