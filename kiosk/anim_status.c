/* anim_status: the animateur's status and settings screen and the USB
 * export screen (issue 6, items 5 and 6; docs/animateur.md).
 *
 * Status: what waits to be sent and what went, the last sync and its
 * problem in plain French, storage and battery (from the platform through
 * pv_anim_env), "sync now", the surveys loaded, and the settings an
 * animateur changes on the spot, each saved at once (anim_save_settings).
 * Landscape lays status and settings side by side, portrait stacks them;
 * status lines go in order of importance and one without room is left
 * out (the surveys run together on one line first), so nothing overlaps
 * on any screen. USB: the mounted folders as big
 * cards; a tap exports synchronously and the outcome stays on screen.
 * French only, left to right. No SDL. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "core/log.h"
#include "kiosk/anim_internal.h"
#include "kiosk/palette.h"
#include "kiosk/strings.h"

#define TEXT_BYTES 8192       /* formatted strings of one frame */
#define MAX_LINES 12          /* status lines */
#define MAX_LANGS 32          /* default languages offered */
#define LOW_STORAGE 100000000 /* bytes ("100 Mo"): below, the line turns red */
#define LOW_BATTERY 20        /* percent: below, unplugged, the line turns red */
#define GB 1000000000LL       /* "Go" as storage makers count them */
#define MB 1000000LL

/* ---- strings that outlive the frame ------------------------------------------ */

/* The draw list borrows its strings until the frame is replayed, so the
 * texts formatted here live in one static arena, emptied at the start of
 * each frame (one UI thread draws, one animateur screen at a time). */
static char text_buf[TEXT_BYTES];
static size_t text_used;

/* Returns a formatted copy that lives until the next frame (borrowed), or
 * "" when the arena is full (a layout bug, logged). */
static const char *textf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *textf(const char *fmt, ...) {
  size_t room = sizeof text_buf - text_used;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(text_buf + text_used, room, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= room) {
    PV_WARN("anim: status: text arena full");
    text_buf[text_used] = '\0';
    return "";
  }
  const char *s = text_buf + text_used;
  text_used += (size_t)n + 1;
  return s;
}

/* ---- shared pieces --------------------------------------------------------------- */

/* The look and metrics of an animateur screen: French, left to right. */
typedef struct view {
  pv_look lk;
  pv_metrics m;
  pv_rect area; /* under the top bar */
} view;

static void view_init(view *v, const anim_frame *f) {
  text_used = 0;
  v->lk = *f->lk;
  v->m = *f->lk->m;
  v->m.rtl = 0;
  v->lk.m = &v->m;
  v->lk.rtl = 0;
  v->lk.lang = "fr";
  const pv_metrics *m = &v->m;
  int y = m->margin + m->top_bar + m->gap; /* anim_top_bar's height */
  v->area =
      (pv_rect){m->margin, y, m->width - 2 * m->margin, m->height - y - m->margin};
}

/* Writes bytes as "2,3 Go", "450 Mo" or "moins de 1 Mo". */
static const char *bytes_fr(int64_t b) {
  if (b >= GB) {
    int64_t tenths = (b + GB / 20) / (GB / 10);
    return textf("%lld,%lld Go", (long long)(tenths / 10), (long long)(tenths % 10));
  }
  if (b >= MB)
    return textf("%lld Mo", (long long)(b / MB));
  return "moins de 1 Mo";
}

/* Returns the free bytes of the file system holding path, or -1. */
static int64_t free_bytes(const char *path) {
  struct statvfs sv;
  if (statvfs(path, &sv) != 0)
    return -1;
  return (int64_t)sv.f_bavail * (int64_t)sv.f_frsize;
}

/* Writes a sync time for humans: "aujourd'hui 14:05", "hier 09:12",
 * "12/11/2026 14:05" (local time). */
