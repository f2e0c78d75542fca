// The plug-in's GTK2 dialog, in C because gimp_dialog_new is variadic (Swift cannot call it).
#ifndef SRCNN_DIALOG_H
#define SRCNN_DIALOG_H

#define SRCNN_DIALOG_PATH_MAX 4096

typedef struct {
  double scale;                            // 1...8
  char weights[SRCNN_DIALOG_PATH_MAX];     // "" = the shipped SRCNN model nearest the scale, "fsrcnn" = the
                                           // shipped FSRCNN model for the scale, else a file
  int all_layers;                          // 0: the active layer, 1: every pixel layer (inside groups too)
  int output;                              // 0: resize this image, 1: a new image (of the selection's bounds)
  int exact_width, exact_height;           // both > 0: an exact result size (width and height unchained);
                                           // 0: the size follows the scale
  // The host's one scale -> size rule (SizeRule.side): the side `side` becomes at `scale`.
  int (*scaled_side)(int side, double scale);
  // The host's shipped-model choice (ShippedWeights.nearest): index into `models` of the model "Automatic" uses
  // at `scale`, or -1 when none is shipped.
  int (*nearest_model)(double scale);
  // The same for FSRCNN (ShippedWeights.resolve(family: .fsrcnn)): -1 when no FSRCNN model is shipped.
  int (*fast_model)(double scale);
} SRCNNDialogValues;

// Shows the dialog for an image of image_width x image_height whose selection's bounding box is
// selection_width x selection_height (0 x 0: no selection; a new image is made of it). models/model_labels: the
// shipped models (paths, and what each is, e.g. "SRCNN 9-5-5 ×2"), n_models of them, SRCNN first. Returns 1 (OK:
// values updated), 0 (cancelled) or -1 (no display: nothing shown, values untouched).
int srcnn_dialog_run(SRCNNDialogValues *values, int image_width, int image_height,
                     int selection_width, int selection_height,
                     const char *const *models, const char *const *model_labels, int n_models);

#endif
