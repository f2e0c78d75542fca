// GEGL settings of the plug-in process, in C because g_object_set/g_object_get are variadic.
#ifndef SRCNN_GEGL_H
#define SRCNN_GEGL_H

// The plug-in's GEGL tile cache: tiles past it (the results held until the end) swap to GEGL's swap file.
void srcnn_gegl_limit_tile_cache(unsigned long long bytes);

#endif
