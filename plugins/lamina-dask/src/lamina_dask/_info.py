"""Backend metadata, read by lamina at discovery: imports nothing (not even dask)."""

#: Operations the backend implements, with lamina's exact signatures.
OPS = (
    "matmul", "matvec", "qr", "svdvals", "randomized_svd", "cg",
    "softmax_cross_entropy", "sigmoid_binary_cross_entropy", "mse", "mae", "huber",
    "smooth_l1", "log_cosh", "kl_divergence",
)


def get_info():
    return {
        "name": "dask",
        "plugin_api": 1,
        "lamina_requires": ">=0.1",
        "array_types": ["dask.array.core.Array"],
        "devices": ["cpu"],
        "requires_opt_in": False,
        "ops": {op: {"dtypes": ["float32", "float64"],
                     "notes": "lamina's kernels per chunk on the active Dask scheduler"}
                for op in OPS},
    }
