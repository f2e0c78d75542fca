// libgimp 2.10 (Debian: libgimp2.0-dev, pkg-config "gimpui-2.0", which pulls in gimp-2.0, GTK2 and GEGL).
#include <libgimp/gimp.h>
