/* look: shared drawing pieces (see look.h). */
#include "kiosk/look.h"

#include "kiosk/palette.h"

static const char *const pic_files[PV_PIC__COUNT] = {
    "check.svg",      "cross.svg",     "speaker.svg",    "touch.svg",
    "globe.svg",      "shield.svg",    "arrow_left.svg", "arrow_right.svg",
    "heart.svg",      "star.svg",      "question.svg",   "keyboard.svg",
    "microphone.svg", "ear.svg",       "trash.svg",      "lock.svg",
    "meeting.svg",    "walking.svg",   "palette.svg",    "neighbourhood.svg",
    "pencil.svg",     "people.svg",    "warning.svg",    "vote.svg",
    "wrench.svg",     "handshake.svg",
};

const char *pv_look_pic_file(pv_pic p) {
  return p >= 0 && p < PV_PIC__COUNT ? pic_files[p] : "";
}

pv_text_style pv_look_style(const pv_look *lk, int size, int bold, pv_text_align align,
                            int lines) {
  return (pv_text_style){.size_px = size,
                         .bold = bold,
                         .rtl = lk->rtl,
                         .lang = lk->lang,
                         .align = align,
                         .max_lines = lines};
}

/* Places an LTR-designed rect for the current direction. */
pv_rect pv_look_at(const pv_look *lk, int x, int y, int w, int h) {
  return pv_metrics_place(lk->m, (pv_rect){x, y, w, h});
}

void pv_look_text(const pv_look *lk, pv_rect r, pv_color c, const char *s, int size,
                  int bold, pv_text_align align, int lines) {
  pv_text_style st = pv_look_style(lk, size, bold, align, lines);
  pv_draw_text(lk->dl, r, c, s, &st);
}

/* A card: a soft rounded panel, pressed look on touch-down, thick ring and
 * a check badge when selected (never colour alone: UI.md rule 4). */
void pv_look_card(const pv_look *lk, pv_rect r, int flags, int selected) {
  const pv_metrics *m = lk->m;
  pv_draw_rect(lk->dl, r, (flags & PV_UI_PRESSED) ? COL_PRESSED : COL_CARD, m->radius);
  if (selected) {
    pv_draw_frame(lk->dl, r, COL_SELECT, m->radius, m->ring);
    int b = m->touch_min / 2;
    pv_rect badge = {r.x + r.w - b - m->ring, r.y + m->ring, b, b};
    if (lk->rtl)
      badge.x = r.x + m->ring;
    pv_draw_circle(lk->dl, badge, COL_SELECT);
    pv_draw_image(lk->dl,
                  (pv_rect){badge.x + b / 6, badge.y + b / 6, b * 2 / 3, b * 2 / 3},
                  lk->pics[PV_PIC_CHECK]);
  } else {
    pv_draw_frame(lk->dl, r, COL_EDGE, m->radius, 2);
  }
}

/* Returns the height text needs at size in w pixels, up to lines lines. */
int pv_look_text_height(const pv_look *lk, const char *text, int size, int bold,
                        int lines, int w) {
  pv_text_style st = pv_look_style(lk, size, bold, PV_ALIGN_CENTER, lines);
  if (!lk->measure)
    return size * 3 / 2 * lines;
  return lk->measure(lk->mud, text, &st, w).h;
}

/* A card with a pictogram above a label of up to two lines (one when the
 * card is short); `check` adds the check badge to the selection ring. */
