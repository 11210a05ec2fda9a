# Shared run-time state of the compiled kernels: the selected SIMD ISA and the size of the
# last OpenMP team a threaded kernel used.  Other kernel modules `cimport` these.

cdef int get_isa() noexcept nogil
cdef void record_team_size(int n) noexcept nogil
