/* Would Winograd's minimal filtering with bfloat16 products (VDPBF16PS) make a bf16 3x3 convolution faster than
 * oneDNN's, at an accuracy a bf16 step can take? The forward pass of one 3x3 layer (stride 1, padding 1, channels-last
 * bf16 in and out, batch N): each image padded and widened to float32, tiles transformed in float32 (B^T d B) and
 * rounded to bf16, products position by position with the transformed kernel (G g G^T, rounded to bf16) summed in
 * float32 by VDPBF16PS over pairs of input channels, transformed back (A^T m A) and rounded to bf16. Tiling TILE = 2
 * (F(2x2, 3x3), 4x4 tiles) or 4 (F(4x4, 3x3), 6x6 tiles), chosen at compile time.
 * Prints "time MS", the median of REPEATS passes over the batch, and "error E": the largest difference from the
 * float64 sum over the same bf16 inputs and weights, relative to the largest value (two images).
 * usage: winograd-bf16-probe N SIZE CHANNELS [REPEATS]   (threads: OMP_NUM_THREADS)
 * built by the `winograd-bf16` benchmark: cc -O3 -march=native -fopenmp -DTILE=4 winograd-bf16-probe.c -lm */
#include <immintrin.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef TILE
#define TILE 4
#endif
#define ALPHA (TILE + 2)
#define POSITIONS (ALPHA * ALPHA)
#define TILES_PER_GROUP 12 /* 12 tiles x 32 output channels: 24 accumulators */

typedef uint16_t bf16;
typedef __m512 vec;

static bf16 to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    u += 0x7fff + ((u >> 16) & 1); /* round to nearest even */
    return (bf16)(u >> 16);
}

static float from_bf16(bf16 b) {
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

#if TILE == 4
static const double G[ALPHA][3] = {{1 / 4., 0, 0}, {-1 / 6., -1 / 6., -1 / 6.}, {-1 / 6., 1 / 6., -1 / 6.},
                                   {1 / 24., 1 / 12., 1 / 6.}, {1 / 24., -1 / 12., 1 / 6.}, {0, 0, 1}};

/* B^T d: rows [4,0,-5,0,1,0], [0,-4,-4,1,1,0], [0,4,-4,-1,1,0], [0,-2,-1,2,1,0], [0,2,-1,-2,1,0], [0,4,0,-5,0,1]. */
static inline void input_transform(const vec *d, vec *o) {
    vec four = _mm512_set1_ps(4), five = _mm512_set1_ps(5), two = _mm512_set1_ps(2);
    o[0] = _mm512_fmadd_ps(four, d[0], _mm512_fnmadd_ps(five, d[2], d[4]));
    vec a = _mm512_fnmadd_ps(four, d[2], d[4]), b = _mm512_fnmadd_ps(four, d[1], d[3]);
    o[1] = _mm512_add_ps(a, b);
    o[2] = _mm512_sub_ps(a, b);
    vec c = _mm512_sub_ps(d[4], d[2]), e = _mm512_mul_ps(two, _mm512_sub_ps(d[3], d[1]));
    o[3] = _mm512_add_ps(c, e);
    o[4] = _mm512_sub_ps(c, e);
    o[5] = _mm512_fmadd_ps(four, d[1], _mm512_fnmadd_ps(five, d[3], d[5]));
}

/* A^T m: rows [1,1,1,1,1,0], [0,1,-1,2,-2,0], [0,1,1,4,4,0], [0,1,-1,8,-8,1]. */
static inline void output_transform(const vec *m, vec *o) {
    vec p = _mm512_add_ps(m[1], m[2]), q = _mm512_sub_ps(m[1], m[2]);
    vec r = _mm512_add_ps(m[3], m[4]), s = _mm512_sub_ps(m[3], m[4]);
    o[0] = _mm512_add_ps(_mm512_add_ps(m[0], p), r);
    o[1] = _mm512_fmadd_ps(_mm512_set1_ps(2), s, q);
    o[2] = _mm512_fmadd_ps(_mm512_set1_ps(4), r, p);
    o[3] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8), s, q), m[5]);
}
#else
static const double G[ALPHA][3] = {{1, 0, 0}, {.5, .5, .5}, {.5, -.5, .5}, {0, 0, 1}};

