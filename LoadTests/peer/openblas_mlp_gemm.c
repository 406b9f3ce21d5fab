/* Best-case OpenBLAS time for fashion-mlp's two GEMMs at batch 32, in every operand layout and
 * with row blocking: the floor for `zenith bench --model fashion-mlp --batch 32`.
 *
 *   gcc -O2 LoadTests/peer/openblas_mlp_gemm.c $(pkg-config --cflags --libs openblas) -o /tmp/mlp_gemm
 *   OPENBLAS_CORETYPE=SkylakeX /tmp/mlp_gemm      (the kernel `zenith` selects on AVX-512 CPUs)
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

int main(void) {
    openblas_set_num_threads(1);
    const int B = 32, H = 1024, K = 784;
    float *w1 = malloc(4L * H * K), *w2 = malloc(4L * H * H), *x = malloc(4L * K * B), *h = malloc(4L * H * B), *y = malloc(4L * H * B);
    for (long i = 0; i < (long)H * K; i++) w1[i] = (rand() % 100) / 100.0f;
    for (long i = 0; i < (long)H * H; i++) w2[i] = (rand() % 100) / 100.0f;
    for (long i = 0; i < (long)K * B; i++) x[i] = (rand() % 100) / 100.0f;
    const char *names[] = {"W x (Zenith's layout)", "x W^T", "W^T stored input-major, TransA", "W x in 64-row blocks"};
    for (int v = 0; v < 4; v++) {
        double best = 1e9;
        for (int r = 0; r < 300; r++) {
            double t = now();
            if (v == 0) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, H, B, K, 1, w1, K, x, B, 0, h, B);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, H, B, H, 1, w2, H, h, B, 0, y, B);
            } else if (v == 1) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, H, K, 1, x, K, w1, K, 0, h, H);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, H, H, 1, h, H, w2, H, 0, y, H);
            } else if (v == 2) {
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H, B, K, 1, w1, H, x, B, 0, h, B);
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H, B, H, 1, w2, H, h, B, 0, y, B);
            } else {
                for (int m = 0; m < H; m += 64) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 64, B, K, 1, w1 + (long)m * K, K, x, B, 0, h + m * B, B);
                for (int m = 0; m < H; m += 64) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 64, B, H, 1, w2 + (long)m * H, H, h, B, 0, y + m * B, B);
            }
            t = now() - t;
            if (t < best) best = t;
        }
        printf("%-32s best of 300: %7.1f us\n", names[v], best * 1e6);
    }
    return 0;
}
