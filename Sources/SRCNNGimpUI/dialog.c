// SRCNN Upscale dialog: size (factor, percent, or width/height with a chain), where the result goes, model, input,
// layers.
#include <stdio.h>
#include <string.h>
#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>
#include "dialog_internal.h"

static const char *base_name(const char *path) {
  const char *b = strrchr(path, '/');
  return b ? b + 1 : path;
}

static int is_shipped(DialogState *s, int choice) {
  return choice >= s->first_model && choice < s->first_model + s->n_models;
}

// Whether the current choice runs photo weights: an automatic choice, the family's photo weights shipped, and
// Input set to photo.
static int photo_offered(DialogState *s) {
  int choice = gtk_combo_box_get_active(GTK_COMBO_BOX(s->combo));
  if (!s->has_photo || !(choice == 0 || (s->has_fast && choice == 1))) return 0;
  return s->has_photo(choice == 1 && s->has_fast);
}

static int photo_chosen(DialogState *s) {
  return s->photo && photo_offered(s) && gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(s->photo));
}

// Which file the current choice runs: an automatic choice names the shipped model it picks for the scale.
static void update_uses(DialogState *s) {
  char text[SRCNN_DIALOG_PATH_MAX + 96];
  int choice = gtk_combo_box_get_active(GTK_COMBO_BOX(s->combo));
  if (s->photo) {
    gtk_widget_set_sensitive(s->photo, photo_offered(s));
    gtk_widget_set_sensitive(s->clean, photo_offered(s));
  }
  if (photo_chosen(s)) {
    snprintf(text, sizeof text, "Uses the shipped %s photo weights (JPEG, noise; follow the scale)",
             choice == 0 ? "SRCNN" : "FSRCNN");
  } else if (choice == 0 || (s->has_fast && choice == 1)) {
    double f = gtk_adjustment_get_value(s->scale);
    int m = choice == 0 ? s->nearest_model(f) : s->fast_model(f);
    if (m >= 0) snprintf(text, sizeof text, "Uses %s (%s, follows the scale)", base_name(s->models[m]),
                         s->model_labels[m]);
    else snprintf(text, sizeof text, "No shipped model found: choose a weights file");
  } else if (is_shipped(s, choice)) {
    snprintf(text, sizeof text, "Uses %s (until the scale changes)", base_name(s->models[choice - s->first_model]));
  } else {
    gchar *f = gtk_file_chooser_get_filename(GTK_FILE_CHOOSER(s->chooser));
    if (f) snprintf(text, sizeof text, "Uses %s (kept for every scale)", base_name(f));
    else snprintf(text, sizeof text, "Choose a weights file below");
    g_free(f);
  }
  gtk_label_set_text(GTK_LABEL(s->uses_label), text);
  srcnn__request_preview(s);
}

static void model_changed(GtkComboBox *combo, DialogState *s) { (void) combo; update_uses(s); }

// A shipped model picked from the list follows the scale: a new scale goes back to Automatic (a file chosen
// with "Other file" stays).
static void scale_changed(GtkAdjustment *adj, DialogState *s) {
  (void) adj;
  int choice = gtk_combo_box_get_active(GTK_COMBO_BOX(s->combo));
  if (is_shipped(s, choice)) {
    // Back to the automatic choice of the same family.
    int fast = strncmp(s->model_labels[choice - s->first_model], "FSRCNN", 6) == 0;
    gtk_combo_box_set_active(GTK_COMBO_BOX(s->combo), fast && s->has_fast ? 1 : 0);
  }
  update_uses(s);
}

// The size the result is made from: a new image's selection bounds (when there is a selection), else the image.
static void base_size(DialogState *s, int *w, int *h) {
  int from_selection = s->sel_w > 0 && s->sel_h > 0 && gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(s->out_new));
  *w = from_selection ? s->sel_w : s->image_w;
  *h = from_selection ? s->sel_h : s->image_h;
}