static const char *when_fr(const char *iso, int64_t now_ms) {
  int64_t ms;
  if (pv_time_parse(iso, &ms) != 0)
    return iso;
  time_t t = (time_t)(ms / 1000), n = (time_t)(now_ms / 1000);
  time_t y = n - 24 * 3600;
  struct tm at, today, yesterday;
  if (!localtime_r(&t, &at) || !localtime_r(&n, &today) || !localtime_r(&y, &yesterday))
    return iso;
  if (at.tm_year == today.tm_year && at.tm_yday == today.tm_yday)
    return textf("aujourd'hui %02d:%02d", at.tm_hour, at.tm_min);
  if (at.tm_year == yesterday.tm_year && at.tm_yday == yesterday.tm_yday)
    return textf("hier %02d:%02d", at.tm_hour, at.tm_min);
  return textf("%02d/%02d/%04d %02d:%02d", at.tm_mday, at.tm_mon + 1, at.tm_year + 1900,
               at.tm_hour, at.tm_min);
}

/* The last action's outcome: a green tick or a red cross, and the
 * sentence, in r. */
static void outcome(const view *v, const pv_anim *a, pv_rect r) {
  const pv_metrics *m = &v->m;
  int icon = r.h < m->touch_min ? r.h : m->touch_min;
  pv_rect disc = {r.x, r.y + (r.h - icon) / 2, icon, icon};
  pv_draw_circle(v->lk.dl, disc, COL_CARD);
  pv_draw_ring(v->lk.dl, disc, a->msg_ok ? COL_GOOD : COL_BAD, m->ring);
  int pad = icon / 5;
  pv_draw_image(v->lk.dl,
                (pv_rect){disc.x + pad, disc.y + pad, icon - 2 * pad, icon - 2 * pad},
                v->lk.pics[a->msg_ok ? PV_PIC_CHECK : PV_PIC_CROSS]);
  pv_look_text(&v->lk, (pv_rect){r.x + icon + m->gap, r.y, r.w - icon - m->gap, r.h},
               a->msg_ok ? COL_GOOD : COL_BAD, a->msg, m->label_px, 1, PV_ALIGN_START,
               3);
}

/* A card-like button with its label centred; returns its flags (0 when
 * disabled). */
static int plain_button(const view *v, const char *id, pv_rect r, const char *label,
                        int enabled) {
  int flags = pv_ui_widget_do(v->lk.ui, id, r, 0);
  if (!enabled)
    flags = 0;
  pv_draw_rect(v->lk.dl, r,
               !enabled                  ? COL_DISABLED
               : (flags & PV_UI_PRESSED) ? COL_PRESSED
                                         : COL_CARD,
               v->m.radius);
  pv_draw_frame(v->lk.dl, r, COL_EDGE, v->m.radius, 2);
  pv_look_text(&v->lk, r, enabled ? COL_INK : COL_MUTED, label, v->m.label_px, 1,
               PV_ALIGN_CENTER, 1);
  return flags;
}

/* ---- status lines ---------------------------------------------------------------- */

typedef struct line {
  const char *text;
  pv_color color;
  int bold, lines;
} line;

/* French plural: 0 and 1 are singular. */
static const char *plural(size_t n) {
  return n > 1 ? "s" : "";
}

/* Writes the lines above the "sync now" button: counts, the session's,
 * the last sync and its problem. Returns how many. */
static size_t sync_lines(pv_anim *a, const pv_anim_status *st, int64_t now, line *out) {
  size_t n = 0;
  pv_store_counts c = {0};
  if (pv_store_count(a->store, NULL, &c) != PV_OK) {
    PV_WARN("anim: status: counting responses: %s", pv_err_detail());
    out[n++] = (line){"Impossible de compter les réponses (stockage de la tablette).",
                      COL_BAD, 1, 2};
  } else {
    out[n++] = (line){c.pending ? textf("%zu réponse%s en attente d'envoi", c.pending,
                                        plural(c.pending))
                                : "Aucune réponse en attente d'envoi",
                      COL_INK, 1, 1};
    out[n++] = (line){c.synced ? textf("%zu envoyée%s", c.synced, plural(c.synced))
                               : "Aucune envoyée pour l'instant",
                      COL_INK, 0, 1};
  }
  if (a->session.uuid[0]) {
    pv_store_counts sc = {0};
    if (pv_store_count(a->store, a->session.uuid, &sc) == PV_OK) {
      size_t done = sc.complete + sc.abandoned;
      out[n++] =
          (line){done ? textf("Session en cours : %zu réponse%s, dont %zu en attente",
                              done, plural(done), sc.pending)
                      : "Session en cours : pas encore de réponse",
                 COL_INK, 0, 2};
    }
  }
  if (!st->sync_configured)
    out[n++] = (line){"Pas de collecteur configuré", COL_MUTED, 0, 1};
  else if (!st->last_sync[0])
    out[n++] = (line){"Jamais envoyé", COL_INK, 0, 1};
  else
    out[n++] =
        (line){textf("Dernier envoi : %s", when_fr(st->last_sync, now)), COL_INK, 0, 1};
  if (st->problem[0])
    out[n++] = (line){textf("%s", st->problem), COL_BAD, 1, 2};
  return n;
}

