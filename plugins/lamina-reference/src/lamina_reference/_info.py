"""Backend metadata, read at discovery: must stay cheap (imports nothing heavy)."""


def get_info():
    return {
        "name": "reference",
        "plugin_api": 1,
        "lamina_requires": ">=0.1",
        "array_types": [],            # NumPy arrays belong to lamina's core
        "devices": ["cpu"],
        "requires_opt_in": True,
        "ops": {
            op: {"dtypes": ["float32", "float64"], "notes": "NumPy oracle"}
            for op in ("dot", "axpy", "scal", "nrm2", "asum", "iamax", "vector_norm",
                       "gemv", "ger", "matvec", "outer", "matmul", "gemm", "trsm", "trmm",
                       "syrk")
        },
    }
