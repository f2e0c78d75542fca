// CVipsIO writer: the output is a "partial" VipsImage whose generate function calls the caller's row callback;
// the saver pulls strips from it and writes into a VipsTargetCustom backed by our own file descriptor, so every
// write(2) and the final close(2) are checked here, whatever the saver does with the target's return codes.
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

// MARK: - Savers

typedef enum { SAVER_NONE, SAVER_PNG, SAVER_JPEG, SAVER_TIFF, SAVER_WEBP } saver_kind;

// The extension of the last path component (without the dot), or NULL.
static const char *extension_of(const char *path) {
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    const char *dot = strrchr(name, '.');
    return (dot && dot != name) ? dot + 1 : NULL;
}

static saver_kind saver_for(const char *path) {
    const char *ext = path ? extension_of(path) : NULL;
    if (!ext) return SAVER_NONE;
    if (!strcasecmp(ext, "png")) return SAVER_PNG;
    if (!strcasecmp(ext, "jpg") || !strcasecmp(ext, "jpeg")) return SAVER_JPEG;
    if (!strcasecmp(ext, "tif") || !strcasecmp(ext, "tiff")) return SAVER_TIFF;
    if (!strcasecmp(ext, "webp")) return SAVER_WEBP;
    return SAVER_NONE;
}

int srcnn_vips_can_save(const char *path) {
    return saver_for(path) != SAVER_NONE;
}

// MARK: - Writer: rows from the callback

typedef struct {
    GMutex lock;
    srcnn_vips_rows_fn fn;
    void *ctx;
    int width, height;
    int channels;        // values per pixel the callback produces
    int bands;           // bands of the output image (channels, or channels - 1 for JPEG with alpha)
    VipsBandFormat format;
    // Rows [cache_y0, next_y) as produced by the callback (floats, `channels` per pixel).
    float *cache;
    size_t cache_rows;   // capacity in rows
    int cache_y0, next_y;
    int failed;
    char message[1024];
} row_source;

