// The one C header SkelZoo takes from OpenBLAS: the standard CBLAS interface plus the
// three OpenBLAS extensions we use to pin its thread count and report its kernel.
#ifndef SKELZOO_CBLAS_SHIM_H
#define SKELZOO_CBLAS_SHIM_H
#include <cblas.h>
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);
char *openblas_get_config(void);
#endif