void pv_look_picture_card_ex(const pv_look *lk, pv_rect r, int flags, int selected,
                             int check, const char *image, const char *label) {
  const pv_metrics *m = lk->m;
  pv_look_card(lk, r, flags, selected && check);
  if (selected && !check)
    pv_draw_frame(lk->dl, r, COL_SELECT, m->radius, m->ring);
  int pad = m->gap, w = r.w - 2 * pad;
  int lines = 2, label_h = 0;
  if (label && *label) {
    label_h = pv_look_text_height(lk, label, m->label_px, 0, 2, w);
    if (r.h - label_h - 2 * pad < r.h / 2) {
      lines = 1;
      label_h = pv_look_text_height(lk, label, m->label_px, 0, 1, w);
    }
  }
  pv_rect pic_rect = {r.x + pad, r.y + pad, w, r.h - label_h - 2 * pad - pad / 2};
  if (image)
    pv_draw_image(lk->dl, pic_rect, image);
  if (label_h)
    pv_look_text(lk, (pv_rect){r.x + pad, r.y + r.h - label_h - pad / 2, w, label_h},
                 COL_INK, label, m->label_px, 0, PV_ALIGN_CENTER, lines);
}

void pv_look_picture_card(const pv_look *lk, pv_rect r, int flags, int selected,
                          const char *image, const char *label) {
  pv_look_picture_card_ex(lk, r, flags, selected, 1, image, label);
}

/* A button with a pictogram and a label (nav, consent). */
int pv_look_button(const pv_look *lk, const char *id, pv_rect r, const char *image,
                   const char *label, pv_color fill, pv_color ink, int enabled) {
  int flags = pv_ui_widget_do(lk->ui, id, r, 0);
  if (!enabled) {
    fill = COL_DISABLED;
    ink = COL_MUTED;
  }
  pv_draw_rect(lk->dl, r, (flags & PV_UI_PRESSED) && enabled ? COL_SELECT : fill,
               lk->m->radius);
  int icon = r.h * 3 / 5;
  int pad = (r.h - icon) / 2;
  pv_rect img = {r.x + pad, r.y + pad, icon, icon};
  pv_rect txt = {r.x + icon + 2 * pad, r.y, r.w - icon - 3 * pad, r.h};
  if (lk->rtl) {
    img.x = r.x + r.w - pad - icon;
    txt.x = r.x + pad;
  }
  if (image)
    pv_draw_image(lk->dl, img, image);
  if (label)
    pv_look_text(lk, txt, ink, label, lk->m->label_px, 1, PV_ALIGN_CENTER,
                 r.h >= lk->m->label_px * 4 ? 2 : 1); /* tall buttons (consent) wrap */
  return enabled ? flags : 0;
}

/* The speaker button, always at the start of the top bar. */
int pv_look_speaker(const pv_look *lk) {
  const pv_metrics *m = lk->m;
  pv_rect r = pv_look_at(lk, m->margin, m->margin, m->top_bar, m->top_bar);
  int flags = pv_ui_widget_do(lk->ui, "speak", r, 0);
  pv_draw_circle(lk->dl, r, (flags & PV_UI_PRESSED) ? COL_SELECT : COL_ACCENT);
  int pad = r.w / 5;
  pv_draw_image(lk->dl, (pv_rect){r.x + pad, r.y + pad, r.w - 2 * pad, r.h - 2 * pad},
                lk->pics[PV_PIC_SPEAKER]);
  return flags & PV_UI_TAPPED;
}

/* Lays n cards in the area, as a grid with the largest square-ish cells
 * that fit. Writes each card's rect (already mirrored for RTL). */
void pv_look_grid_ex(const pv_look *lk, pv_rect area, size_t n, int one_row,
                     pv_rect *out) {
  const pv_metrics *m = lk->m;
  int best_cols = (int)n, best = -1;
  for (int cols = one_row ? (int)n : 1; cols <= (int)n; cols++) {
    int rows = ((int)n + cols - 1) / cols;
    int w = (area.w - (cols - 1) * m->gap) / cols;
    int h = (area.h - (rows - 1) * m->gap) / rows;
    int side = w < h ? w : h;
    if (side > best) {
      best = side;
      best_cols = cols;
    }
  }
  int cols = best_cols, rows = ((int)n + cols - 1) / cols;
  int w = (area.w - (cols - 1) * m->gap) / cols;
  int h = (area.h - (rows - 1) * m->gap) / rows;
  if (w > h * 3 / 2)
    w = h * 3 / 2; /* keep cards from stretching wide */
  int total_w = cols * w + (cols - 1) * m->gap;
  int x0 = area.x + (area.w - total_w) / 2;
  for (size_t i = 0; i < n; i++) {
    int row = (int)i / cols, col = (int)i % cols;
    int in_row = row == rows - 1 ? (int)n - row * cols : cols;
    int row_x0 = x0 + (cols - in_row) * (w + m->gap) / 2; /* centre a short row */
    out[i] =
        pv_look_at(lk, row_x0 + col * (w + m->gap), area.y + row * (h + m->gap), w, h);
  }
}

