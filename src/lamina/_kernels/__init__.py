"""lamina's compiled kernels (Cython + C headers with SIMD intrinsics).

These modules take plain typed memoryviews and an explicit ``n_threads``; they do no
input validation beyond what memoryviews enforce.  Use the public API (``lamina.*``) unless
you are writing a plugin that ``cimport``s them (see the ``.pxd`` files).
"""