static void fail_source(row_source *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void fail_source(row_source *s, const char *fmt, ...) {
    if (s->failed) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    srcnn__one_line(s->message, sizeof s->message, buf);
    s->failed = 1;
}

// Make rows [top, bottom) available in the cache, calling the callback for rows not produced yet.
static int produce_rows(row_source *s, int top, int bottom) {
    size_t row_values = (size_t)s->width * (size_t)s->channels;
    if (top < s->cache_y0) {
        fail_source(s, "libvips asked for row %d again after it was released (non-sequential saver)", top);
        return -1;
    }
    // Rows above `top` are never asked for again by a sequential saver: drop them.
    int keep_from = top < s->next_y ? top : s->next_y;
    if (keep_from > s->cache_y0) {
        size_t kept = (size_t)(s->next_y - keep_from);
        memmove(s->cache, s->cache + (size_t)(keep_from - s->cache_y0) * row_values,
                kept * row_values * sizeof(float));
        s->cache_y0 = keep_from;
    }
    if (bottom > s->next_y) {
        size_t need = (size_t)(bottom - s->cache_y0);
        if (need > s->cache_rows) {
            float *grown = realloc(s->cache, need * row_values * sizeof(float));
            if (!grown) {
                fail_source(s, "out of memory for %zu output rows", need);
                return -1;
            }
            s->cache = grown;
            s->cache_rows = need;
        }
        int y = s->next_y, n = bottom - s->next_y;
        char msg[1024] = "";
        if (s->fn(s->ctx, y, n, s->cache + (size_t)(y - s->cache_y0) * row_values, msg, sizeof msg)) {
            fail_source(s, "%s", msg[0] ? msg : "the row source failed");
            return -1;
        }
        s->next_y = bottom;
    }
    return 0;
}

// Clamped to 0...1 (NaN to 0), then rounded half up: written without branches so row_to_u8's loop vectorises.
static inline unsigned char to_u8(float v) {
    double d = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
    return (unsigned char)(int)(d * 255.0 + 0.5);
}

static inline unsigned short to_u16(float v) {
    if (!(v > 0.0f)) return 0;
    if (v > 1.0f) return 65535;
    return (unsigned short)(int)((double)v * 65535.0 + 0.5);
}

// One row of `n` pixels to 8 bits, as to_u8 sample by sample, in a loop the compiler vectorises (the switch per
// sample below cost 7 % of a 54 MP FSRCNN upscale).
static void row_to_u8(const float *src, int channels, int bands, int n, VipsPel *dst) {
    if (channels == bands) {
        for (size_t i = 0, m = (size_t)n * (size_t)bands; i < m; i++) dst[i] = to_u8(src[i]);
        return;
    }
    for (int x = 0; x < n; x++, src += channels)
        for (int c = 0; c < bands; c++) *dst++ = to_u8(src[c]);
}

static int generate_rows(VipsRegion *region, void *seq, void *a, void *b, gboolean *stop) {
    (void)seq, (void)b, (void)stop;
    row_source *s = a;
    const VipsRect *r = &region->valid;
    g_mutex_lock(&s->lock);
    int rc = s->failed ? -1 : produce_rows(s, r->top, r->top + r->height);
    if (rc == 0) {
        size_t row_values = (size_t)s->width * (size_t)s->channels;
        for (int i = 0; i < r->height; i++) {
            const float *src = s->cache + (size_t)(r->top + i - s->cache_y0) * row_values
                               + (size_t)r->left * (size_t)s->channels;
            VipsPel *dst = VIPS_REGION_ADDR(region, r->left, r->top + i);
            if (s->format == VIPS_FORMAT_UCHAR) { row_to_u8(src, s->channels, s->bands, r->width, dst); continue; }
            for (int x = 0; x < r->width; x++, src += s->channels) {
                for (int c = 0; c < s->bands; c++) {
                    switch (s->format) {
                    case VIPS_FORMAT_UCHAR: *dst = to_u8(src[c]); dst += 1; break;
                    case VIPS_FORMAT_USHORT: *(unsigned short *)dst = to_u16(src[c]); dst += 2; break;
                    default: memcpy(dst, &src[c], sizeof(float)); dst += sizeof(float); break;
                    }
                }
            }
        }
    }
    if (rc) vips_error("srcnn", "%s", s->message);
    g_mutex_unlock(&s->lock);
    return rc;
}

// MARK: - Writer: our own file descriptor behind a VipsTargetCustom

typedef struct {
    int fd;
    int error;   // first errno from write/close, 0 if none
    int closed;
} file_sink;

static gint64 sink_write(VipsTargetCustom *target, const void *data, gint64 length, file_sink *f) {
    (void)target;
    if (f->error || f->closed) {
        errno = f->error ? f->error : EBADF;
        return -1;
    }
    const char *p = data;
    gint64 left = length;
    while (left > 0) {
        ssize_t n = write(f->fd, p, (size_t)left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            f->error = n < 0 ? errno : EIO;
            errno = f->error;
            return -1;
        }
        p += n;
        left -= n;
    }
    return length;
}

static gint64 sink_read(VipsTargetCustom *target, void *buffer, gint64 length, file_sink *f) {
    (void)target;
    if (f->closed) return -1;
    ssize_t n;
    do n = read(f->fd, buffer, (size_t)length); while (n < 0 && errno == EINTR);
    return n;
}

static gint64 sink_seek(VipsTargetCustom *target, gint64 offset, int whence, file_sink *f) {
    (void)target;
    if (f->closed) return -1;
    return (gint64)lseek(f->fd, (off_t)offset, whence);
}

static int sink_close(file_sink *f) {
    if (!f->closed) {
        f->closed = 1;
        if (close(f->fd) && !f->error) f->error = errno;
    }
    return f->error ? -1 : 0;
}

static int sink_end(VipsTargetCustom *target, file_sink *f) {
    (void)target;
    return sink_close(f);
}

// MARK: - Writer: metadata

// EXIF tags libvips must rebuild from the output header (orientation 1, resolution and pixel
// dimensions). Setting "exif-data" makes libvips parse the block into "exif-ifdN-Name" fields (and
// xres/yres); on save it rewrites the block from those fields, so these are removed.
static const char *const exif_from_header[] = {
    "exif-ifd0-Orientation", "exif-ifd0-XResolution", "exif-ifd0-YResolution", "exif-ifd0-ResolutionUnit",
    "exif-ifd2-PixelXDimension", "exif-ifd2-PixelYDimension",
};

static void copy_blob(VipsImage *from, VipsImage *to, const char *name) {
    const void *data;
    size_t length;
    if (vips_image_get_typeof(from, name) && !vips_image_get_blob(from, name, &data, &length) && length > 0)
        vips_image_set_blob_copy(to, name, data, length);
}

// MARK: - Writer

static int run_saver(saver_kind kind, VipsImage *image, VipsTarget *target, int sample) {
    switch (kind) {
    case SAVER_PNG:
        // zlib level 1 with the "up" row filter: on a 54 MP upscaled photo 15 % faster to encode and 43 % smaller
        // (29 against 51 MB) than level 3 unfiltered (libvips' default filter), which we wrote before; level 3
        // with "up" is 8 % smaller still but takes twice as long (Tests/Benchmarks/png_settings.sh).
        return vips_pngsave_target(image, target, "bitdepth", sample == SRCNN_SAMPLE_U8 ? 8 : 16,
                                   "compression", 1, "filter", VIPS_FOREIGN_PNG_FILTER_UP, NULL);
    case SAVER_JPEG:
        return vips_jpegsave_target(image, target, "Q", 95, "subsample_mode", VIPS_FOREIGN_SUBSAMPLE_OFF, NULL);
    case SAVER_TIFF: {
        double bytes = (double)vips_image_get_width(image) * vips_image_get_height(image)
                       * vips_image_get_bands(image) * vips_format_sizeof(vips_image_get_format(image));
        VipsForeignTiffPredictor predictor = sample == SRCNN_SAMPLE_FLOAT ? VIPS_FOREIGN_TIFF_PREDICTOR_FLOAT
                                                                          : VIPS_FOREIGN_TIFF_PREDICTOR_HORIZONTAL;
        // LZW with a predictor: every TIFF reader takes it (Photoshop, Lightroom, GIMP, Preview), and on a 54 MP
        // upscaled photo it encodes in 1.7 s against deflate's 7.2 s (libvips 8.14 leaves deflate at zlib's
        // level 6 and has no setting for it), for a 14 % larger file (20.7 against 18.1 MB).
        return vips_tiffsave_target(image, target, "compression", VIPS_FOREIGN_TIFF_COMPRESSION_LZW,
                                    "predictor", predictor, "bigtiff", bytes > 3.5e9, NULL);
    }
    case SAVER_WEBP:
        return vips_webpsave_target(image, target, "Q", 95, NULL);
    default:
        vips_error("srcnn", "no saver");
        return -1;
    }
}

int srcnn_vips_write(const char *path, const char *format_path, int width, int height, int channels, int sample,
                     const srcnn_vips_reader *meta, double xscale, double yscale,
                     srcnn_vips_rows_fn fn, void *ctx, char *err, size_t errlen) {
    if (srcnn_vips_init(err, errlen)) return -1;
    saver_kind kind = saver_for(format_path);
    if (kind == SAVER_NONE) {
        const char *ext = format_path ? extension_of(format_path) : NULL;
        if (ext) srcnn__set_err(err, errlen, "no saver for .%s files; use .png, .tif, .jpg or .webp", ext);
        else srcnn__set_err(err, errlen, "no saver for files without an extension; use .png, .tif, .jpg or .webp");
        return -1;
    }
    if (width <= 0 || height <= 0 || channels < 1 || channels > 4 || sample < SRCNN_SAMPLE_U8
        || sample > SRCNN_SAMPLE_FLOAT || !fn) {
        srcnn__set_err(err, errlen, "invalid output: %dx%d, %d channels, sample type %d", width, height, channels, sample);
        return -1;
    }

    row_source src;
    memset(&src, 0, sizeof src);
    g_mutex_init(&src.lock);
    src.fn = fn;
    src.ctx = ctx;
    src.width = width;
    src.height = height;
    src.channels = channels;
    src.bands = (kind == SAVER_JPEG && (channels == 2 || channels == 4)) ? channels - 1 : channels;
    switch (kind) {
    case SAVER_PNG: src.format = sample == SRCNN_SAMPLE_U8 ? VIPS_FORMAT_UCHAR : VIPS_FORMAT_USHORT; break;
    case SAVER_TIFF:
        src.format = sample == SRCNN_SAMPLE_U8 ? VIPS_FORMAT_UCHAR
                   : sample == SRCNN_SAMPLE_U16 ? VIPS_FORMAT_USHORT : VIPS_FORMAT_FLOAT;
        break;
    default: src.format = VIPS_FORMAT_UCHAR; break;
    }
    int colour = src.bands >= 3;
    VipsInterpretation interp = src.format == VIPS_FORMAT_USHORT
                                    ? (colour ? VIPS_INTERPRETATION_RGB16 : VIPS_INTERPRETATION_GREY16)
                                    : (colour ? VIPS_INTERPRETATION_sRGB : VIPS_INTERPRETATION_B_W);
    double xres = 1.0, yres = 1.0;
    if (meta) {
        xres = vips_image_get_xres(meta->image) * xscale;
        yres = vips_image_get_yres(meta->image) * yscale;
        if (!(xres > 0) || !isfinite(xres)) xres = 1.0;
        if (!(yres > 0) || !isfinite(yres)) yres = 1.0;
    }

    VipsImage *out = vips_image_new();
    if (meta) {
        copy_blob(meta->image, out, VIPS_META_ICC_NAME);
        copy_blob(meta->image, out, VIPS_META_EXIF_NAME);
        copy_blob(meta->image, out, VIPS_META_XMP_NAME);
        for (size_t i = 0; i < G_N_ELEMENTS(exif_from_header); i++) vips_image_remove(out, exif_from_header[i]);
    }
    // After the metadata: parsing the EXIF block sets xres/yres from it.
    vips_image_init_fields(out, width, height, src.bands, src.format, VIPS_CODING_NONE, interp, xres, yres);
    vips_image_set_int(out, VIPS_META_ORIENTATION, 1);

    int rc = 0;
    srcnn__clear_warnings();
    if (vips_image_pipelinev(out, VIPS_DEMAND_STYLE_FATSTRIP, NULL)
        || vips_image_generate(out, NULL, generate_rows, NULL, &src, NULL)) {
        srcnn__set_vips_err(err, errlen, "cannot set up the output image: ", "vips_image_generate failed");
        rc = -1;
    }

    file_sink sink = { -1, 0, 1 };
    if (rc == 0) {
        do sink.fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666); while (sink.fd < 0 && errno == EINTR);
        if (sink.fd < 0) {
            srcnn__set_err(err, errlen, "cannot create %s: %s", path, g_strerror(errno));
            rc = -1;
        } else {
            sink.closed = 0;
        }
    }
    if (rc == 0) {
        VipsTargetCustom *target = vips_target_custom_new();
        g_signal_connect(target, "write", G_CALLBACK(sink_write), &sink);
        g_signal_connect(target, "read", G_CALLBACK(sink_read), &sink);
        g_signal_connect(target, "seek", G_CALLBACK(sink_seek), &sink);
        g_signal_connect(target, "end", G_CALLBACK(sink_end), &sink);
        int saved = run_saver(kind, out, VIPS_TARGET(target), sample);
        // Flush and close even if the saver did not (vips_target_end does nothing the second time).
        if (saved == 0 && vips_target_end(VIPS_TARGET(target))) saved = -1;
        g_signal_handlers_disconnect_matched(target, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, &sink);
        g_object_unref(target);
        if (sink_close(&sink)) saved = -1;
        if (saved == 0 && (src.failed || src.next_y < height)) {
            // A saver that returns success without having asked for every row.
            if (!src.failed) fail_source(&src, "the saver stopped at row %d of %d", src.next_y, height);
            saved = -1;
        }
        if (saved) {
            rc = -1;
            if (src.failed) {
                vips_error_clear();
                srcnn__set_err(err, errlen, "%s", src.message);
            } else if (sink.error) {
                vips_error_clear();
                srcnn__set_err(err, errlen, "cannot write %s: %s", path, g_strerror(sink.error));
            } else {
                srcnn__set_vips_err(err, errlen, "cannot save the image: ", "the saver failed");
            }
        }
    }
    g_object_unref(out);
    free(src.cache);
    g_mutex_clear(&src.lock);
    return rc;
}
