/* q_drawing: see q_drawing.h. Each frame declares every widget (with the
 * rects the resident saw), applies what happened, then draws the new
 * state, as kiosk/q_map.c does. */
#include "kiosk/q_drawing.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kiosk/palette.h"
#define COL_DOT_RING 0x9E978CFFu /* the smallest brush dot's ring: softer than ink */

#define SHAKE_PX 3 /* the canvas's sway while the bin is held */

const uint32_t pv_qdraw_colours[PV_QDRAW_COLOURS] = {
    0x1B1B1FFFu, 0xD55E00FFu, 0xE69F00FFu, 0x009E73FFu,
    0x0072B2FFu, 0x56B4E9FFu, 0xCC79A7FFu, 0x8B5A2BFFu,
};

static const pv_str_id colour_names[PV_QDRAW_COLOURS] = {
    PV_STR_COLOUR_BLACK, PV_STR_COLOUR_RED, PV_STR_COLOUR_ORANGE, PV_STR_COLOUR_GREEN,
    PV_STR_COLOUR_BLUE,  PV_STR_COLOUR_SKY, PV_STR_COLOUR_PINK,   PV_STR_COLOUR_BROWN,
};

const double pv_qdraw_brush_mm[PV_QDRAW_BRUSHES] = {2.0, 5.0, 12.0};

static const pv_str_id brush_names[PV_QDRAW_BRUSHES] = {
    PV_STR_BRUSH_FINE, PV_STR_BRUSH_MEDIUM, PV_STR_BRUSH_THICK};

/* Cells: the colours, the eraser, the brushes, undo, clear. */
enum {
  CELL_ERASER = PV_QDRAW_COLOURS,
  CELL_BRUSH,
  CELL_UNDO = CELL_BRUSH + PV_QDRAW_BRUSHES,
  CELL_CLEAR,
  N_CELLS
};

void pv_qdraw_reset(pv_qdraw *s, pv_canvas *canvas) {
  memset(s, 0, sizeof *s);
  s->canvas = canvas;
  s->brush = 1;
}

/* ---- layout ----------------------------------------------------------------- */

typedef struct layout {
  pv_rect prompt; /* w = 0 in portrait */
  pv_rect canvas; /* exactly the raster's aspect */
  pv_rect cells[N_CELLS];
} layout;

static pv_rect fit(pv_rect box) {
  double k = fmin((double)box.w / PV_CANVAS_W, (double)box.h / PV_CANVAS_H);
  int w = (int)(PV_CANVAS_W * k), h = (int)(PV_CANVAS_H * k);
  return (pv_rect){box.x + (box.w - w) / 2, box.y + (box.h - h) / 2, w, h};
}

/* Places cells [from, from + n) in a grid of cols from (x, y), c x c. */
static void grid(layout *l, const pv_metrics *m, int from, int n, int x, int y,
                 int cols, int c) {
  for (int i = 0; i < n; i++)
    l->cells[from + i] =
        pv_metrics_place(m, (pv_rect){x + (i % cols) * (c + m->gap),
                                      y + (i / cols) * (c + m->gap), c, c});
}

static void lay_out(const pv_metrics *m, pv_rect area, layout *l) {
  int g = m->gap, colours = PV_QDRAW_COLOURS + 1; /* with the eraser */
  /* Portrait: the canvas on top; the colours, then the tools, in rows. */
  if (m->portrait) {
    int c = (area.w - 4 * g) / 5; /* the smallest target: the canvas is taller */
    c = c > m->touch_min ? m->touch_min : c;
    int pal_w = 5 * c + 4 * g, pal_h = 3 * c + 2 * g;
    int x = area.x + (area.w - pal_w) / 2, y = area.y + area.h - pal_h;
    grid(l, m, 0, colours, x, y, 5, c);
    grid(l, m, CELL_BRUSH, N_CELLS - CELL_BRUSH, x, y + 2 * (c + g), 5, c);
    l->canvas =
        pv_metrics_place(m, fit((pv_rect){area.x, area.y, area.w, area.h - pal_h - g}));
    l->prompt = (pv_rect){0, 0, 0, 0};
    return;
  }
  /* Landscape: [prompt over colours] [canvas] [brushes | undo, clear]. */
  int c = m->choice_min;
  if (3 * c + 2 * g > area.h / 2)
    c = m->touch_min;
  int side = 3 * c + 2 * g, tools = 2 * c + g;
  int pal_y = area.y + area.h - side;
  grid(l, m, 0, colours, area.x, pal_y, 3, c);
  l->prompt = pv_metrics_place(m, (pv_rect){area.x, area.y, side, pal_y - g - area.y});
  int tx = area.x + area.w - tools;
  grid(l, m, CELL_BRUSH, PV_QDRAW_BRUSHES, tx, area.y, 1, c); /* beside the canvas */
  l->cells[CELL_UNDO] = pv_metrics_place(m, (pv_rect){tx + c + g, area.y, c, c});
  l->cells[CELL_CLEAR] =
      pv_metrics_place(m, (pv_rect){tx + c + g, area.y + area.h - c, c, c});
  pv_rect box = {area.x + side + g, area.y, area.w - side - tools - 2 * g, area.h};
  l->canvas = pv_metrics_place(m, fit(box));
}

