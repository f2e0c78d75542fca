// The dialog's preview: a part of the active layer's result, bicubic left of a divider and the model right of it,
// rendered by the plug-in core in the background (panned by dragging, the divider dragged), polled from GTK's loop.
#include <stdio.h>
#include <string.h>
#include "dialog_internal.h"

// SRCNN_PREVIEW_DUMP=folder (tests): each preview shown is also written there as preview-N.ppm (the w × h image
// with the divider) and preview-N.txt ("x y w h divider-column layer-width layer-height", then the estimate line).
static void dump_preview(DialogState *s, int divider, const char *estimate) {
  const char *dir = g_getenv("SRCNN_PREVIEW_DUMP");
  if (!dir || !*dir) return;
  int w = s->shown[2], h = s->shown[3], ox = (PREVIEW_W - w) / 2, oy = (PREVIEW_H - h) / 2;
  gchar *name = g_strdup_printf("%s/preview-%d.tmp", dir, s->preview_id);
  FILE *f = fopen(name, "wb");
  if (f) {
    fprintf(f, "P6\n%d %d\n255\n", w, h);
    for (int y = 0; y < h; y++) fwrite(s->composed + ((oy + y) * PREVIEW_W + ox) * 3, 3, w, f);
    fclose(f);
    gchar *ppm = g_strdup_printf("%s/preview-%d.ppm", dir, s->preview_id);
    gchar *txt = g_strdup_printf("%s/preview-%d.txt", dir, s->preview_id);
    gchar *line = g_strdup_printf("%d %d %d %d %d %d %d\n%s\n", s->shown[0], s->shown[1], w, h, divider, s->shown[4],
                                  s->shown[5], estimate);
    g_file_set_contents(txt, line, -1, NULL);
    rename(name, ppm);   // the image last: a test that sees it finds both
    g_free(ppm); g_free(txt); g_free(line);
  }
  g_free(name);
}

// Bicubic left of the divider, the model right of it, a white line between, centred on a grey ground.
static void draw_preview(DialogState *s, int dump) {
  static char estimate[512];
  memset(s->composed, 0x80, PREVIEW_W * PREVIEW_H * 3);
  int divider = -1;
  if (s->have) {
    int w = s->shown[2], h = s->shown[3], ox = (PREVIEW_W - w) / 2, oy = (PREVIEW_H - h) / 2;
    divider = (int) (s->split * w + 0.5);
    for (int y = 0; y < h; y++) {
      guchar *row = s->composed + ((oy + y) * PREVIEW_W + ox) * 3;
      memcpy(row, s->bic + y * w * 3, (size_t) (divider < w ? divider : w) * 3);
      if (divider < w) memcpy(row + divider * 3, s->up + (y * w + divider) * 3, (size_t) (w - divider) * 3);
      if (divider > 0 && divider < w) memset(row + divider * 3, 0xff, 3);
    }
  }
  gimp_preview_area_draw(GIMP_PREVIEW_AREA(s->preview), 0, 0, PREVIEW_W, PREVIEW_H, GIMP_RGB_IMAGE, s->composed,
                         PREVIEW_W * 3);
  if (dump > 1) g_strlcpy(estimate, s->message, sizeof estimate);
  if (dump) dump_preview(s, divider, estimate);
}

static gboolean poll_preview(gpointer data) {
  DialogState *s = data;
  char message[512] = "";
  int r = s->values->preview_poll(s->preview_id, s->up, s->bic, message,
                                  sizeof message);
  if (s->preview_id == 0 || r == 0) return TRUE;
  if (r == 1) {
    memcpy(s->shown, s->pending, sizeof s->shown);
    s->have = 1;
    g_strlcpy(s->message, message, sizeof s->message);
    draw_preview(s, 2);
    gchar *text = g_strdup_printf("◀ bicubic │ upscaled ▶   drag the line to compare, the picture to pan\n%s",
                                  message);
    gtk_label_set_text(GTK_LABEL(s->preview_label), text);
    g_free(text);
  } else {
    s->have = 0;
    draw_preview(s, 0);
    gtk_label_set_text(GTK_LABEL(s->preview_label), message);
  }
  s->preview_id = 0;
  return TRUE;
}

