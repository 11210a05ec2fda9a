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
            for op in (
                # level 1/2
                "dot", "axpy", "scal", "nrm2", "asum", "iamax", "vector_norm", "gemv", "ger",
                "matvec", "outer",
                # level 3
                "matmul", "gemm", "trsm", "trmm", "syrk",
                # losses
                "softmax_cross_entropy", "linear_softmax_cross_entropy",
                "sigmoid_binary_cross_entropy", "mse", "mae", "huber",
                "smooth_l1", "log_cosh", "hinge", "kl_divergence", "l2_penalty", "l1_penalty",
                "elastic_net_penalty",
                # sparse and iterative solvers
                "csr_matvec", "csr_matmat", "cg", "minres", "gmres", "bicgstab", "jacobi",
                "gauss_seidel", "sor",
                # factorizations and direct solvers
                "lu_factor", "lu", "lu_solve", "solve", "inv", "det", "slogdet", "cholesky",
                "cho_factor", "cho_solve", "solve_triangular", "qr", "qr_multiply", "lstsq",
                "matrix_norm", "norm", "cond",
                # eigenvalues and singular values
                "eigh", "eigvalsh", "svd", "svdvals", "randomized_svd", "pinv", "matrix_rank",
            )
        },
    }
