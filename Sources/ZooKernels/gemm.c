// SkelZoo's fixed-order GEMM: the scalar reference, the blocked driver shared by the SIMD kernels, and
// the run-time choice of micro-kernel. The contract (what every element's sum is) is in zoo_kernels.h;
// this file and its micro-kernels (gemm_x86.c, gemm_neon.c) are its only implementation.
//
// Driver (Goto/BLIS loop order): jc over NC columns, pc over ZK_KC-deep blocks in increasing order,
// ic over MC rows; B's block is packed into NR-wide panels and A's into MR-tall panels (zero padded),
// then one micro-kernel call per MR x NR tile. Because pc runs in order and each micro-kernel call
// starts its accumulators at +0, runs one fma per k in order and then stores (block 0) or adds its
// partial into C, every element follows the contract whatever MR, NR, MC and NC are.
#pragma STDC FP_CONTRACT OFF
#include "zoo_kernels.h"
#include "zk_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// MARK: - Scalar reference

static inline float load_a(const float *a, long lda, int trans, long i, long kk) {
    return trans ? a[kk * lda + i] : a[i * lda + kk];
}

static inline float load_b(const float *b, long ldb, int trans, long kk, long j) {
    return trans ? b[j * ldb + kk] : b[kk * ldb + j];
}

/// The contract written as plainly as possible: one row of C at a time, columns in chunks, k blocks in
/// order, one fmaf per k. Slow; it is the definition the SIMD kernels are tested against.
static void sgemm_reference(int trans_a, int trans_b, long m, long n, long k, const float *a, long lda,
                            const float *b, long ldb, int accumulate, float *c, long ldc) {
    enum { CHUNK = 512 };
    float acc[CHUNK];
    for (long i = 0; i < m; i++) {
        float *row = c + i * ldc;
        if (k == 0) {
            if (!accumulate) memset(row, 0, (size_t)n * sizeof(float));
            continue;
        }
        for (long j0 = 0; j0 < n; j0 += CHUNK) {
            long width = n - j0 < CHUNK ? n - j0 : CHUNK;
            for (long pc = 0; pc < k; pc += ZK_KC) {
                long kc = k - pc < ZK_KC ? k - pc : ZK_KC;
                for (long j = 0; j < width; j++) acc[j] = 0.0f;
                for (long kk = pc; kk < pc + kc; kk++) {
                    float aik = load_a(a, lda, trans_a, i, kk);
                    for (long j = 0; j < width; j++) acc[j] = fmaf(aik, load_b(b, ldb, trans_b, kk, j0 + j), acc[j]);
                }
                if (pc == 0 && !accumulate) {
                    for (long j = 0; j < width; j++) row[j0 + j] = acc[j];
                } else {
                    for (long j = 0; j < width; j++) row[j0 + j] = row[j0 + j] + acc[j];
                }
            }
        }
    }
}

// MARK: - Packing

/// k values gathered per pass when interleaving (keeps the written panel lines in L1).
enum { PACK_CHUNK = 32 };

void zk_interleave(float *panel, int width, const float *source, long ld, long rows, long kc) {
    for (long k0 = 0; k0 < kc; k0 += PACK_CHUNK) {
        long k1 = kc - k0 < PACK_CHUNK ? kc : k0 + PACK_CHUNK;
        for (long r = 0; r < rows; r++) {
            const float *row = source + r * ld;
            for (long kk = k0; kk < k1; kk++) panel[kk * width + r] = row[kk];
        }
        for (long r = rows; r < width; r++) {
            for (long kk = k0; kk < k1; kk++) panel[kk * width + r] = 0.0f;
        }
    }
}

/// Copies `rows` rows of `cols` values (row stride ld) into a panel with row stride `width`, zero padded.
static void copy_panel(float *panel, int width, const float *source, long ld, long rows, long cols) {
    for (long kk = 0; kk < rows; kk++) {
        const float *row = source + kk * ld;
        float *target = panel + kk * width;
        long col = 0;
        for (; col < cols; col++) target[col] = row[col];
        for (; col < width; col++) target[col] = 0.0f;
    }
}