/* Writes the lines under the button: storage and battery. */
static size_t device_lines(const pv_anim_status *st, line *out) {
  size_t n = 0;
  if (st->storage_free >= 0) {
    int low = st->storage_free < LOW_STORAGE;
    out[n++] = (line){textf("Espace libre : %s%s", bytes_fr(st->storage_free),
                            low ? " (presque plein)" : ""),
                      low ? COL_BAD : COL_INK, low, 1};
  }
  if (st->battery >= 0) {
    int low = st->battery < LOW_BATTERY && !st->charging;
    out[n++] = (line){textf("Batterie : %d %%%s", st->battery,
                            st->charging ? ", en charge"
                            : low        ? ", à brancher"
                                         : ""),
                      low ? COL_BAD : COL_INK, low, 1};
  }
  return n;
}

/* Draws line l at *y in [x, x + w) if it fits above bottom; moves *y. */
static int put_line(const view *v, const line *l, int x, int w, int *y, int bottom) {
  int size = l->bold ? v->m.label_px : v->m.small_px; /* what matters, larger */
  int h = pv_look_text_height(&v->lk, l->text, size, l->bold, l->lines, w);
  if (*y + h > bottom)
    return 0;
  pv_look_text(&v->lk, (pv_rect){x, *y, w, h}, l->color, l->text, size, l->bold,
               PV_ALIGN_START, l->lines);
  *y += h + v->m.gap / 3;
  return 1;
}

/* The surveys loaded, in [y, bottom): a line each (French title, id,
 * version) when they all fit, else their ids and versions run together
 * on the lines there are. */
static void survey_lines(const view *v, const pv_anim *a, int x, int w, int y,
                         int bottom) {
  const pv_metrics *m = &v->m;
  int h = pv_look_text_height(&v->lk, "Questionnaires", m->small_px, 1, 1, w);
  int fit = h > 0 ? (bottom - y) / h : 0;
  if (fit < 1)
    return;
  if (!a->n_surveys) {
    pv_look_text(&v->lk, (pv_rect){x, y, w, h}, COL_BAD, "Aucun questionnaire chargé",
                 m->small_px, 1, PV_ALIGN_START, 1);
    return;
  }
  if ((size_t)fit > a->n_surveys) {
    pv_look_text(&v->lk, (pv_rect){x, y, w, h}, COL_MUTED,
                 textf("Questionnaires chargés (%zu) :", a->n_surveys), m->small_px, 1,
                 PV_ALIGN_START, 1);
    for (size_t i = 0; i < a->n_surveys; i++) {
      const pv_survey *s = a->surveys[i];
      int fr = pv_survey_lang_index(s, "fr");
      const char *title = s->title.s ? s->title.s[fr >= 0 ? fr : 0] : NULL;
      y += h;
      pv_look_text(
          &v->lk, (pv_rect){x, y, w, h}, COL_INK,
          textf("%s — %s, version %d", title ? title : s->id, s->id, s->version),
          m->small_px, 0, PV_ALIGN_START, 1);
    }
    return;
  }
  char all[1024];
  size_t len = (size_t)snprintf(all, sizeof all, "Questionnaires :");
  for (size_t i = 0; i < a->n_surveys && len < sizeof all; i++) {
    int n = snprintf(all + len, sizeof all - len, "%s %s v%d", i ? "," : "",
                     a->surveys[i]->id, a->surveys[i]->version);
    len += n > 0 ? (size_t)n : 0;
  }
  int lines = fit < 4 ? fit : 4;
  int th = pv_look_text_height(&v->lk, all, m->small_px, 0, lines, w);
  pv_look_text(&v->lk, (pv_rect){x, y, w, th < lines * h ? th : lines * h}, COL_INK,
               textf("%s", all), m->small_px, 0, PV_ALIGN_START, lines);
}

