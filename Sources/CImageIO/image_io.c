// GEGL-backed image file loading and saving; see include/image_io.h.
//
// Loading picks the GEGL loader from the file's first bytes (png, jpeg, tiff, webp) rather than
// going through gegl:load, because gegl:load never reports failure: a missing file becomes a
// placeholder image, unknown formats (bmp) go to gegl:magick-load, which shells out to
// ImageMagick, and a truncated png still yields its header's size. GEGL loaders report problems
// only through g_warning, so every call captures GLib log messages and treats a warning as a
// failed load or save (this also keeps GEGL's noise off stderr). JPEG and anything that is not
// one of those formats is decoded by gdk-pixbuf (bmp, gif, tga, ico, pnm...), opened with dlopen so the
// package needs no extra link flags; gdk-pixbuf ships with GEGL's own pixbuf operations.

#include "image_io.h"

#include <gegl.h>
#include <babl/babl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

// gegl_extension_handler_get_saver() is only in the plug-in headers (and marked deprecated there).
const gchar *gegl_extension_handler_get_saver(const gchar *extension);

struct srcnn_io_image {
    GeglBuffer *buffer;
    int width, height;
    int has_alpha, is_gray;
    int channels;            // for created images: components per pixel given to set_rows
    const char *sample_type; // static string
    const Babl *space;       // colour space of the source (NULL: sRGB)
};

// ---------------------------------------------------------------------------------------------
// Errors and the global lock

static GMutex io_lock;

