// CVipsIO's shared part: libvips start-up (once per process) and one-line error messages from libvips' errors
// and warnings; the reader and the writer are vips_io_reader.c and vips_io_writer.c (see include/vips_io.h).
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
    if (VIPS_INIT("srcnn")) {
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

int srcnn_vips_init(char *err, size_t errlen) {
    pthread_once(&init_once, init_vips);
    if (init_status != 0) srcnn__set_err(err, errlen, "%s", init_message);
    return init_status;
}