/* ---- settings ----------------------------------------------------------------------
 */

typedef enum set_kind {
  SET_STEP,   /* - value + */
  SET_TOGGLE, /* on / off */
  SET_LANG,   /* cycles through the surveys' languages and none */
  SET_MODE,   /* kiosque / tablette */
} set_kind;

typedef struct setting {
  const char *id;    /* widget ids: "set:<id>", "set:<id>:-", "set:<id>:+" */
  const char *label; /* French */
  set_kind kind;
  size_t offset; /* of the int in pv_anim_settings (not SET_LANG) */
  int lo, hi, step;
  const char *unit; /* after a stepped value */
} setting;

static const setting settings[] = {
    {"inactivity", "Délai d'inactivité", SET_STEP,
     offsetof(pv_anim_settings, inactivity_s), 20, 300, 10, " s"},
    {"volume", "Volume", SET_STEP, offsetof(pv_anim_settings, volume), 0, 100, 10,
     " %"},
    {"k", "Restitution : cacher sous", SET_STEP, offsetof(pv_anim_settings, k), 1, 10,
     1, " réponses"},
    {"autoplay", "Lecture auto", SET_TOGGLE, offsetof(pv_anim_settings, autoplay), 0, 1,
     1, ""},
    {"voice", "Notes vocales", SET_TOGGLE, offsetof(pv_anim_settings, voice_notes), 0,
     1, 1, ""},
    {"lang", "Langue par défaut", SET_LANG, 0, 0, 0, 0, ""},
    {"mode", "Mode hors session", SET_MODE, offsetof(pv_anim_settings, mode), 0, 1, 1,
     ""},
};
#define N_SETTINGS (sizeof settings / sizeof settings[0])
#define N_STEPS 3 /* the first ones take a whole row; the others half a row */

static int *field_of(pv_anim *a, const setting *d) {
  return (int *)(void *)((char *)&a->set + d->offset);
}

/* The height of the settings block for a column of width w. */
static int settings_height(const pv_metrics *m) {
  int rows = N_STEPS + (int)(N_SETTINGS - N_STEPS + 1) / 2;
  return rows * m->touch_min + (rows - 1) * m->gap;
}

/* Returns v moved one step up (dir 1) or down (-1) on the grid lo + k *
 * step, inside lo..hi. */
static int stepped(int v, const setting *d, int dir) {
  if (v < d->lo)
    return d->lo;
  if (v > d->hi)
    return d->hi;
  int r = (v - d->lo) % d->step;
  v = dir > 0 ? v + d->step - r : v - (r ? r : d->step);
  return v < d->lo ? d->lo : v > d->hi ? d->hi : v;
}

/* Writes to out up to max distinct languages of the surveys, in order;
 * returns how many. */
static size_t survey_langs(const pv_anim *a, const char **out, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < a->n_surveys; i++) {
    const pv_survey *s = a->surveys[i];
    for (size_t j = 0; j < s->n_languages && n < max; j++) {
      size_t k = 0;
      while (k < n && strcmp(out[k], s->languages[j]))
        k++;
      if (k == n)
        out[n++] = s->languages[j];
    }
  }
  return n;
}

/* Sets the default language to the one after the current, then none. */
static void next_lang(pv_anim *a) {
  const char *langs[MAX_LANGS];
  size_t n = survey_langs(a, langs, MAX_LANGS), next = 0;
  for (size_t i = 0; i < n; i++)
    if (!strcmp(langs[i], a->set.default_lang))
      next = i + 1;
  snprintf(a->set.default_lang, sizeof a->set.default_lang, "%s",
           next < n ? langs[next] : "");
}

