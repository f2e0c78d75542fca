// CVipsIO's shared part: libvips start-up (once per process) and one-line error messages from libvips' errors
// and warnings; the reader and the writer are vips_io_reader.c and vips_io_writer.c (see include/vips_io.h).
#define _GNU_SOURCE 1 // O_CLOEXEC, strcasecmp under strict C modes

#include "vips_io_internal.h"

#include <vips/vips.h>
#include <gmodule.h>

#include <dlfcn.h>
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
void srcnn__one_line(char *dst, size_t dstlen, const char *src) {
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
void srcnn__set_err(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || errlen == 0) return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    srcnn__one_line(err, errlen, buf);
}

// Take libvips' error buffer plus the warnings logged since (or `fallback`) as the message, prefixed
// with `prefix` ("" for none), and clear the buffer.
void srcnn__set_vips_err(char *err, size_t errlen, const char *prefix, const char *fallback) {
    char detail[1024];
    srcnn__one_line(detail, sizeof detail, vips_error_buffer());
    vips_error_clear();
    char logged[512];
    g_mutex_lock(&warning_lock);
    snprintf(logged, sizeof logged, "%s", warnings);
    g_mutex_unlock(&warning_lock);
    if (!detail[0] && !logged[0]) snprintf(detail, sizeof detail, "%s", fallback);
    if (!detail[0]) srcnn__set_err(err, errlen, "%s%s", prefix, logged);
    else if (logged[0] && !strstr(detail, logged)) srcnn__set_err(err, errlen, "%s%s (%s)", prefix, detail, logged);
    else srcnn__set_err(err, errlen, "%s%s", prefix, detail);
}

static void log_handler(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data) {
    (void)domain, (void)level, (void)data;
    char line[256];
    srcnn__one_line(line, sizeof line, message ? message : "");
    // "error in tile X x Y" only says where; the reason comes in the error buffer or another warning.
    if (!line[0] || vips_isprefix("error in tile", line)) return;
    g_mutex_lock(&warning_lock);
    size_t used = strlen(warnings);
    if (!strstr(warnings, line) && used + strlen(line) + 3 < sizeof warnings)
        snprintf(warnings + used, sizeof warnings - used, "%s%s", used ? "; " : "", line);
    g_mutex_unlock(&warning_lock);
}

void srcnn__clear_warnings(void) {
    g_mutex_lock(&warning_lock);
    warnings[0] = '\0';
    g_mutex_unlock(&warning_lock);
}

// MARK: - Init

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_status = -1;
static char init_message[512];

static void init_vips(void) {
    // vips_init loads every optional loader module (ImageMagick, poppler, HEIF, JPEG XL, OpenSlide): half of its
    // 60 ms start. It looks for them under $VIPSHOME, so point that at nothing while it starts; the modules are
    // loaded later, only when a file needs one (srcnn__load_modules).
    char *home = g_strdup(g_getenv("VIPSHOME"));
    g_setenv("VIPSHOME", "/nonexistent/srcnn-loads-vips-modules-on-demand", TRUE);
    int failed = VIPS_INIT("srcnn");
    if (home) g_setenv("VIPSHOME", home, TRUE);
    else g_unsetenv("VIPSHOME");
    g_free(home);
    if (failed) {
        srcnn__one_line(init_message, sizeof init_message, vips_error_buffer());
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

// The folder of libvips' loader modules: beside the libvips that is loaded (Debian:
// /usr/lib/x86_64-linux-gnu/vips-modules-8.14), else under $VIPSHOME's or libvips' guess of its libdir.
static char *module_folder(void) {
    Dl_info info;
    if (dladdr((void *)vips_image_new_from_file, &info) && info.dli_fname && strchr(info.dli_fname, '/')) {
        char *lib = g_path_get_dirname(info.dli_fname);
        char *dir = g_strdup_printf("%s/vips-modules-%d.%d", lib, VIPS_MAJOR_VERSION, VIPS_MINOR_VERSION);
        g_free(lib);
        if (g_file_test(dir, G_FILE_TEST_IS_DIR)) return dir;
        g_free(dir);
    }
    return g_strdup_printf("%s/vips-modules-%d.%d", vips_guess_libdir("srcnn", "VIPSHOME"), VIPS_MAJOR_VERSION,
                           VIPS_MINOR_VERSION);
}

static pthread_once_t modules_once = PTHREAD_ONCE_INIT;
static int modules_loaded;

static void load_modules(void) {
    if (!g_module_supported()) return;
    char *dir = module_folder();
    GDir *folder = g_dir_open(dir, 0, NULL);
    if (folder) {
        const char *name;
        while ((name = g_dir_read_name(folder))) {
            if (!g_str_has_suffix(name, "." G_MODULE_SUFFIX)) continue;
            char *path = g_build_filename(dir, name, NULL);
            // A module registers its loaders in g_module_check_init; one that fails to open is skipped, as
            // vips_init skips it.
            GModule *module = g_module_open(path, G_MODULE_BIND_LAZY);
            if (module) modules_loaded++;
            g_free(path);
        }
        g_dir_close(folder);
    }
    g_free(dir);
}

int srcnn__load_modules(void) {
    pthread_once(&modules_once, load_modules);
    return modules_loaded;
}

int srcnn_vips_init(char *err, size_t errlen) {
    pthread_once(&init_once, init_vips);
    if (init_status != 0) srcnn__set_err(err, errlen, "%s", init_message);
    return init_status;
}