void pv_look_grid(const pv_look *lk, pv_rect area, size_t n, pv_rect *out) {
  pv_look_grid_ex(lk, area, n, 0, out);
}

/* One smiley face, drawn by shape: mouth curve and eyes change with the
 * point, colour only reinforces (UI.md rule 5). */
void pv_look_face(const pv_look *lk, pv_rect r, int point, int points) {
  double v = points > 1 ? (double)(point - 1) / (points - 1) : 1; /* 0 worst..1 best */
  pv_color c = v < 0.34 ? COL_BAD : v < 0.67 ? COL_MID : COL_GOOD;
  int side = r.w < r.h ? r.w : r.h;
  pv_rect fr = {r.x + (r.w - side) / 2, r.y + (r.h - side) / 2, side, side};
  pv_draw_circle(lk->dl, fr, c);
  int t = side / 14 > 2 ? side / 14 : 2;
  int eye = side / 8;
  int ey = fr.y + side * 3 / 10;
  pv_rect le = {fr.x + side * 3 / 10 - eye / 2, ey, eye, eye};
  pv_rect re = {fr.x + side * 7 / 10 - eye / 2, ey, eye, eye};
  if (v < 0.2) { /* worst: frowning brows */
    pv_draw_arc(lk->dl, (pv_rect){le.x - eye, le.y - eye, eye * 3, eye * 2}, COL_INK, t,
                200, 250);
    pv_draw_arc(lk->dl, (pv_rect){re.x - eye, re.y - eye, eye * 3, eye * 2}, COL_INK, t,
                290, 340);
  }
  if (v > 0.8) { /* best: smiling eyes (arcs) and an open laugh */
    pv_draw_arc(lk->dl, (pv_rect){le.x - eye / 2, le.y, eye * 2, eye * 2}, COL_INK, t,
                200, 340);
    pv_draw_arc(lk->dl, (pv_rect){re.x - eye / 2, re.y, eye * 2, eye * 2}, COL_INK, t,
                200, 340);
    int mw2 = side * 3 / 5;
    pv_rect mouth = {fr.x + (side - mw2) / 2, fr.y + side * 2 / 5, mw2, side * 2 / 5};
    pv_draw_arc(lk->dl, mouth, COL_INK, mw2 / 4, 0, 180);
    return;
  }
  pv_draw_circle(lk->dl, le, COL_INK);
  pv_draw_circle(lk->dl, re, COL_INK);
  int mw = side / 2, mx = fr.x + side / 4;
  if (v > 0.45 && v < 0.55) { /* neutral: a straight mouth */
    pv_draw_rect(lk->dl, (pv_rect){mx, fr.y + side * 2 / 3, mw, t}, COL_INK, t / 2);
  } else if (v > 0.5) { /* smile, wider and deeper for the best */
    int depth = (int)(side * (0.12 + 0.25 * (v - 0.5)));
    pv_draw_arc(lk->dl,
                (pv_rect){mx, fr.y + side / 2 - depth, mw, 2 * depth + side / 6},
                COL_INK, t, 20, 160);
  } else { /* frown, deeper for the worst */
    int depth = (int)(side * (0.12 + 0.25 * (0.5 - v)));
    pv_draw_arc(lk->dl, (pv_rect){mx, fr.y + side * 2 / 3, mw, 2 * depth + side / 6},
                COL_INK, t, 200, 340);
  }
}