/* B^T d: rows [1,0,-1,0], [0,1,1,0], [0,-1,1,0], [0,1,0,-1]. */
static inline void input_transform(const vec *d, vec *o) {
    o[0] = _mm512_sub_ps(d[0], d[2]);
    o[1] = _mm512_add_ps(d[1], d[2]);
    o[2] = _mm512_sub_ps(d[2], d[1]);
    o[3] = _mm512_sub_ps(d[1], d[3]);
}

/* A^T m: rows [1,1,1,0], [0,1,-1,-1]. */
static inline void output_transform(const vec *m, vec *o) {
    o[0] = _mm512_add_ps(_mm512_add_ps(m[0], m[1]), m[2]);
    o[1] = _mm512_sub_ps(_mm512_sub_ps(m[1], m[2]), m[3]);
}
#endif

/* G g G^T of each kernel, in float64, rounded to bf16: [POSITIONS][C/2][K][2] (pairs of input channels together). */
static void transform_weights(const float *w, int k_count, int c_count, bf16 *u) {
    for (int k = 0; k < k_count; k++)
        for (int c = 0; c < c_count; c++) {
            const float *g = w + ((size_t)k * c_count + c) * 9;
            double rows[ALPHA][3];
            for (int i = 0; i < ALPHA; i++)
                for (int j = 0; j < 3; j++) rows[i][j] = G[i][0] * g[j] + G[i][1] * g[3 + j] + G[i][2] * g[6 + j];
            for (int i = 0; i < ALPHA; i++)
                for (int j = 0; j < ALPHA; j++) {
                    double v = rows[i][0] * G[j][0] + rows[i][1] * G[j][1] + rows[i][2] * G[j][2];
                    u[(((size_t)(ALPHA * i + j) * (c_count / 2) + c / 2) * k_count + k) * 2 + (c & 1)] = to_bf16((float)v);
                }
        }
}

/* M[position][tile][k0..k0+31] = sum over channel pairs of U . V, 12 tiles x 2 vectors of accumulators. */
static inline void multiply(const bf16 *u, const bf16 *v, int c_count, int k_count, int k0, float *m) {
    vec acc[TILES_PER_GROUP][2];
    for (int t = 0; t < TILES_PER_GROUP; t++) acc[t][0] = acc[t][1] = _mm512_setzero_ps();
    for (int p = 0; p < c_count / 2; p++) {
        __m512bh u0 = (__m512bh)_mm512_loadu_si512(u + ((size_t)p * k_count + k0) * 2);
        __m512bh u1 = (__m512bh)_mm512_loadu_si512(u + ((size_t)p * k_count + k0 + 16) * 2);
        for (int t = 0; t < TILES_PER_GROUP; t++) {
            __m512bh pair = (__m512bh)_mm512_set1_epi32(*(const int *)(v + (size_t)t * c_count + 2 * p));
            acc[t][0] = _mm512_dpbf16_ps(acc[t][0], u0, pair);
            acc[t][1] = _mm512_dpbf16_ps(acc[t][1], u1, pair);
        }
    }
    for (int t = 0; t < TILES_PER_GROUP; t++) {
        _mm512_storeu_ps(m + (size_t)t * k_count + k0, acc[t][0]);
        _mm512_storeu_ps(m + (size_t)t * k_count + k0 + 16, acc[t][1]);
    }
}

