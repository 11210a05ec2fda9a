# Fused loss-and-gradient kernels callable from other Cython code (plugins may cimport
# these).  Contracts are stated in include/lamina_losses.h.

from libc.stdint cimport int64_t

cdef extern from "lamina_losses.h" nogil:
    int LAMINA_LOSS_MSE
    int LAMINA_LOSS_MAE
    int LAMINA_LOSS_HUBER
    int LAMINA_LOSS_SMOOTH_L1
    int LAMINA_LOSS_LOG_COSH
    int LAMINA_LOSS_BCE
    int LAMINA_LOSS_HINGE
    int LAMINA_LOSS_KL
    int LAMINA_LOSS_L2
    int LAMINA_LOSS_L1
    int LAMINA_LOSS_ELASTIC_NET
    double lamina_dloss_chunk(int loss, int isa, Py_ssize_t i0, Py_ssize_t i1, Py_ssize_t K,
                              const double *p, const double *t, double a, const double *pcol,
                              const double *w, double gscale, double *g, int accumulate,
                              double *lout)
    double lamina_sloss_chunk(int loss, int isa, Py_ssize_t i0, Py_ssize_t i1, Py_ssize_t K,
                              const float *p, const float *t, float a, const float *pcol,
                              const float *w, float gscale, float *g, int accumulate,
                              float *lout)
    double lamina_dsoftmax_ce_row(int isa, Py_ssize_t C, const double *x, Py_ssize_t label,
                                  const double *q, const double *cw, double base,
                                  double extra, double gs, double *g, double *w, int stream,
                                  const double *pend, double *pend_g)
    double lamina_ssoftmax_ce_row(int isa, Py_ssize_t C, const float *x, Py_ssize_t label,
                                  const float *q, const float *cw, float base, float extra,
                                  float gs, float *g, float *w, int stream,
                                  const float *pend, float *pend_g)
    void lamina_dsoftmax_store_row(int isa, Py_ssize_t C, const double *w, double *g)
    void lamina_ssoftmax_store_row(int isa, Py_ssize_t C, const float *w, float *g)
    int LAMINA_SOFTMAX_SMALL_C
    double lamina_sum_d(Py_ssize_t n, const double *v)
    void lamina_dsoftmax_ce_small(int isa, Py_ssize_t nrows, Py_ssize_t C, const double *x,
                                  const int64_t *labels, const double *cw, const double *sw,
                                  double gscale, int has_ignore, int64_t ignore, double *g,
                                  double *row_loss)
    void lamina_ssoftmax_ce_small(int isa, Py_ssize_t nrows, Py_ssize_t C, const float *x,
                                  const int64_t *labels, const float *cw, const float *sw,
                                  float gscale, int has_ignore, int64_t ignore, float *g,
                                  double *row_loss)

from cython cimport floating

# One chunk [i0, i1) of an element-wise loss over a flat n_rows x k array; returns the
# weighted loss sum of the chunk.  Single-threaded; callers split the work.
cdef double elementwise_chunk(int loss, Py_ssize_t i0, Py_ssize_t i1, Py_ssize_t k,
                              const floating *p, const floating *t, floating a,
                              const floating *pcol, const floating *w, floating gscale,
                              floating *g, bint accumulate, floating *lout) noexcept nogil
# Softmax cross-entropy of one row of c logits (unit stride); returns the row loss.  w is
# a scratch row of c elements.  Without stream the gradient goes to g (which may be x
# itself); with stream it is left in w, to be written by softmax_store_row or passed as
# pend (with its destination pend_g) to the next row's call, which writes it with
# non-temporal stores while it computes (see include/lamina_losses_impl.h).
cdef double softmax_ce_row(Py_ssize_t c, const floating *x, Py_ssize_t label,
                           const floating *q, const floating *cw, floating base,
                           floating extra, floating gs, floating *g, floating *w,
                           bint stream, const floating *pend,
                           floating *pend_g) noexcept nogil
# g[0:c] = w[0:c] with non-temporal stores and a store fence.
cdef void softmax_store_row(Py_ssize_t c, const floating *w, floating *g) noexcept nogil
# Softmax cross-entropy of nrows contiguous rows of c < LAMINA_SOFTMAX_SMALL_C logits with
# integer labels and no label smoothing, vectorized across rows.
cdef void softmax_ce_small(Py_ssize_t nrows, Py_ssize_t c, const floating *x,
                           const int64_t *labels, const floating *cw, const floating *sw,
                           floating gscale, bint has_ignore, int64_t ignore, floating *g,
                           double *row_loss) noexcept nogil
