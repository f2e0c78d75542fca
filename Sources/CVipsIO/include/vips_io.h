// Plain C interface over libvips for streaming, bounded-memory image file reading and writing.
// libvips' own API is C-variadic (vips_image_new_from_file(..., NULL)), which Swift cannot call.
//
// Every function that can fail returns 0 on success, or nonzero and writes one line (no newline)
// into the caller's `err` buffer of `errlen` bytes.
//
// Memory: a reader decodes rows on demand (libvips sequential access keeps a small window of
// rows), and the writer asks its callback for rows as the encoder needs them. Exceptions:
//  - an input with an EXIF orientation other than 1 is opened with random access so it can be
//    rotated upright; libvips then decodes it at its native depth into memory (or into a temp
//    file when it is larger than VIPS_DISC_THRESHOLD, 100 MB by default);
//  - WebP: libvips decodes a WebP input as a whole frame, and libwebp encodes from a whole
//    picture, so WebP output holds the full 8-bit image (width * height * 3 or 4 bytes) plus
//    libwebp's own buffers;
//  - inputs libvips hands to ImageMagick (formats it has no own loader for) are decoded whole.
//
// Threads: a reader may be used from any thread, one call at a time (it can be read from inside a
// writer's row callback). Different readers and writes may run on different threads at once.
#ifndef SRCNN_VIPS_IO_H
#define SRCNN_VIPS_IO_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Sample type of a file: unsigned 8-bit, unsigned 16-bit, or float (32- or 64-bit in the file).
typedef enum { SRCNN_SAMPLE_U8 = 0, SRCNN_SAMPLE_U16 = 1, SRCNN_SAMPLE_FLOAT = 2 } srcnn_sample;

/// Start libvips once per process (thread-safe; later calls return the first call's result).
/// Sets libvips' worker threads to 1 (the caller threads its own work), disables the operation
/// cache, and routes libvips' GLib warnings (log domain "VIPS") away from stderr: the last one
/// is kept and used in an error message when libvips fails without saying why.
int srcnn_vips_init(char *err, size_t errlen);

/// An open input image (opaque). Free with srcnn_vips_reader_free.
typedef struct srcnn_vips_reader srcnn_vips_reader;

/// Open `path` lazily: only the header is read, with sequential access, and decoding errors
/// (truncated or corrupt data) fail the read instead of yielding grey rows.
/// Refused before anything is decoded: width * height above `max_pixels` (0 or less: no limit),
/// "image is WxH (N MP), above the limit of M MP"; CMYK ("CMYK images are not supported"), Lab,
/// XYZ and other non-RGB colour spaces; coded (LABQ, Radiance) images; 0 or more than 4 bands;
/// signed or 32-bit integer and complex samples (only unsigned 8/16-bit and float are read).
/// Channels: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA; palette PNGs come expanded to RGB(A).
/// Samples: uchar -> U8, ushort -> U16, float and double -> FLOAT.
/// Multi-page files (TIFF, animated WebP...) give their first page.
/// EXIF orientation other than 1: reopened with random access (see the memory note above) and
/// rotated upright, so width and height are those of the upright image; the metadata the writer
/// copies from this reader then carries orientation 1.
int srcnn_vips_open(const char *path, long long max_pixels, srcnn_vips_reader **out,
                    char *err, size_t errlen);

/// Size (upright), channels (1-4), sample (srcnn_sample) and resolution in pixels per mm, as
/// libvips stores it (its default when the file has none). Any pointer may be NULL.
void srcnn_vips_reader_info(const srcnn_vips_reader *r, int *width, int *height, int *channels,
                            int *sample, double *xres, double *yres);

/// Copy rows [y, y+rows) into `dst` (width * rows * channels floats), interleaved, normalised:
/// U8 / 255, U16 / 65535, FLOAT as stored. No colour conversion: the values stored in the file.
/// Rows must be read sequentially: `y` must be >= the previous call's `y` (re-reading rows of
/// the previous call is allowed). A decoding failure (truncated file...) is an error.
int srcnn_vips_read_rows(srcnn_vips_reader *r, int y, int rows, float *dst,
                         char *err, size_t errlen);

/// Close the file and free the reader (NULL is allowed).
void srcnn_vips_reader_free(srcnn_vips_reader *r);

/// Row source for srcnn_vips_write: fill rows [y, y+rows) of the output into `dst`
/// (width * rows * channels floats, interleaved, 0...1 for integer outputs) and return 0, or
/// write a one-line message into `err` and return nonzero (the write then fails with it).
/// Calls come from one thread at a time, in increasing y order, covering each row exactly once;
/// `rows` is whatever libvips asks for (usually 16, the last strip shorter). The callback runs on
/// a libvips worker thread, not on the thread that called srcnn_vips_write (which waits).
typedef int (*srcnn_vips_rows_fn)(void *ctx, int y, int rows, float *dst, char *err, size_t errlen);

/// Encode a width x height image with `channels` (1-4, as for the reader) and `sample`
/// (srcnn_sample) to `path` (typically a temporary file the caller renames); the format follows
/// the extension of `format_path` (case-insensitive):
///   .png          8-bit for U8, else 16-bit; alpha kept.
///   .jpg .jpeg    8-bit, quality 95, no chroma subsampling; alpha (channel 2 or 4) dropped:
///                 the callback still produces `channels` values per pixel.
///   .tif .tiff    U8, U16 or 32-bit float as given, deflate compression, strips; BigTIFF when
///                 the uncompressed size is above 3.5 GB.
///   .webp         8-bit, lossy quality 95 (alpha lossless); whole image in memory, at most
///                 16383 x 16383.
/// Other extensions fail with "no saver for .xyz files; use .png, .tif, .jpg or .webp".
/// Integer samples: clamp to [0, 1] (NaN -> 0), then (int)(v * 255 + 0.5) or (v * 65535 + 0.5).
/// Metadata: with `meta` (a reader, may be NULL), its ICC profile, EXIF and XMP are copied;
/// libvips rewrites the EXIF on save (pixel dimensions and resolution from the new image,
/// orientation 1). TIFF output gets ICC and XMP but no EXIF (libvips' TIFF saver writes none).
/// Resolution: meta xres * xscale, meta yres * yscale (same print size); without meta, libvips'
/// default of 1 pixel per mm.
/// Any write error (ENOSPC, EIO, also on the final flush and close) fails with a message naming
/// the file and the system error; a partial file may be left at `path` for the caller to unlink.
int srcnn_vips_write(const char *path, const char *format_path, int width, int height,
                     int channels, int sample, const srcnn_vips_reader *meta,
                     double xscale, double yscale, srcnn_vips_rows_fn fn, void *ctx,
                     char *err, size_t errlen);

/// 1 if `path`'s extension has a saver here (.png .jpg .jpeg .tif .tiff .webp), else 0.
int srcnn_vips_can_save(const char *path);

/// Encodes `src` (interleaved 8-bit, 1 or 3 bands, `width` x `height`) as a JPEG at `quality` (1...100, 4:2:0 chroma,
/// libjpeg's defaults, in memory) and decodes it into `dst` (same layout). For the trainer's photo degradations.
int srcnn_vips_jpeg_roundtrip(const unsigned char *src, int width, int height, int bands, int quality,
                              unsigned char *dst, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
