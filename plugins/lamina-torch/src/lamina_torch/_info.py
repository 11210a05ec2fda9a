"""Backend metadata, read by lamina at discovery: imports nothing (not even torch)."""

#: Operations the backend implements, with lamina's exact signatures.
OPS = (
    # BLAS level 1 and 2
    "dot", "axpy", "scal", "nrm2", "asum", "iamax", "vector_norm",
    "gemv", "ger", "matvec", "outer",
    # BLAS level 3
    "matmul", "gemm", "trsm", "trmm", "syrk",
    # factorizations and direct solvers
    "lu_factor", "lu", "lu_solve", "solve", "inv", "det", "slogdet", "cholesky",
    "cho_factor", "cho_solve", "solve_triangular", "qr", "qr_multiply", "lstsq",
    "matrix_norm", "norm", "cond",
    # spectral decompositions
    "eigh", "eigvalsh", "svd", "svdvals", "randomized_svd", "pinv", "matrix_rank",
    # sparse products and conjugate gradients (dense, torch.sparse_csr, scipy CSR on CPU)
    "csr_matvec", "csr_matmat", "cg",
    # losses returning (loss, grad)
    "softmax_cross_entropy", "linear_softmax_cross_entropy", "sigmoid_binary_cross_entropy",
    "mse", "mae", "huber", "smooth_l1", "log_cosh", "hinge", "kl_divergence",
    "l2_penalty", "l1_penalty", "elastic_net_penalty",
)


def get_info():
    return {
        "name": "torch",
        "plugin_api": 1,
        "lamina_requires": ">=0.1",
        "array_types": ["torch.Tensor"],
        "devices": ["cpu", "cuda"],
        "requires_opt_in": False,
        "ops": {
            op: {"dtypes": ["float32", "float64"],
                 "notes": "runs on the input tensors' device"}
            for op in OPS
        },
    }
