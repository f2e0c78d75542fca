// CVipsIO reader: the file is opened with sequential access and pixels are pulled through a VipsRegion on the
// caller's thread, so only the rows asked for (plus libvips' small sequential window) are decoded.
#define _GNU_SOURCE 1 // O_CLOEXEC, strcasecmp under strict C modes

#include "vips_io_internal.h"

#include <vips/vips.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

// MARK: - Reader


static VipsImage *open_image(const char *path, VipsAccess access) {
    // libjpeg reports damaged data ("Corrupt JPEG data: premature end of data segment", a cut file with an EOI
    // appended) only as a warning and fills the rest grey: for JPEG a warning fails the read. Other loaders'
    // warnings are often benign (libpng's sRGB profile notes), so there only errors do.
    const char *loader = vips_foreign_find_load(path);
    if (!loader && g_file_test(path, G_FILE_TEST_IS_REGULAR) && srcnn__load_modules() > 0) {
        // Not a format libvips reads by itself: try again with its optional loader modules.
        vips_error_clear();
        loader = vips_foreign_find_load(path);
    }
    VipsFailOn fail = loader && strstr(loader, "Jpeg") ? VIPS_FAIL_ON_WARNING : VIPS_FAIL_ON_ERROR;
    return vips_image_new_from_file(path, "access", access, "fail_on", fail, NULL);
}

// Megapixels as a short number: 10000, 100, 24.5, 0.25.
static void format_mp(char *dst, size_t len, double pixels) {
    double mp = pixels / 1e6;
    if (mp >= 100) snprintf(dst, len, "%.0f", mp);
    else snprintf(dst, len, "%.3g", mp);
}

// Why `im` cannot be read as grey/RGB with optional alpha in 8/16-bit or float, or NULL if it can.
static const char *unsupported_reason(VipsImage *im, char *buf, size_t len) {
    VipsInterpretation interp = vips_image_get_interpretation(im);
    int bands = vips_image_get_bands(im);
    if (vips_image_get_coding(im) != VIPS_CODING_NONE) {
        snprintf(buf, len, "%s-coded images are not supported",
                 vips_enum_nick(VIPS_TYPE_CODING, vips_image_get_coding(im)));
        return buf;
    }
    switch (interp) {
    case VIPS_INTERPRETATION_CMYK:
        return "CMYK images are not supported";
    case VIPS_INTERPRETATION_LAB: case VIPS_INTERPRETATION_LABQ: case VIPS_INTERPRETATION_LABS:
    case VIPS_INTERPRETATION_LCH: case VIPS_INTERPRETATION_CMC: case VIPS_INTERPRETATION_XYZ:
    case VIPS_INTERPRETATION_YXY: case VIPS_INTERPRETATION_HSV:
        snprintf(buf, len, "images in the %s colour space are not supported (only grey and RGB)",
                 vips_enum_nick(VIPS_TYPE_INTERPRETATION, interp));
        return buf;
    case VIPS_INTERPRETATION_FOURIER: case VIPS_INTERPRETATION_HISTOGRAM: case VIPS_INTERPRETATION_MATRIX:
        snprintf(buf, len, "%s images are not supported", vips_enum_nick(VIPS_TYPE_INTERPRETATION, interp));
        return buf;
    default:
        break;
    }
    if (bands < 1 || bands > 4) {
        snprintf(buf, len, "images with %d channels are not supported (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA)",
                 bands);
        return buf;
    }
    switch (vips_image_get_format(im)) {
    case VIPS_FORMAT_UCHAR: case VIPS_FORMAT_USHORT: case VIPS_FORMAT_FLOAT: case VIPS_FORMAT_DOUBLE:
        return NULL;
    case VIPS_FORMAT_CHAR: return "signed 8-bit samples are not supported (only unsigned 8/16-bit and float)";
    case VIPS_FORMAT_SHORT: return "signed 16-bit samples are not supported (only unsigned 8/16-bit and float)";
    case VIPS_FORMAT_INT: case VIPS_FORMAT_UINT:
        return "32-bit integer samples are not supported (only unsigned 8/16-bit and float)";
    default:
        return "complex samples are not supported";
    }
}

