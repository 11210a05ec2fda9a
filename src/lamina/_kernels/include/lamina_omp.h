/*
 * lamina_omp.h -- the few OpenMP runtime calls lamina makes, with serial stand-ins so that a
 * build without OpenMP compiles, links and gives the same results on one thread.
 */
#ifndef LAMINA_OMP_H
#define LAMINA_OMP_H

#ifdef _OPENMP
#include <omp.h>
#define LAMINA_HAVE_OPENMP 1
#define LAMINA_OPENMP_DATE _OPENMP
static inline int lamina_omp_get_max_threads(void) { return omp_get_max_threads(); }
static inline int lamina_omp_get_num_threads(void) { return omp_get_num_threads(); }
static inline int lamina_omp_get_thread_num(void) { return omp_get_thread_num(); }
static inline int lamina_omp_get_num_procs(void) { return omp_get_num_procs(); }
/* An orphaned barrier binds to the innermost enclosing parallel region (the Cython
 * `parallel()` block that calls it); serial builds need none. */
static inline void lamina_omp_barrier(void) { _Pragma("omp barrier") }
#else
#define LAMINA_HAVE_OPENMP 0
#define LAMINA_OPENMP_DATE 0
static inline int lamina_omp_get_max_threads(void) { return 1; }
static inline int lamina_omp_get_num_threads(void) { return 1; }
static inline int lamina_omp_get_thread_num(void) { return 0; }
static inline int lamina_omp_get_num_procs(void) { return 1; }
static inline void lamina_omp_barrier(void) { }
#endif

/*
 * A sense-reversing spin barrier for loops that cross a barrier every few microseconds
 * (the solvers' one-region CG): one atomic increment per thread and a spin on one cache
 * line, several times cheaper than the general OpenMP barrier.  After LAMINA_SPIN_YIELD
 * polls a waiting thread yields its core on every poll, so a team on an oversubscribed
 * machine hands the core to the thread it waits for instead of burning its time slice.
 * Every member must call it the same number of times.
 */
#include <sched.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LAMINA_CPU_RELAX() _mm_pause()
#else
#define LAMINA_CPU_RELAX() ((void)0)
#endif
#define LAMINA_SPIN_YIELD 20000

typedef struct {
    int count;              /* arrivals in the current phase */
    int sense;              /* flips when the last member arrives */
    int size;               /* members */
    char pad[64 - 3 * sizeof(int)];
} lamina_spin_barrier_t;

static inline void lamina_spin_barrier_init(lamina_spin_barrier_t *b, int size)
{
    b->count = 0;
    b->sense = 0;
    b->size = size;
}

/* local_sense: one int per member, private to it, initialized to 0. */
static inline void lamina_spin_barrier_wait(lamina_spin_barrier_t *b, int *local_sense)
{
    int s = !*local_sense;
    *local_sense = s;
    if (__atomic_add_fetch(&b->count, 1, __ATOMIC_ACQ_REL) == b->size) {
        __atomic_store_n(&b->count, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&b->sense, s, __ATOMIC_RELEASE);
        return;
    }
    for (long spins = 0; __atomic_load_n(&b->sense, __ATOMIC_ACQUIRE) != s; spins++) {
        if (spins < LAMINA_SPIN_YIELD)
            LAMINA_CPU_RELAX();
        else
            sched_yield();
    }
}

#endif /* LAMINA_OMP_H */
