// What the dialog's two halves share: its state, and the preview's entry points (dialog_preview.c).
#ifndef SRCNN_DIALOG_INTERNAL_H
#define SRCNN_DIALOG_INTERNAL_H
#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>
#include "srcnn_dialog.h"

#define PREVIEW_W 320
#define PREVIEW_H 240

typedef struct {
  int image_w, image_h, sel_w, sel_h;
  int (*scaled_side)(int, double);
  GtkWidget *size_label, *combo, *chooser, *all_layers, *chain, *out_new;
  // The size fields, bound together: scale (the model follows it), percent = 100 × scale, width and height.
  GtkAdjustment *scale, *percent, *width, *height;
  int updating;   // one field is being set from another: its handler does nothing
  int exact;      // width and height unchained and edited: an exact size (the scale shows the larger factor)
  int n_models;
  int (*nearest_model)(double);
  int (*fast_model)(double);
  const char *const *models;
  const char *const *model_labels;
  GtkWidget *uses_label;
  // Input: clean or photo (JPEG, noise); offered for the automatic choices whose family has photo weights.
  GtkWidget *photo, *clean;
  int (*has_photo)(int);
  // Combo rows: 0 SRCNN automatic, then FSRCNN automatic when shipped (has_fast), the shipped models from
  // first_model on, and "Other file" last.
  int has_fast, first_model, other;
  // The preview: a part of the active layer's result, bicubic left of the divider and the model right of it.
  SRCNNDialogValues *values;
  GtkWidget *preview, *preview_label;
  guint debounce, poller;
  int preview_id;          // the render running (0: none)
  int pending[6], shown[6];   // x, y, w, h, layer result width and height: of the render running / shown
  int have;                // up and bic hold the render `shown`
  double cx, cy, split;    // the view's centre (fractions of the layer's result); the divider (fraction of w)
  int drag;                // 0: none, 1: the divider, 2: panning
  char message[512];       // the estimate that came with the render shown
  double drag_x, drag_y, drag_cx, drag_cy;
  guchar *up, *bic, *composed;   // PREVIEW_W × PREVIEW_H × 3 each
} DialogState;

// The weights the current model choice stands for (as SRCNNDialogValues.weights); 0 when "Other file" has none.
int srcnn__current_weights(DialogState *s, char *out, size_t size);
// Settings or the view changed: a new render shortly (a quick series of changes starts one).
void srcnn__request_preview(DialogState *s);
// The preview area (with its label below), wired to pan, drag the divider and re-render; it starts the poller
// (`poller`) that shows finished renders.
GtkWidget *srcnn__make_preview(DialogState *s);

#endif