static void update_size_label(DialogState *s) {
  int bw, bh;
  base_size(s, &bw, &bh);
  char text[160];
  snprintf(text, sizeof text, "%d × %d  →  %d × %d pixels%s", bw, bh,
           (int) gtk_adjustment_get_value(s->width), (int) gtk_adjustment_get_value(s->height),
           s->exact ? "  (exact size)" : "");
  gtk_label_set_text(GTK_LABEL(s->size_label), text);
  srcnn__request_preview(s);
}

// Percent, width and height from the scale (the host's size rule), and the width/height ranges (1 to ×8).
static void sync_from_scale(DialogState *s) {
  int bw, bh;
  base_size(s, &bw, &bh);
  double f = gtk_adjustment_get_value(s->scale);
  s->updating = 1;
  gtk_adjustment_set_upper(s->width, s->scaled_side(bw, 8.0));
  gtk_adjustment_set_upper(s->height, s->scaled_side(bh, 8.0));
  gtk_adjustment_set_value(s->percent, f * 100.0);
  if (!s->exact) {
    gtk_adjustment_set_value(s->width, s->scaled_side(bw, f));
    gtk_adjustment_set_value(s->height, s->scaled_side(bh, f));
  }
  s->updating = 0;
  update_size_label(s);
}

static void set_scale(DialogState *s, double f) {
  if (f < 1.0) f = 1.0;
  if (f > 8.0) f = 8.0;
  gtk_adjustment_set_value(s->scale, f);   // value-changed (if it changed) syncs the rest
  sync_from_scale(s);
}

static void scale_value_changed(GtkAdjustment *adj, DialogState *s) {
  (void) adj;
  if (s->updating) return;
  s->exact = 0;
  sync_from_scale(s);
}

static void percent_changed(GtkAdjustment *adj, DialogState *s) {
  if (s->updating) return;
  s->exact = 0;
  set_scale(s, gtk_adjustment_get_value(adj) / 100.0);
}

// Width or height edited: chained, the other side and the scale follow (the scale stays within 1 to 8);
// unchained, the size becomes exact and the scale shows the larger factor (the model is chosen for it).
static void side_changed(DialogState *s, int is_width) {
  if (s->updating) return;
  int bw, bh;
  base_size(s, &bw, &bh);
  double w = gtk_adjustment_get_value(s->width), h = gtk_adjustment_get_value(s->height);
  if (gimp_chain_button_get_active(GIMP_CHAIN_BUTTON(s->chain))) {
    s->exact = 0;
    set_scale(s, is_width ? w / bw : h / bh);
    return;
  }
  s->exact = 1;
  double f = w / bw > h / bh ? w / bw : h / bh;
  s->updating = 1;
  gtk_adjustment_set_value(s->scale, f < 1.0 ? 1.0 : f > 8.0 ? 8.0 : f);
  s->updating = 0;
  sync_from_scale(s);
}

static void width_changed(GtkAdjustment *adj, DialogState *s) { (void) adj; side_changed(s, 1); }
static void height_changed(GtkAdjustment *adj, DialogState *s) { (void) adj; side_changed(s, 0); }

// Chained again: the height follows the width.
static void chain_toggled(GimpChainButton *chain, DialogState *s) {
  if (gimp_chain_button_get_active(chain)) side_changed(s, 1);
}

// Resize or new image: a new image from a selection has another base size; an exact size stays as it is.
static void output_toggled(GtkToggleButton *button, DialogState *s) {
  (void) button;
  sync_from_scale(s);
}

