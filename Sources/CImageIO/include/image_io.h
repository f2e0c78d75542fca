// Plain C interface over GEGL for reading and writing image files as float samples.
// GEGL's own API is C-variadic (gegl_node_new_child(..., NULL)), which Swift cannot call.
//
// Every function that can fail returns 0 on success, or nonzero and writes one line
// (no trailing newline) into the caller's `err` buffer of `errlen` bytes.
// All calls are serialised by an internal lock, so they may be made from any thread.
#ifndef SRCNN_IMAGE_IO_H
#define SRCNN_IMAGE_IO_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// An image held in a GEGL buffer (opaque). Free with srcnn_io_image_free.
typedef struct srcnn_io_image srcnn_io_image;

/// Initialise GEGL once per process (thread-safe; harmless if the host already did).
int srcnn_io_init(char *err, size_t errlen);

/// Decode `path` (png, jpg, tiff, webp... through GEGL loaders; bmp, gif, tga, ico, pnm...
/// through gdk-pixbuf). On success *out owns the decoded pixels.
int srcnn_io_load(const char *path, srcnn_io_image **out, char *err, size_t errlen);

/// Size and source format of an image: alpha (0/1), gray (0/1) and the sample type of the
/// source format: "u8", "u16", "u32", "half", "float" or "double".
void srcnn_io_image_info(const srcnn_io_image *img, int *width, int *height,
                         int *has_alpha, int *is_gray, const char **sample_type);

/// Copy rows [y, y+rows) into `dst` as interleaved non-linear floats with `channels`
/// components per pixel: 1 = Y', 2 = Y'A, 3 = R'G'B', 4 = R'G'B'A (values as stored in the file).
int srcnn_io_get_rows(const srcnn_io_image *img, int y, int rows, int channels,
                      float *dst, char *err, size_t errlen);

/// A new blank image to save: `channels` as above, `sample_type` "u8", "u16", "half" or "float".
int srcnn_io_create(int width, int height, int channels, const char *sample_type,
                    srcnn_io_image **out, char *err, size_t errlen);

/// Store rows [y, y+rows) from interleaved floats (`channels` per pixel, as in the image).
/// Integer formats are rounded and clamped by babl.
int srcnn_io_set_rows(srcnn_io_image *img, int y, int rows, const float *src,
                      char *err, size_t errlen);

/// 1 if GEGL has a real saver for the extension of `path` (".png", ".jpg", ".tif"...), else 0.
int srcnn_io_can_save(const char *path);

/// Write the image to `path` with the saver for its extension (png: 8 or 16 bit from the
/// buffer's sample type, 16 for half/float; jpg: quality 95, 8 bit, no alpha; tiff: buffer format).
/// `display_path` is the name used in error messages (NULL: `path`).
int srcnn_io_save(const srcnn_io_image *img, const char *path, const char *display_path,
                  char *err, size_t errlen);

void srcnn_io_image_free(srcnn_io_image *img);

#ifdef __cplusplus
}
#endif
#endif
