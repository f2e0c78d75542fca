// GEGL and babl (Debian: libgegl-dev, pkg-config "gegl-0.4").
#include <gegl.h>
#include <babl/babl.h>
