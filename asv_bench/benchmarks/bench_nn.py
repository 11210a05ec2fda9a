"""Neural-network training beside NumPy and PyTorch (same network, batches and optimizer)."""

import numpy as np

import lamina
import lamina.nn
from lamina._bench import nn as nn_bench

from .common import ThreadLimit, skip_unless, torch, warm_up_openmp


class DigitsMLP:
    """(a) digits 64-128-10 ReLU, SGD lr 0.1 momentum 0.9, batch 32 (5 epochs per sample)."""

    params = (["lamina", "numpy", "torch"],)
    param_names = ["impl"]
    timeout = 300
    epochs = 5

    def setup(self, impl):
        skip_unless(impl != "torch" or torch is not None)
        self.data = nn_bench.digits_split()
        self.limit = ThreadLimit(2)
        self.limit.start()
        warm_up_openmp()

    def teardown(self, impl):
        self.limit.stop()

    def _train(self, impl):
        X_train, X_test, y_train, y_test = self.data
        args = (X_train, y_train, [64, 128, 10], self.epochs, 32)
        if impl == "lamina":
            return nn_bench.train_lamina(*args, X_test=X_test, y_test=y_test)[1]
        if impl == "numpy":
            return nn_bench.train_numpy(*args, X_test=X_test, y_test=y_test)[1]
        return nn_bench.train_torch(*args, X_test=X_test, y_test=y_test, threads=2)[1]

    def time_train(self, impl):
        self._train(impl)

    def track_test_accuracy(self, impl):
        return self._train(impl)

    track_test_accuracy.unit = "accuracy"


class DenseStep:
    """(c) one Dense 1024 -> 1024 (ReLU) forward + backward at batch 256, float32."""

    params = (["lamina", "numpy", "torch"], [1, 2])
    param_names = ["impl", "threads"]

    def setup(self, impl, threads):
        skip_unless(impl != "torch" or torch is not None)
        self.limit = ThreadLimit(threads)
        self.limit.start()
        warm_up_openmp()
        rng = np.random.default_rng(0)
        self.x = rng.standard_normal((256, 1024)).astype(np.float32)
        self.g = rng.standard_normal((256, 1024)).astype(np.float32)
        if impl == "lamina":
            self.layer = lamina.nn.Dense(1024, activation="relu", random_state=0)
            self.layer.build((1024,), np.float32)
        elif impl == "numpy":
            self.w = rng.standard_normal((1024, 1024)).astype(np.float32)
            self.b = np.zeros(1024, np.float32)
        else:
            self.lin = torch.nn.Linear(1024, 1024)
            self.xt = torch.from_numpy(self.x)
            self.gt = torch.from_numpy(self.g)

    def teardown(self, impl, threads):
        self.limit.stop()

    def time_forward_backward(self, impl, threads):
        if impl == "lamina":
            self.layer.forward(self.x, training=True)
            self.layer.backward(self.g)
        elif impl == "numpy":
            z = np.maximum(self.x @ self.w + self.b, 0)
            dz = self.g * (z > 0)
            _ = (self.x.T @ dz, dz.sum(axis=0), dz @ self.w.T)
        else:
            self.lin.zero_grad(set_to_none=True)
            torch.relu(self.lin(self.xt)).backward(self.gt)


class MLP784:
    """(b) 784-512-512-10 ReLU, SGD lr 0.01 momentum 0.9, batch 128, one epoch over 60000
    random float32 samples (lamina trains it through its compiled Dense-stack step)."""

    params = (["lamina", "numpy", "torch"],)
    param_names = ["impl"]
    timeout = 600
    number = 1
    repeat = (1, 3, 60.0)

    def setup(self, impl):
        skip_unless(impl != "torch" or torch is not None)
        rng = np.random.default_rng(0)
        self.X = rng.standard_normal((60000, 784)).astype(np.float32)
        self.y = rng.integers(0, 10, 60000)
        self.limit = ThreadLimit(2)
        self.limit.start()
        warm_up_openmp()

    def teardown(self, impl):
        self.limit.stop()

    def time_epoch(self, impl):
        args = (self.X, self.y, [784, 512, 512, 10], 1, 128)
        if impl == "lamina":
            nn_bench.train_lamina(*args, lr=0.01)
        elif impl == "numpy":
            nn_bench.train_numpy(*args, lr=0.01)
        else:
            nn_bench.train_torch(*args, lr=0.01, threads=2)
