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

// MARK: - AVX2 + FMA: 6 x 16 tile (12 accumulators, 2 B vectors, 1 broadcast of 16 ymm registers)

enum { AVX2_MR = 6, AVX2_NV = 2, AVX2_NR = AVX2_NV * 8 };

__attribute__((target("avx2,fma")))
static void tile_avx2(long kc, const float *a, const float *b, float *c, long ldc, int add, int rows, int cols) {
    __m256 acc[AVX2_MR][AVX2_NV];
    for (int r = 0; r < AVX2_MR; r++)
        for (int v = 0; v < AVX2_NV; v++) acc[r][v] = _mm256_setzero_ps();
    for (long kk = 0; kk < kc; kk++) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        for (int r = 0; r < AVX2_MR; r++) {
            __m256 ar = _mm256_broadcast_ss(a + r);
            acc[r][0] = _mm256_fmadd_ps(ar, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(ar, b1, acc[r][1]);
        }
        a += AVX2_MR;
        b += AVX2_NR;
    }
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

static const zk_micro_kernel avx2_kernel = {AVX2_MR, AVX2_NR, 48, 512, tile_avx2};

const zk_micro_kernel *zk_avx2_kernel(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? &avx2_kernel : NULL;
}

// MARK: - AVX-512F: 12 x 32 tile (24 accumulators, 2 B vectors, broadcasts folded into the fma, of 32 zmm)

enum { AVX512_MR = 12, AVX512_NV = 2, AVX512_NR = AVX512_NV * 16 };

__attribute__((target("avx512f")))
static void tile_avx512(long kc, const float *a, const float *b, float *c, long ldc, int add, int rows, int cols) {
    __m512 acc[AVX512_MR][AVX512_NV];
    for (int r = 0; r < AVX512_MR; r++)
        for (int v = 0; v < AVX512_NV; v++) acc[r][v] = _mm512_setzero_ps();
    for (long kk = 0; kk < kc; kk++) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
        for (int r = 0; r < AVX512_MR; r++) {
            __m512 ar = _mm512_set1_ps(a[r]);
            acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
        }
        a += AVX512_MR;
        b += AVX512_NR;
    }
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

static const zk_micro_kernel avx512_kernel = {AVX512_MR, AVX512_NR, 48, 512, tile_avx512};

const zk_micro_kernel *zk_avx512_kernel(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? &avx512_kernel : NULL;
}

#else

const zk_micro_kernel *zk_avx2_kernel(void) { return NULL; }
const zk_micro_kernel *zk_avx512_kernel(void) { return NULL; }

#endif
