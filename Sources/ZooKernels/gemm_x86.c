// AVX2+FMA and AVX-512F micro-kernels for the fixed-order GEMM (contract in zoo_kernels.h).
//
// Each kernel keeps an MR x NR tile of C in registers, vectorised across the NR columns. Per k it loads
// one row of the packed B panel and broadcasts each of the MR packed A values: one vfmadd per
// (row, vector), in k order, accumulators starting at zero. Nothing is summed across lanes, so a lane's
// chain is exactly the scalar reference's chain for that element.
//
// The functions carry `target` attributes, so this file builds for baseline x86-64 and the driver picks
// a kernel at run time (`__builtin_cpu_supports`, which also checks that the OS saves the registers).
#pragma STDC FP_CONTRACT OFF
#include "zk_internal.h"

#include <stddef.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

// MARK: - Interleave by 8 x 8 transposes (AVX; used by both kernels)

/// zk_interleave with 8 x 8 in-register transposes for whole blocks, the portable loop for the edges.
__attribute__((target("avx2")))
static void interleave_avx(float *panel, int width, const float *source, long ld, long rows, long kc) {
    long full_rows = rows / 8 * 8, full_k = kc / 8 * 8;
    for (long r0 = 0; r0 < full_rows; r0 += 8) {
        const float *s = source + r0 * ld;
        for (long k0 = 0; k0 < full_k; k0 += 8) {
            __m256 r[8], t[8], u[8];
            for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(s + i * ld + k0);
            for (int i = 0; i < 8; i += 2) {
                t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
                t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
            }
            for (int i = 0; i < 8; i += 4) {
                u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
                u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
                u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
                u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
            }
            for (int j = 0; j < 4; j++) {
                _mm256_storeu_ps(panel + (k0 + j) * width + r0, _mm256_permute2f128_ps(u[j], u[j + 4], 0x20));
                _mm256_storeu_ps(panel + (k0 + j + 4) * width + r0, _mm256_permute2f128_ps(u[j], u[j + 4], 0x31));
            }
        }
        for (long kk = full_k; kk < kc; kk++)
            for (int i = 0; i < 8; i++) panel[kk * width + r0 + i] = s[i * ld + kk];
    }
    // Rows past the last block of 8, and the zero padding up to the panel width.
    for (long kk = 0; kk < kc; kk++) {
        for (long r = full_rows; r < rows; r++) panel[kk * width + r] = source[r * ld + kk];
        for (long r = rows; r < width; r++) panel[kk * width + r] = 0.0f;
    }
}

// MARK: - AVX2 + FMA: 6 x 16 tile (12 accumulators, 2 B vectors, 1 broadcast of 16 ymm registers)

enum { AVX2_MR = 6, AVX2_NV = 2, AVX2_NR = AVX2_NV * 8 };

/// One k step of the tile: row kk of B is b (NR floats), column kk of A's panel is a (MR floats).
#define AVX2_STEP(a, b)                                                  \
    do {                                                                 \
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps((b) + 8);   \
        for (int r = 0; r < AVX2_MR; r++) {                              \
            __m256 ar = _mm256_broadcast_ss((a) + r);                    \
            acc[r][0] = _mm256_fmadd_ps(ar, b0, acc[r][0]);              \
            acc[r][1] = _mm256_fmadd_ps(ar, b1, acc[r][1]);              \
        }                                                                \
    } while (0)

// Inlined into both tile kernels, so the accumulators never leave the registers.
__attribute__((target("avx2,fma"), always_inline))
static inline void store_avx2(__m256 acc[AVX2_MR][AVX2_NV], float *c, long ldc, int add, int rows, int cols) {
    if (rows == AVX2_MR && cols == AVX2_NR) {
        for (int r = 0; r < AVX2_MR; r++) {
            float *row = c + r * ldc;
            for (int v = 0; v < AVX2_NV; v++) {
                __m256 value = add ? _mm256_add_ps(_mm256_loadu_ps(row + 8 * v), acc[r][v]) : acc[r][v];
                _mm256_storeu_ps(row + 8 * v, value);
            }
        }
    } else {
        float tile[AVX2_MR * AVX2_NR];
        for (int r = 0; r < AVX2_MR; r++)
            for (int v = 0; v < AVX2_NV; v++) _mm256_storeu_ps(tile + r * AVX2_NR + 8 * v, acc[r][v]);
        zk_edge_store(tile, AVX2_NR, c, ldc, add, rows, cols);
    }
}

__attribute__((target("avx2,fma")))
static void tile_avx2(long kc, const float *a, const float *b, float *c, long ldc, int add, int rows, int cols) {
    __m256 acc[AVX2_MR][AVX2_NV];
    for (int r = 0; r < AVX2_MR; r++)
        for (int v = 0; v < AVX2_NV; v++) acc[r][v] = _mm256_setzero_ps();
    for (long kk = 0; kk < kc; kk++) AVX2_STEP(a + kk * AVX2_MR, b + kk * AVX2_NR);
    store_avx2(acc, c, ldc, add, rows, cols);
}

