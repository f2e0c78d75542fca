// In-memory JPEG round trip (encode at a quality with 4:2:0 chroma, decode) for the trainer's photo degradations.
#include "vips_io_internal.h"
#include <string.h>

int srcnn_vips_jpeg_roundtrip(const unsigned char *src, int width, int height, int bands, int quality,
                              unsigned char *dst, char *err, size_t errlen) {
    if (width < 1 || height < 1 || (bands != 1 && bands != 3) || quality < 1 || quality > 100) {
        srcnn__set_err(err, errlen, "JPEG round trip: bad arguments (%dx%d, %d bands, quality %d)",
                       width, height, bands, quality);
        return -1;
    }
    srcnn__clear_warnings();
    size_t n = (size_t)width * height * bands;
    VipsImage *in = vips_image_new_from_memory(src, n, width, height, bands, VIPS_FORMAT_UCHAR);
    if (!in) { srcnn__set_vips_err(err, errlen, "JPEG round trip: ", "cannot wrap the image"); return -1; }
    if (bands == 3) in->Type = VIPS_INTERPRETATION_sRGB; else in->Type = VIPS_INTERPRETATION_B_W;
    void *buf = NULL;
    size_t len = 0;
    // libjpeg's defaults as cameras and `cjpeg -quality Q` write them: baseline, 4:2:0 chroma (forced: libvips
    // turns subsampling off at Q >= 90 by default), no metadata.
    int rc = vips_jpegsave_buffer(in, &buf, &len, "Q", quality, "subsample_mode", VIPS_FOREIGN_SUBSAMPLE_ON,
                                  "strip", TRUE, NULL);
    g_object_unref(in);
    if (rc) { srcnn__set_vips_err(err, errlen, "JPEG round trip: encode: ", "jpegsave failed"); return -1; }
    VipsImage *dec = NULL;
    rc = vips_jpegload_buffer(buf, len, &dec, NULL);
    if (rc) { g_free(buf); srcnn__set_vips_err(err, errlen, "JPEG round trip: decode: ", "jpegload failed"); return -1; }
    size_t got = 0;
    void *pix = vips_image_write_to_memory(dec, &got);
    int ok = pix && got == n && dec->Xsize == width && dec->Ysize == height && dec->Bands == bands;
    if (ok) memcpy(dst, pix, n);
    else srcnn__set_vips_err(err, errlen, "JPEG round trip: decode: ", "unexpected decoded image");
    g_free(pix);
    g_object_unref(dec);
    g_free(buf);
    return ok ? 0 : -1;
}
