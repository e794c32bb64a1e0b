/* q_map: see q_map.h. Each frame declares every widget first (with the
 * rects the resident saw), then applies what happened, then draws the
 * new state, so a pin removed or moved is never drawn twice. */
#include "kiosk/q_map.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiosk/palette.h"

#define HEADER_BYTES 65536 /* a JPEG's size marker lies within this */

/* A ring colour per pin kind: it only reinforces the pictogram. */
static const pv_color kind_colors[PV_SURVEY_MAX_PINS] = {
    0x2E7D32FFu, 0xD84315FFu, 0xF9A825FFu, 0x6D4C41FFu,
    0x1565C0FFu, 0x8E24AAFFu, 0x00796BFFu, 0x455A64FFu,
};

static double clamp01(double v) {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

static int max_pins(const pv_question *q) {
  int n = q->max > 0 ? q->max : 10;
  return n > PV_QMAP_MAX_PINS ? PV_QMAP_MAX_PINS : n;
}

/* ---- the plan's size ------------------------------------------------------ */

static unsigned be16(const unsigned char *p) {
  return (unsigned)p[0] << 8 | p[1];
}

static unsigned long be32(const unsigned char *p) {
  return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 |
         (unsigned long)p[2] << 8 | p[3];
}

/* Finds a JPEG's frame size in its first n bytes; returns 0 if none. */
static int jpeg_size(const unsigned char *b, size_t n, int *w, int *h) {
  size_t i = 2;
  while (i + 9 <= n) {
    if (b[i] != 0xFF)
      return 0;
    unsigned marker = b[i + 1];
    if (marker == 0xFF) { /* fill byte */
      i++;
      continue;
    }
    size_t len = be16(b + i + 2);
    int sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 &&
              marker != 0xCC;
    if (sof) {
      *h = (int)be16(b + i + 5);
      *w = (int)be16(b + i + 7);
      return *w > 0 && *h > 0;
    }
    if (len < 2)
      return 0;
    i += 2 + len;
  }
  return 0;
}

int pv_qmap_image_size(const char *path, int *w, int *h) {
  static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  int ok = 0;
  unsigned char *b = NULL;
  FILE *f = path ? fopen(path, "rb") : NULL;
  if (!f)
    goto out;
  b = malloc(HEADER_BYTES);
  if (!b)
    goto out;
  size_t n = fread(b, 1, HEADER_BYTES, f);
  if (n >= 24 && memcmp(b, png_sig, 8) == 0 && memcmp(b + 12, "IHDR", 4) == 0) {
    unsigned long pw = be32(b + 16), ph = be32(b + 20);
    if (pw > 0 && ph > 0 && pw < 100000 && ph < 100000) {
      *w = (int)pw;
      *h = (int)ph;
      ok = 1;
    }
  } else if (n >= 4 && b[0] == 0xFF && b[1] == 0xD8) {
    ok = jpeg_size(b, n, w, h);
  }
out:
  free(b);
  if (f)
    fclose(f);
  return ok;
}

/* ---- the answer ------------------------------------------------------------ */

void pv_qmap_load(pv_qmap *s, const pv_question *q, const char *json) {
  /* The cached plan size survives. */
  memset(s->pins, 0, sizeof s->pins);
  s->n = 0;
  s->kind = 0;
  s->refused = 0;
  s->rx = s->ry = 0;
  s->picked = -1;
  cJSON *a = json ? cJSON_Parse(json) : NULL;
  int max = max_pins(q);
  for (const cJSON *it = cJSON_IsArray(a) ? a->child : NULL; it && s->n < max;
       it = it->next) {
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(it, "kind");
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(it, "x");
    const cJSON *y = cJSON_GetObjectItemCaseSensitive(it, "y");
    if (!cJSON_IsString(k) || !cJSON_IsNumber(x) || !cJSON_IsNumber(y))
      continue;
    for (size_t i = 0; i < q->n_options; i++)
      if (strcmp(q->options[i].id, k->valuestring) == 0) {
        s->pins[s->n++] =
            (pv_qmap_pin){(int)i, clamp01(x->valuedouble), clamp01(y->valuedouble)};
        break;
      }
  }
  cJSON_Delete(a);
}

cJSON *pv_qmap_encode(const pv_qmap *s, const pv_question *q) {
  if (s->n == 0)
    return NULL;
  cJSON *v = cJSON_CreateArray();
  for (int i = 0; v && i < s->n; i++) {
    cJSON *p = cJSON_CreateObject();
    if (!p)
      break;
    cJSON_AddStringToObject(p, "kind", q->options[s->pins[i].kind].id);
    cJSON_AddNumberToObject(p, "x", round(s->pins[i].x * 10000) / 10000);
    cJSON_AddNumberToObject(p, "y", round(s->pins[i].y * 10000) / 10000);
    cJSON_AddItemToArray(v, p);
  }
  return v;
}

/* ---- layout ----------------------------------------------------------------- */

typedef struct layout {
  pv_rect prompt;                        /* w = 0 in portrait */
  pv_rect plan;                          /* the plan image, exactly */
  pv_rect cells[PV_SURVEY_MAX_PINS + 1]; /* kinds, then remove */
  int n_cells;
  int labels; /* cells are tall enough for a label under the pictogram */
} layout;

/* Returns the largest rect of the plan's aspect inside box, centred. */
static pv_rect fit(pv_rect box, int pw, int ph) {
  if (pw <= 0 || ph <= 0)
    return box;
  double k = fmin((double)box.w / pw, (double)box.h / ph);
  int w = (int)(pw * k + 0.5), h = (int)(ph * k + 0.5);
  return (pv_rect){box.x + (box.w - w) / 2, box.y + (box.h - h) / 2, w, h};
}

/* Lays the palette's cells in cols columns from (x, y), cells w x h. */
static void cells_at(layout *l, const pv_metrics *m, int x, int y, int cols, int w,
                     int h) {
  for (int i = 0; i < l->n_cells; i++)
    l->cells[i] = pv_metrics_place(m, (pv_rect){x + (i % cols) * (w + m->gap),
                                                y + (i / cols) * (h + m->gap), w, h});
}

static void lay_out(const pv_qmap *s, const pv_metrics *m, pv_rect area, layout *l) {
  int n = l->n_cells, gap = m->gap, cap = pv_mm(m, 22.0);
  if (m->portrait) { /* palette in a row (or two) under the plan */
    int cols = n;
    while (cols > 1 && (area.w - (cols - 1) * gap) / cols < m->touch_min)
      cols--;
    int rows = (n + cols - 1) / cols;
    int w = (area.w - (cols - 1) * gap) / cols;
    if (w > cap)
      w = cap;
    int h = w;
    int pal_h = rows * h + (rows - 1) * gap, pal_w = cols * w + (cols - 1) * gap;
    cells_at(l, m, area.x + (area.w - pal_w) / 2, area.y + area.h - pal_h, cols, w, h);
    l->plan = fit((pv_rect){area.x, area.y, area.w, area.h - pal_h - gap}, s->plan_w,
                  s->plan_h);
    l->prompt = (pv_rect){0, 0, 0, 0};
    l->labels = h >= pv_mm(m, 16.0);
    return;
  }
  /* Landscape: the prompt and the palette in a column at the start, the
   * plan at the end, as tall as the area allows. */
  int side = area.w / 3;
  if (side < 3 * m->touch_min + 2 * gap)
    side = 3 * m->touch_min + 2 * gap;
  pv_rect plan =
      fit((pv_rect){0, 0, area.w - side - gap, area.h}, s->plan_w, s->plan_h);
  plan.x = area.x + area.w - plan.w;
  plan.y = area.y + (area.h - plan.h) / 2;
  side = area.w - plan.w - gap;
  int cols = n < 3 ? n : 3;
  while (cols > 1 && (side - (cols - 1) * gap) / cols < m->touch_min)
    cols--;
  int rows = (n + cols - 1) / cols;
  int w = (side - (cols - 1) * gap) / cols;
  int h = w < cap ? w : cap;
  if (w >= pv_mm(m, 16.0))
    h = w + m->small_px * 5 / 2; /* room for a label under the pictogram */
  int most = (area.h * 2 / 3 - (rows - 1) * gap) / rows; /* leave the prompt room */
  if (h > most)
    h = most > m->touch_min ? most : m->touch_min;
  int pal_h = rows * h + (rows - 1) * gap;
  cells_at(l, m, area.x, area.y + area.h - pal_h, cols, w, h);
  l->plan = pv_metrics_place(m, plan);
  l->prompt =
      pv_metrics_place(m, (pv_rect){area.x, area.y, side, area.h - pal_h - gap});
  l->labels = w >= pv_mm(m, 16.0) && h >= w;
}

/* ---- pins ------------------------------------------------------------------- */

static void pin_point(const layout *l, double x, double y, int *px, int *py) {
  *px = l->plan.x + (int)lround(x * l->plan.w);
  *py = l->plan.y + (int)lround(y * l->plan.h);
}

static int head_side(const pv_metrics *m) {
  return pv_mm(m, 8.5);
}

/* Returns 1 when a pin at height py hangs its head below the point (near
 * the plan's top, so that it stays on the plan). */
static int hangs(const pv_metrics *m, const layout *l, int py) {
  int hd = head_side(m);
  return py - hd / 3 - hd < l->plan.y;
}

/* The touch target of a pin whose point is (px, py): at least the
 * smallest target, around the head (above the point, or below it). */
static pv_rect pin_hit(const pv_metrics *m, const layout *l, int px, int py) {
  int hd = head_side(m), stem = hd / 3;
  int w = hd + 8 > m->touch_min ? hd + 8 : m->touch_min;
  int h = hd + stem + 10 > m->touch_min ? hd + stem + 10 : m->touch_min;
  if (hangs(m, l, py))
    return (pv_rect){px - w / 2, py - 10, w, h};
  return (pv_rect){px - w / 2, py + 10 - h, w, h};
}

/* Draws a pin: a head with the kind's pictogram on a stem whose tip is
 * the point. Ringed in the selection colour when picked. */
static void draw_pin(const pv_qmap_env *e, const layout *l, int px, int py, int kind,
                     int picked, int lifted) {
  const pv_metrics *m = e->m;
  int hd = head_side(m) + (lifted ? head_side(m) / 5 : 0), stem = hd / 3;
  int t = hd / 10 > 3 ? hd / 10 : 3;
  int down = hangs(m, l, py);
  pv_draw_circle(e->dl, (pv_rect){px - t, py - t, 2 * t, 2 * t}, COL_INK);
  pv_draw_rect(e->dl, (pv_rect){px - t / 2, down ? py : py - stem, t, stem}, COL_INK,
               0);
  pv_rect head = {px - hd / 2, down ? py + stem : py - stem - hd, hd, hd};
  if (picked) {
    int r = m->ring;
    pv_draw_circle(e->dl, (pv_rect){head.x - r, head.y - r, hd + 2 * r, hd + 2 * r},
                   COL_SELECT);
  }
  pv_draw_circle(e->dl, head, COL_CARD);
  pv_draw_ring(e->dl, head, picked ? COL_SELECT : kind_colors[kind % 8], t);
  int pad = hd / 5;
  pv_draw_image(e->dl,
                (pv_rect){head.x + pad, head.y + pad, hd - 2 * pad, hd - 2 * pad},
                e->q->options[kind].image);
}

static const char *label_of(const pv_qmap_env *e, const pv_text *t) {
  return t->s && t->s[e->li] ? t->s[e->li] : "";
}

static void text_in(const pv_qmap_env *e, pv_rect r, pv_color c, const char *s,
                    int size, int lines) {
  pv_text_style st = {.size_px = size,
                      .bold = 0,
                      .rtl = e->m->rtl,
                      .lang = e->lang ? e->lang : "fr",
                      .align = PV_ALIGN_CENTER,
                      .max_lines = lines};
  pv_draw_text(e->dl, r, c, s, &st);
}

/* A palette cell: pictogram, label when there is room; the selected kind
 * has the thick ring and a check badge (never colour alone). */
static void draw_cell(const pv_qmap_env *e, const layout *l, pv_rect r, int flags,
                      const char *image, const char *label, pv_color fill,
                      int selected) {
  const pv_metrics *m = e->m;
  pv_draw_rect(e->dl, r, (flags & PV_UI_PRESSED) ? COL_PRESSED : fill, m->radius);
  if (selected)
    pv_draw_frame(e->dl, r, COL_SELECT, m->radius, m->ring);
  else
    pv_draw_frame(e->dl, r, COL_EDGE, m->radius, 2);
  int pad = (r.w < r.h ? r.w : r.h) / 10, label_h = l->labels ? m->small_px * 7 / 2 : 0;
  pv_draw_image(e->dl,
                (pv_rect){r.x + pad, r.y + pad, r.w - 2 * pad, r.h - 2 * pad - label_h},
                image);
  if (label_h)
    text_in(e, (pv_rect){r.x + 4, r.y + r.h - label_h - pad / 2, r.w - 8, label_h},
            COL_INK, label, m->small_px, 2);
  if (selected) {
    int b = m->touch_min * 2 / 5;
    pv_rect badge = {m->rtl ? r.x + m->ring : r.x + r.w - b - m->ring, r.y + m->ring, b,
                     b};
    pv_draw_circle(e->dl, badge, COL_SELECT);
    pv_draw_image(e->dl,
                  (pv_rect){badge.x + b / 6, badge.y + b / 6, b * 2 / 3, b * 2 / 3},
                  e->check_icon);
  }
}

/* ---- the widget ----------------------------------------------------------- */

static void remove_pin(pv_qmap *s, int i) {
  memmove(&s->pins[i], &s->pins[i + 1], (size_t)(s->n - i - 1) * sizeof *s->pins);
  s->n--;
  s->picked = -1;
}

pv_rect pv_qmap_do(pv_qmap *s, const pv_qmap_env *e, pv_rect area) {
  const pv_question *q = e->q;
  const pv_metrics *m = e->m;
  pv_ui *ui = e->ui;
  if (!q->plan || strcmp(s->plan, q->plan) != 0) {
    snprintf(s->plan, sizeof s->plan, "%s", q->plan ? q->plan : "");
    if (!pv_qmap_image_size(q->plan, &s->plan_w, &s->plan_h))
      s->plan_w = s->plan_h = 0; /* fills the box; the loader checks plans */
  }
  int kinds = (int)q->n_options;
  if (kinds > PV_SURVEY_MAX_PINS)
    kinds = PV_SURVEY_MAX_PINS;
  if (s->kind < 0 || s->kind >= kinds)
    s->kind = 0;
  int max = max_pins(q);
  layout l = {.n_cells = kinds + 1};
  lay_out(s, m, area, &l);

  /* 1. Declare, with the rects on screen. */
  int plan_flags = pv_ui_widget_do(ui, "plan", l.plan, 0);
  int pin_flags[PV_QMAP_MAX_PINS];
  for (int i = 0; i < s->n; i++) {
    char id[PV_UI_MAX_ID];
    int px, py;
    snprintf(id, sizeof id, "pinned:%d", i + 1);
    pin_point(&l, s->pins[i].x, s->pins[i].y, &px, &py);
    pin_flags[i] = pv_ui_widget_do(ui, id, pin_hit(m, &l, px, py), PV_UI_DRAGGABLE);
  }
  int cell_flags[PV_SURVEY_MAX_PINS + 1];
  for (int k = 0; k < kinds; k++) {
    char id[PV_UI_MAX_ID];
    snprintf(id, sizeof id, "pin:%s", q->options[k].id);
    cell_flags[k] = pv_ui_widget_do(ui, id, l.cells[k], 0);
  }
  pv_rect bin = l.cells[kinds];
  cell_flags[kinds] = pv_ui_widget_do(ui, "remove", bin, 0);

  /* 2. Apply what happened. */
  for (int k = 0; k < kinds; k++)
    if (cell_flags[k] & (PV_UI_TAPPED | PV_UI_HELD)) {
      s->kind = k;
      s->picked = -1;
      e->say_option(e->ud, &q->options[k]);
    }
  if (cell_flags[kinds] & PV_UI_HELD)
    e->say(e->ud, PV_STR_ERASE);
  if (cell_flags[kinds] & PV_UI_TAPPED) {
    if (s->picked >= 0 && s->picked < s->n) {
      remove_pin(s, s->picked);
      s->refused = 0;
      e->say(e->ud, PV_STR_REMOVED);
    } else {
      e->say(e->ud, PV_STR_ERASE); /* what the button does */
    }
  }
  int drop = -1, drop_x = 0, drop_y = 0;
  for (int i = 0; i < s->n; i++) {
    if (pin_flags[i] & (PV_UI_TAPPED | PV_UI_HELD)) {
      s->picked = (pin_flags[i] & PV_UI_TAPPED) && s->picked == i ? -1 : i;
      e->say_option(e->ud, &q->options[s->pins[i].kind]);
    }
    if (pin_flags[i] & PV_UI_DROPPED) {
      drop = i;
      pv_ui_drag_pos(ui, &drop_x, &drop_y);
    }
  }
  if (drop >= 0) {
    if (pv_rect_contains(bin, drop_x, drop_y)) {
      remove_pin(s, drop);
      s->refused = 0;
      e->say(e->ud, PV_STR_REMOVED);
    } else if (l.plan.w > 0 && l.plan.h > 0) {
      pv_qmap_pin *p = &s->pins[drop];
      p->x = clamp01(p->x + (double)(drop_x - ui->down_x) / l.plan.w);
      p->y = clamp01(p->y + (double)(drop_y - ui->down_y) / l.plan.h);
      s->picked = drop;
      s->refused = 0;
      e->say(e->ud, PV_STR_CHOSEN);
    }
  }
  if ((plan_flags & PV_UI_TAPPED) && l.plan.w > 0 && l.plan.h > 0) {
    double x = clamp01((double)(ui->x - l.plan.x) / l.plan.w);
    double y = clamp01((double)(ui->y - l.plan.y) / l.plan.h);
    if (s->n >= max) {
      s->refused = 1;
      s->rx = x;
      s->ry = y;
      e->say(e->ud, PV_STR_MAX_REACHED);
    } else {
      s->pins[s->n++] = (pv_qmap_pin){s->kind, x, y};
      s->picked = -1;
      s->refused = 0;
      e->say(e->ud, PV_STR_CHOSEN);
    }
  }

  /* 3. Draw the new state: the plan as it is (never mirrored), its pins,
   * the palette. */
  pv_draw_rect(e->dl, (pv_rect){l.plan.x - 2, l.plan.y - 2, l.plan.w + 4, l.plan.h + 4},
               COL_EDGE, 0);
  pv_draw_image(e->dl, l.plan, q->plan);
  if (s->refused)
    pv_draw_frame(e->dl, l.plan, COL_BAD, 0, m->ring);
  int full = s->n >= max;
  int dragging = -1;
  for (int i = 0; i < s->n; i++) {
    char id[PV_UI_MAX_ID];
    snprintf(id, sizeof id, "pinned:%d", i + 1);
    int px, py;
    pin_point(&l, s->pins[i].x, s->pins[i].y, &px, &py);
    if (ui->down && ui->dragging && strcmp(ui->pressed, id) == 0) {
      dragging = i; /* drawn last, on top, where the finger takes it */
      continue;
    }
    draw_pin(e, &l, px, py, s->pins[i].kind, i == s->picked, 0);
  }
  if (s->refused) { /* a red cross where the refused pin would have gone */
    int px, py, hd = head_side(m);
    pin_point(&l, s->rx, s->ry, &px, &py);
    pv_rect r = {px - hd / 2, py - hd / 2, hd, hd};
    pv_draw_circle(e->dl, r, COL_BAD);
    pv_draw_image(e->dl, (pv_rect){r.x + hd / 5, r.y + hd / 5, hd * 3 / 5, hd * 3 / 5},
                  e->remove_icon);
  }
  for (int k = 0; k < kinds; k++)
    draw_cell(e, &l, l.cells[k], cell_flags[k], q->options[k].image,
              label_of(e, &q->options[k].label), full ? COL_DISABLED : COL_CARD,
              k == s->kind);
  int armed = s->picked >= 0 || dragging >= 0;
  draw_cell(e, &l, bin, cell_flags[kinds], e->remove_icon,
            pv_str(PV_STR_ERASE, e->lang), armed ? 0xFBE0D6FFu : COL_CARD, 0);
  if (armed)
    pv_draw_frame(e->dl, bin, COL_BAD, m->radius, m->ring);
  if (dragging >= 0) {
    int px, py;
    pin_point(&l, s->pins[dragging].x, s->pins[dragging].y, &px, &py);
    draw_pin(e, &l, px + ui->x - ui->down_x, py + ui->y - ui->down_y,
             s->pins[dragging].kind, 1, 1);
  }
  if (s->n > 0) { /* "3 sur 10" where "skip" stands while the plan is empty */
    static char count[64];
    pv_str_fill(count, sizeof count, PV_STR_PICKED_N_OF_M, e->lang, s->n, max);
    pv_rect r = pv_metrics_place(m, (pv_rect){(m->width - m->nav_w) / 2,
                                              m->height - m->margin - m->nav_h,
                                              m->nav_w, m->nav_h});
    pv_color c = full ? COL_BAD : COL_ACCENT;
    pv_draw_rect(e->dl, r, full ? 0xFBE0D6FFu : COL_CARD, m->nav_h / 2);
    pv_draw_frame(e->dl, r, c, m->nav_h / 2, 3);
    pv_text_style st = {.size_px = m->label_px,
                        .bold = 1,
                        .rtl = m->rtl,
                        .lang = e->lang ? e->lang : "fr",
                        .align = PV_ALIGN_CENTER,
                        .max_lines = 1};
    pv_draw_text(e->dl, r, c, count, &st);
  }
  return l.prompt;
}