/// Packs `extent` rows of op(A) (width MR) or columns of op(B) (width NR), starting at `first`, over the k range
/// pc..<pc+kc, as panels laid out [kk][r] (rows or columns past `extent` are zero). `interleaved`: the source
/// holds each row/column contiguously along k (row-major A, transposed B); otherwise along the panel's width.
static void pack_panels(const zk_micro_kernel *kernel, float *packed, int width, const float *source, long ld,
                        int interleaved, long first, long extent, long pc, long kc) {
    zk_interleave_fn interleave = kernel->interleave ? kernel->interleave : zk_interleave;
    for (long p = 0; p < extent; p += width) {
        long count = extent - p < width ? extent - p : width;
        if (interleaved) {
            interleave(packed + p * kc, width, source + (first + p) * ld + pc, ld, count, kc);
        } else {
            copy_panel(packed + p * kc, width, source + pc * ld + first + p, ld, kc, count);
        }
    }
}

/// A's rows ic..<ic+mc, k range pc..<pc+kc, as MR-tall panels laid out [kk][r] (rows past mc are zero).
static void pack_a(const zk_micro_kernel *kernel, float *packed, const float *a, long lda, int trans,
                   long ic, long mc, long pc, long kc) {
    pack_panels(kernel, packed, kernel->mr, a, lda, !trans, ic, mc, pc, kc);
}

/// B's k range pc..<pc+kc, columns jc..<jc+nc, as NR-wide panels laid out [kk][c] (columns past nc are zero).
static void pack_b(const zk_micro_kernel *kernel, float *packed, const float *b, long ldb, int trans,
                   long pc, long kc, long jc, long nc) {
    pack_panels(kernel, packed, kernel->nr, b, ldb, trans, jc, nc, pc, kc);
}

// MARK: - Temporal convolution columns

/// Row kk = c*Kt + k of the implicit im2col reads channel c at input frame t'*stride + offset, for t' in
/// first..<end; the rest of the row is padding (0).
typedef struct { const float *channel; long offset, first, end; } temporal_row;

static long temporal_channel_stride(const zk_temporal_columns *b) {
    return b->channel_stride ? b->channel_stride : b->frames * b->joints;
}

/// Whether the micro-kernel can read B's rows straight from the input: a padded input, stride 1, dilation 1.
static int temporal_direct(const zk_micro_kernel *kernel, const zk_temporal_columns *b) {
    return b && b->padded && b->stride == 1 && b->dilation == 1 && kernel->run_rows;
}

/// For a padded input (see temporal_direct), row kk of the implicit im2col starts at input + offsets[kk]: channel
/// c = kk / Kt at frame tap - padding, and column j = t'*V + v reads j further on (the zeros around the frames are
/// the padding entries).
static void temporal_offsets(long *offsets, const zk_temporal_columns *b, long pc, long kc) {
    for (long kk = 0; kk < kc; kk++) {
        long ch = (pc + kk) / b->kernel, tap = pc + kk - ch * b->kernel;
        offsets[kk] = ch * temporal_channel_stride(b) + (tap - b->padding) * b->joints;
    }
}

static temporal_row temporal_row_at(const zk_temporal_columns *b, long kk) {
    long ch = kk / b->kernel, tap = kk - ch * b->kernel;
    long offset = tap * b->dilation - b->padding;
    long first = offset >= 0 ? 0 : (b->stride - 1 - offset) / b->stride;
    long end = offset > b->frames - 1 ? 0 : (b->frames - 1 - offset) / b->stride + 1;
    if (end > b->out_frames) end = b->out_frames;
    if (first > end) first = end;
    temporal_row row = {b->input + ch * temporal_channel_stride(b), offset, first, end};
    return row;
}

