/* q_text: see q_text.h. Each frame declares the widgets of the keyboard
 * as the resident saw it, applies the key that was pressed, then draws
 * the (possibly changed) keyboard; a mode change marks the ui dirty so
 * the next frame's hit table matches what is drawn. */
#include "kiosk/q_text.h"

#include <stdio.h>
#include <string.h>

#include "kiosk/palette.h"
#define COL_MODE 0xEFE6D6FFu /* mode keys: shift, page, language */
#define COL_BAD_BG 0xFBE0D6FFu
#define COL_ACCENT_BG 0xE0F2F1FFu

#define CARET "|" /* no key types it */
#define ELLIPSIS "\xe2\x80\xa6"

static int max_chars(const pv_question *q) {
  return q->max_length > 0 ? q->max_length : PV_QTEXT_DEFAULT_MAX;
}

void pv_qtext_load(pv_qtext *s, const pv_question *q, const char *json,
                   const char *lang) {
  pv_kb_buf_init(&s->buf, max_chars(q));
  pv_kb_reset(&s->kb, pv_kb_layout_for(lang));
  s->open = 0;
  s->refused = 0;
  s->shown[0] = s->count[0] = '\0';
  cJSON *a = json ? cJSON_Parse(json) : NULL;
  if (cJSON_IsString(a))
    pv_kb_buf_set(&s->buf, a->valuestring);
  cJSON_Delete(a);
}

cJSON *pv_qtext_encode(const pv_qtext *s) {
  return s->buf.chars > 0 ? cJSON_CreateString(s->buf.s) : NULL;
}

int pv_qtext_is_open(const pv_qtext *s) {
  return s->open;
}

/* ---- drawing helpers ------------------------------------------------------------ */

static void text_at(const pv_qtext_env *e, pv_rect r, pv_color c, const char *t,
                    int size, int bold, int rtl, const char *lang, pv_text_align align,
                    int lines) {
  pv_text_style st = {.size_px = size,
                      .bold = bold,
                      .rtl = rtl,
                      .lang = lang,
                      .align = align,
                      .max_lines = lines};
  pv_draw_text(e->dl, r, c, t, &st);
}

static int fits(const pv_qtext_env *e, const char *t, const pv_text_style *st, int w) {
  return !e->measure || !e->measure(e->measure_ud, t, st, w).truncated;
}

/* Fills s->shown with the text and its caret, starting late enough
 * (after an ellipsis) that the end, where the resident types, shows. */
static void compose_shown(pv_qtext *s, const pv_qtext_env *e, const pv_text_style *st,
                          int w) {
  snprintf(s->shown, sizeof s->shown, "%s" CARET, s->buf.s);
  if (fits(e, s->shown, st, w))
    return;
  /* Binary search on the code point where the shown tail starts. */
  int lo = 1, hi = s->buf.chars; /* hi always fits (only the caret) */
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    const char *p = s->buf.s;
    for (int i = 0; i < mid && *p; i++)
      p += pv_kb_utf8_len(p);
    snprintf(s->shown, sizeof s->shown, ELLIPSIS "%s" CARET, p);
    if (fits(e, s->shown, st, w))
      hi = mid;
    else
      lo = mid + 1;
  }
  const char *p = s->buf.s;
  for (int i = 0; i < lo && *p; i++)
    p += pv_kb_utf8_len(p);
  snprintf(s->shown, sizeof s->shown, ELLIPSIS "%s" CARET, p);
}

/* ---- closed: the keyboard button ------------------------------------------------- */