static GtkAdjustment *spin_row(GtkWidget *table, int row, const char *label, double value, double lower, double upper,
                               double step, int digits, const char *tip, GtkWidget **spin_out) {
  GtkAdjustment *adj = GTK_ADJUSTMENT(gtk_adjustment_new(value, lower, upper, step, step * 10, 0));
  GtkWidget *spin = gtk_spin_button_new(adj, step, digits);
  gtk_spin_button_set_numeric(GTK_SPIN_BUTTON(spin), TRUE);
  gtk_entry_set_activates_default(GTK_ENTRY(spin), TRUE);
  gimp_table_attach_aligned(GTK_TABLE(table), 0, row, label, 0.0, 0.5, spin, 1, FALSE);
  gimp_help_set_help_data(spin, tip, NULL);
  if (spin_out) *spin_out = spin;
  return adj;
}

static void file_chosen(GtkFileChooser *chooser, DialogState *s) {
  gchar *f = gtk_file_chooser_get_filename(chooser);
  if (f) gtk_combo_box_set_active(GTK_COMBO_BOX(s->combo), s->other);   // "Other file"
  g_free(f);
  update_uses(s);
}

int srcnn__current_weights(DialogState *s, char *out, size_t size) {
  int choice = gtk_combo_box_get_active(GTK_COMBO_BOX(s->combo));
  out[0] = 0;
  if (s->has_fast && choice == 1) {
    g_strlcpy(out, photo_chosen(s) ? "fsrcnn-photo" : "fsrcnn", size);
  } else if (choice == 0) {
    if (photo_chosen(s)) g_strlcpy(out, "srcnn-photo", size);
  } else if (is_shipped(s, choice)) {
    g_strlcpy(out, s->models[choice - s->first_model], size);
  } else if (choice == s->other) {
    gchar *f = gtk_file_chooser_get_filename(GTK_FILE_CHOOSER(s->chooser));
    if (!f) return 0;
    g_strlcpy(out, f, size);
    g_free(f);
  }
  return 1;
}