/* A square - or + button; returns its flags (0 when disabled). */
static int step_button(const view *v, const char *id, pv_rect r, int plus,
                       int enabled) {
  int flags = pv_ui_widget_do(v->lk.ui, id, r, 0);
  if (!enabled)
    flags = 0;
  pv_color fill = !enabled                  ? COL_DISABLED
                  : (flags & PV_UI_PRESSED) ? COL_SELECT
                                            : COL_ACCENT;
  pv_color ink = enabled ? COL_CARD : COL_MUTED;
  pv_draw_rect(v->lk.dl, r, fill, v->m.radius);
  int len = r.w / 2, t = r.w / 10 > 3 ? r.w / 10 : 3;
  int cx = r.x + r.w / 2, cy = r.y + r.h / 2;
  pv_draw_rect(v->lk.dl, (pv_rect){cx - len / 2, cy - t / 2, len, t}, ink, t / 2);
  if (plus)
    pv_draw_rect(v->lk.dl, (pv_rect){cx - t / 2, cy - len / 2, t, len}, ink, t / 2);
  return flags;
}

/* The label (small, muted) over the value (bold) in r, the value
 * stopping value_end pixels short of the end (a badge there). */
static void label_value(const view *v, pv_rect r, const char *label, const char *value,
                        const char *value_lang, int value_end) {
  const pv_metrics *m = &v->m;
  int top = r.h * 2 / 5;
  pv_look_text(&v->lk, (pv_rect){r.x, r.y, r.w, top}, COL_MUTED, label, m->small_px, 0,
               PV_ALIGN_START, 1);
  pv_text_style st = pv_look_style(&v->lk, m->label_px, 1, PV_ALIGN_START, 1);
  if (value_lang) { /* a language's own name, in its own script */
    st.lang = value_lang;
    st.rtl = 0; /* one word: its direction does not move it */
  }
  pv_draw_text(v->lk.dl, (pv_rect){r.x, r.y + top, r.w - value_end, r.h - top}, COL_INK,
               value, &st);
}

/* One setting in r; saves it when changed. */
static void do_setting(const view *v, pv_anim *a, const setting *d, pv_rect r) {
  const pv_metrics *m = &v->m;
  char id[PV_UI_MAX_ID];
  int changed = 0;
  if (d->kind == SET_STEP) {
    int *val = field_of(a, d), b = m->touch_min;
    pv_draw_rect(v->lk.dl, r, COL_CARD, m->radius);
    pv_draw_frame(v->lk.dl, r, COL_EDGE, m->radius, 2);
    snprintf(id, sizeof id, "set:%s:-", d->id);
    if (step_button(v, id, (pv_rect){r.x, r.y, b, r.h}, 0, *val > d->lo) &
        PV_UI_TAPPED) {
      *val = stepped(*val, d, -1);
      changed = 1;
    }
    snprintf(id, sizeof id, "set:%s:+", d->id);
    if (step_button(v, id, (pv_rect){r.x + r.w - b, r.y, b, r.h}, 1, *val < d->hi) &
        PV_UI_TAPPED) {
      *val = stepped(*val, d, 1);
      changed = 1;
    }
    label_value(v, (pv_rect){r.x + b + m->gap, r.y, r.w - 2 * b - 2 * m->gap, r.h},
                d->label, textf("%d%s", *val, d->unit), NULL, 0);
  } else {
    snprintf(id, sizeof id, "set:%s", d->id);
    int flags = pv_ui_widget_do(v->lk.ui, id, r, 0);
    int on = d->kind == SET_TOGGLE && *field_of(a, d);
    pv_look_card(&v->lk, r, flags, 0);
    int badge = 0;
    if (on) { /* ring and check beside the value, leaving the label its row */
      badge = m->touch_min / 2;
      pv_draw_frame(v->lk.dl, r, COL_SELECT, m->radius, m->ring);
      pv_rect disc = {r.x + r.w - badge - m->ring - m->gap / 2,
                      r.y + r.h * 2 / 5 + (r.h * 3 / 5 - badge) / 2, badge, badge};
      pv_draw_circle(v->lk.dl, disc, COL_SELECT);
      pv_draw_image(v->lk.dl,
                    (pv_rect){disc.x + badge / 6, disc.y + badge / 6, badge * 2 / 3,
                              badge * 2 / 3},
                    v->lk.pics[PV_PIC_CHECK]);
    }
    const char *value = "", *vlang = NULL;
    if (d->kind == SET_TOGGLE) {
      value = on ? "Oui" : "Non";
    } else if (d->kind == SET_MODE) {
      value = a->set.mode == PV_MODE_TABLET ? "Tablette" : "Kiosque";
    } else if (a->set.default_lang[0]) {
      const char *name = pv_lang_endonym(a->set.default_lang);
      value = name ? name : a->set.default_lang;
      vlang = name ? a->set.default_lang : NULL;
    } else {
      value = "Aucune";
    }
    label_value(v, (pv_rect){r.x + m->gap, r.y, r.w - 2 * m->gap, r.h}, d->label, value,
                vlang, badge ? badge + m->ring : 0);
    if (flags & PV_UI_TAPPED) {
      if (d->kind == SET_LANG)
        next_lang(a);
      else
        *field_of(a, d) = !*field_of(a, d);
      changed = 1;
    }
  }
  if (!changed)
    return;
  PV_INFO("anim: setting %s changed", d->id);
  if (!strcmp(d->id, "volume") && a->env.set_volume)
    a->env.set_volume(a->env.ud, a->set.volume);
  anim_save_settings(a);
}