static void do_closed(pv_qtext *s, const pv_qtext_env *e, pv_rect area) {
  const pv_metrics *m = e->m;
  int bh = area.h < pv_mm(m, 38.0) ? area.h : pv_mm(m, 38.0);
  int bw = bh * 3 / 2 < area.w ? bh * 3 / 2 : area.w;
  int written = s->buf.chars > 0;
  pv_rect btn, card = {0, 0, 0, 0};
  if (!written) {
    btn = (pv_rect){area.x + (area.w - bw) / 2, area.y + (area.h - bh) / 2, bw, bh};
  } else {
    btn = pv_metrics_place(m, (pv_rect){area.x + area.w - bw, area.y, bw, bh});
    card = pv_metrics_place(m, (pv_rect){area.x, area.y, area.w - bw - m->gap, bh});
  }
  int fb = pv_ui_widget_do(e->ui, "keyboard", btn, 0);
  int fc = written ? pv_ui_widget_do(e->ui, "field", card, 0) : 0;
  if ((fb | fc) & PV_UI_HELD)
    e->say_prompt(e->ud);
  if ((fb | fc) & PV_UI_TAPPED) {
    s->open = 1;
    s->refused = 0;
    e->ui->dirty = 1;
  }
  pv_draw_rect(e->dl, btn, (fb & PV_UI_PRESSED) ? COL_PRESSED : COL_ACCENT_BG,
               m->radius);
  pv_draw_frame(e->dl, btn, COL_ACCENT, m->radius, m->ring / 2 > 3 ? m->ring / 2 : 3);
  int pad = bh / 8;
  pv_draw_image(e->dl,
                (pv_rect){btn.x + pad, btn.y + pad, btn.w - 2 * pad, btn.h - 2 * pad},
                e->keyboard_icon);
  if (!written)
    return;
  pv_draw_rect(e->dl, card, (fc & PV_UI_PRESSED) ? COL_PRESSED : COL_CARD, m->radius);
  pv_draw_frame(e->dl, card, COL_EDGE, m->radius, 2);
  int rtl = pv_kb_text_rtl(s->buf.s, m->rtl);
  pv_rect in = {card.x + m->gap, card.y + m->gap / 2, card.w - 2 * m->gap,
                card.h - m->gap};
  int lines = in.h / (m->label_px * 3 / 2);
  text_at(e, in, COL_INK, s->buf.s, m->label_px, 0, rtl, e->lang, PV_ALIGN_START,
          lines > 0 ? lines : 1);
}

/* ---- open: the field and the keys ---------------------------------------------------
 */

typedef struct key_box {
  const pv_kb_key *key;
  pv_rect r;
  char id[PV_UI_MAX_ID];
  int flags;
} key_box;

#define MAX_BOXES (PV_KB_MAX_ROWS * PV_KB_MAX_KEYS)

static const char *const special_ids[] = {
    [PV_KB_SHIFT] = "key:shift", [PV_KB_BACKSPACE] = "key:backspace",
    [PV_KB_SPACE] = "key:space", [PV_KB_LANG] = "key:lang",
    [PV_KB_PAGE] = "key:page",
};

/* A row on screen: keys [from, to) of a page's row. A row whose keys
 * would be narrower than the smallest target is split in two (portrait). */
typedef struct screen_row {
  const pv_kb_row *row;
  int from, to;
} screen_row;

static int key_gap(const pv_metrics *m) {
  return m->gap / 3 > 4 ? m->gap / 3 : 4;
}

/* Fills out with the rows of the page as laid in width w; returns how many. */
static int screen_rows(const pv_kb *kb, const pv_metrics *m, int w,
                       screen_row out[2 * PV_KB_MAX_ROWS]) {
  const pv_kb_page *pg = pv_kb_page_get(kb->layout, kb->page);
  int n = 0, kg = key_gap(m);
  for (int r = 0; r < pg->n_rows; r++) {
    const pv_kb_row *kr = &pg->rows[r];
    int quarters = 0;
    for (int i = 0; i < kr->n; i++)
      quarters += kr->keys[i].width;
    int key_w = (w - (kr->n - 1) * kg) * 4 / quarters;
    if (key_w < m->touch_min - 1 && kr->n > 1) { /* 1 px: rounding */
      int half = (kr->n + 1) / 2;
      out[n++] = (screen_row){kr, 0, half};
      out[n++] = (screen_row){kr, half, kr->n};
    } else {
      out[n++] = (screen_row){kr, 0, kr->n};
    }
  }
  return n;
}

/* Lays the page's keys in rows filling rect r; returns how many. */
static int lay_keys(const pv_kb *kb, const pv_metrics *m, pv_rect r, key_box *out) {
  screen_row rows[2 * PV_KB_MAX_ROWS];
  int n_rows = screen_rows(kb, m, r.w, rows), kg = key_gap(m), n = 0;
  int row_h = (r.h - (n_rows - 1) * kg) / n_rows;
  for (int row = 0; row < n_rows; row++) {
    const screen_row *sr = &rows[row];
    int quarters = 0;
    for (int i = sr->from; i < sr->to; i++)
      quarters += sr->row->keys[i].width;
    double unit = (double)(r.w - (sr->to - sr->from - 1) * kg) / quarters, x = r.x;
    for (int i = sr->from; i < sr->to && n < MAX_BOXES; i++, n++) {
      const pv_kb_key *k = &sr->row->keys[i];
      int x0 = (int)(x + 0.5), x1 = (int)(x + unit * k->width + 0.5);
      out[n].key = k;
      out[n].r = (pv_rect){x0, r.y + row * (row_h + kg), x1 - x0, row_h};
      out[n].flags = 0;
      if (k->kind == PV_KB_CHAR)
        snprintf(out[n].id, sizeof out[n].id, "key:%s", pv_kb_key_output(k, kb->shift));
      else
        snprintf(out[n].id, sizeof out[n].id, "%s", special_ids[k->kind]);
      x += unit * k->width + kg;
    }
  }
  return n;
}

