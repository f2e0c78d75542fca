// Internal to CVipsIO: the message helpers and the reader's layout, shared by vips_io_reader.c and vips_io_writer.c.
#ifndef SRCNN_VIPS_IO_INTERNAL_H
#define SRCNN_VIPS_IO_INTERNAL_H

#include "vips_io.h"
#include <vips/vips.h>

struct srcnn_vips_reader {
    VipsImage *image;   // upright image the rows come from (owns its metadata)
    int width, height, channels, sample;
    int last_y;         // y of the previous read_rows call (rows must not go back before it)
};

// `src` as one line into `dst` (newlines become "; ", other control characters dropped, trailing separators cut).
void srcnn__one_line(char *dst, size_t dstlen, const char *src);
// One formatted line into `err`.
void srcnn__set_err(char *err, size_t errlen, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
// libvips' error buffer (and the warnings logged since clear_warnings) as one line into `err`, after `prefix`.
void srcnn__set_vips_err(char *err, size_t errlen, const char *prefix, const char *fallback);
// Forget the warnings logged so far (call when an operation starts).
void srcnn__clear_warnings(void);
// Loads libvips' optional loader modules (HEIF, JPEG XL, ImageMagick, PDF, OpenSlide) once; returns how many.
int srcnn__load_modules(void);

#endif