/* The settings block: steppers on whole rows, the others two by two. */
static void do_settings(const view *v, pv_anim *a, pv_rect col) {
  const pv_metrics *m = &v->m;
  int y = col.y, half = (col.w - m->gap) / 2;
  for (size_t i = 0; i < N_SETTINGS; i++) {
    pv_rect r = {col.x, y, col.w, m->touch_min};
    if (i >= N_STEPS) {
      int second = (int)(i - N_STEPS) % 2;
      r.w = half;
      r.x = second ? col.x + col.w - half : col.x;
      if (second || i + 1 == N_SETTINGS)
        y += m->touch_min + m->gap;
    } else {
      y += m->touch_min + m->gap;
    }
    do_setting(v, a, &settings[i], r);
  }
}

/* ---- the status and settings screen ---------------------------------------------- */

void anim_screen_status(const anim_frame *f) {
  pv_anim *a = f->a;
  view v;
  view_init(&v, f);
  if (anim_top_bar(f, "État et réglages")) {
    anim_go(a, ANIM_MENU);
    return;
  }
  const pv_metrics *m = &v.m;
  pv_anim_status st = {.storage_free = -1, .battery = -1};
  if (a->env.status)
    a->env.status(a->env.ud, &st);

  /* Columns: status on the left, settings on the right; portrait stacks
   * them, settings at the bottom. */
  pv_rect left = v.area, right = v.area;
  int sh = settings_height(m);
  if (m->portrait) {
    right.y = v.area.y + v.area.h - sh;
    right.h = sh;
    left.h = right.y - m->gap - left.y;
  } else {
    left.w = right.w = (v.area.w - m->gap) / 2;
    right.x = v.area.x + v.area.w - right.w;
  }
  do_settings(&v, a, right);

  line lines[MAX_LINES];
  int y = left.y, bottom = left.y + left.h;
  if (st.storage_in_memory) { /* answers at risk: first, whatever the size */
    line l = {
        "Attention : réponses gardées en mémoire, perdues si l'appareil s'éteint.",
        COL_BAD, 1, 3};
    put_line(&v, &l, left.x, left.w, &y, bottom);
  }
  size_t n = sync_lines(a, &st, f->now, lines);
  for (size_t i = 0; i < n; i++)
    put_line(&v, &lines[i], left.x, left.w, &y, bottom);
  int bw = m->portrait || left.w < 2 * m->nav_w ? left.w : 2 * m->nav_w;
  if (y + m->touch_min <= bottom) {
    int on = a->env.sync_now != NULL;
    if (pv_look_button(&v.lk, "sync-now", (pv_rect){left.x, y, bw, m->touch_min},
                       v.lk.pics[PV_PIC_ARROW_RIGHT], "Synchroniser maintenant",
                       COL_ACCENT, COL_CARD, on) &
        PV_UI_TAPPED) {
      a->env.sync_now(a->env.ud);
      snprintf(a->msg, sizeof a->msg, "Envoi demandé.");
      a->msg_ok = 1;
      PV_INFO("anim: sync asked for");
    }
    y += m->touch_min + m->gap / 2;
  }
  if (a->msg[0]) {
    line l = {a->msg, a->msg_ok ? COL_GOOD : COL_BAD, 1, 2};
    put_line(&v, &l, left.x, left.w, &y, bottom);
  }
  n = device_lines(&st, lines);
  for (size_t i = 0; i < n; i++)
    put_line(&v, &lines[i], left.x, left.w, &y, bottom);
  survey_lines(&v, a, left.x, left.w, y + m->gap / 2, bottom);
}