__attribute__((target("avx2,fma")))
static void tile_rows_avx2(long kc, const float *a, const float *b, const long *offsets, float *c, long ldc, int add,
                           int rows, int cols) {
    __m256 acc[AVX2_MR][AVX2_NV];
    for (int r = 0; r < AVX2_MR; r++)
        for (int v = 0; v < AVX2_NV; v++) acc[r][v] = _mm256_setzero_ps();
    for (long kk = 0; kk < kc; kk++) AVX2_STEP(a + kk * AVX2_MR, b + offsets[kk]);
    store_avx2(acc, c, ldc, add, rows, cols);
}

static const zk_micro_kernel avx2_kernel = {AVX2_MR, AVX2_NR, 48, 512, tile_avx2, interleave_avx, tile_rows_avx2};

const zk_micro_kernel *zk_avx2_kernel(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? &avx2_kernel : NULL;
}

// MARK: - AVX-512F: 8 x 48 tile (24 accumulators, 3 B vectors, broadcasts folded into the fma, of 32 zmm)
// 8 rows divide every ST-GCN channel count (64, 128, 256 and their 3x), where 12 left a third of a tile idle.

enum { AVX512_MR = 8, AVX512_NV = 3, AVX512_NR = AVX512_NV * 16 };

/// One k step of the tile: row kk of B is b (NR floats), column kk of A's panel is a (MR floats).
#define AVX512_STEP(a, b)                                                                                        \
    do {                                                                                                         \
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps((b) + 16), b2 = _mm512_loadu_ps((b) + 32);          \
        for (int r = 0; r < AVX512_MR; r++) {                                                                    \
            __m512 ar = _mm512_set1_ps((a)[r]);                                                                  \
            acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);                                                      \
            acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);                                                      \
            acc[r][2] = _mm512_fmadd_ps(ar, b2, acc[r][2]);                                                      \
        }                                                                                                        \
    } while (0)

// Inlined into both tile kernels, so the accumulators never leave the registers.
__attribute__((target("avx512f"), always_inline))
static inline void store_avx512(__m512 acc[AVX512_MR][AVX512_NV], float *c, long ldc, int add, int rows, int cols) {
    if (rows == AVX512_MR && cols == AVX512_NR) {
        for (int r = 0; r < AVX512_MR; r++) {
            float *row = c + r * ldc;
            for (int v = 0; v < AVX512_NV; v++) {
                __m512 value = add ? _mm512_add_ps(_mm512_loadu_ps(row + 16 * v), acc[r][v]) : acc[r][v];
                _mm512_storeu_ps(row + 16 * v, value);
            }
        }
    } else {
        float tile[AVX512_MR * AVX512_NR];
        for (int r = 0; r < AVX512_MR; r++)
            for (int v = 0; v < AVX512_NV; v++) _mm512_storeu_ps(tile + r * AVX512_NR + 16 * v, acc[r][v]);
        zk_edge_store(tile, AVX512_NR, c, ldc, add, rows, cols);
    }
}

__attribute__((target("avx512f")))
static void tile_avx512(long kc, const float *a, const float *b, float *c, long ldc, int add, int rows, int cols) {
    __m512 acc[AVX512_MR][AVX512_NV];
    for (int r = 0; r < AVX512_MR; r++)
        for (int v = 0; v < AVX512_NV; v++) acc[r][v] = _mm512_setzero_ps();
    for (long kk = 0; kk < kc; kk++) AVX512_STEP(a + kk * AVX512_MR, b + kk * AVX512_NR);
    store_avx512(acc, c, ldc, add, rows, cols);
}

__attribute__((target("avx512f")))
static void tile_rows_avx512(long kc, const float *a, const float *b, const long *offsets, float *c, long ldc, int add,
                             int rows, int cols) {
    __m512 acc[AVX512_MR][AVX512_NV];
    for (int r = 0; r < AVX512_MR; r++)
        for (int v = 0; v < AVX512_NV; v++) acc[r][v] = _mm512_setzero_ps();
    for (long kk = 0; kk < kc; kk++) AVX512_STEP(a + kk * AVX512_MR, b + offsets[kk]);
    store_avx512(acc, c, ldc, add, rows, cols);
}

static const zk_micro_kernel avx512_kernel = {AVX512_MR, AVX512_NR, 48, 512, tile_avx512, interleave_avx, tile_rows_avx512};

const zk_micro_kernel *zk_avx512_kernel(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? &avx512_kernel : NULL;
}

#else

const zk_micro_kernel *zk_avx2_kernel(void) { return NULL; }
const zk_micro_kernel *zk_avx512_kernel(void) { return NULL; }

#endif