static void set_err(char *err, size_t errlen, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void set_err(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    for (char *p = err; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
}

// ---------------------------------------------------------------------------------------------
// GLib log capture: while an operation runs, warnings are recorded instead of printed.

static GMutex log_lock;
static int log_capturing;
static int log_count;
static char log_first[512];

static void capture_log(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data) {
    (void)data;
    g_mutex_lock(&log_lock);
    if (log_capturing) {
        if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) {
            if (log_count++ == 0)
                g_strlcpy(log_first, message ? message : "(no message)", sizeof log_first);
        }
        g_mutex_unlock(&log_lock);
        return;
    }
    g_mutex_unlock(&log_lock);
    // Outside our calls (a GEGL worker finishing late): behave like GLib would.
    g_log_default_handler(domain, level, message, NULL);
}

static const char *const log_domains[] = {"GEGL", "GLib", "GLib-GObject", "GLib-GIO", "babl", "GdkPixbuf", NULL};
static guint log_ids[8];
static guint log_default_id;
static GLogFunc log_old_default;
static gpointer log_old_default_data;

static void capture_begin(void) {
    g_mutex_lock(&log_lock);
    log_capturing = 1;
    log_count = 0;
    log_first[0] = 0;
    g_mutex_unlock(&log_lock);
    GLogLevelFlags all = G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION;
    for (int i = 0; log_domains[i]; i++) log_ids[i] = g_log_set_handler(log_domains[i], all, capture_log, NULL);
    log_default_id = g_log_set_handler(NULL, all, capture_log, NULL);
    log_old_default = g_log_set_default_handler(capture_log, NULL);
    (void)log_old_default_data;
}

/// Stops capturing; returns the number of warnings seen (the first one is in log_first).
static int capture_end(void) {
    g_log_set_default_handler(log_old_default, NULL);
    for (int i = 0; log_domains[i]; i++) g_log_remove_handler(log_domains[i], log_ids[i]);
    g_log_remove_handler(NULL, log_default_id);
    g_mutex_lock(&log_lock);
    log_capturing = 0;
    int n = log_count;
    g_mutex_unlock(&log_lock);
    return n;
}

// ---------------------------------------------------------------------------------------------
// Init

static gpointer do_init(gpointer data) {
    (void)data;
    // gegl_init is itself idempotent, so a host (GIMP) that initialised GEGL first is fine.
    gegl_init(NULL, NULL);
    return GINT_TO_POINTER(1);
}

int srcnn_io_init(char *err, size_t errlen) {
    static GOnce once = G_ONCE_INIT;
    gpointer ok = g_once(&once, do_init, NULL);
    if (!ok || !gegl_has_operation("gegl:png-load")) {
        set_err(err, errlen, "GEGL is not usable: its operations (gegl:png-load) are not installed");
        return 1;
    }
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Formats

static const char *sample_type_name(const Babl *format) {
    const Babl *type = babl_format_get_type(format, 0);
    const char *name = type ? babl_get_name(type) : "u8";
    if (!strcmp(name, "u8")) return "u8";
    if (!strcmp(name, "u16")) return "u16";
    if (!strcmp(name, "u32")) return "u32";
    if (!strcmp(name, "half")) return "half";
    if (!strcmp(name, "float")) return "float";
    if (!strcmp(name, "double")) return "double";
    return "float";
}

static int format_is_gray(const Babl *format) {
    const Babl *model = babl_format_get_model(format);
    const char *name = model ? babl_get_name(model) : "";
    return name[0] == 'Y';
}

static const char *float_encoding(int channels) {
    switch (channels) {
    case 1: return "Y' float";
    case 2: return "Y'A float";
    case 3: return "R'G'B' float";
    default: return "R'G'B'A float";
    }
}

static const Babl *float_format(const srcnn_io_image *img, int channels) {
    const char *enc = float_encoding(channels);
    return img->space ? babl_format_with_space(enc, img->space) : babl_format(enc);
}

// ---------------------------------------------------------------------------------------------
// gdk-pixbuf through dlopen

typedef struct _GdkPixbuf GdkPixbuf;
static struct {
    int tried, ok;
    GdkPixbuf *(*new_from_file)(const char *, GError **);
    int (*get_width)(const GdkPixbuf *);
    int (*get_height)(const GdkPixbuf *);
    int (*get_n_channels)(const GdkPixbuf *);
    int (*get_rowstride)(const GdkPixbuf *);
    int (*get_bits_per_sample)(const GdkPixbuf *);
    gboolean (*get_has_alpha)(const GdkPixbuf *);
    const guchar *(*read_pixels)(const GdkPixbuf *);
    GQuark (*error_quark)(void);
} pixbuf;

static int pixbuf_available(void) {
    if (pixbuf.tried) return pixbuf.ok;
    pixbuf.tried = 1;
    void *h = dlopen("libgdk_pixbuf-2.0.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!h) return 0;
#define SYM(field, name) if (!(*(void **)&pixbuf.field = dlsym(h, name))) return 0
    SYM(new_from_file, "gdk_pixbuf_new_from_file");
    SYM(get_width, "gdk_pixbuf_get_width");
    SYM(get_height, "gdk_pixbuf_get_height");
    SYM(get_n_channels, "gdk_pixbuf_get_n_channels");
    SYM(get_rowstride, "gdk_pixbuf_get_rowstride");
    SYM(get_bits_per_sample, "gdk_pixbuf_get_bits_per_sample");
    SYM(get_has_alpha, "gdk_pixbuf_get_has_alpha");
    SYM(read_pixels, "gdk_pixbuf_read_pixels");
    SYM(error_quark, "gdk_pixbuf_error_quark");
#undef SYM
    pixbuf.ok = 1;
    return 1;
}

static int load_with_pixbuf(const char *path, srcnn_io_image *img, char *err, size_t errlen) {
    if (!pixbuf_available()) {
        set_err(err, errlen, "cannot read '%s': not a png, jpeg, tiff or webp file, and gdk-pixbuf "
                "(libgdk_pixbuf-2.0.so.0) is not available for other formats", path);
        return 1;
    }
    GError *gerr = NULL;
    GdkPixbuf *pb = pixbuf.new_from_file(path, &gerr);
    if (!pb) {
        if (gerr && gerr->domain == pixbuf.error_quark() && gerr->code == 3 /* UNKNOWN_TYPE */)
            set_err(err, errlen, "cannot read '%s': not an image (unrecognised format)", path);
        else
            set_err(err, errlen, "cannot read '%s': corrupt or unsupported image (%s)", path,
                    gerr && gerr->message ? gerr->message : "gdk-pixbuf failed");
        if (gerr) g_error_free(gerr);
        return 1;
    }
    if (gerr) g_error_free(gerr);
    int w = pixbuf.get_width(pb), h = pixbuf.get_height(pb), n = pixbuf.get_n_channels(pb);
    int alpha = pixbuf.get_has_alpha(pb) ? 1 : 0;
    if (w <= 0 || h <= 0 || pixbuf.get_bits_per_sample(pb) != 8 || (n != 3 && n != 4)) {
        set_err(err, errlen, "cannot read '%s': not an image (empty or unsupported pixel layout)", path);
        g_object_unref(pb);
        return 1;
    }
    const Babl *fmt = babl_format(alpha ? "R'G'B'A u8" : "R'G'B' u8");
    GeglRectangle rect = {0, 0, w, h};
    GeglBuffer *buf = gegl_buffer_new(&rect, fmt);
    gegl_buffer_set(buf, &rect, 0, fmt, pixbuf.read_pixels(pb), pixbuf.get_rowstride(pb));
    g_object_unref(pb);
    img->buffer = buf;
    img->width = w;
    img->height = h;
    img->has_alpha = alpha;
    img->is_gray = 0;
    img->sample_type = "u8";
    img->space = NULL;
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Load

static gchar *extension_of(const char *path);

static const char *loader_for_magic(const unsigned char *m, size_t n) {
    if (n >= 8 && !memcmp(m, "\x89PNG\r\n\x1a\n", 8)) return "gegl:png-load";
    if (n >= 3 && m[0] == 0xFF && m[1] == 0xD8 && m[2] == 0xFF) return "gegl:jpg-load";
    if (n >= 4 && (!memcmp(m, "II*\0", 4) || !memcmp(m, "MM\0*", 4))) return "gegl:tiff-load";
    if (n >= 12 && !memcmp(m, "RIFF", 4) && !memcmp(m + 8, "WEBP", 4)) return "gegl:webp-load";
    return NULL;
}

/// GEGL's png-load spins forever on some truncated files (libpng keeps warning "CRC error" at
/// end of file), so walk the chunk list first: every chunk must fit in the file up to IEND.
/// This reads only chunk headers; no pixel data is decoded here.
static int png_structure_ok(const char *path, char *why, size_t whylen) {
    FILE *f = fopen(path, "rb");
    if (!f) { g_strlcpy(why, g_strerror(errno), whylen); return 0; }
    if (fseeko(f, 0, SEEK_END) != 0) { fclose(f); g_strlcpy(why, "cannot seek", whylen); return 0; }
    off_t size = ftello(f);
    off_t pos = 8;
    int first = 1, ok = 0;
    unsigned char hdr[8];
    while (1) {
        if (pos + 12 > size || fseeko(f, pos, SEEK_SET) != 0 || fread(hdr, 1, 8, f) != 8) {
            g_strlcpy(why, "truncated png (file ends before the IEND chunk)", whylen);
            break;
        }
        guint32 len = ((guint32)hdr[0] << 24) | ((guint32)hdr[1] << 16) | ((guint32)hdr[2] << 8) | hdr[3];
        if (len > 0x7FFFFFFFu) { g_strlcpy(why, "corrupt png (bad chunk length)", whylen); break; }
        if (first && memcmp(hdr + 4, "IHDR", 4) != 0) { g_strlcpy(why, "corrupt png (no IHDR chunk)", whylen); break; }
        first = 0;
        if (pos + 12 + (off_t)len > size) {
            g_strlcpy(why, "truncated png (a chunk runs past the end of the file)", whylen);
            break;
        }
        if (!memcmp(hdr + 4, "IEND", 4)) { ok = 1; break; }
        pos += 12 + (off_t)len;
    }
    fclose(f);
    return ok;
}

/// Truncated JPEGs decode "successfully" with a grey bottom (gdk-pixbuf) or can reach libjpeg's
/// exit() (GEGL's jpg-load), so require the EOI marker (FF D9) at the end of the file (trailing
/// zero padding allowed) before decoding.
static int jpeg_complete(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    unsigned char tail[64];
    int ok = 0;
    if (fseeko(f, 0, SEEK_END) == 0) {
        off_t size = ftello(f);
        off_t start = size > (off_t)sizeof tail ? size - (off_t)sizeof tail : 0;
        if (fseeko(f, start, SEEK_SET) == 0) {
            size_t n = fread(tail, 1, sizeof tail, f);
            while (n > 0 && tail[n - 1] == 0) n--;
            ok = n >= 2 && tail[n - 2] == 0xFF && tail[n - 1] == 0xD9;
        }
    }
    fclose(f);
    return ok;
}

static int load_with_gegl(const char *op, const char *path, srcnn_io_image *img, char *err, size_t errlen) {
    if (!gegl_has_operation(op)) return load_with_pixbuf(path, img, err, errlen);
    if (!strcmp(op, "gegl:png-load")) {
        char why[128];
        if (!png_structure_ok(path, why, sizeof why)) {
            set_err(err, errlen, "cannot read '%s': %s", path, why);
            return 1;
        }
    }
    GeglBuffer *buf = NULL;
    capture_begin();
    GeglNode *graph = gegl_node_new();
    GeglNode *load = gegl_node_new_child(graph, "operation", op, "path", path, NULL);
    GeglNode *sink = gegl_node_new_child(graph, "operation", "gegl:buffer-sink", "buffer", &buf, NULL);
    gegl_node_link(load, sink);
    gegl_node_process(sink);
    g_object_unref(graph);
    int warnings = capture_end();

    const GeglRectangle *r = buf ? gegl_buffer_get_extent(buf) : NULL;
    if (!buf || warnings || !r || r->width <= 0 || r->height <= 0) {
        if (warnings)
            set_err(err, errlen, "cannot read '%s': corrupt or truncated image (%s)", path, log_first);
        else
            set_err(err, errlen, "cannot read '%s': not an image (the decoder produced no pixels)", path);
        if (buf) g_object_unref(buf);
        return 1;
    }
    const Babl *fmt = gegl_buffer_get_format(buf);
    img->buffer = buf;
    img->width = r->width;
    img->height = r->height;
    img->has_alpha = babl_format_has_alpha(fmt) ? 1 : 0;
    img->is_gray = format_is_gray(fmt);
    img->sample_type = sample_type_name(fmt);
    img->space = babl_format_get_space(fmt);
    if (r->x != 0 || r->y != 0) { // never seen for file loaders; get_rows assumes the origin
        set_err(err, errlen, "cannot read '%s': image does not start at the origin", path);
        g_object_unref(buf);
        img->buffer = NULL;
        return 1;
    }
    return 0;
}

int srcnn_io_load(const char *path, srcnn_io_image **out, char *err, size_t errlen) {
    *out = NULL;
    if (srcnn_io_init(err, errlen)) return 1;
    GStatBuf st;
    if (g_stat(path, &st) != 0) {
        int e = errno;
        set_err(err, errlen, "cannot read '%s': %s", path, e == ENOENT ? "file not found" : g_strerror(e));
        return 1;
    }
    if (S_ISDIR(st.st_mode)) { set_err(err, errlen, "cannot read '%s': is a directory", path); return 1; }
    if (st.st_size == 0) { set_err(err, errlen, "cannot read '%s': empty file, not an image", path); return 1; }
    FILE *f = fopen(path, "rb");
    if (!f) { set_err(err, errlen, "cannot read '%s': %s", path, g_strerror(errno)); return 1; }
    unsigned char magic[16];
    size_t n = fread(magic, 1, sizeof magic, f);
    fclose(f);

    const char *op = loader_for_magic(magic, n);
    int pixbuf_magic = (n >= 2 && !memcmp(magic, "BM", 2)) || (n >= 4 && !memcmp(magic, "GIF8", 4));
    if (!op && !pixbuf_magic) {
        // Named like a format GEGL decodes but not one by content: do not let gdk-pixbuf guess.
        gchar *ext = extension_of(path);
        static const char *const gegl_exts[] = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", NULL};
        for (int i = 0; gegl_exts[i]; i++) {
            if (!strcmp(ext, gegl_exts[i])) {
                set_err(err, errlen, "cannot read '%s': not an image (the contents are not a %s file)", path, ext + 1);
                g_free(ext);
                return 1;
            }
        }
        g_free(ext);
    }
    srcnn_io_image *img = g_new0(srcnn_io_image, 1);
    g_mutex_lock(&io_lock);
    // JPEG goes to gdk-pixbuf when it is there (same libjpeg-turbo, same pixels): GEGL's jpg-load
    // lets corrupt files reach libjpeg's exit(), which would end the CLI or the GIMP plug-in.
    if (op && !strcmp(op, "gegl:jpg-load")) {
        if (!jpeg_complete(path)) {
            g_mutex_unlock(&io_lock);
            g_free(img);
            set_err(err, errlen, "cannot read '%s': truncated jpeg (no end-of-image marker)", path);
            return 1;
        }
        if (pixbuf_available()) op = NULL;
    }
    int rc = op ? load_with_gegl(op, path, img, err, errlen) : load_with_pixbuf(path, img, err, errlen);
    g_mutex_unlock(&io_lock);
    if (rc) { g_free(img); return rc; }
    *out = img;
    return 0;
}

void srcnn_io_image_info(const srcnn_io_image *img, int *width, int *height,
                         int *has_alpha, int *is_gray, const char **sample_type) {
    if (width) *width = img->width;
    if (height) *height = img->height;
    if (has_alpha) *has_alpha = img->has_alpha;
    if (is_gray) *is_gray = img->is_gray;
    if (sample_type) *sample_type = img->sample_type;
}

int srcnn_io_get_rows(const srcnn_io_image *img, int y, int rows, int channels,
                      float *dst, char *err, size_t errlen) {
    if (!img || !img->buffer || channels < 1 || channels > 4 || y < 0 || rows < 0 || y + rows > img->height) {
        set_err(err, errlen, "srcnn_io_get_rows: rows %d..<%d out of range or bad channel count %d", y, y + rows, channels);
        return 1;
    }
    if (rows == 0) return 0;
    GeglRectangle rect = {0, y, img->width, rows};
    size_t n = (size_t)img->width * (size_t)rows * (size_t)channels;
    int is8 = !strcmp(img->sample_type, "u8"), is16 = !strcmp(img->sample_type, "u16");
    g_mutex_lock(&io_lock);
    if (is8 || is16) {
        // Integer sources: fetch the integers and divide here, so v comes out exactly as
        // (float)v / 255 or / 65535 (babl's own conversion can be one ulp off).
        static const char *const enc8[] = {"Y' u8", "Y'A u8", "R'G'B' u8", "R'G'B'A u8"};
        static const char *const enc16[] = {"Y' u16", "Y'A u16", "R'G'B' u16", "R'G'B'A u16"};
        const char *enc = is8 ? enc8[channels - 1] : enc16[channels - 1];
        const Babl *fmt = img->space ? babl_format_with_space(enc, img->space) : babl_format(enc);
        void *tmp = g_try_malloc(n * (is8 ? 1 : 2));
        if (!tmp) {
            g_mutex_unlock(&io_lock);
            set_err(err, errlen, "out of memory reading %d rows", rows);
            return 1;
        }
        gegl_buffer_get(img->buffer, &rect, 1.0, fmt, tmp, GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
        g_mutex_unlock(&io_lock);
        if (is8) {
            const guint8 *v = tmp;
            for (size_t i = 0; i < n; i++) dst[i] = (float)v[i] / 255.0f;
        } else {
            const guint16 *v = tmp;
            for (size_t i = 0; i < n; i++) dst[i] = (float)v[i] / 65535.0f;
        }
        g_free(tmp);
        return 0;
    }
    gegl_buffer_get(img->buffer, &rect, 1.0, float_format(img, channels), dst,
                    GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
    g_mutex_unlock(&io_lock);
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Create and save

int srcnn_io_create(int width, int height, int channels, const char *sample_type,
                    srcnn_io_image **out, char *err, size_t errlen) {
    *out = NULL;
    if (srcnn_io_init(err, errlen)) return 1;
    if (width <= 0 || height <= 0 || channels < 1 || channels > 4) {
        set_err(err, errlen, "cannot create a %dx%d image with %d channels", width, height, channels);
        return 1;
    }
    const char *type;
    if (!strcmp(sample_type, "u8")) type = "u8";
    else if (!strcmp(sample_type, "u16")) type = "u16";
    else if (!strcmp(sample_type, "half")) type = "half";
    else if (!strcmp(sample_type, "float")) type = "float";
    else { set_err(err, errlen, "unsupported sample type '%s' (use u8, u16, half or float)", sample_type); return 1; }
    static const char *const models[] = {"Y'", "Y'A", "R'G'B'", "R'G'B'A"};
    char name[32];
    snprintf(name, sizeof name, "%s %s", models[channels - 1], type);

    srcnn_io_image *img = g_new0(srcnn_io_image, 1);
    GeglRectangle rect = {0, 0, width, height};
    g_mutex_lock(&io_lock);
    img->buffer = gegl_buffer_new(&rect, babl_format(name));
    g_mutex_unlock(&io_lock);
    img->width = width;
    img->height = height;
    img->channels = channels;
    img->has_alpha = channels == 2 || channels == 4;
    img->is_gray = channels <= 2;
    img->sample_type = type;
    *out = img;
    return 0;
}

int srcnn_io_set_rows(srcnn_io_image *img, int y, int rows, const float *src, char *err, size_t errlen) {
    if (!img || !img->buffer || img->channels == 0 || y < 0 || rows < 0 || y + rows > img->height) {
        set_err(err, errlen, "srcnn_io_set_rows: rows %d..<%d out of range", y, y + rows);
        return 1;
    }
    if (rows == 0) return 0;
    GeglRectangle rect = {0, y, img->width, rows};
    g_mutex_lock(&io_lock);
    gegl_buffer_set(img->buffer, &rect, 0, float_format(img, img->channels), src, GEGL_AUTO_ROWSTRIDE);
    g_mutex_unlock(&io_lock);
    return 0;
}

/// The lower-cased extension of `path` including the dot, or "" (caller frees).
static gchar *extension_of(const char *path) {
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    return g_ascii_strdown(dot && dot != base ? dot : "", -1);
}

/// The saver operation for the extension, or NULL if GEGL has none (it would fall back to png).
static const char *saver_for(const char *ext) {
    if (!ext[0]) return NULL;
    capture_begin(); // the fallback logs "No saver for content type"
    const char *op = gegl_extension_handler_get_saver(ext);
    capture_end();
    if (!op || !gegl_has_operation(op)) return NULL;
    if (!strcmp(op, "gegl:png-save") && strcmp(ext, ".png") != 0) return NULL;
    return op;
}

int srcnn_io_can_save(const char *path) {
    if (srcnn_io_init(NULL, 0)) return 0;
    gchar *ext = extension_of(path);
    g_mutex_lock(&io_lock);
    int ok = saver_for(ext) != NULL;
    g_mutex_unlock(&io_lock);
    g_free(ext);
    return ok;
}

static int has_property(const char *op, const char *name) {
    return gegl_operation_find_property(op, name) != NULL;
}

int srcnn_io_save(const srcnn_io_image *img, const char *path, const char *display_path,
                  char *err, size_t errlen) {
    const char *shown = display_path ? display_path : path;
    if (srcnn_io_init(err, errlen)) return 1;
    if (!img || !img->buffer) { set_err(err, errlen, "cannot write '%s': no image", shown); return 1; }
    gchar *ext = extension_of(path);
    g_mutex_lock(&io_lock);
    const char *op = saver_for(ext);
    if (!op) {
        if (ext[0])
            set_err(err, errlen, "cannot write '%s': no GEGL saver for %s files; use .png, .tif or .jpg", shown, ext);
        else
            set_err(err, errlen, "cannot write '%s': no file extension to choose a format; use .png, .tif or .jpg", shown);
        g_mutex_unlock(&io_lock);
        g_free(ext);
        return 1;
    }
    int is_int8 = !strcmp(img->sample_type, "u8");

    // Remove a stale file first so that "the file exists afterwards" means the saver wrote it.
    g_unlink(path);
    capture_begin();
    GeglNode *graph = gegl_node_new();
    GeglNode *src = gegl_node_new_child(graph, "operation", "gegl:buffer-source", "buffer", img->buffer, NULL);
    GeglNode *save = gegl_node_new_child(graph, "operation", op, "path", path, NULL);
    if (!strcmp(op, "gegl:png-save")) {
        gegl_node_set(save, "bitdepth", is_int8 ? 8 : 16, NULL);
    } else if (!strcmp(op, "gegl:jpg-save")) {
        gegl_node_set(save, "quality", 95, NULL);
        if (img->is_gray && has_property(op, "grayscale")) gegl_node_set(save, "grayscale", TRUE, NULL);
    } else if (!strcmp(op, "gegl:ppm-save")) {
        gegl_node_set(save, "bitdepth", is_int8 ? 8 : 16, NULL);
    } else if (!strcmp(op, "gegl:webp-save")) {
        gegl_node_set(save, "quality", 95, NULL);
    }
    // tiff-save (bitdepth/fp -1) and the rest keep the buffer's own format.
    gegl_node_link(src, save);
    gegl_node_process(save);
    g_object_unref(graph);
    int warnings = capture_end();

    GStatBuf st;
    int rc = 0;
    if (warnings) {
        set_err(err, errlen, "cannot write '%s': %s", shown, log_first);
        rc = 1;
    } else if (g_stat(path, &st) != 0 || st.st_size == 0) {
        set_err(err, errlen, "cannot write '%s': %s produced no file", shown, op);
        rc = 1;
    }
    g_mutex_unlock(&io_lock);
    g_free(ext);
    return rc;
}

void srcnn_io_image_free(srcnn_io_image *img) {
    if (!img) return;
    if (img->buffer) {
        g_mutex_lock(&io_lock);
        g_object_unref(img->buffer);
        g_mutex_unlock(&io_lock);
    }
    g_free(img);
}