/* ---- the USB export screen ----------------------------------------------------------
 */

/* A USB stick, drawn: a body and its connector, pointing up. */
static void draw_stick(const view *v, pv_rect r, pv_color c) {
  int w = r.w * 2 / 5 < r.h / 2 ? r.w * 2 / 5 : r.h / 2;
  int x = r.x + (r.w - w) / 2, plug_h = r.h / 4, cw = w * 3 / 5;
  pv_draw_rect(v->lk.dl, (pv_rect){x + (w - cw) / 2, r.y, cw, plug_h}, COL_MUTED, 2);
  pv_draw_rect(v->lk.dl, (pv_rect){x, r.y + plug_h, w, r.h - plug_h}, c, w / 5);
  int hole = cw / 4;
  pv_draw_rect(v->lk.dl,
               (pv_rect){x + (w - cw) / 2 + hole / 2, r.y + plug_h / 3, hole, hole},
               COL_CARD, 0);
  pv_draw_rect(
      v->lk.dl,
      (pv_rect){x + (w + cw) / 2 - hole - hole / 2, r.y + plug_h / 3, hole, hole},
      COL_CARD, 0);
}

/* Returns the folder's last path segment (borrowed from path). */
static const char *last_segment(const char *path) {
  size_t len = strlen(path);
  while (len > 1 && path[len - 1] == '/')
    len--;
  size_t start = len;
  while (start > 0 && path[start - 1] != '/')
    start--;
  return textf("%.*s", (int)(len - start), path + start);
}

static void export_to(pv_anim *a, const char *dir) {
  a->msg[0] = '\0';
  if (!a->env.usb_export) {
    snprintf(a->msg, sizeof a->msg, "L'export n'est pas possible sur cet appareil.");
    a->msg_ok = 0;
    return;
  }
  PV_INFO("anim: exporting to %s", dir);
  pv_err err = a->env.usb_export(a->env.ud, dir, a->msg, sizeof a->msg);
  a->msg_ok = err == PV_OK;
  if (!a->msg[0])
    snprintf(a->msg, sizeof a->msg, "%s",
             err == PV_OK ? "Export terminé."
                          : "L'export n'a pas pu se faire. Rien n'a été effacé sur la "
                            "tablette.");
  if (err != PV_OK)
    PV_WARN("anim: export to %s: %s", dir, pv_strerror(err));
}

