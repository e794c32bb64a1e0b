/* restit_view: one restitution question drawn for the group (see
 * restit_view.h). Layouts are computed left to right in the area and
 * placed through pv_look_at, so RTL mirrors bars and order; the plan's
 * heat cells are laid over the placed plan without mirroring (a map has
 * no reading direction). Each question type has its drawer in a table. */
#include "kiosk/restit_view.h"

#include <stdio.h>
#include <string.h>

#include "kiosk/palette.h"
#include "kiosk/q_map.h"

#define HEAT_RGB 0xD8431500u /* warm: where people put pins */
#define MAX_ROWS PV_SURVEY_MAX_OPTIONS

/* One bar row: a pictogram, a label, a bar of frac (0..1) and its number,
 * or the neutral veil when hidden; badge is the ranking position. */
typedef struct row {
  const char *image;
  const char *label;
  const char *number;
  const char *badge;
  double frac;
  int hidden;
  int wide; /* a photo: 3:2 instead of square */
} row;

typedef void (*draw_fn)(pv_restit_view *v, const pv_restit_question *rq, pv_rect area);

/* ---- small pieces ----------------------------------------------------- */

/* Returns n as text kept in the view for this frame (borrowed by the draw
 * list), or "" when the frame's numbers are used up. */
static const char *num(pv_restit_view *v, int n) {
  if (v->n_nums >= PV_RESTIT_VIEW_MAX_NUMS)
    return "";
  char *s = v->nums[v->n_nums++];
  snprintf(s, PV_RESTIT_VIEW_NUM, "%d", n);
  return s;
}

static const char *word(const char *s, const char *fr) {
  return s ? s : fr;
}

static int min_i(int a, int b) {
  return a < b ? a : b;
}

static int max_i(int a, int b) {
  return a > b ? a : b;
}

static const char *label_of(const pv_restit_view *v, const pv_option *o) {
  return o->label.s ? o->label.s[v->li] : "";
}

/* The neutral sign of a hidden value: a muted panel with the "people"
 * pictogram; r is placed. No number, whatever the value was. */
static void veil(const pv_restit_view *v, pv_rect r) {
  const pv_look *lk = v->lk;
  pv_draw_rect(lk->dl, r, COL_DISABLED, lk->m->radius / 2);
  int side = min_i(r.w, r.h) * 3 / 4;
  pv_draw_image(lk->dl,
                (pv_rect){r.x + (r.w - side) / 2, r.y + (r.h - side) / 2, side, side},
                lk->pics[PV_PIC_PEOPLE]);
}

/* The key under a question with hidden values: veil = too few answers. */
static void legend(const pv_restit_view *v, int x, int y, int w, int h) {
  const pv_look *lk = v->lk;
  veil(v, pv_look_at(lk, x, y, h * 3 / 2, h));
  pv_look_text(
      lk, pv_look_at(lk, x + h * 3 / 2 + lk->m->gap, y, w - h * 3 / 2 - lk->m->gap, h),
      COL_MUTED, word(v->too_few, "Pas assez de réponses"), lk->m->small_px, 0,
      PV_ALIGN_START, 1);
}

/* A whole question without data: a big pictogram and one sentence. */
static void notice(const pv_restit_view *v, pv_rect area, pv_pic pic,
                   const char *text) {
  const pv_look *lk = v->lk;
  const pv_metrics *m = lk->m;
  int text_h = m->label_px * 3;
  int side = min_i(area.w, area.h - text_h - m->gap) * 2 / 3;
  side = max_i(side, m->touch_min);
  int y = area.y + (area.h - side - text_h - m->gap) / 2;
  pv_rect card = pv_look_at(lk, area.x + (area.w - side) / 2, y, side, side);
  pv_draw_rect(lk->dl, card, COL_DISABLED, m->radius);
  pv_draw_image(
      lk->dl,
      (pv_rect){card.x + side / 6, card.y + side / 6, side * 2 / 3, side * 2 / 3},
      lk->pics[pic]);
  pv_look_text(lk, pv_look_at(lk, area.x, y + side + m->gap, area.w, text_h), COL_INK,
               text, m->label_px, 1, PV_ALIGN_CENTER, 2);
}

static int any_hidden(const pv_restit_cell *c, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (c[i].hidden)
      return 1;
  return 0;
}

