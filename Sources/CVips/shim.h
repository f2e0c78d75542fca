// libvips (Debian: libvips-dev, pkg-config "vips").
#include <vips/vips.h>