static void draw_key(const pv_qtext *s, const pv_qtext_env *e, const key_box *b) {
  const pv_metrics *m = e->m;
  const pv_kb_key *k = b->key;
  int ar = s->kb.layout == PV_KB_AR;
  const char *klang = ar ? "ar" : "fr";
  int mode = k->kind == PV_KB_SHIFT || k->kind == PV_KB_PAGE || k->kind == PV_KB_LANG ||
             k->kind == PV_KB_BACKSPACE;
  int on = k->kind == PV_KB_SHIFT && s->kb.shift;
  pv_color fill = (b->flags & PV_UI_PRESSED) ? COL_PRESSED
                  : on                       ? COL_PRESSED
                  : mode                     ? COL_MODE
                                             : COL_CARD;
  pv_draw_rect(e->dl, b->r, fill, m->radius / 2);
  if (on)
    pv_draw_frame(e->dl, b->r, COL_SELECT, m->radius / 2,
                  m->ring / 2 > 3 ? m->ring / 2 : 3);
  else
    pv_draw_frame(e->dl, b->r, COL_EDGE, m->radius / 2, 2);
  int size = b->r.h * 2 / 5;
  if (size > m->prompt_px)
    size = m->prompt_px;
  if (size < m->small_px)
    size = m->small_px;
  const char *label = NULL;
  switch (k->kind) {
  case PV_KB_CHAR:
    label = pv_kb_key_output(k, s->kb.shift);
    break;
  case PV_KB_SHIFT:
    label = ar ? "أ" : "Aa";
    break;
  case PV_KB_PAGE:
    label = s->kb.page == PV_KB_SYMBOLS ? (ar ? "أب" : "abc") : "123";
    break;
  case PV_KB_LANG: /* the layout it switches to */
    label = pv_kb_layout_name(ar ? PV_KB_FR : PV_KB_AR);
    klang = ar ? "fr" : "ar";
    break;
  case PV_KB_BACKSPACE: {
    int side = b->r.h * 3 / 5 < b->r.w ? b->r.h * 3 / 5 : b->r.w;
    pv_draw_image(e->dl,
                  (pv_rect){b->r.x + (b->r.w - side) / 2, b->r.y + (b->r.h - side) / 2,
                            side, side},
                  e->backspace_icon);
    return;
  }
  case PV_KB_SPACE: { /* a bar, as printed on space keys */
    int w = b->r.w / 3, t = b->r.h / 14 > 2 ? b->r.h / 14 : 2;
    pv_draw_rect(e->dl,
                 (pv_rect){b->r.x + (b->r.w - w) / 2, b->r.y + b->r.h * 2 / 3, w, t},
                 COL_MUTED, t / 2);
    return;
  }
  }
  text_at(e, b->r, COL_INK, label, size, k->kind != PV_KB_CHAR,
          ar && k->kind != PV_KB_LANG, klang, PV_ALIGN_CENTER, 1);
}

