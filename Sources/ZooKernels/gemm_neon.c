// NEON (AArch64 Advanced SIMD) micro-kernel for the fixed-order GEMM (contract in zoo_kernels.h):
// an 8 x 12 tile (24 accumulators of 32 q registers), vfmaq_f32 per (row, vector) in k order.
// Built and selected on arm64 only; AArch64 always has Advanced SIMD with fused multiply-add.
#pragma STDC FP_CONTRACT OFF
#include "zk_internal.h"

#include <stddef.h>

#if defined(__aarch64__)
#include <arm_neon.h>

enum { NEON_MR = 8, NEON_NV = 3, NEON_NR = NEON_NV * 4 };

static void tile_neon(long kc, const float *a, const float *b, float *c, long ldc, int add, int rows, int cols) {
    float32x4_t acc[NEON_MR][NEON_NV];
    for (int r = 0; r < NEON_MR; r++)
        for (int v = 0; v < NEON_NV; v++) acc[r][v] = vdupq_n_f32(0.0f);
    for (long kk = 0; kk < kc; kk++) {
        float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8);
        for (int r = 0; r < NEON_MR; r++) {
            float32x4_t ar = vdupq_n_f32(a[r]);
            acc[r][0] = vfmaq_f32(acc[r][0], ar, b0);  // acc + ar * b0, one rounding
            acc[r][1] = vfmaq_f32(acc[r][1], ar, b1);
            acc[r][2] = vfmaq_f32(acc[r][2], ar, b2);
        }
        a += NEON_MR;
        b += NEON_NR;
    }
    if (rows == NEON_MR && cols == NEON_NR) {
        for (int r = 0; r < NEON_MR; r++) {
            float *row = c + r * ldc;
            for (int v = 0; v < NEON_NV; v++) {
                float32x4_t value = add ? vaddq_f32(vld1q_f32(row + 4 * v), acc[r][v]) : acc[r][v];
                vst1q_f32(row + 4 * v, value);
            }
        }
    } else {
        float tile[NEON_MR * NEON_NR];
        for (int r = 0; r < NEON_MR; r++)
            for (int v = 0; v < NEON_NV; v++) vst1q_f32(tile + r * NEON_NR + 4 * v, acc[r][v]);
        zk_edge_store(tile, NEON_NR, c, ldc, add, rows, cols);
    }
}

static const zk_micro_kernel neon_kernel = {NEON_MR, NEON_NR, 48, 512, tile_neon, NULL};

const zk_micro_kernel *zk_neon_kernel(void) { return &neon_kernel; }

#else

const zk_micro_kernel *zk_neon_kernel(void) { return NULL; }

#endif