int srcnn_vips_open(const char *path, long long max_pixels, srcnn_vips_reader **out, char *err, size_t errlen) {
    *out = NULL;
    if (srcnn_vips_init(err, errlen)) return -1;
    srcnn__clear_warnings();
    VipsImage *im = open_image(path, VIPS_ACCESS_SEQUENTIAL);
    if (!im) {
        srcnn__set_vips_err(err, errlen, "", "cannot open the file");
        return -1;
    }
    int w = vips_image_get_width(im), h = vips_image_get_height(im);
    double pixels = (double)w * (double)h;
    if (max_pixels > 0 && pixels > (double)max_pixels) {
        char have[32], limit[32];
        format_mp(have, sizeof have, pixels);
        format_mp(limit, sizeof limit, (double)max_pixels);
        srcnn__set_err(err, errlen, "image is %dx%d (%s MP), above the limit of %s MP", w, h, have, limit);
        g_object_unref(im);
        return -1;
    }
    char why_buf[256];
    const char *why = unsupported_reason(im, why_buf, sizeof why_buf);
    if (why) {
        srcnn__set_err(err, errlen, "%s", why);
        g_object_unref(im);
        return -1;
    }

    int orientation = vips_image_get_orientation(im);
    if (orientation >= 2 && orientation <= 8) {
        // vips_rot needs random access: reopen, then rotate lazily from libvips' decoded copy.
        g_object_unref(im);
        VipsImage *random = open_image(path, VIPS_ACCESS_RANDOM);
        if (!random) {
            srcnn__set_vips_err(err, errlen, "", "cannot reopen the file");
            return -1;
        }
        if (vips_image_get_width(random) != w || vips_image_get_height(random) != h) {
            srcnn__set_err(err, errlen, "the file changed while it was being opened");
            g_object_unref(random);
            return -1;
        }
        VipsImage *upright = NULL;
        int rc = vips_autorot(random, &upright, NULL);
        g_object_unref(random);
        if (rc) {
            srcnn__set_vips_err(err, errlen, "cannot rotate the image upright: ", "vips_autorot failed");
            return -1;
        }
        im = upright;
    }

    srcnn_vips_reader *r = calloc(1, sizeof *r);
    if (!r) {
        g_object_unref(im);
        srcnn__set_err(err, errlen, "out of memory");
        return -1;
    }
    r->image = im;
    r->width = vips_image_get_width(im);
    r->height = vips_image_get_height(im);
    r->channels = vips_image_get_bands(im);
    switch (vips_image_get_format(im)) {
    case VIPS_FORMAT_UCHAR: r->sample = SRCNN_SAMPLE_U8; break;
    case VIPS_FORMAT_USHORT: r->sample = SRCNN_SAMPLE_U16; break;
    default: r->sample = SRCNN_SAMPLE_FLOAT; break;
    }
    r->last_y = 0;
    *out = r;
    return 0;
}

void srcnn_vips_reader_info(const srcnn_vips_reader *r, int *width, int *height, int *channels, int *sample,
                            double *xres, double *yres) {
    if (width) *width = r->width;
    if (height) *height = r->height;
    if (channels) *channels = r->channels;
    if (sample) *sample = r->sample;
    if (xres) *xres = vips_image_get_xres(r->image);
    if (yres) *yres = vips_image_get_yres(r->image);
}

int srcnn_vips_read_rows(srcnn_vips_reader *r, int y, int rows, float *dst, char *err, size_t errlen) {
    if (rows <= 0 || y < 0 || rows > r->height - y) {
        srcnn__set_err(err, errlen, "rows %d..%d are outside the image (height %d)", y, y + rows - 1, r->height);
        return -1;
    }
    if (y < r->last_y) {
        srcnn__set_err(err, errlen, "rows must be read in order: asked for row %d after row %d", y, r->last_y);
        return -1;
    }
    srcnn__clear_warnings();
    // A region belongs to the thread that made it (libvips asserts on that), and callers may read
    // from different threads over time (e.g. inside a writer's callback, on a libvips worker), so
    // each call uses a region of its own. Decoded rows stay in the loader's sequential window.
    VipsRegion *region = vips_region_new(r->image);
    VipsRect rect = { 0, y, r->width, rows };
    if (!region || vips_region_prepare(region, &rect)) {
        srcnn__set_vips_err(err, errlen, "cannot decode the image: ", "read failed");
        if (region) g_object_unref(region);
        return -1;
    }
    r->last_y = y;
    size_t row_values = (size_t)r->width * (size_t)r->channels;
    VipsBandFormat format = vips_image_get_format(r->image);
    for (int i = 0; i < rows; i++) {
        const VipsPel *src = VIPS_REGION_ADDR(region, 0, y + i);
        float *d = dst + (size_t)i * row_values;
        switch (format) {
        case VIPS_FORMAT_UCHAR:
            for (size_t k = 0; k < row_values; k++) d[k] = (float)src[k] / 255.0f;
            break;
        case VIPS_FORMAT_USHORT: {
            const unsigned short *s = (const unsigned short *)src;
            for (size_t k = 0; k < row_values; k++) d[k] = (float)s[k] / 65535.0f;
            break;
        }
        case VIPS_FORMAT_FLOAT:
            memcpy(d, src, row_values * sizeof(float));
            break;
        case VIPS_FORMAT_DOUBLE: {
            const double *s = (const double *)src;
            for (size_t k = 0; k < row_values; k++) d[k] = (float)s[k];
            break;
        }
        default:
            srcnn__set_err(err, errlen, "unexpected sample format");
            g_object_unref(region);
            return -1;
        }
    }
    g_object_unref(region);
    return 0;
}

void srcnn_vips_reader_free(srcnn_vips_reader *r) {
    if (!r) return;
    if (r->image) g_object_unref(r->image);
    free(r);
}

