"""Run-time facts shared by lamina's kernels: CPU features, the selected ISA, OpenMP.

The selected ISA is a single process-wide value read by every kernel (through the C-level
``get_isa``) on each call.  It starts at the best ISA the CPU supports; ``lamina._config``
applies the ``LAMINA_ISA`` override at import and tests switch it with ``set_isa``.
Threaded kernels record the size of the OpenMP team they ran with, so the thread settings
can be tested end to end (``last_team_size``).
"""

cdef extern from "lamina_cpu.h" nogil:
    int LAMINA_ISA_GENERIC
    int LAMINA_ISA_AVX2
    int LAMINA_ISA_AVX512
    int LAMINA_ISA_COUNT
    int lamina_cpu_supports(int isa)
    int lamina_cpu_best_isa()

cdef extern from "lamina_omp.h" nogil:
    int LAMINA_HAVE_OPENMP
    int LAMINA_OPENMP_DATE
    int lamina_omp_get_max_threads()
    int lamina_omp_get_num_procs()
    int lamina_omp_get_num_threads()

from cython.parallel cimport parallel, threadid

ISA_NAMES = ("generic", "avx2", "avx512")

cdef int _isa = lamina_cpu_best_isa()
cdef int _last_team = 0


cdef int get_isa() noexcept nogil:
    return _isa


cdef void record_team_size(int n) noexcept nogil:
    global _last_team
    _last_team = n


def isa_name():
    """Name of the ISA the kernels use now."""
    return ISA_NAMES[_isa]


def best_isa():
    """Name of the widest ISA this CPU (and OS) supports."""
    return ISA_NAMES[lamina_cpu_best_isa()]


def available_isas():
    """Names of every ISA this CPU supports, narrowest first."""
    return tuple(ISA_NAMES[i] for i in range(LAMINA_ISA_COUNT) if lamina_cpu_supports(i))


def set_isa(name):
    """Select the ISA by name; raises ValueError if unknown or unsupported here."""
    global _isa
    if name not in ISA_NAMES:
        raise ValueError(f"unknown ISA {name!r}; expected one of {ISA_NAMES}")
    cdef int isa = ISA_NAMES.index(name)
    if not lamina_cpu_supports(isa):
        raise ValueError(f"ISA {name!r} is not supported by this CPU; "
                         f"available: {available_isas()}")
    _isa = isa


def openmp_enabled():
    """True when this build of lamina was compiled with OpenMP."""
    return bool(LAMINA_HAVE_OPENMP)


def openmp_date():
    """The ``_OPENMP`` date macro of the compiler's OpenMP (0 without OpenMP)."""
    return LAMINA_OPENMP_DATE


def omp_max_threads():
    """OpenMP's current maximum team size (what ``threadpoolctl`` limits)."""
    return lamina_omp_get_max_threads()


def omp_num_procs():
    """Processors OpenMP sees."""
    return lamina_omp_get_num_procs()


def last_team_size():
    """Size of the OpenMP team used by the most recent threaded kernel call (1 when serial)."""
    return _last_team


def team_size_for(int n_threads):
    """Run an empty parallel region with ``n_threads`` and return the team size it got."""
    if n_threads < 1:
        raise ValueError(f"n_threads must be >= 1, got {n_threads}")
    record_team_size(1)
    with nogil, parallel(num_threads=n_threads):
        if threadid() == 0:
            record_team_size(lamina_omp_get_num_threads())
    return _last_team
