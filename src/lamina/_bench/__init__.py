"""``lamina bench <area>``: quick side-by-side timings of lamina and its peers.

Each area module defines ``run(args) -> list of rows`` and ``add_arguments(parser)``; the
shared timing, table and environment helpers live in ``_common``.  asv (``asv_bench/``)
tracks the same cases over commits; this command is for a user with no asv at hand.
"""

AREAS = {
    "blas1": "lamina._bench.blas1",
    "gemm": "lamina._bench.gemm",
    "losses": "lamina._bench.losses",
    "solvers": "lamina._bench.solvers",
    "linalg": "lamina._bench.linalg",
    "nn": "lamina._bench.nn",
    "decomposition": "lamina._bench.decomposition",
}