/// pack_b for the implicit im2col: rows pc..<pc+kc, columns jc..<jc+nc as NR-wide panels [kk][c], zero padded;
/// every value is the im2col entry copy_panel would have read.
static void pack_temporal(int nr, float *packed, const zk_temporal_columns *b, long pc, long kc, long jc, long nc) {
    const long v = b->joints;
    for (long kk = 0; kk < kc; kk++) {
        temporal_row row = temporal_row_at(b, pc + kk);
        // Columns j = t'*V + joint with t' in first..<end are inside the clip.
        long lo = row.first * v, hi = row.end * v;
        for (long p = 0; p < nc; p += nr) {
            float *target = packed + p * kc + kk * nr;
            long j0 = jc + p, cols = nc - p < nr ? nc - p : nr;
            long col = 0;
            if (b->stride == 1) {
                // Column j reads the channel's value j + offset*V: zeros, one contiguous run, zeros.
                long inside = lo - j0 < 0 ? 0 : (lo - j0 < cols ? lo - j0 : cols);
                long past = hi - j0 < inside ? inside : (hi - j0 < cols ? hi - j0 : cols);
                long shift = j0 + row.offset * v;
                for (; col < inside; col++) target[col] = 0.0f;
                for (; col < past; col++) target[col] = row.channel[shift + col];
            } else {
                // Column j = t'*V + joint: a frame's V joints are contiguous in the input, so copy run by run.
                long t = j0 / v, joint = j0 - t * v;
                while (col < cols) {
                    long run = v - joint < cols - col ? v - joint : cols - col;
                    if (t >= row.first && t < row.end) {
                        const float *from = row.channel + (t * b->stride + row.offset) * v + joint;
                        for (long i = 0; i < run; i++) target[col + i] = from[i];
                    } else {
                        for (long i = 0; i < run; i++) target[col + i] = 0.0f;
                    }
                    col += run;
                    joint = 0;
                    t++;
                }
            }
            for (; col < nr; col++) target[col] = 0.0f;
        }
    }
}

/// The implicit im2col written out (for the scalar reference, which reads B directly).
static void temporal_materialise(float *columns, const zk_temporal_columns *b) {
    const long n = b->out_frames * b->joints;
    for (long kk = 0; kk < b->channels * b->kernel; kk++) {
        temporal_row row = temporal_row_at(b, kk);
        float *target = columns + kk * n;
        for (long t = 0; t < b->out_frames; t++) {
            for (long joint = 0; joint < b->joints; joint++) {
                target[t * b->joints + joint] = t >= row.first && t < row.end
                    ? row.channel[(t * b->stride + row.offset) * b->joints + joint] : 0.0f;
            }
        }
    }
}

// MARK: - Blocked driver

/// Per-thread packing buffers, grown on demand and kept for the thread's life.
static _Thread_local float *pack_buffer;
static _Thread_local size_t pack_capacity;

static float *packing_buffer(size_t count) {
    if (count > pack_capacity) {
        free(pack_buffer);
        size_t bytes = (count * sizeof(float) + 63) / 64 * 64;
        pack_buffer = aligned_alloc(64, bytes);
        if (!pack_buffer) abort();  // out of memory: nothing sensible to return from a GEMM
        pack_capacity = bytes / sizeof(float);
    }
    return pack_buffer;
}

void zk_edge_store(const float *tile, int nr, float *c, long ldc, int add, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
        float *row = c + r * ldc;
        const float *source = tile + r * nr;
        if (add) {
            for (int col = 0; col < cols; col++) row[col] = row[col] + source[col];
        } else {
            for (int col = 0; col < cols; col++) row[col] = source[col];
        }
    }
}

/// `temporal`: B is that implicit im2col (not transposed; `b` unused), else B is `b`.
static void sgemm_blocked(const zk_micro_kernel *kernel, int trans_a, int trans_b, long m, long n, long k,
                          const float *a, long lda, const float *b, long ldb, const zk_temporal_columns *temporal,
                          int accumulate, float *c, long ldc) {
    const int mr = kernel->mr, nr = kernel->nr;
    // Cache blocks are whole numbers of register tiles, so a packed block never outgrows its buffer.
    const long mc_max = kernel->mc / mr * mr, nc_max = kernel->nc / nr * nr;
    if (k == 0) {
        if (!accumulate) for (long i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(float));
        return;
    }
    long nc_cap = n < nc_max ? (n + nr - 1) / nr * nr : nc_max;
    long mc_cap = m < mc_max ? (m + mr - 1) / mr * mr : mc_max;
    long kc_cap = k < ZK_KC ? k : ZK_KC;
    const int direct = temporal_direct(kernel, temporal);
    // Direct: no packed B; the block's row offsets (a long each: two floats' room) take its place.
    long b_width = direct ? 2 : nc_cap;
    float *packed_b = packing_buffer((size_t)(b_width + mc_cap) * (size_t)kc_cap);
    float *packed_a = packed_b + b_width * kc_cap;
    long *offsets = (long *)packed_b;
    for (long jc = 0; jc < n; jc += nc_max) {
        long nc = n - jc < nc_max ? n - jc : nc_max;
        for (long pc = 0; pc < k; pc += ZK_KC) {
            long kc = k - pc < ZK_KC ? k - pc : ZK_KC;
            int add = pc > 0 || accumulate;
            if (direct) {
                temporal_offsets(offsets, temporal, pc, kc);
            } else if (temporal) {
                pack_temporal(kernel->nr, packed_b, temporal, pc, kc, jc, nc);
            } else {
                pack_b(kernel, packed_b, b, ldb, trans_b, pc, kc, jc, nc);
            }
            for (long ic = 0; ic < m; ic += mc_max) {
                long mc = m - ic < mc_max ? m - ic : mc_max;
                pack_a(kernel, packed_a, a, lda, trans_a, ic, mc, pc, kc);
                for (long jr = 0; jr < nc; jr += nr) {
                    int cols = (int)(nc - jr < nr ? nc - jr : nr);
                    for (long ir = 0; ir < mc; ir += mr) {
                        int rows = (int)(mc - ir < mr ? mc - ir : mr);
                        float *tile = c + (ic + ir) * ldc + jc + jr;
                        if (direct) {
                            kernel->run_rows(kc, packed_a + ir * kc, temporal->input + jc + jr, offsets, tile, ldc, add, rows, cols);
                        } else {
                            kernel->run(kc, packed_a + ir * kc, packed_b + jr * kc, tile, ldc, add, rows, cols);
                        }
                    }
                }
            }
        }
    }
}