static int max_count(const pv_restit_cell *c, size_t n) {
  int mx = 0;
  for (size_t i = 0; i < n; i++)
    mx = max_i(mx, c[i].count);
  return mx;
}

/* Colour of point p (1..points) of a smiley scale, as the faces have. */
static pv_color point_color(int p, int points) {
  double t = points > 1 ? (double)(p - 1) / (points - 1) : 1;
  return t < 0.34 ? COL_BAD : t < 0.67 ? COL_MID : COL_GOOD;
}

/* ---- columns: smileys, scale, yes / no -------------------------------- */

/* What stands under column i (placed rect r). */
static void foot(const pv_restit_view *v, const pv_restit_question *rq, size_t i,
                 pv_rect r, int digit_h) {
  const pv_look *lk = v->lk;
  const pv_question *q = rq->q;
  if (q->type == PV_Q_SMILEYS) {
    pv_look_face(lk, r, (int)i + 1, (int)rq->n_cells);
  } else if (q->type == PV_Q_YES_NO) {
    pv_look_picture_card_ex(lk, r, 0, 0, 0,
                            lk->pics[i == 0 ? PV_PIC_CHECK : PV_PIC_CROSS],
                            i == 0 ? word(v->yes, "Oui") : word(v->no, "Non"));
  } else { /* scale: the point, and the ends' pictograms under 0 and 10 */
    static const char *const digits[PV_RESTIT_SCALE_CELLS] = {
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"};
    pv_look_text(lk, (pv_rect){r.x, r.y, r.w, digit_h}, COL_INK, digits[i],
                 lk->m->label_px, 1, PV_ALIGN_CENTER, 1);
    const char *img = i == 0                 ? q->low.image
                      : i + 1 == rq->n_cells ? q->high.image
                                             : NULL;
    int side = min_i(r.w, r.h - digit_h);
    if (img && side > 0)
      pv_draw_image(lk->dl,
                    (pv_rect){r.x + (r.w - side) / 2, r.y + digit_h, side, side}, img);
  }
}

static void draw_columns(pv_restit_view *v, const pv_restit_question *rq,
                         pv_rect area) {
  const pv_look *lk = v->lk;
  const pv_metrics *m = lk->m;
  size_t n = rq->n_cells;
  if (!n)
    return;
  int hidden = any_hidden(rq->cells, n), mx = max_count(rq->cells, n);
  int legend_h = hidden ? m->small_px * 2 : 0;
  int body_h = area.h - (legend_h ? legend_h + m->gap : 0);
  int col_w = (area.w - ((int)n - 1) * m->gap) / (int)n;
  int digit_h = rq->q->type == PV_Q_SCALE ? m->label_px * 3 / 2 : 0;
  int foot_h = min_i(col_w + digit_h, body_h / 3);
  int num_h = m->label_px * 3 / 2;
  int bottom = area.y + body_h - foot_h - m->gap;
  int bar_max = max_i(bottom - area.y - num_h, 1);
  for (size_t i = 0; i < n; i++) {
    int x = area.x + (int)i * (col_w + m->gap);
    int bw = max_i(col_w * 2 / 3, 1), bx = x + (col_w - bw) / 2;
    const pv_restit_cell *c = &rq->cells[i];
    if (c->hidden) {
      int vh = min_i(bar_max, bw);
      veil(v, pv_look_at(lk, bx, bottom - vh, bw, vh));
    } else {
      int h = mx > 0 ? (int)((long)bar_max * c->count / mx) : 0;
      h = max_i(h, 3); /* a zero still shows its baseline */
      pv_color col = rq->q->type == PV_Q_SMILEYS  ? point_color((int)i + 1, (int)n)
                     : rq->q->type == PV_Q_YES_NO ? (i == 0 ? COL_GOOD : COL_BAD)
                                                  : COL_ACCENT;
      pv_draw_rect(lk->dl, pv_look_at(lk, bx, bottom - h, bw, h), col, m->radius / 3);
      pv_look_text(lk, pv_look_at(lk, x, bottom - h - num_h, col_w, num_h), COL_INK,
                   num(v, c->count), m->label_px, 1, PV_ALIGN_CENTER, 1);
    }
    foot(v, rq, i, pv_look_at(lk, x, bottom + m->gap, col_w, foot_h), digit_h);
  }
  if (hidden)
    legend(v, area.x, area.y + area.h - legend_h, area.w, legend_h);
}

/* ---- rows: choices, photos, rankings, pin kinds ----------------------- */

/* Lays n rows in area, in one column (two when many and wide enough). */
static void lay_rows(const pv_restit_view *v, const row *rows, size_t n, pv_rect area) {
  const pv_look *lk = v->lk;
  const pv_metrics *m = lk->m;
  int hidden = 0, badges = 0;
  for (size_t i = 0; i < n; i++) {
    hidden |= rows[i].hidden;
    badges |= rows[i].badge != NULL;
  }
  if (!n)
    return;
  int legend_h = hidden ? m->small_px * 2 : 0;
  int body_h = area.h - (legend_h ? legend_h + m->gap : 0);
  int cols = n > 6 && area.w >= 2 * area.h ? 2 : 1;
  int per_col = ((int)n + cols - 1) / cols;
  int col_w = (area.w - (cols - 1) * 2 * m->gap) / cols;
  int row_h = min_i((body_h - (per_col - 1) * m->gap) / per_col, m->choice_min * 3 / 2);
  row_h = max_i(row_h, 1);
  int label_h = row_h >= m->small_px * 3 ? m->small_px * 3 / 2 : 0;
  int badge_w = badges ? row_h * 2 / 3 : 0;
  int num_w = m->label_px * 3;
  for (size_t i = 0; i < n; i++) {
    const row *r = &rows[i];
    int x = area.x + (int)(i / (size_t)per_col) * (col_w + 2 * m->gap);
    int y = area.y + (int)(i % (size_t)per_col) * (row_h + m->gap);
    if (r->badge && *r->badge)
      pv_look_text(lk, pv_look_at(lk, x, y, badge_w, row_h), COL_INK, r->badge,
                   m->label_px, 1, PV_ALIGN_CENTER, 1);
    int px = x + badge_w + (badges ? m->gap : 0);
    int pic_w = r->wide ? row_h * 3 / 2 : row_h;
    if (r->image) {
      pv_rect card = pv_look_at(lk, px, y, pic_w, row_h);
      pv_draw_rect(lk->dl, card, COL_CARD, m->radius / 2);
      pv_draw_image(lk->dl, (pv_rect){card.x + 2, card.y + 2, card.w - 4, card.h - 4},
                    r->image);
    }
    int rx = px + pic_w + m->gap, rw = x + col_w - rx;
    if (rw <= 0)
      continue;
    if (label_h && r->label)
      pv_look_text(lk, pv_look_at(lk, rx, y, rw, label_h), COL_INK, r->label,
                   m->small_px, 0, PV_ALIGN_START, 1);
    int by = y + label_h, bh = max_i(row_h - label_h - 2, 2);
    if (r->hidden) {
      veil(v, pv_look_at(lk, rx, by, min_i(rw, bh * 2), bh));
      continue;
    }
    int bar_max = max_i(rw - num_w - m->gap, 1);
    int bw = max_i((int)(bar_max * r->frac), 3);
    pv_draw_rect(lk->dl, pv_look_at(lk, rx, by, bw, bh), COL_ACCENT, m->radius / 3);
    if (r->number)
      pv_look_text(lk, pv_look_at(lk, rx + bw + m->gap, by, num_w, bh), COL_INK,
                   r->number, m->label_px, 1, PV_ALIGN_START, 1);
  }
  if (hidden)
    legend(v, area.x, area.y + area.h - legend_h, area.w, legend_h);
}

/* Rows for a distribution over q's options (choices, photos, pin kinds). */
static size_t option_rows(pv_restit_view *v, const pv_restit_question *rq, row *rows) {
  size_t n = rq->n_cells < MAX_ROWS ? rq->n_cells : MAX_ROWS;
  int mx = max_count(rq->cells, n);
  for (size_t i = 0; i < n; i++) {
    const pv_option *o = &rq->q->options[i];
    const pv_restit_cell *c = &rq->cells[i];
    rows[i] = (row){.image = o->image,
                    .label = label_of(v, o),
                    .hidden = c->hidden,
                    .wide = rq->q->type == PV_Q_PHOTO_CHOICE,
                    .frac = mx > 0 ? (double)c->count / mx : 0,
                    .number = c->hidden ? NULL : num(v, c->count)};
  }
  return n;
}

static void draw_choice(pv_restit_view *v, const pv_restit_question *rq, pv_rect area) {
  row rows[MAX_ROWS];
  lay_rows(v, rows, option_rows(v, rq, rows), area);
}

/* Best first (rq->order); the bar is longer the better the mean rank. */
static void draw_ranking(pv_restit_view *v, const pv_restit_question *rq,
                         pv_rect area) {
  row rows[MAX_ROWS];
  size_t n = rq->n_ranks < MAX_ROWS ? rq->n_ranks : MAX_ROWS;
  int pos = 0;
  for (size_t i = 0; i < n; i++) {
    size_t o = rq->order[i];
    const pv_restit_rank *rk = &rq->ranks[o];
    double frac = rk->hidden ? 0 : ((double)n + 1 - rk->mean) / (double)n;
    rows[i] = (row){.image = rq->q->options[o].image,
                    .label = label_of(v, &rq->q->options[o]),
                    .hidden = rk->hidden,
                    .frac = frac < 0 ? 0 : frac,
                    .badge = rk->hidden ? "" : num(v, ++pos)};
  }
  lay_rows(v, rows, n, area);
}

/* ---- map: the heat over the plan -------------------------------------- */

/* Returns the largest rect of pw:ph inside box, centred (box if unknown). */
static pv_rect fit(pv_rect box, int pw, int ph) {
  if (pw <= 0 || ph <= 0)
    return box;
  long w = box.w, h = (long)box.w * ph / pw;
  if (h > box.h) {
    h = box.h;
    w = (long)box.h * pw / ph;
  }
  return (pv_rect){box.x + (box.w - (int)w) / 2, box.y + (box.h - (int)h) / 2, (int)w,
                   (int)h};
}

static void draw_map(pv_restit_view *v, const pv_restit_question *rq, pv_rect area) {
  const pv_look *lk = v->lk;
  const pv_metrics *m = lk->m;
  const pv_question *q = rq->q;
  row rows[MAX_ROWS];
  if (q->plan && strcmp(v->plan, q->plan) != 0) {
    snprintf(v->plan, sizeof v->plan, "%s", q->plan);
    if (!pv_qmap_image_size(q->plan, &v->plan_w, &v->plan_h))
      v->plan_w = v->plan_h = 0; /* the plan fills the box */
  }
  /* The kinds' key at the start (under the plan in portrait). */
  pv_rect key, box;
  if (m->portrait) {
    int kh =
        min_i(area.h / 3, (int)rq->n_cells * (m->touch_min + m->gap) + m->small_px * 2);
    key = (pv_rect){area.x, area.y + area.h - kh, area.w, kh};
    box = (pv_rect){area.x, area.y, area.w, area.h - kh - m->gap};
  } else {
    int kw = area.w / 4;
    key = (pv_rect){area.x, area.y, kw, area.h};
    box = (pv_rect){area.x + kw + m->gap, area.y, area.w - kw - m->gap, area.h};
  }
  pv_rect fr = fit(box, v->plan_w, v->plan_h);
  if (m->portrait) { /* the plan at the top, its key right under it */
    fr.y = box.y;
    key.h = area.y + area.h - (fr.y + fr.h + m->gap);
    key.y = fr.y + fr.h + m->gap;
  }
  lay_rows(v, rows, option_rows(v, rq, rows), key);
  pv_rect plan = pv_look_at(lk, fr.x, fr.y, fr.w, fr.h); /* moves, never flips */
  if (q->plan)
    pv_draw_image(lk->dl, plan, q->plan);
  pv_draw_frame(lk->dl, plan, COL_EDGE, 0, 2);
  size_t g = v->map_kind >= 0 && (size_t)v->map_kind < rq->n_cells ? (size_t)v->map_kind
                                                                   : rq->n_cells;
  int mx = 0;
  for (int gy = 0; gy < PV_RESTIT_GRID_H; gy++)
    for (int gx = 0; gx < PV_RESTIT_GRID_W; gx++)
      mx = max_i(mx, pv_restit_heat(rq, g, gx, gy)->count);
  for (int gy = 0; gy < PV_RESTIT_GRID_H && mx > 0; gy++)
    for (int gx = 0; gx < PV_RESTIT_GRID_W; gx++) {
      const pv_restit_cell *c = pv_restit_heat(rq, g, gx, gy);
      if (c->hidden || c->count == 0)
        continue; /* a hidden cell looks empty */
      int x0 = plan.x + gx * plan.w / PV_RESTIT_GRID_W;
      int x1 = plan.x + (gx + 1) * plan.w / PV_RESTIT_GRID_W;
      int y0 = plan.y + gy * plan.h / PV_RESTIT_GRID_H;
      int y1 = plan.y + (gy + 1) * plan.h / PV_RESTIT_GRID_H;
      unsigned alpha = 110u + 120u * (unsigned)c->count / (unsigned)mx;
      pv_draw_rect(lk->dl, (pv_rect){x0, y0, x1 - x0, y1 - y0}, HEAT_RGB | alpha, 0);
    }
}

/* ---- drawings: the gallery -------------------------------------------- */

size_t pv_restit_view_pages(const pv_restit_question *rq) {
  if (rq->q->type != PV_Q_DRAWING || rq->state != PV_RESTIT_SHOWN)
    return 0;
  return (rq->n_gallery + PV_RESTIT_VIEW_GALLERY - 1) / PV_RESTIT_VIEW_GALLERY;
}

static void draw_gallery(pv_restit_view *v, const pv_restit_question *rq,
                         pv_rect area) {
  const pv_look *lk = v->lk;
  size_t pages = pv_restit_view_pages(rq);
  if (!pages)
    return;
  size_t first = (v->page < pages ? v->page : pages - 1) * PV_RESTIT_VIEW_GALLERY;
  size_t n = rq->n_gallery - first;
  n = n < PV_RESTIT_VIEW_GALLERY ? n : PV_RESTIT_VIEW_GALLERY;
  pv_rect cells[PV_RESTIT_VIEW_GALLERY];
  pv_look_grid(lk, area, n, cells);
  for (size_t i = 0; i < n; i++) {
    pv_rect r = cells[i];
    const char *path =
        v->drawing_path ? v->drawing_path(v->ud, rq->gallery[first + i]) : NULL;
    pv_look_card(lk, r, 0, 0);
    int pad = lk->m->gap;
    pv_rect in = {r.x + pad, r.y + pad, r.w - 2 * pad, r.h - 2 * pad};
    pv_draw_image(lk->dl, in, path ? path : lk->pics[PV_PIC_PENCIL]);
  }
}

/* ---- dispatch --------------------------------------------------------- */

static void draw_private(pv_restit_view *v, const pv_restit_question *rq,
                         pv_rect area) {
  (void)rq;
  notice(v, area, PV_PIC_LOCK, word(v->not_shown, "Pas montré en public"));
}

static const draw_fn DRAW[PV_Q__COUNT] = {
    [PV_Q_SMILEYS] = draw_columns, [PV_Q_CHOICE] = draw_choice,
    [PV_Q_YES_NO] = draw_columns,  [PV_Q_SCALE] = draw_columns,
    [PV_Q_RANKING] = draw_ranking, [PV_Q_MAP] = draw_map,
    [PV_Q_DRAWING] = draw_gallery, [PV_Q_PHOTO_CHOICE] = draw_choice,
    [PV_Q_VOICE] = draw_private,   [PV_Q_TEXT] = draw_private,
};

void pv_restit_view_init(pv_restit_view *v, const pv_look *lk, int li) {
  memset(v, 0, sizeof *v);
  v->lk = lk;
  v->li = li;
  v->map_kind = -1;
}

void pv_restit_view_draw(pv_restit_view *v, const pv_restit_question *rq,
                         pv_rect area) {
  PV_ASSERT(v && v->lk && rq && rq->q && rq->q->type < PV_Q__COUNT);
  v->n_nums = 0;
  if (rq->state == PV_RESTIT_PRIVATE || !DRAW[rq->q->type])
    draw_private(v, rq, area);
  else if (rq->state == PV_RESTIT_TOO_FEW)
    notice(v, area, PV_PIC_PEOPLE, word(v->too_few, "Pas assez de réponses"));
  else
    DRAW[rq->q->type](v, rq, area);
}
