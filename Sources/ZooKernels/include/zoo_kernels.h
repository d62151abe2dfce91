// SkelZoo's own arithmetic: a fixed-order single-precision GEMM with one micro-kernel per ISA.
//
// THE CONTRACT (arithmetic version "portable-1"). For every element of C = op(A) · op(B):
//
//   1. The inner dimension k is cut into blocks of ZK_KC = 4096 consecutive indices
//      [0, 4096), [4096, 8192), ... (a constant of the arithmetic, never of the CPU). Every k of
//      ST-GCN's forward is below it, so there each element is one chain, the order PyTorch's and
//      OpenBLAS's kernels use at these sizes (shorter blocks, e.g. 256, changed the sign of
//      rounding-level values and moved the fixture gradients past 1e-4).
//   2. Inside a block, the partial sum is a chain of IEEE-754 fused multiply-adds over k in
//      increasing order, starting from +0:  acc = fmaf(a[i][kk], b[kk][j], acc).
//   3. Block partials are added into C in block order, one rounded addition each:
//      block 0:  c = acc            (accumulate == 0; C is not read)
//                c = c + acc        (accumulate != 0)
//      block b:  c = c + acc
//      With k == 0, C is set to +0 (accumulate == 0) or left as it is.
//   4. SIMD runs across outputs (rows and columns of C), never across k. Register tiles, packing and
//      cache blocking differ by ISA; they change which outputs are computed together, never any
//      element's operations or their order. So the scalar reference, AVX2+FMA, AVX-512F and NEON give
//      identical bits, and so does any thread split over rows or columns of C.
//
// The C is compiled with -ffp-contract=off (and `#pragma STDC FP_CONTRACT OFF`); no fast-math. Every fma
// is written out. The rounding mode is the default (nearest-even) and denormals are kept (SkelZoo never
// sets FTZ/DAZ).
//
// Matrices are row-major. op(A) is m x k; A is stored m x k (lda >= k) or, when trans_a, k x m
// (lda >= m). op(B) is k x n; B is stored k x n (ldb >= n) or, when trans_b, n x k (ldb >= k).
// C is m x n with ldc >= n. NN, NT, TN and TT are all supported.
#ifndef SKELZOO_ZOO_KERNELS_H
#define SKELZOO_ZOO_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// K block size of the contract. Changing it changes bits: it is part of the arithmetic version.
#define ZK_KC 4096

/// Instruction sets with a GEMM micro-kernel.
typedef enum {
    ZK_ISA_SCALAR = 0,
    ZK_ISA_AVX2 = 1,
    ZK_ISA_AVX512 = 2,
    ZK_ISA_NEON = 3,
} zk_isa;

/// 1 if this build has a kernel for `isa` and the CPU (and OS) can run it, else 0.
int zk_isa_available(zk_isa isa);

/// The fastest ISA available here (AVX-512F, then AVX2+FMA, then NEON, then scalar).
zk_isa zk_isa_best(void);

/// Short name: "scalar", "avx2", "avx512", "neon".
const char *zk_isa_name(zk_isa isa);

/// C = op(A)·op(B) (+ C when accumulate) with the micro-kernel of `isa`; when this CPU lacks it, the scalar
/// reference runs instead (the same bits, never an illegal instruction). Single-threaded; callers split rows
/// or columns of C across threads.
void zk_sgemm(zk_isa isa, int trans_a, int trans_b, long m, long n, long k,
              const float *a, long lda, const float *b, long ldb, int accumulate, float *c, long ldc);

/// The (Kt x 1) temporal convolution's im2col, given by its input instead of a buffer: the matrix with rows
/// c*Kt + k (C*Kt of them) and columns t'*V + v (T'*V of them) whose entry is input[c, t'*stride + k*dilation -
/// padding, v], or 0 where that frame is outside 0..<T.
///
/// `channel_stride` is the distance between channels in floats (0: T*V, contiguous). With `padded` set, the memory
/// around every channel's frames holds zeros, `padding` frames before frame 0 and after frame T-1 (so a channel
/// stride of at least (T + 2*padding)*V), and at least 64 more readable floats follow the last channel's: stride-1,
/// dilation-1 convolutions then multiply without packing B (the micro-kernel reads its rows from the input).
typedef struct {
    const float *input;  // frame 0 of channel 0
    long channels, frames, joints, kernel, stride, padding, dilation, out_frames;
    long channel_stride;
    int padded;
} zk_temporal_columns;

/// C = A·columns (+ C when accumulate), A m x (C*Kt) (row stride lda), C m x (T'*V) (row stride ldc): the same
/// bits as zk_sgemm(isa, 0, 0, m, T'*V, C*Kt, a, lda, im2col, T'*V, accumulate, c, ldc) on the materialised
/// im2col, which is never built (the SIMD drivers pack B's panels straight from the input).
void zk_sgemm_temporal(zk_isa isa, long m, const float *a, long lda, const zk_temporal_columns *columns,
                       int accumulate, float *c, long ldc);

#ifdef __cplusplus
}
#endif

#endif