/* ---- drawing ----------------------------------------------------------------- */

/* A cell's card: pressed look, selection ring and check badge (never
 * colour alone, UI.md rule 4). */
static void card(const pv_qdraw_env *e, pv_rect r, int flags, int selected) {
  const pv_metrics *m = e->m;
  pv_draw_rect(e->dl, r, (flags & PV_UI_PRESSED) ? COL_PRESSED : COL_CARD, m->radius);
  if (selected)
    pv_draw_frame(e->dl, r, COL_SELECT, m->radius, m->ring);
  else
    pv_draw_frame(e->dl, r, COL_EDGE, m->radius, 2);
}

static void badge(const pv_qdraw_env *e, pv_rect r) {
  const pv_metrics *m = e->m;
  int b = r.w * 2 / 5;
  pv_rect d = {m->rtl ? r.x + r.w - b - m->ring / 2 : r.x + m->ring / 2,
               r.y + m->ring / 2, b, b};
  pv_draw_circle(e->dl, d, COL_SELECT);
  pv_draw_image(e->dl, (pv_rect){d.x + b / 6, d.y + b / 6, b * 2 / 3, b * 2 / 3},
                e->check_icon);
}

static pv_rect inset(pv_rect r, int k) {
  return (pv_rect){r.x + k, r.y + k, r.w - 2 * k, r.h - 2 * k};
}

static void draw_swatch(const pv_qdraw_env *e, pv_rect r, int flags, uint32_t c,
                        int selected) {
  card(e, r, flags, selected);
  pv_rect d = inset(r, r.w / 6);
  pv_draw_circle(e->dl, d, c);
  if (selected)
    badge(e, r);
}

/* The eraser: the two-tone block everyone knows, drawn. */
static void draw_eraser(const pv_qdraw_env *e, pv_rect r, int flags, int selected) {
  card(e, r, flags, selected);
  pv_rect b = {r.x + r.w / 5, r.y + r.h * 3 / 10, r.w * 3 / 5, r.h * 2 / 5};
  pv_draw_rect(e->dl, b, 0x5C6BC0FFu, b.h / 5);
  pv_draw_rect(e->dl, (pv_rect){b.x, b.y, b.w * 3 / 5, b.h}, 0xF48FB1FFu, b.h / 5);
  pv_draw_frame(e->dl, b, COL_INK, b.h / 5, 2);
  if (selected)
    badge(e, r);
}

/* A brush: a dot of the stroke's real width, in the current colour. */
static void draw_brush(const pv_qdraw_env *e, const pv_qdraw *s, pv_rect r, int flags,
                       int b) {
  card(e, r, flags, s->brush == b);
  int d = pv_mm(e->m, pv_qdraw_brush_mm[b]);
  int most = r.w * 3 / 5;
  d = d > most ? most : d;
  pv_rect dot = {r.x + (r.w - d) / 2, r.y + (r.h - d) / 2, d, d};
  if (s->eraser) {
    pv_draw_circle(e->dl, dot, COL_CARD);
    pv_draw_ring(e->dl, dot, COL_DOT_RING, 2);
  } else {
    pv_draw_circle(e->dl, dot, pv_qdraw_colours[s->colour]);
  }
  if (s->brush == b)
    badge(e, r);
}

static void draw_icon(const pv_qdraw_env *e, pv_rect r, int flags, const char *icon) {
  card(e, r, flags, 0);
  pv_draw_image(e->dl, inset(r, r.w / 6), icon);
}

