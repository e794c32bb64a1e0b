/* q_voice: see q_voice.h. The recording's length, not the wall clock,
 * drives the countdown: the samples taken say how long the resident has
 * spoken, so the headless runner's virtual clock and a real microphone
 * behave alike. */
#include "kiosk/q_voice.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/wav.h"

#include "kiosk/palette.h"

#define METER_BARS 8

size_t pv_qvoice_max_samples(const pv_question *q) {
  int s = q->max_seconds > 0 ? q->max_seconds : 60;
  if (s > PV_QVOICE_MAX_SECONDS)
    s = PV_QVOICE_MAX_SECONDS;
  return (size_t)s * PV_QVOICE_RATE;
}

void pv_qvoice_reset(pv_qvoice *v, const pv_qvoice_capture *cap) {
  if (v->state == PV_QVOICE_RECORDING && cap && cap->stop)
    cap->stop(cap->ud);
  if (cap && cap->replay_path && remove(cap->replay_path) != 0 && errno != ENOENT)
    PV_WARN("voice: removing %s: %s", cap->replay_path, strerror(errno));
  free(v->s);
  memset(v, 0, sizeof *v);
}

/* Makes room for q's longest recording; returns 0 when out of memory. */
static int reserve(pv_qvoice *v, const pv_question *q) {
  size_t want = pv_qvoice_max_samples(q);
  if (v->s && v->cap >= want)
    return 1;
  int16_t *s = realloc(v->s, want * sizeof *s);
  if (!s)
    return 0;
  v->s = s;
  v->cap = want;
  return 1;
}

pv_err pv_qvoice_load_wav(pv_qvoice *v, const pv_question *q, const uint8_t *bytes,
                          size_t len) {
  int rate;
  const uint8_t *samples;
  size_t n;
  pv_err err = pv_wav_parse(bytes, len, &rate, &samples, &n);
  if (err != PV_OK)
    return err;
  if (rate != PV_QVOICE_RATE)
    return pv_fail(PV_ERR_INVALID, "voice: a %d Hz recording, expected %d", rate,
                   PV_QVOICE_RATE);
  if (!reserve(v, q))
    return pv_fail(PV_ERR_NOMEM, "voice: recording buffer");
  if (n > v->cap)
    n = v->cap;
  for (size_t i = 0; i < n; i++)
    v->s[i] = pv_wav_sample(samples, i);
  v->n = n;
  v->state = n ? PV_QVOICE_DONE : PV_QVOICE_IDLE;
  v->dirty = 0;
  return PV_OK;
}

pv_err pv_qvoice_wav(const pv_qvoice *v, uint8_t **out, size_t *len) {
  *out = NULL;
  *len = 0;
  if (!v->s || v->n == 0)
    return pv_fail(PV_ERR_NOTFOUND, "voice: nothing recorded");
  return pv_wav_encode(v->s, v->n, PV_QVOICE_RATE, out, len);
}

void pv_qvoice_pump(pv_qvoice *v, const pv_qvoice_capture *cap, const pv_question *q) {
  if (v->state != PV_QVOICE_RECORDING)
    return;
  size_t max = pv_qvoice_max_samples(q) < v->cap ? pv_qvoice_max_samples(q) : v->cap;
  if (v->n < max)
    v->n += cap->take(cap->ud, v->s + v->n, max - v->n);
  if (v->n >= max) { /* the countdown ran out */
    cap->stop(cap->ud);
    v->state = PV_QVOICE_DONE;
  }
}

void pv_qvoice_stop(pv_qvoice *v, const pv_qvoice_capture *cap) {
  if (v->state != PV_QVOICE_RECORDING)
    return;
  cap->stop(cap->ud);
  if (v->n < v->cap) /* the tail captured before the stop */
    v->n += cap->take(cap->ud, v->s + v->n, v->cap - v->n);
  v->state = v->n ? PV_QVOICE_DONE : PV_QVOICE_IDLE;
}

double pv_qvoice_level(const pv_qvoice *v) {
  size_t w = PV_QVOICE_RATE * PV_QVOICE_LEVEL_MS / 1000;
  if (!v->s || v->n == 0)
    return 0;
  size_t from = v->n > w ? v->n - w : 0;
  double sum = 0;
  for (size_t i = from; i < v->n; i++)
    sum += (double)v->s[i] * v->s[i];
  double rms = sqrt(sum / (double)(v->n - from)) / 32768.0;
  if (rms <= 0)
    return 0;
  double db = 20 * log10(rms);
  double l = (db + 60) / 60;
  return l < 0 ? 0 : l > 1 ? 1 : l;
}

