// libFuzzer harness: the CLI's image reading (CVipsIO over libvips) on arbitrary file contents: open (header
// checks, the pixel budget), then every row in strips, as `srcnn upscale` reads them.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "vips_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char path[64];
    static int ready = 0;
    char err[1024];
    if (!ready) {
        snprintf(path, sizeof path, "/tmp/srcnn-fuzz-image-%d", (int) getpid());
        if (srcnn_vips_init(err, sizeof err) != 0) abort();
        ready = 1;
    }
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    srcnn_vips_reader *r = NULL;
    if (srcnn_vips_open(path, 1 << 22, &r, err, sizeof err) == 0) {   // 4 Mpx budget: keeps each run short
        int w = 0, h = 0, c = 0, s = 0;
        srcnn_vips_reader_info(r, &w, &h, &c, &s, NULL, NULL);
        float *rows = malloc((size_t) w * 16 * (size_t) c * sizeof(float));
        for (int y = 0; rows && y < h; y += 16) {
            if (srcnn_vips_read_rows(r, y, h - y < 16 ? h - y : 16, rows, err, sizeof err) != 0) break;
        }
        free(rows);
        srcnn_vips_reader_free(r);
    }
    unlink(path);
    return 0;
}