static gboolean start_preview(gpointer data) {
  DialogState *s = data;
  s->debounce = 0;
  char weights[SRCNN_DIALOG_PATH_MAX], message[512] = "";
  if (!srcnn__current_weights(s, weights, sizeof weights)) {
    gtk_label_set_text(GTK_LABEL(s->preview_label), "Choose a weights file for a preview");
    return FALSE;
  }
  SRCNNPreviewRequest q = { gtk_adjustment_get_value(s->scale), (int) gtk_adjustment_get_value(s->width),
                            (int) gtk_adjustment_get_value(s->height), s->exact, weights,
                            gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(s->out_new)) ? 1 : 0,
                            gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(s->all_layers)) ? 1 : 0,
                            s->cx, s->cy, PREVIEW_W, PREVIEW_H };
  int rect[6];
  int id = s->values->preview_start(&q, rect, message, sizeof message);
  if (id <= 0) {
    s->preview_id = 0;
    s->have = 0;
    draw_preview(s, 0);
    gtk_label_set_text(GTK_LABEL(s->preview_label), message);
    return FALSE;
  }
  s->preview_id = id;
  memcpy(s->pending, rect, sizeof s->pending);
  gtk_label_set_text(GTK_LABEL(s->preview_label), "Computing the preview…");
  return FALSE;
}

void srcnn__request_preview(DialogState *s) {
  if (!s->preview || !s->values->preview_start) return;
  if (s->debounce) g_source_remove(s->debounce);
  s->debounce = g_timeout_add(120, start_preview, s);
}

static gboolean preview_press(GtkWidget *w, GdkEventButton *e, DialogState *s) {
  (void) w;
  if (e->button != 1 || !s->have) return FALSE;
  int ox = (PREVIEW_W - s->shown[2]) / 2;
  double divider = ox + s->split * s->shown[2];
  s->drag = e->x > divider - 6 && e->x < divider + 6 ? 1 : 2;
  s->drag_x = e->x; s->drag_y = e->y; s->drag_cx = s->cx; s->drag_cy = s->cy;
  return TRUE;
}

static gboolean preview_motion(GtkWidget *w, GdkEventMotion *e, DialogState *s) {
  (void) w;
  if (s->drag == 1) {
    int ox = (PREVIEW_W - s->shown[2]) / 2;
    double f = (e->x - ox) / (s->shown[2] > 0 ? s->shown[2] : 1);
    s->split = f < 0 ? 0 : f > 1 ? 1 : f;
    draw_preview(s, 0);
  }
  return s->drag != 0;
}

static gboolean preview_release(GtkWidget *w, GdkEventButton *e, DialogState *s) {
  (void) w;
  if (s->drag == 2 && s->shown[4] > 0 && s->shown[5] > 0) {
    double cx = s->drag_cx - (e->x - s->drag_x) / s->shown[4], cy = s->drag_cy - (e->y - s->drag_y) / s->shown[5];
    s->cx = cx < 0 ? 0 : cx > 1 ? 1 : cx;
    s->cy = cy < 0 ? 0 : cy > 1 ? 1 : cy;
    if (e->x != s->drag_x || e->y != s->drag_y) srcnn__request_preview(s);
  } else if (s->drag == 1) {
    draw_preview(s, 1);
  }
  s->drag = 0;
  return TRUE;
}

GtkWidget *srcnn__make_preview(DialogState *s) {
  GtkWidget *box = gtk_vbox_new(FALSE, 6);
  GtkWidget *frame = gtk_frame_new(NULL);
  gtk_frame_set_shadow_type(GTK_FRAME(frame), GTK_SHADOW_IN);
  s->preview = gimp_preview_area_new();
  gtk_widget_set_size_request(s->preview, PREVIEW_W, PREVIEW_H);
  gtk_widget_add_events(s->preview, GDK_BUTTON_PRESS_MASK | GDK_BUTTON_RELEASE_MASK | GDK_BUTTON_MOTION_MASK);
  g_signal_connect(s->preview, "button-press-event", G_CALLBACK(preview_press), s);
  g_signal_connect(s->preview, "motion-notify-event", G_CALLBACK(preview_motion), s);
  g_signal_connect(s->preview, "button-release-event", G_CALLBACK(preview_release), s);
  gimp_help_set_help_data(s->preview, "The active layer's result at full size: bicubic left of the line, the "
                          "chosen model right of it. Drag the line to compare, drag the picture to pan", NULL);
  gtk_container_add(GTK_CONTAINER(frame), s->preview);
  gtk_box_pack_start(GTK_BOX(box), frame, FALSE, FALSE, 0);
  s->preview_label = gtk_label_new("");
  gtk_label_set_line_wrap(GTK_LABEL(s->preview_label), TRUE);
  gtk_widget_set_size_request(s->preview_label, PREVIEW_W, -1);
  gtk_box_pack_start(GTK_BOX(box), s->preview_label, FALSE, FALSE, 0);
  s->poller = g_timeout_add(40, poll_preview, s);   // removed by the dialog when it closes
  return box;
}