static void do_open(pv_qtext *s, const pv_qtext_env *e, pv_rect all) {
  const pv_metrics *m = e->m;
  /* The field as tall as four label lines' worth, less if the keys need
   * the room, never under the smallest target. */
  screen_row rows[2 * PV_KB_MAX_ROWS];
  int n_rows = screen_rows(&s->kb, m, all.w, rows), kg = key_gap(m);
  int room = all.h - m->gap - n_rows * m->touch_min - (n_rows - 1) * kg;
  int fh = m->label_px * 4;
  if (fh > room)
    fh = room;
  if (fh < m->touch_min)
    fh = m->touch_min;
  int dw = fh * 3 / 2;
  pv_rect field = pv_metrics_place(m, (pv_rect){all.x, all.y, all.w - dw - m->gap, fh});
  pv_rect done = pv_metrics_place(m, (pv_rect){all.x + all.w - dw, all.y, dw, fh});
  pv_rect keys_r = {all.x, all.y + fh + m->gap, all.w, all.h - fh - m->gap};
  key_box boxes[MAX_BOXES];
  int n = lay_keys(&s->kb, m, keys_r, boxes);

  /* 1. Declare. */
  int fd = pv_ui_widget_do(e->ui, "keyboard:done", done, 0);
  for (int i = 0; i < n; i++)
    boxes[i].flags = pv_ui_widget_do(e->ui, boxes[i].id, boxes[i].r, 0);

  /* 2. Apply: a tap, or a long press (slow fingers type too). */
  for (int i = 0; i < n; i++) {
    if (!(boxes[i].flags & (PV_UI_TAPPED | PV_UI_HELD)))
      continue;
    pv_kb before = s->kb;
    pv_kb_result r = pv_kb_press(&s->kb, &s->buf, boxes[i].key);
    if (r == PV_KB_TYPED) {
      s->refused = 0;
      if (e->click)
        e->click(e->ud);
    } else if (r == PV_KB_REFUSED && boxes[i].key->kind != PV_KB_BACKSPACE) {
      s->refused = 1;
      e->say(e->ud, PV_STR_MAX_REACHED);
    }
    if (memcmp(&before, &s->kb, sizeof before) != 0)
      e->ui->dirty = 1; /* the keys change: redraw so hits match */
  }
  if (fd & PV_UI_HELD)
    e->say(e->ud, PV_STR_NEXT);
  if (fd & PV_UI_TAPPED) {
    s->open = 0;
    s->refused = 0;
    e->ui->dirty = 1;
  }

  /* 3. Draw. */
  pv_draw_rect(e->dl, field, COL_CARD, m->radius);
  pv_draw_frame(e->dl, field, s->refused ? COL_BAD : COL_SELECT, m->radius,
                m->ring / 2 > 3 ? m->ring / 2 : 3);
  int count_w = m->small_px * 4;
  int rtl = pv_kb_text_rtl(s->buf.s, s->kb.layout == PV_KB_AR);
  pv_rect in = {field.x + m->gap, field.y + m->gap / 2, field.w - 2 * m->gap - count_w,
                field.h - m->gap};
  if (rtl) /* the count at the paragraph's end, away from where it starts */
    in.x += count_w;
  int lines = in.h / (m->label_px * 3 / 2);
  pv_text_style st = {.size_px = m->label_px,
                      .bold = 0,
                      .rtl = rtl,
                      .lang = e->lang ? e->lang : "fr",
                      .align = PV_ALIGN_START,
                      .max_lines = lines > 0 ? lines : 1};
  compose_shown(s, e, &st, in.w);
  pv_draw_text(e->dl, in, COL_INK, s->shown, &st);
  snprintf(s->count, sizeof s->count, "%d/%d", s->buf.chars, s->buf.max);
  pv_rect cr = {rtl ? field.x + m->gap / 2 : field.x + field.w - count_w - m->gap / 2,
                field.y + field.h - m->small_px * 3 / 2 - m->gap / 2, count_w,
                m->small_px * 3 / 2};
  text_at(e, cr, s->refused ? COL_BAD : COL_MUTED, s->count, m->small_px, s->refused, 0,
          "fr", PV_ALIGN_CENTER, 1);
  pv_draw_rect(e->dl, done, (fd & PV_UI_PRESSED) ? COL_PRESSED : COL_ACCENT, m->radius);
  int side = fh * 3 / 5;
  pv_draw_image(
      e->dl,
      (pv_rect){done.x + (done.w - side) / 2, done.y + (done.h - side) / 2, side, side},
      e->done_icon);
  n = lay_keys(&s->kb, m, keys_r, boxes); /* the keyboard as it is now */
  for (int i = 0; i < n; i++) {           /* the pressed look, by id */
    if (e->ui->down && strcmp(e->ui->pressed, boxes[i].id) == 0)
      boxes[i].flags = PV_UI_PRESSED;
    draw_key(s, e, &boxes[i]);
  }
}

void pv_qtext_do(pv_qtext *s, const pv_qtext_env *e, pv_rect area, pv_rect all) {
  if (s->open)
    do_open(s, e, all);
  else
    do_closed(s, e, area);
}