// MARK: - Dispatch

int zk_isa_available(zk_isa isa) {
    switch (isa) {
    case ZK_ISA_SCALAR: return 1;
    case ZK_ISA_AVX2: return zk_avx2_kernel() != NULL;
    case ZK_ISA_AVX512: return zk_avx512_kernel() != NULL;
    case ZK_ISA_NEON: return zk_neon_kernel() != NULL;
    }
    return 0;
}

zk_isa zk_isa_best(void) {
    if (zk_isa_available(ZK_ISA_AVX512)) return ZK_ISA_AVX512;
    if (zk_isa_available(ZK_ISA_AVX2)) return ZK_ISA_AVX2;
    if (zk_isa_available(ZK_ISA_NEON)) return ZK_ISA_NEON;
    return ZK_ISA_SCALAR;
}

const char *zk_isa_name(zk_isa isa) {
    switch (isa) {
    case ZK_ISA_SCALAR: return "scalar";
    case ZK_ISA_AVX2: return "avx2";
    case ZK_ISA_AVX512: return "avx512";
    case ZK_ISA_NEON: return "neon";
    }
    return "unknown";
}

/// The micro-kernel of `isa`, NULL for scalar or when this CPU lacks it.
static const zk_micro_kernel *micro_kernel(zk_isa isa) {
    switch (isa) {
    case ZK_ISA_AVX2: return zk_avx2_kernel();
    case ZK_ISA_AVX512: return zk_avx512_kernel();
    case ZK_ISA_NEON: return zk_neon_kernel();
    case ZK_ISA_SCALAR: return NULL;
    }
    return NULL;
}

void zk_sgemm_temporal(zk_isa isa, long m, const float *a, long lda, const zk_temporal_columns *columns,
                       int accumulate, float *c, long ldc) {
    long n = columns->out_frames * columns->joints, k = columns->channels * columns->kernel;
    if (m <= 0 || n <= 0) return;
    const zk_micro_kernel *kernel = micro_kernel(isa);
    if (kernel) {
        sgemm_blocked(kernel, 0, 0, m, n, k, a, lda, NULL, n, columns, accumulate, c, ldc);
    } else {
        float *b = malloc((size_t)(k > 0 ? k : 1) * (size_t)n * sizeof(float));
        if (!b) abort();  // out of memory: as packing_buffer
        temporal_materialise(b, columns);
        sgemm_reference(0, 0, m, n, k, a, lda, b, n, accumulate, c, ldc);
        free(b);
    }
}

void zk_sgemm(zk_isa isa, int trans_a, int trans_b, long m, long n, long k,
              const float *a, long lda, const float *b, long ldb, int accumulate, float *c, long ldc) {
    if (m <= 0 || n <= 0) return;
    const zk_micro_kernel *kernel = micro_kernel(isa);
    if (kernel) {
        sgemm_blocked(kernel, trans_a, trans_b, m, n, k, a, lda, b, ldb, NULL, accumulate, c, ldc);
    } else {
        sgemm_reference(trans_a, trans_b, m, n, k, a, lda, b, ldb, accumulate, c, ldc);
    }
}