void anim_screen_usb(const anim_frame *f) {
  pv_anim *a = f->a;
  view v;
  view_init(&v, f);
  if (anim_top_bar(f, "Export sur clé USB")) {
    anim_go(a, ANIM_MENU);
    return;
  }
  const pv_metrics *m = &v.m;
  pv_rect area = v.area;

  /* Bottom row: refresh. */
  int bw = area.w < 2 * m->nav_w ? area.w : 2 * m->nav_w;
  pv_rect refresh = {area.x + area.w - bw, area.y + area.h - m->touch_min, bw,
                     m->touch_min};
  if (plain_button(&v, "usb:refresh", refresh, "Rafraîchir", a->env.usb_dirs != NULL) &
      PV_UI_TAPPED) {
    a->n_usb_dirs = a->env.usb_dirs(a->env.ud, a->usb_dirs, PV_ANIM_MAX_USB_DIRS);
    a->msg[0] = '\0';
  }
  if (a->n_usb_dirs > PV_ANIM_MAX_USB_DIRS)
    a->n_usb_dirs = PV_ANIM_MAX_USB_DIRS;
  int bottom = refresh.y - m->gap;

  /* Top: the last export's outcome. */
  if (a->msg[0]) {
    int h = pv_look_text_height(&v.lk, a->msg, m->label_px, 1, 3,
                                area.w - m->touch_min - m->gap);
    if (h < m->touch_min)
      h = m->touch_min;
    outcome(&v, a, (pv_rect){area.x, area.y, area.w, h});
    area.y += h + m->gap;
    area.h -= h + m->gap;
  }
  pv_rect list = {area.x, area.y, area.w, bottom - area.y};
  if (list.h < m->touch_min)
    return;

  if (!a->n_usb_dirs) {
    int th =
        pv_look_text_height(&v.lk, "Branchez une clé USB", m->prompt_px, 1, 1, list.w);
    int hint = pv_look_text_height(&v.lk, "x", m->label_px, 0, 2, list.w);
    int pic = list.h - th - hint - 2 * m->gap;
    if (pic > 3 * m->picto)
      pic = 3 * m->picto;
    int y = list.y + (list.h - pic - th - hint - 2 * m->gap) / 2;
    if (pic > 0)
      draw_stick(&v, (pv_rect){list.x, y, list.w, pic}, COL_ACCENT);
    y += (pic > 0 ? pic : 0) + m->gap;
    pv_look_text(&v.lk, (pv_rect){list.x, y, list.w, th}, COL_INK,
                 "Branchez une clé USB", m->prompt_px, 1, PV_ALIGN_CENTER, 1);
    y += th + m->gap;
    pv_look_text(&v.lk, (pv_rect){list.x, y, list.w, hint}, COL_MUTED,
                 "puis touchez « Rafraîchir ».", m->label_px, 0, PV_ALIGN_CENTER, 2);
    return;
  }

  pv_rect cards[PV_ANIM_MAX_USB_DIRS];
  pv_look_grid_ex(&v.lk, list, a->n_usb_dirs, 0, cards);
  for (size_t i = 0; i < a->n_usb_dirs; i++) {
    char id[PV_UI_MAX_ID];
    snprintf(id, sizeof id, "usb:%zu", i + 1);
    pv_rect r = cards[i];
    int flags = pv_ui_widget_do(v.lk.ui, id, r, 0);
    pv_look_card(&v.lk, r, flags, 0);
    int pad = m->gap, inner = r.w - 2 * pad;
    int name_h = pv_look_text_height(&v.lk, "x", m->label_px, 1, 2, inner);
    int free_h = pv_look_text_height(&v.lk, "x", m->small_px, 0, 1, inner);
    int pic = r.h - name_h - free_h - 2 * pad;
    if (pic > 2 * m->picto)
      pic = 2 * m->picto;
    if (pic < m->small_px)
      pic = 0; /* a small card: the name alone */
    int y = r.y + (r.h - pic - name_h - free_h) / 2;
    if (pic)
      draw_stick(&v, (pv_rect){r.x + pad, y, inner, pic}, COL_ACCENT);
    y += pic;
    pv_look_text(&v.lk, (pv_rect){r.x + pad, y, inner, name_h}, COL_INK,
                 last_segment(a->usb_dirs[i]), m->label_px, 1, PV_ALIGN_CENTER, 2);
    int64_t room = free_bytes(a->usb_dirs[i]);
    if (room >= 0)
      pv_look_text(&v.lk, (pv_rect){r.x + pad, y + name_h, inner, free_h}, COL_MUTED,
                   textf("%s libres", bytes_fr(room)), m->small_px, 0, PV_ALIGN_CENTER,
                   1);
    if (flags & PV_UI_TAPPED)
      export_to(a, a->usb_dirs[i]);
  }
}