/* Starts (or restarts) a recording. */
static void start(pv_qvoice *v, const pv_qvoice_env *e) {
  const pv_qvoice_capture *cap = e->cap;
  e->play(e->ud, NULL); /* the prompt must not be recorded */
  if (!reserve(v, e->q)) {
    PV_WARN("voice: no memory for a recording");
    v->refused = 1;
    return;
  }
  if (!cap || !cap->start || cap->start(cap->ud) != PV_OK) {
    PV_WARN("voice: cannot record: %s", pv_err_detail());
    v->refused = 1; /* the button turns red */
    return;
  }
  v->n = 0;
  v->refused = 0;
  v->dirty = 1;
  v->state = PV_QVOICE_RECORDING;
}

/* Writes the recording to the replay file and plays it. */
static void replay(const pv_qvoice *v, const pv_qvoice_env *e) {
  uint8_t *wav = NULL;
  size_t len = 0;
  FILE *f = NULL;
  const char *path = e->cap ? e->cap->replay_path : NULL;
  if (!path || pv_qvoice_wav(v, &wav, &len) != PV_OK)
    goto out;
  f = fopen(path, "wb");
  if (!f || fwrite(wav, 1, len, f) != len) {
    PV_WARN("voice: writing %s: %s", path, strerror(errno));
    goto out;
  }
  if (fclose(f) != 0) {
    f = NULL;
    PV_WARN("voice: writing %s: %s", path, strerror(errno));
    goto out;
  }
  f = NULL;
  e->play(e->ud, path);
out:
  if (f)
    fclose(f);
  free(wav);
}

static pv_text_style style(const pv_qvoice_env *e, int size, int lines) {
  return (pv_text_style){.size_px = size,
                         .bold = 1,
                         .rtl = e->m->rtl,
                         .lang = e->lang ? e->lang : "fr",
                         .align = PV_ALIGN_CENTER,
                         .max_lines = lines};
}

static pv_rect mirror(const pv_qvoice_env *e, pv_rect r) {
  return e->m->rtl ? pv_rect_mirror(r, e->m->width) : r;
}

/* A button's label: two lines in the narrow columns of portrait. */
static int label_h(const pv_metrics *m) {
  return m->portrait ? m->label_px * 3 : m->label_px * 3 / 2;
}

/* The largest disc of column r and its top, the disc and its label
 * centred together (the disc at most three choice cards across). */
static int disc_big(const pv_metrics *m, pv_rect r, int *top) {
  int room = m->ring + m->gap, lh = label_h(m);
  int avail = r.h - lh - 2 * room, big = avail;
  if (big > r.w - 2 * room)
    big = r.w - 2 * room;
  if (big > m->choice_min * 3)
    big = m->choice_min * 3;
  *top = r.y + (avail - big) / 2;
  return big;
}

/* The disc of a round button in its column r, pct of the largest size,
 * centred on where the largest would be. */
static pv_rect disc_of(const pv_metrics *m, pv_rect r, int pct) {
  int top, big = disc_big(m, r, &top), room = m->ring + m->gap;
  int d = big * pct / 100;
  return (pv_rect){r.x + (r.w - d) / 2, top + room + (big - d) / 2, d, d};
}

/* A round button in column r: a pictogram on a disc (or a stop square),
 * its label at the foot of the column; a long press speaks the label.
 * Returns the widget's flags. */
static int round_button(const pv_qvoice_env *e, const char *id, pv_rect r, int pct,
                        const char *icon, pv_color fill, pv_str_id label, int label_w) {
  const pv_metrics *m = e->m;
  int flags = pv_ui_widget_do(e->ui, id, r, 0);
  pv_rect c = disc_of(m, r, pct);
  pv_draw_circle(e->dl, c, (flags & PV_UI_PRESSED) ? COL_SELECT : fill);
  int pad = c.w / 5;
  pv_rect in = {c.x + pad, c.y + pad, c.w - 2 * pad, c.h - 2 * pad};
  if (icon) {
    pv_draw_circle(e->dl, in, COL_CARD);
    pv_rect pic = {in.x + in.w / 8, in.y + in.h / 8, in.w * 3 / 4, in.h * 3 / 4};
    pv_draw_image(e->dl, pic, icon);
  } else { /* stop: a white square */
    pv_rect sq = {c.x + c.w * 3 / 10, c.y + c.h * 3 / 10, c.w * 2 / 5, c.h * 2 / 5};
    pv_draw_rect(e->dl, sq, COL_CARD, m->radius / 2);
  }
  int lh = label_h(m), top, big = disc_big(m, r, &top);
  pv_text_style st = style(e, m->label_px, m->portrait ? 2 : 1);
  int lw = label_w > r.w ? label_w : r.w; /* alone on its row: the whole row */
  pv_draw_text(
      e->dl,
      (pv_rect){r.x + r.w / 2 - lw / 2, top + big + 2 * (m->ring + m->gap), lw, lh},
      COL_INK, pv_str(label, e->lang), &st);
  if (flags & PV_UI_HELD)
    e->say(e->ud, label);
  return flags;
}

