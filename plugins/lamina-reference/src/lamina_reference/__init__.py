"""lamina-reference: the oracle backend for lamina.

It implements lamina's operations with plain NumPy so that (1) lamina's conformance kit
has a second, independent implementation to run against in CI, and (2) plugin authors
have a small, complete example of a backend.  It owns no array type: it runs only when
asked for by name (``backend="reference"``) or prioritized with
``lamina.backend_opts(prioritize=["reference"])``.
"""

__version__ = "0.1.0"
