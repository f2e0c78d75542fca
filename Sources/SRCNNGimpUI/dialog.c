// SRCNN Upscale dialog: scale, resulting size, model choice, which layers. GTK2 through libgimpui.
#include <stdio.h>
#include <string.h>
#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>
#include "srcnn_dialog.h"

typedef struct {
  int width, height;
  int (*scaled_side)(int, double);
  GtkWidget *size_label, *combo, *chooser, *all_layers;
  GtkAdjustment *scale;
  int n_models;
  int (*nearest_model)(double);
  int (*fast_model)(double);
  const char *const *models;
  const char *const *model_labels;
  GtkWidget *uses_label;
  // Combo rows: 0 SRCNN automatic, then FSRCNN automatic when shipped (has_fast), the shipped models from
  // first_model on, and "Other file" last.
  int has_fast, first_model, other;
} DialogState;

static const char *base_name(const char *path) {
  const char *b = strrchr(path, '/');
  return b ? b + 1 : path;
}

static int is_shipped(DialogState *s, int choice) {
  return choice >= s->first_model && choice < s->first_model + s->n_models;
}

// Which file the current choice runs: an automatic choice names the shipped model it picks for the scale.
static void update_uses(DialogState *s) {
  char text[SRCNN_DIALOG_PATH_MAX + 96];
  int choice = gtk_combo_box_get_active(GTK_COMBO_BOX(s->combo));
  if (choice == 0 || (s->has_fast && choice == 1)) {
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

static void update_size(GtkAdjustment *adj, DialogState *s) {
  double f = gtk_adjustment_get_value(adj);
  char text[128];
  int w = s->scaled_side(s->width, f), h = s->scaled_side(s->height, f);
  snprintf(text, sizeof text, "%d × %d  →  %d × %d pixels", s->width, s->height, w, h);
  gtk_label_set_text(GTK_LABEL(s->size_label), text);
}

static void file_chosen(GtkFileChooser *chooser, DialogState *s) {
  gchar *f = gtk_file_chooser_get_filename(chooser);
  if (f) gtk_combo_box_set_active(GTK_COMBO_BOX(s->combo), s->other);   // "Other file"
  g_free(f);
  update_uses(s);
}

int srcnn_dialog_run(SRCNNDialogValues *values, int image_width, int image_height,
                     const char *const *models, const char *const *model_labels, int n_models) {
  if (!gtk_init_check(NULL, NULL)) {
    g_printerr("srcnn-upscale: no display (DISPLAY=%s): running with the last values\n",
               g_getenv("DISPLAY") ? g_getenv("DISPLAY") : "");
    return -1;
  }
  gimp_ui_init("srcnn-upscale", FALSE);

  DialogState s = { image_width, image_height, values->scaled_side, NULL, NULL, NULL, NULL, NULL, n_models,
                    values->nearest_model, values->fast_model, models, model_labels, NULL, 0, 1, 0 };
  s.has_fast = values->fast_model(2.0) >= 0;
  s.first_model = s.has_fast ? 2 : 1;
  s.other = s.first_model + n_models;
  GtkWidget *dialog = gimp_dialog_new("SRCNN Upscale", "srcnn-upscale", NULL, 0,
                                      gimp_standard_help_func, "plug-in-srcnn-upscale",
                                      GTK_STOCK_CANCEL, GTK_RESPONSE_CANCEL,
                                      GTK_STOCK_OK, GTK_RESPONSE_OK, NULL);
  gtk_dialog_set_default_response(GTK_DIALOG(dialog), GTK_RESPONSE_OK);
  gimp_window_set_transient(GTK_WINDOW(dialog));

  GtkWidget *table = gtk_table_new(6, 2, FALSE);
  gtk_container_set_border_width(GTK_CONTAINER(table), 12);
  gtk_table_set_row_spacings(GTK_TABLE(table), 6);
  gtk_table_set_col_spacings(GTK_TABLE(table), 6);
  gtk_box_pack_start(GTK_BOX(gtk_dialog_get_content_area(GTK_DIALOG(dialog))), table, TRUE, TRUE, 0);

  // Scale.
  s.scale = GTK_ADJUSTMENT(gtk_adjustment_new(values->scale, 1.0, 8.0, 0.1, 0.5, 0));
  GtkWidget *spin = gtk_spin_button_new(s.scale, 0.1, 2);
  gtk_spin_button_set_numeric(GTK_SPIN_BUTTON(spin), TRUE);
  gtk_entry_set_activates_default(GTK_ENTRY(spin), TRUE);
  gimp_table_attach_aligned(GTK_TABLE(table), 0, 0, "_Scale factor:", 0.0, 0.5, spin, 1, FALSE);
  gimp_help_set_help_data(spin, "How many times larger the whole image gets (1 to 8, any value); each side is "
                          "rounded to the nearest pixel, as Image → Scale Image does", NULL);

  // Resulting size.
  s.size_label = gtk_label_new("");
  gtk_misc_set_alignment(GTK_MISC(s.size_label), 0.0, 0.5);
  gimp_table_attach_aligned(GTK_TABLE(table), 0, 1, "Result:", 0.0, 0.5, s.size_label, 1, FALSE);
  g_signal_connect(s.scale, "value-changed", G_CALLBACK(update_size), &s);
  update_size(s.scale, &s);

  // Model: SRCNN or FSRCNN chosen for the scale, a shipped model, or another file.
  s.combo = gtk_combo_box_text_new();
  gtk_combo_box_text_append_text(GTK_COMBO_BOX_TEXT(s.combo), "SRCNN 9-5-5 (the shipped model nearest the scale)");
  if (s.has_fast) gtk_combo_box_text_append_text(GTK_COMBO_BOX_TEXT(s.combo), "FSRCNN — fast (chosen for the scale)");
  int active = s.has_fast && strcmp(values->weights, "fsrcnn") == 0 ? 1 : 0;
  int automatic = values->weights[0] == 0 || strcmp(values->weights, "srcnn") == 0
                  || strcmp(values->weights, "fsrcnn") == 0;
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
  gimp_table_attach_aligned(GTK_TABLE(table), 0, 2, "_Model:", 0.0, 0.5, s.combo, 1, FALSE);
  gimp_help_set_help_data(s.combo, "SRCNN 9-5-5 takes the shipped model nearest the scale; FSRCNN (when shipped) "
                          "runs on the small image and is several times faster; a shipped model picked here lasts "
                          "until the scale changes; Other file keeps a file of yours (either family)", NULL);
  gimp_help_set_help_data(s.chooser, "A .safetensors weights file (srcnn train writes them)", NULL);
  gimp_table_attach_aligned(GTK_TABLE(table), 0, 3, "_Weights file:", 0.0, 0.5, s.chooser, 1, FALSE);
  s.uses_label = gtk_label_new("");
  gtk_misc_set_alignment(GTK_MISC(s.uses_label), 0.0, 0.5);
  gimp_table_attach_aligned(GTK_TABLE(table), 0, 4, "", 0.0, 0.5, s.uses_label, 1, FALSE);
  g_signal_connect(s.combo, "changed", G_CALLBACK(model_changed), &s);
  g_signal_connect(s.scale, "value-changed", G_CALLBACK(scale_changed), &s);
  update_uses(&s);

  // Which layers get SRCNN (the others follow the image's cubic scale).
  s.all_layers = gtk_check_button_new_with_mnemonic("_All layers (every pixel layer, inside groups too)");
  gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(s.all_layers), values->all_layers != 0);
  gimp_table_attach_aligned(GTK_TABLE(table), 0, 5, "Layers:", 0.0, 0.5, s.all_layers, 1, FALSE);
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
    values->all_layers = gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(s.all_layers)) ? 1 : 0;
    int choice = gtk_combo_box_get_active(GTK_COMBO_BOX(s.combo));
    values->weights[0] = 0;
    if (s.has_fast && choice == 1) {
      g_strlcpy(values->weights, "fsrcnn", sizeof values->weights);
    } else if (is_shipped(&s, choice)) {
      g_strlcpy(values->weights, models[choice - s.first_model], sizeof values->weights);
    } else if (choice == s.other) {
      gchar *f = gtk_file_chooser_get_filename(GTK_FILE_CHOOSER(s.chooser));
      if (f) g_strlcpy(values->weights, f, sizeof values->weights);
      g_free(f);
    }
  }
  gtk_widget_destroy(dialog);
  return ok;
}
