// libvips-backed streaming image file reader and writer for the CLI; see include/vips_io.h.
//
// Reading: the file is opened with sequential access and pixels are pulled through a VipsRegion
// on the caller's thread, so only the rows asked for (plus libvips' small sequential window) are
// decoded. Writing: the output is a "partial" VipsImage whose generate function calls the
// caller's row callback; the saver pulls strips from it. The saver writes into a VipsTargetCustom
// backed by our own file descriptor, so every write(2) and the final close(2) are checked here,
// whatever the saver does with the target's return codes.

#define _GNU_SOURCE 1 // O_CLOEXEC, strcasecmp under strict C modes

#include "vips_io.h"

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

// MARK: - Messages

// Warnings libvips logged (domain "VIPS") since the current operation started, joined with "; ".
// They complete error messages (libpng's reason for a failed read arrives as a warning). The log
// is process-wide, so with reads and writes on several threads a message may borrow another's.
static GMutex warning_lock;
static char warnings[512];

// Copy `src` into `dst` as one line: newlines become "; ", other control characters are dropped,
// and trailing whitespace and separators are removed.
static void one_line(char *dst, size_t dstlen, const char *src) {
    if (dstlen == 0) return;
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)src; *p && n + 1 < dstlen; p++) {
        if (*p == '\n' || *p == '\r') {
            if (n > 0 && dst[n - 1] != ' ' && n + 2 < dstlen) {
                dst[n++] = ';';
                dst[n++] = ' ';
            }
        } else if (*p == '\t') {
            dst[n++] = ' ';
        } else if (*p >= 0x20 && *p != 0x7f) {
            dst[n++] = (char)*p;
        }
    }
    while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == ';')) n--;
    dst[n] = '\0';
}

// Write a formatted message into err (one line).
static void set_err(char *err, size_t errlen, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void set_err(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || errlen == 0) return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    one_line(err, errlen, buf);
}

// Take libvips' error buffer plus the warnings logged since (or `fallback`) as the message, prefixed
// with `prefix` ("" for none), and clear the buffer.
static void set_vips_err(char *err, size_t errlen, const char *prefix, const char *fallback) {
    char detail[1024];
    one_line(detail, sizeof detail, vips_error_buffer());
    vips_error_clear();
    char logged[512];
    g_mutex_lock(&warning_lock);
    snprintf(logged, sizeof logged, "%s", warnings);
    g_mutex_unlock(&warning_lock);
    if (!detail[0] && !logged[0]) snprintf(detail, sizeof detail, "%s", fallback);
    if (!detail[0]) set_err(err, errlen, "%s%s", prefix, logged);
    else if (logged[0] && !strstr(detail, logged)) set_err(err, errlen, "%s%s (%s)", prefix, detail, logged);
    else set_err(err, errlen, "%s%s", prefix, detail);
}

static void log_handler(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data) {
    (void)domain, (void)level, (void)data;
    char line[256];
    one_line(line, sizeof line, message ? message : "");
    // "error in tile X x Y" only says where; the reason comes in the error buffer or another warning.
    if (!line[0] || vips_isprefix("error in tile", line)) return;
    g_mutex_lock(&warning_lock);
    size_t used = strlen(warnings);
    if (!strstr(warnings, line) && used + strlen(line) + 3 < sizeof warnings)
        snprintf(warnings + used, sizeof warnings - used, "%s%s", used ? "; " : "", line);
    g_mutex_unlock(&warning_lock);
}

static void clear_warnings(void) {
    g_mutex_lock(&warning_lock);
    warnings[0] = '\0';
    g_mutex_unlock(&warning_lock);
}

// MARK: - Init

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_status = -1;
static char init_message[512];

static void init_vips(void) {
    if (VIPS_INIT("srcnn")) {
        one_line(init_message, sizeof init_message, vips_error_buffer());
        vips_error_clear();
        if (!init_message[0]) snprintf(init_message, sizeof init_message, "libvips failed to start");
        return;
    }
    vips_concurrency_set(1);
    vips_cache_set_max(0);
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG,
                      log_handler, NULL);
    init_status = 0;
}

int srcnn_vips_init(char *err, size_t errlen) {
    pthread_once(&init_once, init_vips);
    if (init_status != 0) set_err(err, errlen, "%s", init_message);
    return init_status;
}

// MARK: - Reader

struct srcnn_vips_reader {
    VipsImage *image;   // upright image the rows come from (owns its metadata)
    int width, height, channels, sample;
    int last_y;         // y of the previous read_rows call (rows must not go back before it)
};

