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
#else
#define LAMINA_HAVE_OPENMP 0
#define LAMINA_OPENMP_DATE 0
static inline int lamina_omp_get_max_threads(void) { return 1; }
static inline int lamina_omp_get_num_threads(void) { return 1; }
static inline int lamina_omp_get_thread_num(void) { return 0; }
static inline int lamina_omp_get_num_procs(void) { return 1; }
#endif

#endif /* LAMINA_OMP_H */