/* The level meter: METER_BARS bars rising from the reading start. */
static void meter(const pv_qvoice_env *e, pv_rect r, double level) {
  int lit = (int)(level * METER_BARS + 0.5);
  int bw = r.w / (2 * METER_BARS - 1);
  for (int i = 0; i < METER_BARS; i++) {
    int h = r.h * (i + 2) / (METER_BARS + 1);
    pv_rect b = {r.x + 2 * i * bw, r.y + (r.h - h) / 2, bw, h};
    pv_draw_rect(e->dl, mirror(e, b), i < lit ? COL_GOOD : COL_EDGE, bw / 3);
  }
}

void pv_qvoice_do(pv_qvoice *v, const pv_qvoice_env *e, pv_rect area) {
  const pv_metrics *m = e->m;
  pv_qvoice_pump(v, e->cap, e->q);
  /* Three columns: the main button in the middle, its companions (or the
   * meter and the seconds left) either side, mirrored in RTL. */
  int slot = area.w / 3;
  if (slot > area.h * 2)
    slot = area.h * 2;
  int cx = area.x + area.w / 2;
  pv_rect col[3];
  for (int i = 0; i < 3; i++)
    col[i] = mirror(e, (pv_rect){cx + (i - 1) * slot - slot / 2 + m->gap / 2, area.y,
                                 slot - m->gap, area.h});
  pv_rect main = col[1];
  size_t max = pv_qvoice_max_samples(e->q);
  size_t got = v->n < max ? v->n : max;

  if (v->state == PV_QVOICE_IDLE) {
    int f = round_button(e, "record", main, 100, e->mic_icon,
                         v->refused ? COL_BAD : COL_ACCENT, PV_STR_RECORD, area.w);
    if (f & PV_UI_TAPPED)
      start(v, e);
    return;
  }
  if (v->state == PV_QVOICE_RECORDING) {
    int f = round_button(e, "stop", main, 100, NULL, COL_BAD, PV_STR_STOP, area.w);
    /* The countdown ring: what is left of max_seconds, shrinking clockwise. */
    pv_rect c = disc_of(m, main, 100);
    int room = m->ring + m->gap;
    pv_rect ring = {c.x - room, c.y - room, c.w + 2 * room, c.h + 2 * room};
    pv_draw_ring(e->dl, ring, COL_EDGE, m->ring);
    int left_deg = (int)(360.0 * (double)(max - got) / (double)max);
    if (left_deg > 0)
      pv_draw_arc(e->dl, ring, COL_ACCENT, m->ring, 270, 270 + left_deg);
    /* The meter at the reading start, the seconds left at the end. */
    int mw = c.w < col[0].w ? c.w : col[0].w;
    pv_rect mr = {cx - slot - mw / 2, c.y + c.h / 6, mw, c.h * 2 / 3};
    meter(e, mr, pv_qvoice_level(v));
    int secs = (int)((max - got + PV_QVOICE_RATE - 1) / PV_QVOICE_RATE);
    snprintf(v->shown, sizeof v->shown, "%d", secs);
    pv_text_style st = style(e, c.h / 2, 1);
    pv_rect tr = mirror(e, (pv_rect){cx + slot - slot / 2, c.y, slot, c.h});
    pv_draw_text(e->dl, tr, COL_INK, v->shown, &st);
    if (f & PV_UI_TAPPED)
      pv_qvoice_stop(v, e->cap);
    return;
  }
  /* DONE: record again, replay, delete. */
  int fa = round_button(e, "rerecord", col[0], 70, e->mic_icon, COL_ACCENT,
                        PV_STR_RECORD_AGAIN, 0);
  int fp = round_button(e, "replay", main, 100, e->ear_icon, COL_SELECT,
                        PV_STR_PLAY_BACK, 0);
  int fd =
      round_button(e, "delete", col[2], 70, e->cross_icon, COL_BAD, PV_STR_ERASE, 0);
  /* The length, on a badge at the foot of the replay disc. */
  int secs = (int)((v->n + PV_QVOICE_RATE / 2) / PV_QVOICE_RATE);
  snprintf(v->shown, sizeof v->shown, "%d:%02d", secs / 60, secs % 60);
  pv_rect c = disc_of(m, main, 100);
  int bw = m->label_px * 4, bh = m->label_px * 3 / 2;
  pv_rect badge = {c.x + (c.w - bw) / 2, c.y + c.h - bh / 2, bw, bh};
  pv_draw_rect(e->dl, badge, COL_CARD, bh / 2);
  pv_draw_frame(e->dl, badge, COL_SELECT, bh / 2, 2);
  pv_text_style st = style(e, m->label_px, 1);
  st.rtl = 0; /* a duration reads the same in both scripts */
  pv_draw_text(e->dl, badge, COL_INK, v->shown, &st);
  if (fp & PV_UI_TAPPED)
    replay(v, e);
  if (fa & PV_UI_TAPPED)
    start(v, e);
  if (fd & PV_UI_TAPPED) {
    e->play(e->ud, NULL);
    pv_qvoice_reset(v, e->cap);
    v->dirty = 1;
    e->say(e->ud, PV_STR_REMOVED);
  }
}