/* ---- the widget ----------------------------------------------------------- */

/* Converts a window point to canvas pixels. */
static void to_canvas(const layout *l, int x, int y, int *cx, int *cy) {
  *cx = (int)floor((double)(x - l->canvas.x) * PV_CANVAS_W / l->canvas.w);
  *cy = (int)floor((double)(y - l->canvas.y) * PV_CANVAS_H / l->canvas.h);
}

static int radius(const pv_qdraw *s, const pv_qdraw_env *e, const layout *l) {
  double px = pv_qdraw_brush_mm[s->brush] * e->m->px_per_mm / 2;
  int r = (int)lround(px * PV_CANVAS_W / l->canvas.w);
  return r < 1 ? 1 : r;
}

/* Follows the ui's pointer on the canvas: a stroke from touch-down to
 * release, one sample a frame (segments join them). */
static void follow(pv_qdraw *s, const pv_qdraw_env *e, const layout *l, int flags) {
  pv_ui *ui = e->ui;
  int on = (flags & PV_UI_PRESSED) && l->canvas.w > 0 && l->canvas.h > 0;
  if (s->drawing && (!on || ui->finger != s->finger)) {
    pv_canvas_end(s->canvas, s->finger);
    s->drawing = 0;
  }
  if (!on)
    return;
  int cx, cy;
  if (!s->drawing) {
    to_canvas(l, ui->down_x, ui->down_y, &cx, &cy);
    uint32_t c = s->eraser ? PV_CANVAS_BG : pv_qdraw_colours[s->colour];
    if (pv_canvas_begin(s->canvas, ui->finger, cx, cy, c, radius(s, e, l)) != PV_OK)
      return;
    s->drawing = 1;
    s->finger = ui->finger;
    s->changed = 1;
  }
  to_canvas(l, ui->x, ui->y, &cx, &cy);
  pv_canvas_move(s->canvas, s->finger, cx, cy);
}

/* Further fingers (the ui's extra) that went down on the canvas draw
 * their own strokes; a stroke ends when its finger is no longer down. */
static void follow_others(pv_qdraw *s, const pv_qdraw_env *e, const layout *l) {
  const pv_ui *ui = e->ui;
  for (int i = 0; i < s->n_others; i++) {
    int down = 0;
    for (int k = 0; k < PV_UI_MAX_EXTRA; k++)
      down |= ui->extra[k].down && ui->extra[k].id == s->others[i];
    if (!down) {
      pv_canvas_end(s->canvas, s->others[i]);
      s->others[i--] = s->others[--s->n_others];
    }
  }
  for (int k = 0; k < PV_UI_MAX_EXTRA && l->canvas.w > 0 && l->canvas.h > 0; k++) {
    const pv_ui_finger *f = &ui->extra[k];
    if (!f->down)
      continue;
    int cx, cy, known = 0;
    for (int i = 0; i < s->n_others; i++)
      known |= s->others[i] == f->id;
    if (!known) {
      if (!pv_rect_contains(l->canvas, f->down_x, f->down_y) ||
          s->n_others == PV_UI_MAX_EXTRA)
        continue;
      to_canvas(l, f->down_x, f->down_y, &cx, &cy);
      uint32_t c = s->eraser ? PV_CANVAS_BG : pv_qdraw_colours[s->colour];
      if (pv_canvas_begin(s->canvas, f->id, cx, cy, c, radius(s, e, l)) != PV_OK)
        continue;
      s->others[s->n_others++] = f->id;
      s->changed = 1;
    }
    to_canvas(l, f->x, f->y, &cx, &cy);
    pv_canvas_move(s->canvas, f->id, cx, cy);
  }
}

static int clear_pressed(const pv_ui *ui) {
  return ui->down && strcmp(ui->pressed, "clear") == 0;
}

int64_t pv_qdraw_next_frame(const pv_qdraw *s, const pv_ui *ui) {
  if (!clear_pressed(ui) || s->cleared)
    return -1;
  return 16;
}