static VipsImage *open_image(const char *path, VipsAccess access) {
    // libjpeg reports damaged data ("Corrupt JPEG data: premature end of data segment", a cut file with an EOI
    // appended) only as a warning and fills the rest grey: for JPEG a warning fails the read. Other loaders'
    // warnings are often benign (libpng's sRGB profile notes), so there only errors do.
    const char *loader = vips_foreign_find_load(path);
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
    clear_warnings();
    VipsImage *im = open_image(path, VIPS_ACCESS_SEQUENTIAL);
    if (!im) {
        set_vips_err(err, errlen, "", "cannot open the file");
        return -1;
    }
    int w = vips_image_get_width(im), h = vips_image_get_height(im);
    double pixels = (double)w * (double)h;
    if (max_pixels > 0 && pixels > (double)max_pixels) {
        char have[32], limit[32];
        format_mp(have, sizeof have, pixels);
        format_mp(limit, sizeof limit, (double)max_pixels);
        set_err(err, errlen, "image is %dx%d (%s MP), above the limit of %s MP", w, h, have, limit);
        g_object_unref(im);
        return -1;
    }
    char why_buf[256];
    const char *why = unsupported_reason(im, why_buf, sizeof why_buf);
    if (why) {
        set_err(err, errlen, "%s", why);
        g_object_unref(im);
        return -1;
    }

    int orientation = vips_image_get_orientation(im);
    if (orientation >= 2 && orientation <= 8) {
        // vips_rot needs random access: reopen, then rotate lazily from libvips' decoded copy.
        g_object_unref(im);
        VipsImage *random = open_image(path, VIPS_ACCESS_RANDOM);
        if (!random) {
            set_vips_err(err, errlen, "", "cannot reopen the file");
            return -1;
        }
        if (vips_image_get_width(random) != w || vips_image_get_height(random) != h) {
            set_err(err, errlen, "the file changed while it was being opened");
            g_object_unref(random);
            return -1;
        }
        VipsImage *upright = NULL;
        int rc = vips_autorot(random, &upright, NULL);
        g_object_unref(random);
        if (rc) {
            set_vips_err(err, errlen, "cannot rotate the image upright: ", "vips_autorot failed");
            return -1;
        }
        im = upright;
    }

    srcnn_vips_reader *r = calloc(1, sizeof *r);
    if (!r) {
        g_object_unref(im);
        set_err(err, errlen, "out of memory");
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
        set_err(err, errlen, "rows %d..%d are outside the image (height %d)", y, y + rows - 1, r->height);
        return -1;
    }
    if (y < r->last_y) {
        set_err(err, errlen, "rows must be read in order: asked for row %d after row %d", y, r->last_y);
        return -1;
    }
    clear_warnings();
    // A region belongs to the thread that made it (libvips asserts on that), and callers may read
    // from different threads over time (e.g. inside a writer's callback, on a libvips worker), so
    // each call uses a region of its own. Decoded rows stay in the loader's sequential window.
    VipsRegion *region = vips_region_new(r->image);
    VipsRect rect = { 0, y, r->width, rows };
    if (!region || vips_region_prepare(region, &rect)) {
        set_vips_err(err, errlen, "cannot decode the image: ", "read failed");
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
            set_err(err, errlen, "unexpected sample format");
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
    one_line(s->message, sizeof s->message, buf);
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

static inline unsigned char to_u8(float v) {
    if (!(v > 0.0f)) return 0;
    if (v > 1.0f) return 255;
    return (unsigned char)(int)((double)v * 255.0 + 0.5);
}

static inline unsigned short to_u16(float v) {
    if (!(v > 0.0f)) return 0;
    if (v > 1.0f) return 65535;
    return (unsigned short)(int)((double)v * 65535.0 + 0.5);
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
        // zlib level 3, as GEGL's png-save (what the CLI wrote before libvips): libvips' default 6 costs
        // twice the encoding time for files a few per cent smaller.
        return vips_pngsave_target(image, target, "bitdepth", sample == SRCNN_SAMPLE_U8 ? 8 : 16,
                                   "compression", 3, NULL);
    case SAVER_JPEG:
        return vips_jpegsave_target(image, target, "Q", 95, "subsample_mode", VIPS_FOREIGN_SUBSAMPLE_OFF, NULL);
    case SAVER_TIFF: {
        double bytes = (double)vips_image_get_width(image) * vips_image_get_height(image)
                       * vips_image_get_bands(image) * vips_format_sizeof(vips_image_get_format(image));
        VipsForeignTiffPredictor predictor = sample == SRCNN_SAMPLE_FLOAT ? VIPS_FOREIGN_TIFF_PREDICTOR_FLOAT
                                                                          : VIPS_FOREIGN_TIFF_PREDICTOR_HORIZONTAL;
        return vips_tiffsave_target(image, target, "compression", VIPS_FOREIGN_TIFF_COMPRESSION_DEFLATE,
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
        if (ext) set_err(err, errlen, "no saver for .%s files; use .png, .tif, .jpg or .webp", ext);
        else set_err(err, errlen, "no saver for files without an extension; use .png, .tif, .jpg or .webp");
        return -1;
    }
    if (width <= 0 || height <= 0 || channels < 1 || channels > 4 || sample < SRCNN_SAMPLE_U8
        || sample > SRCNN_SAMPLE_FLOAT || !fn) {
        set_err(err, errlen, "invalid output: %dx%d, %d channels, sample type %d", width, height, channels, sample);
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
    clear_warnings();
    if (vips_image_pipelinev(out, VIPS_DEMAND_STYLE_FATSTRIP, NULL)
        || vips_image_generate(out, NULL, generate_rows, NULL, &src, NULL)) {
        set_vips_err(err, errlen, "cannot set up the output image: ", "vips_image_generate failed");
        rc = -1;
    }

    file_sink sink = { -1, 0, 1 };
    if (rc == 0) {
        do sink.fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666); while (sink.fd < 0 && errno == EINTR);
        if (sink.fd < 0) {
            set_err(err, errlen, "cannot create %s: %s", path, g_strerror(errno));
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
                set_err(err, errlen, "%s", src.message);
            } else if (sink.error) {
                vips_error_clear();
                set_err(err, errlen, "cannot write %s: %s", path, g_strerror(sink.error));
            } else {
                set_vips_err(err, errlen, "cannot save the image: ", "the saver failed");
            }
        }
    }
    g_object_unref(out);
    free(src.cache);
    g_mutex_clear(&src.lock);
    return rc;
}
