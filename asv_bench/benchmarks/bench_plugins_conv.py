"""The lamina-conv plugin's Conv2D (im2col + lamina's GEMM) beside PyTorch's conv2d.

One training step per sample: forward in training mode, then the input, weight and bias
gradients.  Skips cleanly when the plugin (``pip install ./plugins/lamina-conv``) or
PyTorch is not installed.  Running PyTorch and lamina in one process puts two OpenMP
runtimes side by side; ``python -m lamina_conv.bench`` times PyTorch in its own process
for a cleaner ratio.
"""

import numpy as np

from .common import ThreadLimit, optional, skip_unless, torch, warm_up_openmp

lamina_conv = optional("lamina_conv")

# (batch, in_channels, height, width, filters, kernel, stride, padding, groups)
SHAPES = {
    "32x3x32x32-16-k3": (32, 3, 32, 32, 16, 3, 1, 1, 1),
    "32x16x16x16-32-k3": (32, 16, 16, 16, 32, 3, 1, 1, 1),
    "32x32x16x16-64-k3s2": (32, 32, 16, 16, 64, 3, 2, 1, 1),
    "32x64x8x8-64-k3": (32, 64, 8, 8, 64, 3, 1, 1, 1),
}


class Conv2DStep:
    params = (["lamina", "torch"], list(SHAPES), ["float32", "float64"], [1, 2])
    param_names = ["impl", "shape", "dtype", "threads"]
    timeout = 120

    def setup(self, impl, shape, dtype, threads):
        skip_unless(lamina_conv is not None)
        skip_unless(impl != "torch" or torch is not None)
        n, c, h, w, o, k, s, p, g = SHAPES[shape]
        self.limit = ThreadLimit(threads)
        self.limit.start()
        warm_up_openmp()
        x = np.random.default_rng(0).standard_normal((n, c, h, w)).astype(dtype)
        if impl == "lamina":
            self.layer = lamina_conv.Conv2D(o, k, stride=s, padding=p, groups=g,
                                            random_state=0)
            self.layer.build(x.shape[1:], dtype)
            self.x = x
            self.grad = np.ones((n,) + self.layer.output_shape(x.shape[1:]), dtype)
        else:
            self.conv = torch.nn.Conv2d(c, o, k, stride=s, padding=p, groups=g).to(
                getattr(torch, dtype))
            self.xt = torch.from_numpy(x).requires_grad_(True)
            with torch.no_grad():
                self.gt = torch.ones_like(self.conv(self.xt))

    def teardown(self, impl, shape, dtype, threads):
        self.limit.stop()

    def time_forward_backward(self, impl, shape, dtype, threads):
        if impl == "lamina":
            self.layer.forward(self.x, training=True)
            self.layer.backward(self.grad)
        else:
            self.xt.grad = None
            self.conv.zero_grad(set_to_none=True)
            self.conv(self.xt).backward(self.gt)

    def track_gflops(self, impl, shape, dtype, threads):
        import time

        n, c, h, w, o, k, s, p, g = SHAPES[shape]
        oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        work = 3 * 2.0 * n * oh * ow * o * (c // g) * k * k
        self.time_forward_backward(impl, shape, dtype, threads)
        start = time.perf_counter()
        for _ in range(5):
            self.time_forward_backward(impl, shape, dtype, threads)
        return work * 5 / (time.perf_counter() - start) / 1e9

    track_gflops.unit = "GFLOP/s"
