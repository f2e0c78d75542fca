// Plain C interface over GEGL for reading and writing image files as float samples.
#ifndef SRCNN_IMAGE_IO_H
#define SRCNN_IMAGE_IO_H
#endif
