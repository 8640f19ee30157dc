/* The multiply-add peak of this CPU, for versus-pytorch's share-of-peak figures: THREADS threads, each running
 * CHAINS independent chains (enough to hide the instructions' latency) of fp32 fused multiply-adds (AVX-512, or AVX2
 * on CPUs without it) and of bf16 dot products (VDPBF16PS, where the CPU has AVX512_BF16). Prints one line per
 * precision: "fp32 GFLOPS" and "bf16 GFLOPS" (or "bf16 none"), counting a multiply-add as 2 FLOP.
 * usage: fma-peak [THREADS] [SECONDS]    (built by the benchmark with: cc -O3 -pthread fma-peak.c; the chains
 * must stay in registers, hence the unrolled inner loops) */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHAINS 12

static long iterations;

typedef struct { double sink; } result_t;

__attribute__((target("avx512f"))) static void *fp32_avx512(void *out) {
    __m512 acc[CHAINS], a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_set1_ps((float)c);
    for (long n = 0; n < iterations; n++)
#pragma GCC unroll 16
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_fmadd_ps(acc[c], a, b);
    float sum = 0;
    for (int c = 0; c < CHAINS; c++) sum += _mm512_reduce_add_ps(acc[c]);
    ((result_t *)out)->sink = sum;
    return NULL;
}

__attribute__((target("avx2,fma"))) static void *fp32_avx2(void *out) {
    __m256 acc[CHAINS], a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_set1_ps((float)c);
    for (long n = 0; n < iterations; n++)
#pragma GCC unroll 16
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
    float lanes[8], sum = 0;
    for (int c = 0; c < CHAINS; c++) {
        _mm256_storeu_ps(lanes, acc[c]);
        for (int i = 0; i < 8; i++) sum += lanes[i];
    }
    ((result_t *)out)->sink = sum;
    return NULL;
}

__attribute__((target("avx512f,avx512bf16"))) static void *bf16_avx512(void *out) {
    __m512 acc[CHAINS];
    __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.5f), _mm512_set1_ps(0.25f));
    __m512bh b = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-3f), _mm512_set1_ps(2e-3f));
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_set1_ps((float)c);
    for (long n = 0; n < iterations; n++)
#pragma GCC unroll 16
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_dpbf16_ps(acc[c], a, b);
    float sum = 0;
    for (int c = 0; c < CHAINS; c++) sum += _mm512_reduce_add_ps(acc[c]);
    ((result_t *)out)->sink = sum;
    return NULL;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* GFLOP/s of `kernel` on `threads` threads, iterations grown until one run takes at least `seconds`. */
static double measure(void *(*kernel)(void *), int threads, double flops_per_iteration, double seconds) {
    pthread_t ids[256];
    result_t results[256];
    for (iterations = 1 << 16;; iterations *= 2) {
        double start = now();
        for (int t = 0; t < threads; t++) pthread_create(&ids[t], NULL, kernel, &results[t]);
        for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
        double elapsed = now() - start;
        if (elapsed >= seconds) return flops_per_iteration * iterations * threads / elapsed / 1e9;
    }
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    double seconds = argc > 2 ? atof(argv[2]) : 0.5;
    if (threads < 1 || threads > 256) return 2;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        printf("fp32 %.1f\n", measure(fp32_avx512, threads, CHAINS * 16 * 2.0, seconds));
    else
        printf("fp32 %.1f\n", measure(fp32_avx2, threads, CHAINS * 8 * 2.0, seconds));
    if (__builtin_cpu_supports("avx512bf16"))
        printf("bf16 %.1f\n", measure(bf16_avx512, threads, CHAINS * 16 * 2.0 * 2.0, seconds));
    else
        printf("bf16 none\n");
    return 0;
}
