// GEGL settings the plug-in makes before it touches pixels (g_object_set is variadic: Swift cannot call it).
#include <libgimp/gimp.h>
#include "srcnn_gegl.h"

void srcnn_gegl_limit_tile_cache(unsigned long long bytes) {
  g_object_set(gegl_config(), "tile-cache-size", (guint64) bytes, NULL);
}
