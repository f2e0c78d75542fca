// The plug-in's GTK2 dialog, in C because gimp_dialog_new is variadic (Swift cannot call it).
#ifndef SRCNN_DIALOG_H
#define SRCNN_DIALOG_H

#define SRCNN_DIALOG_PATH_MAX 4096

// What the preview is asked to show: the dialog's settings and the view.
typedef struct {
  double scale;
  int out_width, out_height;               // the result's size (the image's, or the new image's)
  int exact;                               // width and height unchained
  const char *weights;                     // as SRCNNDialogValues.weights
  int output;
  int all_layers;                          // the estimate counts every pixel layer
  double center_x, center_y;               // the view's centre, as fractions of the layer's result
  int view_width, view_height;             // the preview's size in pixels
} SRCNNPreviewRequest;

typedef struct {
  double scale;                            // 1...8
  char weights[SRCNN_DIALOG_PATH_MAX];     // "" = the shipped SRCNN model nearest the scale, "fsrcnn" = the
                                           // shipped FSRCNN model for the scale, "srcnn-photo" / "fsrcnn-photo"
                                           // the same for the photo weights, else a file
  int photo;                               // Input: 0 clean, 1 photo (JPEG, noise); in: the initial choice
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
  // Whether photo weights (JPEG, noisy input) of SRCNN (fast = 0) or FSRCNN (fast = 1) are shipped.
  int (*has_photo)(int fast);
  // The preview of the active layer's result (NULL: no preview). start: cancels the running one and starts
  // `request`; returns its id (> 0) and fills rect = x, y, w, h of the part shown and the layer result's width and
  // height; or 0 with a message. poll: 0 while it runs, 1 when done (upscaled and bicubic, w × h RGB bytes, filled;
  // message: the run's time and memory estimate), -1 on an error (message). finish: when the dialog closes.
  int (*preview_start)(const SRCNNPreviewRequest *request, int *rect, char *message, int message_size);
  int (*preview_poll)(int id, unsigned char *upscaled, unsigned char *bicubic, char *message, int message_size);
  void (*preview_finish)(void);
} SRCNNDialogValues;

// Shows the dialog for an image of image_width x image_height whose selection's bounding box is
// selection_width x selection_height (0 x 0: no selection; a new image is made of it). models/model_labels: the
// shipped models (paths, and what each is, e.g. "SRCNN 9-5-5 ×2"), n_models of them, SRCNN first. Returns 1 (OK:
// values updated), 0 (cancelled) or -1 (no display: nothing shown, values untouched).
int srcnn_dialog_run(SRCNNDialogValues *values, int image_width, int image_height,
                     int selection_width, int selection_height,
                     const char *const *models, const char *const *model_labels, int n_models);

#endif