pv_rect pv_qdraw_do(pv_qdraw *s, const pv_qdraw_env *e, pv_rect area) {
  const pv_metrics *m = e->m;
  pv_ui *ui = e->ui;
  layout l;
  lay_out(m, area, &l);

  /* 1. Declare, with the rects on screen. */
  int canvas_flags = pv_ui_widget_do(ui, "canvas", l.canvas, 0);
  int flags[N_CELLS];
  for (int i = 0; i < N_CELLS; i++) {
    char id[PV_UI_MAX_ID];
    if (i < PV_QDRAW_COLOURS)
      snprintf(id, sizeof id, "colour:%d", i + 1);
    else if (i >= CELL_BRUSH && i < CELL_UNDO)
      snprintf(id, sizeof id, "brush:%d", i - CELL_BRUSH + 1);
    else
      snprintf(id, sizeof id, "%s",
               i == CELL_ERASER ? "eraser"
               : i == CELL_UNDO ? "undo"
                                : "clear");
    flags[i] = pv_ui_widget_do(ui, id, l.cells[i], 0);
  }

  /* 2. Apply what happened. */
  for (int i = 0; i < PV_QDRAW_COLOURS; i++)
    if (flags[i] & (PV_UI_TAPPED | PV_UI_HELD)) {
      s->colour = i;
      s->eraser = 0;
      e->say(e->ud, colour_names[i]);
    }
  if (flags[CELL_ERASER] & (PV_UI_TAPPED | PV_UI_HELD)) {
    s->eraser = 1;
    e->say(e->ud, PV_STR_ERASER);
  }
  for (int b = 0; b < PV_QDRAW_BRUSHES; b++)
    if (flags[CELL_BRUSH + b] & (PV_UI_TAPPED | PV_UI_HELD)) {
      s->brush = b;
      e->say(e->ud, brush_names[b]);
    }
  if (flags[CELL_UNDO] & PV_UI_HELD)
    e->say(e->ud, PV_STR_UNDO);
  if (flags[CELL_UNDO] & PV_UI_TAPPED) {
    if (pv_canvas_undo(s->canvas))
      s->changed = 1;
    e->say(e->ud, PV_STR_UNDO);
  }
  if (flags[CELL_CLEAR] & PV_UI_TAPPED)
    e->say(e->ud, PV_STR_CLEAR_HOLD);
  int64_t held = clear_pressed(ui) ? ui->now_ms - ui->down_ms : -1;
  if (held < 0)
    s->cleared = 0;
  else if (held >= PV_QDRAW_CLEAR_MS && !s->cleared) {
    s->cleared = 1;
    if (!pv_canvas_blank(s->canvas)) {
      pv_canvas_clear(s->canvas);
      s->changed = 1;
    }
    e->say(e->ud, PV_STR_CLEARED);
  }
  follow(s, e, &l, canvas_flags);
  follow_others(s, e, &l);

  /* 3. Draw the new state: the canvas as it is (never mirrored), swaying
   * while the bin is held; the swatches and the tools. */
  pv_rect cv = l.canvas;
  if (held >= 0 && !s->cleared) {
    double t = (double)held / PV_QDRAW_CLEAR_MS;
    cv.x += (int)lround(SHAKE_PX * t * sin(held * 2 * M_PI / 120.0) * m->px_per_mm / 5);
  }
  pv_draw_rect(e->dl, (pv_rect){cv.x - 2, cv.y - 2, cv.w + 4, cv.h + 4}, COL_EDGE, 0);
  pv_draw_pixels(e->dl, cv, pv_canvas_pixels(s->canvas), PV_CANVAS_W, PV_CANVAS_H);
  for (int i = 0; i < PV_QDRAW_COLOURS; i++)
    draw_swatch(e, l.cells[i], flags[i], pv_qdraw_colours[i],
                !s->eraser && s->colour == i);
  draw_eraser(e, l.cells[CELL_ERASER], flags[CELL_ERASER], s->eraser);
  for (int b = 0; b < PV_QDRAW_BRUSHES; b++)
    draw_brush(e, s, l.cells[CELL_BRUSH + b], flags[CELL_BRUSH + b], b);
  draw_icon(e, l.cells[CELL_UNDO], flags[CELL_UNDO], e->undo_icon);
  pv_rect bin = l.cells[CELL_CLEAR];
  draw_icon(e, bin, flags[CELL_CLEAR], e->clear_icon);
  if (held >= 0 && !s->cleared) { /* the ring fills as the bin is held */
    int a = (int)(360 * held / PV_QDRAW_CLEAR_MS);
    pv_draw_arc(e->dl, inset(bin, m->ring / 2), COL_BAD, m->ring, 270, 270 + a);
  }
  return l.prompt;
}