int pv_qvoice_consent_do(const pv_qvoice_env *e, pv_rect area) {
  const pv_metrics *m = e->m;
  /* A microphone and an ear (the team listens) at the reading start, the
   * words beside them (under them in portrait), yes / no at the foot. */
  int pic = m->picto;
  int bh = m->nav_h > m->choice_min ? m->nav_h : m->choice_min;
  pv_rect t = m->portrait ? (pv_rect){area.x, area.y + pic + m->gap, area.w,
                                      area.h - pic - bh - 2 * m->gap}
                          : (pv_rect){area.x + pic + 2 * m->gap, area.y,
                                      area.w - pic - 2 * m->gap, area.h - bh - m->gap};
  /* Landscape: the two pictograms stand level with the (centred) words. */
  int py = m->portrait ? area.y : t.y + t.h / 2 - pic - m->gap / 2;
  pv_rect mic = {area.x, py, pic, pic};
  pv_rect ear = m->portrait ? (pv_rect){area.x + pic + m->gap, py, pic, pic}
                            : (pv_rect){area.x, py + pic + m->gap, pic, pic};
  pv_draw_image(e->dl, mirror(e, mic), e->mic_icon);
  pv_draw_image(e->dl, mirror(e, ear), e->ear_icon);
  int line = m->prompt_px * 5 / 4;
  pv_text_style st = style(e, m->prompt_px, t.h / line > 1 ? t.h / line : 1);
  st.bold = 0;
  st.align = PV_ALIGN_START;
  pv_draw_text(e->dl, mirror(e, t), COL_INK, pv_str(PV_STR_VOICE_CONSENT, e->lang),
               &st);
  int bw = (area.w - m->gap * 2) / 2;
  if (bw > m->nav_w * 2)
    bw = m->nav_w * 2;
  int by = area.y + area.h - bh;
  static const struct {
    const char *id;
    pv_str_id label;
    pv_color fill;
    int result;
  } choices[2] = {
      {"consent:voice:yes", PV_STR_VOICE_YES, COL_ACCENT, 1},
      {"consent:voice:no", PV_STR_VOICE_NO, COL_CARD, 2},
  };
  int result = 0;
  for (int i = 0; i < 2; i++) {
    int x = i == 0 ? area.x + area.w / 2 + m->gap : area.x + area.w / 2 - m->gap - bw;
    pv_rect r = mirror(e, (pv_rect){x, by, bw, bh});
    int f = pv_ui_widget_do(e->ui, choices[i].id, r, 0);
    pv_color fill = (f & PV_UI_PRESSED) ? COL_SELECT : choices[i].fill;
    pv_color ink = i == 0 || (f & PV_UI_PRESSED) ? COL_CARD : COL_INK;
    pv_draw_rect(e->dl, r, fill, m->radius);
    if (i == 1)
      pv_draw_frame(e->dl, r, COL_EDGE, m->radius, 2);
    int icon = bh * 3 / 5, pad = (bh - icon) / 2;
    pv_rect img = {r.x + pad, r.y + pad, icon, icon};
    pv_rect txt = {r.x + icon + 2 * pad, r.y, r.w - icon - 3 * pad, r.h};
    if (m->rtl) {
      img.x = r.x + r.w - pad - icon;
      txt.x = r.x + pad;
    }
    pv_draw_image(e->dl, img, i == 0 ? e->check_icon : e->cross_icon);
    pv_text_style bs = style(e, m->label_px, 2);
    pv_draw_text(e->dl, txt, ink, pv_str(choices[i].label, e->lang), &bs);
    if (f & PV_UI_HELD)
      e->say(e->ud, choices[i].label);
    if (f & PV_UI_TAPPED)
      result = choices[i].result;
  }
  return result;
}
