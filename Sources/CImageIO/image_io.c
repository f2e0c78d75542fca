// GEGL-backed image file loading and saving (placeholder until the image I/O lands).
#include "image_io.h"
