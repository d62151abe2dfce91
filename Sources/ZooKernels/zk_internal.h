// Between the GEMM driver (gemm.c) and its per-ISA micro-kernels. Not part of the public header.
#ifndef SKELZOO_ZK_INTERNAL_H
#define SKELZOO_ZK_INTERNAL_H

/// One MR x NR tile: C[0..<rows, 0..<cols] = (add ? C + acc : acc), where acc[r][c] is the fma chain over
/// kk = 0..<kc of a[kk*MR + r] * b[kk*NR + c], starting at +0.
typedef void (*zk_tile_fn)(long kc, const float *a, const float *b, float *c, long ldc, int add, int rows, int cols);

/// panel[kk*width + r] = source[r*ld + kk] for r < rows, kk < kc; rows..<width are zero. Packs row-major A
/// (width MR) and transposed B (width NR). Data movement only: it never changes a value.
typedef void (*zk_interleave_fn)(float *panel, int width, const float *source, long ld, long rows, long kc);

/// ``zk_tile_fn`` with B unpacked: row kk of the tile's B is the NR floats at b + offsets[kk] (all NR readable, even
/// past `cols`).
typedef void (*zk_tile_rows_fn)(long kc, const float *a, const float *b, const long *offsets, float *c, long ldc, int add,
                                int rows, int cols);

typedef struct {
    int mr, nr;      // register tile
    long mc, nc;     // cache blocks (rows of A, columns of B per packed block)
    zk_tile_fn run;
    zk_interleave_fn interleave;  // NULL: the portable loop in gemm.c
    zk_tile_rows_fn run_rows;     // NULL: B is always packed
} zk_micro_kernel;

/// NULL when this build or this CPU has no such kernel.
const zk_micro_kernel *zk_avx2_kernel(void);
const zk_micro_kernel *zk_avx512_kernel(void);
const zk_micro_kernel *zk_neon_kernel(void);

/// The portable interleave (see ``zk_interleave_fn``); SIMD versions fall back to it for their edges.
void zk_interleave(float *panel, int width, const float *source, long ld, long rows, long kc);

/// Writes the valid rows x cols of a full MR x NR tile (row stride nr) into C: stores, or adds with one
/// rounding per element. Used by the micro-kernels at the matrix edges.
void zk_edge_store(const float *tile, int nr, float *c, long ldc, int add, int rows, int cols);

#endif
