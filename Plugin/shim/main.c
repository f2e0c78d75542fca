// srcnn-upscale: the GIMP 2.10 plug-in executable. A C shim: PLUG_IN_INFO + MAIN(), forwarding GIMP's
// query and run callbacks to srcnn_plugin_query / srcnn_plugin_run, which the Swift dynamic library
// libSRCNNGimp.so (installed beside this executable) exports with @_cdecl.
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <libgimp/gimp.h>

typedef void (*query_fn)(void);
typedef void (*run_fn)(const gchar *, gint, const GimpParam *, gint *, GimpParam **);

static query_fn swift_query;
static run_fn swift_run;
static char load_error[PATH_MAX + 512];

// Loads libSRCNNGimp.so from the executable's own folder (once). Returns 0 and fills load_error on failure.
static int load_library(void) {
  static int loaded = -1;
  if (loaded >= 0) return loaded;
  loaded = 0;
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 32);
  if (n <= 0) { snprintf(load_error, sizeof load_error, "srcnn-upscale: cannot find its own path"); return 0; }
  path[n] = 0;
  char *slash = strrchr(path, '/');
  strcpy(slash ? slash + 1 : path, "libSRCNNGimp.so");
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) { snprintf(load_error, sizeof load_error, "srcnn-upscale: cannot load %s: %s", path, dlerror()); return 0; }
  swift_query = (query_fn) dlsym(lib, "srcnn_plugin_query");
  swift_run = (run_fn) dlsym(lib, "srcnn_plugin_run");
  if (!swift_query || !swift_run) {
    snprintf(load_error, sizeof load_error, "srcnn-upscale: %s lacks srcnn_plugin_query/srcnn_plugin_run", path);
    return 0;
  }
  loaded = 1;
  return 1;
}

static void query(void) {
  if (load_library()) swift_query();
  else fprintf(stderr, "%s\n", load_error);
}

static void run(const gchar *name, gint nparams, const GimpParam *param, gint *nreturn_vals, GimpParam **return_vals) {
  static GimpParam values[2];
  if (load_library()) { swift_run(name, nparams, param, nreturn_vals, return_vals); return; }
  fprintf(stderr, "%s\n", load_error);
  values[0].type = GIMP_PDB_STATUS;
  values[0].data.d_status = GIMP_PDB_EXECUTION_ERROR;
  values[1].type = GIMP_PDB_STRING;
  values[1].data.d_string = load_error;
  *nreturn_vals = 2;
  *return_vals = values;
}

const GimpPlugInInfo PLUG_IN_INFO = { NULL, NULL, query, run };

MAIN ()