int srcnn_dialog_run(SRCNNDialogValues *values, int image_width, int image_height,
                     int selection_width, int selection_height,
                     const char *const *models, const char *const *model_labels, int n_models) {
  if (!gtk_init_check(NULL, NULL)) {
    g_printerr("srcnn-upscale: no display (DISPLAY=%s): running with the last values\n",
               g_getenv("DISPLAY") ? g_getenv("DISPLAY") : "");
    return -1;
  }
  gimp_ui_init("srcnn-upscale", FALSE);

  DialogState s;
  memset(&s, 0, sizeof s);
  s.image_w = image_width;
  s.image_h = image_height;
  s.sel_w = selection_width;
  s.sel_h = selection_height;
  s.scaled_side = values->scaled_side;
  s.n_models = n_models;
  s.nearest_model = values->nearest_model;
  s.fast_model = values->fast_model;
  s.has_photo = values->has_photo;
  s.models = models;
  s.model_labels = model_labels;
  s.values = values;
  s.cx = s.cy = s.split = 0.5;
  s.up = g_malloc0(PREVIEW_W * PREVIEW_H * 3);
  s.bic = g_malloc0(PREVIEW_W * PREVIEW_H * 3);
  s.composed = g_malloc0(PREVIEW_W * PREVIEW_H * 3);
  s.has_fast = values->fast_model(2.0) >= 0;
  s.first_model = s.has_fast ? 2 : 1;
  s.other = s.first_model + n_models;
  GtkWidget *dialog = gimp_dialog_new("SRCNN Upscale", "srcnn-upscale", NULL, 0,
                                      gimp_standard_help_func, "plug-in-srcnn-upscale",
                                      GTK_STOCK_CANCEL, GTK_RESPONSE_CANCEL,
                                      GTK_STOCK_OK, GTK_RESPONSE_OK, NULL);
  gtk_dialog_set_default_response(GTK_DIALOG(dialog), GTK_RESPONSE_OK);
  gimp_window_set_transient(GTK_WINDOW(dialog));

  GtkWidget *hbox = gtk_hbox_new(FALSE, 12);
  gtk_container_set_border_width(GTK_CONTAINER(hbox), 12);
  gtk_box_pack_start(GTK_BOX(gtk_dialog_get_content_area(GTK_DIALOG(dialog))), hbox, TRUE, TRUE, 0);
  if (values->preview_start && values->preview_poll) {
    gtk_box_pack_start(GTK_BOX(hbox), srcnn__make_preview(&s), FALSE, FALSE, 0);
  }
  GtkWidget *table = gtk_table_new(12, 3, FALSE);
  gtk_table_set_row_spacings(GTK_TABLE(table), 6);
  gtk_table_set_col_spacings(GTK_TABLE(table), 6);
  gtk_box_pack_start(GTK_BOX(hbox), table, TRUE, TRUE, 0);

  // Size: scale factor, percent, width and height (chained: the aspect ratio is kept), bound together.
  s.scale = spin_row(table, 0, "_Scale factor:", values->scale, 1.0, 8.0, 0.1, 2,
                     "How many times larger the result gets (1 to 8, any value); each side is rounded to the "
                     "nearest pixel, as Image → Scale Image does", NULL);
  s.percent = spin_row(table, 1, "_Percent:", values->scale * 100.0, 100.0, 800.0, 1.0, 1,
                       "The same factor in percent (200 % = ×2)", NULL);
  s.width = spin_row(table, 2, "_Width:", 1, 1, 1 << 20, 1, 0,
                     "Width of the result in pixels; with the chain closed the height follows", NULL);
  s.height = spin_row(table, 3, "Hei_ght:", 1, 1, 1 << 20, 1, 0,
                      "Height of the result in pixels; with the chain closed the width follows", NULL);
  s.chain = gimp_chain_button_new(GIMP_CHAIN_RIGHT);
  gimp_chain_button_set_active(GIMP_CHAIN_BUTTON(s.chain), !(values->exact_width > 0 && values->exact_height > 0));
  gtk_table_attach(GTK_TABLE(table), s.chain, 2, 3, 2, 4, GTK_SHRINK | GTK_FILL, GTK_SHRINK | GTK_FILL, 0, 0);
  gimp_help_set_help_data(s.chain, "Closed: width and height keep the image's aspect ratio. Open: an exact width "
                          "and height (the model is chosen for the larger factor)", NULL);

  // Resulting size.
  s.size_label = gtk_label_new("");
  gtk_misc_set_alignment(GTK_MISC(s.size_label), 0.0, 0.5);
  gimp_table_attach_aligned(GTK_TABLE(table), 0, 4, "Result:", 0.0, 0.5, s.size_label, 1, FALSE);

  // Where the result goes.
  GtkWidget *out_box = gtk_hbox_new(FALSE, 12);
  GtkWidget *out_resize = gtk_radio_button_new_with_mnemonic(NULL, "_Resize this image");
  s.out_new = gtk_radio_button_new_with_mnemonic_from_widget(GTK_RADIO_BUTTON(out_resize),
      selection_width > 0 ? "_New image (from the selection)" : "_New image");
  gtk_box_pack_start(GTK_BOX(out_box), out_resize, FALSE, FALSE, 0);
  gtk_box_pack_start(GTK_BOX(out_box), s.out_new, FALSE, FALSE, 0);
  gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(values->output == 1 ? s.out_new : out_resize), TRUE);
  gimp_table_attach_aligned(GTK_TABLE(table), 0, 5, "Output:", 0.0, 0.5, out_box, 1, FALSE);
  gimp_help_set_help_data(out_resize, "The image grows (one undo step); a selection does not limit the result", NULL);
  gimp_help_set_help_data(s.out_new, "A new image with the result; this image stays as it is. With a selection, "
                          "the new image is its bounding box", NULL);

  if (values->exact_width > 0 && values->exact_height > 0) {
    s.exact = 1;
    gtk_adjustment_set_value(s.width, values->exact_width);
    gtk_adjustment_set_value(s.height, values->exact_height);
  }
  sync_from_scale(&s);
  g_signal_connect(s.scale, "value-changed", G_CALLBACK(scale_value_changed), &s);
  g_signal_connect(s.percent, "value-changed", G_CALLBACK(percent_changed), &s);
  g_signal_connect(s.width, "value-changed", G_CALLBACK(width_changed), &s);
  g_signal_connect(s.height, "value-changed", G_CALLBACK(height_changed), &s);
  g_signal_connect(s.chain, "toggled", G_CALLBACK(chain_toggled), &s);
  g_signal_connect(s.out_new, "toggled", G_CALLBACK(output_toggled), &s);

  // Model: SRCNN or FSRCNN chosen for the scale, a shipped model, or another file.
  s.combo = gtk_combo_box_text_new();
  gtk_combo_box_text_append_text(GTK_COMBO_BOX_TEXT(s.combo), "SRCNN 9-5-5 (the shipped model nearest the scale)");
  if (s.has_fast) gtk_combo_box_text_append_text(GTK_COMBO_BOX_TEXT(s.combo), "FSRCNN — fast (chosen for the scale)");
  int fsrcnn = strcmp(values->weights, "fsrcnn") == 0 || strcmp(values->weights, "fsrcnn-photo") == 0;
  int active = s.has_fast && fsrcnn ? 1 : 0;
  int automatic = values->weights[0] == 0 || strcmp(values->weights, "srcnn") == 0
                  || strcmp(values->weights, "srcnn-photo") == 0 || fsrcnn;
  for (int i = 0; i < n_models; i++) {
    char label[SRCNN_DIALOG_PATH_MAX + 64];
    snprintf(label, sizeof label, "%s  (%s)", model_labels[i], base_name(models[i]));
    gtk_combo_box_text_append_text(GTK_COMBO_BOX_TEXT(s.combo), label);
    if (!automatic && strcmp(values->weights, models[i]) == 0) active = s.first_model + i;
  }
  gtk_combo_box_text_append_text(GTK_COMBO_BOX_TEXT(s.combo), "Other file (choose below)");
  s.chooser = gtk_file_chooser_button_new("Weights (.safetensors)", GTK_FILE_CHOOSER_ACTION_OPEN);
  GtkFileFilter *filter = gtk_file_filter_new();
  gtk_file_filter_set_name(filter, "SRCNN/FSRCNN weights (*.safetensors)");
  gtk_file_filter_add_pattern(filter, "*.safetensors");
  gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(s.chooser), filter);
  if (!automatic && active == 0) {
    gtk_file_chooser_set_filename(GTK_FILE_CHOOSER(s.chooser), values->weights);
    active = s.other;
  }
  gtk_combo_box_set_active(GTK_COMBO_BOX(s.combo), active);
  g_signal_connect(s.chooser, "file-set", G_CALLBACK(file_chosen), &s);
  gimp_table_attach_aligned(GTK_TABLE(table), 0, 6, "_Model:", 0.0, 0.5, s.combo, 1, FALSE);
  gimp_help_set_help_data(s.combo, "SRCNN 9-5-5 takes the shipped model nearest the scale; FSRCNN (when shipped) "
                          "runs on the small image and is several times faster; a shipped model picked here lasts "
                          "until the scale changes; Other file keeps a file of yours (either family)", NULL);
  gimp_help_set_help_data(s.chooser, "A .safetensors weights file (srcnn train writes them)", NULL);
  gimp_table_attach_aligned(GTK_TABLE(table), 0, 7, "Weights _file:", 0.0, 0.5, s.chooser, 1, FALSE);
  s.uses_label = gtk_label_new("");
  gtk_misc_set_alignment(GTK_MISC(s.uses_label), 0.0, 0.5);
  gimp_table_attach_aligned(GTK_TABLE(table), 0, 8, "", 0.0, 0.5, s.uses_label, 1, FALSE);
  // Input: weights for clean images or for photos (JPEG artefacts, noise), when the family has photo weights.
  GtkWidget *input_box = gtk_hbox_new(FALSE, 12);
  s.clean = gtk_radio_button_new_with_mnemonic(NULL, "C_lean");
  s.photo = gtk_radio_button_new_with_mnemonic_from_widget(GTK_RADIO_BUTTON(s.clean), "P_hoto (JPEG, noise)");
  gtk_box_pack_start(GTK_BOX(input_box), s.clean, FALSE, FALSE, 0);
  gtk_box_pack_start(GTK_BOX(input_box), s.photo, FALSE, FALSE, 0);
  gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(values->photo ? s.photo : s.clean), TRUE);
  gimp_table_attach_aligned(GTK_TABLE(table), 0, 9, "Input:", 0.0, 0.5, input_box, 1, FALSE);
  gimp_help_set_help_data(s.clean, "Weights trained on clean images (PNG, TIFF, raw conversions): the sharpest "
                          "result, but they also sharpen JPEG blocks and grain", NULL);
  gimp_help_set_help_data(s.photo, "Weights trained on JPEG-compressed, noisy inputs: they remove blocking and "
                          "ringing instead of sharpening it (the default for images loaded from a JPEG file)", NULL);
  g_signal_connect_swapped(s.photo, "toggled", G_CALLBACK(update_uses), &s);
  g_signal_connect(s.combo, "changed", G_CALLBACK(model_changed), &s);
  g_signal_connect(s.scale, "value-changed", G_CALLBACK(scale_changed), &s);
  update_uses(&s);

  // Which layers get SRCNN (the others follow the image's cubic scale).
  s.all_layers = gtk_check_button_new_with_mnemonic("_All layers (every pixel layer, inside groups too)");
  g_signal_connect_swapped(s.all_layers, "toggled", G_CALLBACK(srcnn__request_preview), &s);
  gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(s.all_layers), values->all_layers != 0);
  gimp_table_attach_aligned(GTK_TABLE(table), 0, 10, "Layers:", 0.0, 0.5, s.all_layers, 1, FALSE);
  gimp_help_set_help_data(s.all_layers, "Off: SRCNN on the active layer, the rest follows GIMP's cubic scale. "
                          "On: SRCNN on every pixel layer, inside layer groups too", NULL);

  gtk_widget_show_all(dialog);
  int ok;
  // "Other file" with no file chosen is not a choice: say so and keep the dialog open (it used to fall back to
  // Automatic silently).
  while ((ok = gimp_dialog_run(GIMP_DIALOG(dialog)) == GTK_RESPONSE_OK)
         && gtk_combo_box_get_active(GTK_COMBO_BOX(s.combo)) == s.other) {
    gchar *f = gtk_file_chooser_get_filename(GTK_FILE_CHOOSER(s.chooser));
    gboolean chosen = f != NULL;
    g_free(f);
    if (chosen) break;
    gtk_label_set_markup(GTK_LABEL(s.uses_label), "<b>Choose a weights file below, or pick Automatic</b>");
  }
  if (ok) {
    values->scale = gtk_adjustment_get_value(s.scale);
    values->exact_width = s.exact ? (int) gtk_adjustment_get_value(s.width) : 0;
    values->exact_height = s.exact ? (int) gtk_adjustment_get_value(s.height) : 0;
    values->output = gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(s.out_new)) ? 1 : 0;
    values->all_layers = gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(s.all_layers)) ? 1 : 0;
    srcnn__current_weights(&s, values->weights, sizeof values->weights);
    values->photo = gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(s.photo)) ? 1 : 0;
  }
  if (s.debounce) g_source_remove(s.debounce);
  if (s.poller) g_source_remove(s.poller);
  if (values->preview_finish) values->preview_finish();
  gtk_widget_destroy(dialog);
  g_free(s.up); g_free(s.bic); g_free(s.composed);
  return ok;
}