/* The same for 16 output channels: one vector of accumulators per tile. */
static inline void multiply16(const bf16 *u, const bf16 *v, int c_count, float *m) {
    vec acc[TILES_PER_GROUP];
    for (int t = 0; t < TILES_PER_GROUP; t++) acc[t] = _mm512_setzero_ps();
    for (int p = 0; p < c_count / 2; p++) {
        __m512bh u0 = (__m512bh)_mm512_loadu_si512(u + (size_t)p * 32);
        for (int t = 0; t < TILES_PER_GROUP; t++)
            acc[t] = _mm512_dpbf16_ps(acc[t], u0, (__m512bh)_mm512_set1_epi32(*(const int *)(v + (size_t)t * c_count + 2 * p)));
    }
    for (int t = 0; t < TILES_PER_GROUP; t++) _mm512_storeu_ps(m + (size_t)t * 16, acc[t]);
}

/* One image, H x W x C bf16 in, H x W x K bf16 out. Scratch: the padded float32 image, V and M of one tile group. */
static void convolve_image(const bf16 *in, int h, int w, int c_count, const bf16 *u, int k_count, bf16 *out,
                           float *padded, bf16 *v, float *m) {
    int pw = w + 2, tiles_wide = w / TILE, tiles = h / TILE * tiles_wide;
    memset(padded, 0, sizeof(float) * (size_t)(h + 2) * pw * c_count);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < c_count; c += 16) {
                __m256i half = _mm256_loadu_si256((const __m256i *)(in + ((size_t)y * w + x) * c_count + c));
                vec wide = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(half), 16));
                _mm512_storeu_ps(padded + ((size_t)(y + 1) * pw + x + 1) * c_count + c, wide);
            }
    for (int first = 0; first < tiles; first += TILES_PER_GROUP) {
        int count = tiles - first < TILES_PER_GROUP ? tiles - first : TILES_PER_GROUP;
        for (int t = 0; t < TILES_PER_GROUP; t++) {
            int tile = first + (t < count ? t : 0); /* a short group repeats its first tile: no uninitialised reads */
            const float *base = padded + ((size_t)(TILE * (tile / tiles_wide)) * pw + TILE * (tile % tiles_wide)) * c_count;
            for (int c = 0; c < c_count; c += 16) {
                vec columns[ALPHA][ALPHA], d[ALPHA], o[ALPHA];
                for (int j = 0; j < ALPHA; j++) {
                    for (int i = 0; i < ALPHA; i++) d[i] = _mm512_loadu_ps(base + ((size_t)i * pw + j) * c_count + c);
                    input_transform(d, o);
                    for (int i = 0; i < ALPHA; i++) columns[i][j] = o[i];
                }
                for (int i = 0; i < ALPHA; i++) {
                    input_transform(columns[i], o);
                    for (int j = 0; j < ALPHA; j++)
                        _mm256_storeu_si256((__m256i *)(v + ((size_t)(ALPHA * i + j) * TILES_PER_GROUP + t) * c_count + c),
                                            (__m256i)_mm512_cvtneps_pbh(o[j]));
                }
            }
        }
        for (int position = 0; position < POSITIONS; position++) {
            const bf16 *up = u + (size_t)position * c_count * k_count;
            const bf16 *vp = v + (size_t)position * TILES_PER_GROUP * c_count;
            float *mp = m + (size_t)position * TILES_PER_GROUP * k_count;
            if (k_count == 16) multiply16(up, vp, c_count, mp);
            else
                for (int k0 = 0; k0 < k_count; k0 += 32) multiply(up, vp, c_count, k_count, k0, mp);
        }
        for (int t = 0; t < count; t++) {
            int tile = first + t, y0 = TILE * (tile / tiles_wide), x0 = TILE * (tile % tiles_wide);
            for (int k = 0; k < k_count; k += 16) {
                vec rows[TILE][ALPHA], column[ALPHA], o[TILE];
                for (int j = 0; j < ALPHA; j++) {
                    for (int i = 0; i < ALPHA; i++)
                        column[i] = _mm512_loadu_ps(m + ((size_t)(ALPHA * i + j) * TILES_PER_GROUP + t) * k_count + k);
                    output_transform(column, o);
                    for (int i = 0; i < TILE; i++) rows[i][j] = o[i];
                }
                for (int i = 0; i < TILE; i++) {
                    output_transform(rows[i], o);
                    for (int j = 0; j < TILE; j++)
                        _mm256_storeu_si256((__m256i *)(out + ((size_t)(y0 + i) * w + x0 + j) * k_count + k),
                                            (__m256i)_mm512_cvtneps_pbh(o[j]));
                }
            }
        }
    }
}

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: winograd-bf16-probe N SIZE CHANNELS [REPEATS]\n");
        return 2;
    }
    int n = atoi(argv[1]), size = atoi(argv[2]), channels = atoi(argv[3]), repeats = argc > 4 ? atoi(argv[4]) : 20;
    if (size % TILE || channels % 16 || channels < 16 || repeats < 1 || n < 2) {
        fprintf(stderr, "SIZE must be a multiple of %d, CHANNELS of 16, N at least 2\n", TILE);
        return 2;
    }
    int h = size, w = size, c_count = channels, k_count = channels;
    size_t image_in = (size_t)h * w * c_count, image_out = (size_t)h * w * k_count;
    bf16 *in = malloc(n * image_in * 2), *out = malloc(n * image_out * 2);
    bf16 *u = aligned_alloc(64, (size_t)POSITIONS * c_count * k_count * 2);
    float *weights = malloc(sizeof(float) * k_count * c_count * 9);
    srand(2019);
    for (size_t i = 0; i < n * image_in; i++) in[i] = to_bf16((float)rand() / RAND_MAX * 2 - 1);
    for (int i = 0; i < k_count * c_count * 9; i++)
        weights[i] = from_bf16(to_bf16(((float)rand() / RAND_MAX * 2 - 1) / sqrtf(c_count * 9.0f)));
    transform_weights(weights, k_count, c_count, u);

    int threads = omp_get_max_threads();
    float **padded = malloc(sizeof(float *) * threads), **m = malloc(sizeof(float *) * threads);
    bf16 **v = malloc(sizeof(bf16 *) * threads);
    for (int i = 0; i < threads; i++) {
        padded[i] = aligned_alloc(64, sizeof(float) * (h + 2) * (w + 2) * c_count);
        v[i] = aligned_alloc(64, 2 * (size_t)POSITIONS * TILES_PER_GROUP * c_count);
        m[i] = aligned_alloc(64, 4 * (size_t)POSITIONS * TILES_PER_GROUP * k_count);
    }
    double *times = malloc(sizeof(double) * repeats);
    for (int r = 0; r < repeats + 3; r++) {
        double start = seconds();
#pragma omp parallel for schedule(static)
        for (int image = 0; image < n; image++) {
            int id = omp_get_thread_num();
            convolve_image(in + image * image_in, h, w, c_count, u, k_count, out + image * image_out, padded[id], v[id], m[id]);
        }
        if (r >= 3) times[r - 3] = seconds() - start; /* three warm-up passes */
    }
    qsort(times, repeats, sizeof(double), by_value);

    double largest_difference = 0, largest_value = 0;
    for (int image = 0; image < 2; image++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int k = 0; k < k_count; k++) {
                    double sum = 0;
                    for (int c = 0; c < c_count; c++)
                        for (int dy = 0; dy < 3; dy++)
                            for (int dx = 0; dx < 3; dx++) {
                                int yy = y + dy - 1, xx = x + dx - 1;
                                if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                                sum += (double)from_bf16(in[image * image_in + ((size_t)yy * w + xx) * c_count + c]) *
                                       weights[((size_t)k * c_count + c) * 9 + dy * 3 + dx];
                            }
                    double got = from_bf16(out[image * image_out + ((size_t)y * w + x) * k_count + k]);
                    largest_difference = fmax(largest_difference, fabs(sum - got));
                    largest_value = fmax(largest_value, fabs(sum));
                }
    printf("time %.4f\nerror %.3e\n", times[repeats / 2] * 1e3, largest_difference / largest_value);
    return 0;
}
