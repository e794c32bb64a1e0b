/* anim: animateur mode's life cycle, settings, entry and sessions (see
 * anim.h; status, USB and restitution screens live in anim_*.c). */
#include "kiosk/anim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/pin.h"
#include "kiosk/anim_internal.h"
#include "kiosk/palette.h"
#include "kiosk/q_text.h"

#define KEY_SESSION "anim.session" /* the running session, across restarts */
#define PLACE_MAX 50   /* characters of a session's place (4 bytes each at most) */
#define INITIALS_MAX 4 /* characters of the animateur's initials */

/* ---- settings ------------------------------------------------------------ */

/* Integer settings: key, field, bounds. */
typedef struct int_setting {
  const char *key;
  size_t offset;
  int lo, hi;
} int_setting;

static const int_setting int_settings[] = {
    {"kiosk.inactivity_s", offsetof(pv_anim_settings, inactivity_s), 20, 300},
    {"kiosk.volume", offsetof(pv_anim_settings, volume), 0, 100},
    {"kiosk.autoplay", offsetof(pv_anim_settings, autoplay), 0, 1},
    {"kiosk.voice_notes", offsetof(pv_anim_settings, voice_notes), 0, 1},
    {"restit.k", offsetof(pv_anim_settings, k), 1, 10},
    {"kiosk.mode", offsetof(pv_anim_settings, mode), PV_MODE_KIOSK, PV_MODE_TABLET},
};
#define N_INT_SETTINGS (sizeof int_settings / sizeof int_settings[0])

static int *int_field(pv_anim_settings *s, const int_setting *d) {
  return (int *)(void *)((char *)s + d->offset);
}

static int clamp(int v, int lo, int hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

static void load_settings(pv_anim *a) {
  for (size_t i = 0; i < N_INT_SETTINGS; i++) {
    const int_setting *d = &int_settings[i];
    int *v = int_field(&a->set, d);
    char *text = NULL, *end = NULL;
    if (pv_store_setting_get(a->store, d->key, &text) == PV_OK) {
      long n = strtol(text, &end, 10);
      if (end != text && !*end)
        *v = (int)n;
      else
        PV_WARN("anim: setting %s: not a number: %.40s", d->key, text);
    }
    free(text);
    *v = clamp(*v, d->lo, d->hi);
  }
  char *lang = NULL;
  if (pv_store_setting_get(a->store, "kiosk.default_lang", &lang) == PV_OK)
    snprintf(a->set.default_lang, sizeof a->set.default_lang, "%s", lang);
  free(lang);
}

void anim_save_settings(pv_anim *a) {
  char num[16];
  for (size_t i = 0; i < N_INT_SETTINGS; i++) {
    const int_setting *d = &int_settings[i];
    int *v = int_field(&a->set, d);
    *v = clamp(*v, d->lo, d->hi);
    snprintf(num, sizeof num, "%d", *v);
    if (pv_store_setting_set(a->store, d->key, num) != PV_OK)
      PV_WARN("anim: saving %s: %s", d->key, pv_err_detail());
  }
  if (pv_store_setting_set(a->store, "kiosk.default_lang",
                           a->set.default_lang[0] ? a->set.default_lang : NULL) !=
      PV_OK)
    PV_WARN("anim: saving kiosk.default_lang: %s", pv_err_detail());
  a->generation++;
}

/* ---- sessions ------------------------------------------------------------- */

typedef struct session_kind {
  const char *id, *label;
  pv_pic pic;
  pv_anim_mode mode;
} session_kind;

static const session_kind kinds[] = {
    {"kiosk", "Kiosque en libre-service", PV_PIC_TOUCH, PV_MODE_KIOSK},
    {"table_de_quartier", "Table de quartier", PV_PIC_MEETING, PV_MODE_TABLET},
    {"marche_exploratoire", "Marche exploratoire", PV_PIC_WALKING, PV_MODE_TABLET},
    {"atelier", "Atelier", PV_PIC_PALETTE, PV_MODE_TABLET},
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

static const session_kind *kind_of(const char *id) {
  for (size_t i = 0; i < N_KINDS; i++)
    if (!strcmp(kinds[i].id, id))
      return &kinds[i];
  return NULL;
}

/* Picks up a session left running (by a power cut or a restart). */
static void resume_session(pv_anim *a) {
  char *uuid = NULL;
  memset(&a->session, 0, sizeof a->session);
  if (pv_store_setting_get(a->store, KEY_SESSION, &uuid) != PV_OK)
    return;
  pv_store_session s;
  if (pv_store_session_get(a->store, uuid, &s) == PV_OK && !s.ended_at[0]) {
    a->session = s;
    PV_INFO("anim: session %s (%s) resumed", s.uuid, s.kind);
  } else {
    pv_store_setting_set(a->store, KEY_SESSION, NULL);
  }
  free(uuid);
}

static void start_session(pv_anim *a) {
  char uuid[PV_UUID_LEN + 1];
  pv_err err = pv_store_session_begin(a->store, &a->draft, uuid);
  if (err == PV_OK)
    err = pv_store_session_get(a->store, uuid, &a->session);
  if (err == PV_OK)
    err = pv_store_setting_set(a->store, KEY_SESSION, uuid);
  if (err != PV_OK) {
    PV_WARN("anim: starting a session: %s: %s", pv_strerror(err), pv_err_detail());
    snprintf(a->msg, sizeof a->msg,
             "La session n'a pas pu commencer (stockage de la tablette). "
             "Réessayez ; si cela continue, redémarrez la tablette.");
    a->msg_ok = 0;
    return;
  }
  PV_INFO("anim: session %s (%s) started", uuid, a->draft.kind);
  snprintf(a->msg, sizeof a->msg, "Session commencée : %s.",
           kind_of(a->session.kind) ? kind_of(a->session.kind)->label
                                    : a->session.kind);
  a->msg_ok = 1;
  a->generation++;
}

static void end_session(pv_anim *a) {
  pv_err err = pv_store_session_end(a->store, a->session.uuid);
  if (err != PV_OK && err != PV_ERR_STATE) {
    PV_WARN("anim: ending session %s: %s: %s", a->session.uuid, pv_strerror(err),
            pv_err_detail());
    snprintf(a->msg, sizeof a->msg,
             "La session n'a pas pu être terminée (stockage de la tablette). "
             "Réessayez.");
    a->msg_ok = 0;
    return;
  }
  pv_store_setting_set(a->store, KEY_SESSION, NULL);
  PV_INFO("anim: session %s ended", a->session.uuid);
  memset(&a->session, 0, sizeof a->session);
  snprintf(a->msg, sizeof a->msg, "Session terminée. Les réponses sont gardées.");
  a->msg_ok = 1;
  anim_restit_free(a);
  a->generation++;
}

/* ---- life cycle ------------------------------------------------------------ */

pv_anim *pv_anim_new(pv_store *st, const pv_clock *clock, pv_survey *const *surveys,
                     size_t n_surveys, const pv_anim_settings *defaults,
                     const pv_anim_env *env) {
  pv_anim *a = calloc(1, sizeof *a);
  if (!a)
    return NULL;
  a->store = st;
  a->clock = *clock;
  a->surveys = surveys;
  a->n_surveys = n_surveys;
  if (env)
    a->env = *env;
  if (defaults)
    a->set = *defaults;
  else
    a->set = (pv_anim_settings){
        .inactivity_s = 40, .volume = 80, .autoplay = 1, .voice_notes = 1, .k = 3};
  if (a->set.k < 1)
    a->set.k = 3;
  load_settings(a);
  resume_session(a);
  a->gesture_ms = -1;
  return a;
}

void pv_anim_set_env(pv_anim *a, const pv_anim_env *env) {
  a->env = env ? *env : (pv_anim_env){0};
}

void pv_anim_free(pv_anim *a) {
  if (!a)
    return;
  anim_restit_free(a);
  anim_prompts_free(a);
  free(a);
}

void anim_go(pv_anim *a, anim_screen s) {
  if (a->screen == ANIM_PROMPTS && s != ANIM_PROMPTS)
    anim_prompts_leave(a); /* the microphone goes off */
  a->screen = s;
  a->digits[0] = '\0';
  a->field = 0;
  if (s != ANIM_MENU && s != ANIM_STATUS && s != ANIM_USB)
    a->msg[0] = '\0';
  if (s == ANIM_RESTIT) {
    a->restit_page = 0;
    a->restit_ms = pv_clock_now(&a->clock);
  }
  if (s == ANIM_USB && a->env.usb_dirs)
    a->n_usb_dirs = a->env.usb_dirs(a->env.ud, a->usb_dirs, PV_ANIM_MAX_USB_DIRS);
}

void pv_anim_open(pv_anim *a) {
  a->first[0] = a->pin_msg[0] = '\0';
  a->last_touch_ms = pv_clock_now(&a->clock);
  anim_go(a, pv_pin_is_set(a->store) ? ANIM_PIN : ANIM_PIN_NEW);
  PV_INFO("anim: opened (%s)", a->screen == ANIM_PIN ? "PIN pad" : "first run");
}

int pv_anim_is_open(const pv_anim *a) {
  return a->screen != ANIM_CLOSED;
}

static void close_anim(pv_anim *a) {
  anim_go(a, ANIM_CLOSED);
  a->first[0] = a->pin_msg[0] = '\0';
  PV_INFO("anim: closed");
}

const char *pv_anim_session(const pv_anim *a) {
  return a->session.uuid;
}

pv_anim_mode pv_anim_mode_now(const pv_anim *a) {
  const session_kind *k = a->session.uuid[0] ? kind_of(a->session.kind) : NULL;
  return k ? k->mode : a->set.mode;
}

const pv_anim_settings *pv_anim_settings_now(const pv_anim *a) {
  return &a->set;
}

unsigned pv_anim_generation(const pv_anim *a) {
  return a->generation;
}

unsigned pv_anim_prompts_generation(const pv_anim *a) {
  return a->prompts_gen;
}

const char *pv_anim_screen_name(const pv_anim *a) {
  static const char *const names[] = {
      [ANIM_CLOSED] = "closed",   [ANIM_PIN] = "pin",
      [ANIM_PIN_NEW] = "pin-new", [ANIM_MENU] = "admin",
      [ANIM_SESSION] = "session", [ANIM_RESTIT] = "restitution",
      [ANIM_STATUS] = "status",   [ANIM_USB] = "usb",
      [ANIM_PROMPTS] = "prompts",
  };
  return names[a->screen];
}

/* ---- the opening gesture ------------------------------------------------------ */

/* Which corner (1 top-left, 2 top-right, 3 bottom-right, 4 bottom-left)
 * point (x, y) is in, 0 none. A corner is a square of 2 touch targets. */
static int corner_of(const pv_metrics *m, int x, int y) {
  int c = 2 * m->touch_min;
  int left = x < c, right = x >= m->width - c, top = y < c, bottom = y >= m->height - c;
  return top && left       ? 1
         : top && right    ? 2
         : bottom && right ? 3
         : bottom && left  ? 4
                           : 0;
}

int pv_anim_gesture(pv_anim *a, const pv_ui *ui, const pv_metrics *m,
                    double *progress) {
  int64_t t = pv_clock_now(&a->clock);
  int held = 0;
  if (ui->down) {
    int c1 = corner_of(m, ui->x, ui->y);
    for (int i = 0; c1 && i < PV_UI_MAX_EXTRA && !held; i++) {
      const pv_ui_finger *e = &ui->extra[i];
      int c2 = e->down ? corner_of(m, e->x, e->y) : 0;
      held = c2 && (c1 - c2 == 2 || c2 - c1 == 2); /* opposite corners */
    }
  }
  *progress = 0;
  if (!held) {
    a->gesture_ms = -1;
    a->gesture_fired = 0;
    return 0;
  }
  if (a->gesture_ms < 0)
    a->gesture_ms = t;
  if (a->gesture_fired)
    return 0;
  *progress = (double)(t - a->gesture_ms) / PV_ANIM_GESTURE_MS;
  if (*progress < 1)
    return 0;
  *progress = 0;
  a->gesture_fired = 1;
  return 1;
}

void pv_anim_draw_gesture(const pv_look *lk, double progress) {
  if (progress <= 0)
    return;
  const pv_metrics *m = lk->m;
  int d = 2 * m->touch_min, sweep = (int)(360 * (progress > 1 ? 1 : progress));
  pv_rect corners[] = {{m->margin, m->margin, d, d},
                       {m->width - d - m->margin, m->margin, d, d},
                       {m->width - d - m->margin, m->height - d - m->margin, d, d},
                       {m->margin, m->height - d - m->margin, d, d}};
  for (size_t i = 0; i < 4; i++) {
    pv_draw_ring(lk->dl, corners[i], COL_EDGE, m->ring);
    pv_draw_arc(lk->dl, corners[i], COL_SELECT, m->ring, 270, 270 + sweep);
  }
}

/* ---- shared pieces -------------------------------------------------------------- */

const char *anim_text(pv_anim *a, const char *fmt, ...) {
  if (a->n_texts >= ANIM_TEXTS) {
    PV_WARN("anim: more than %d texts in a frame", ANIM_TEXTS);
    return "";
  }
  char *out = a->texts[a->n_texts++];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(out, ANIM_TEXT_LEN, fmt, ap);
  va_end(ap);
  return out;
}

int anim_top_bar(const anim_frame *f, const char *title) {
  const pv_look *lk = f->lk;
  const pv_metrics *m = lk->m;
  pv_rect back = {m->margin, m->margin, m->nav_w, m->top_bar};
  int tapped = pv_look_button(lk, "back", back, lk->pics[PV_PIC_ARROW_LEFT], "Menu",
                              COL_CARD, COL_INK, 1) &
               PV_UI_TAPPED;
  int x = back.x + back.w + m->gap;
  pv_look_text(lk, (pv_rect){x, m->margin, m->width - x - m->margin, m->top_bar},
               COL_INK, title, m->prompt_px, 1, PV_ALIGN_START, 1);
  return tapped;
}

/* The last action's outcome, in a band at y. */
static void message(const anim_frame *f, pv_rect r) {
  const pv_anim *a = f->a;
  if (!a->msg[0])
    return;
  const pv_look *lk = f->lk;
  int icon = r.h < lk->m->touch_min ? r.h : lk->m->touch_min;
  pv_draw_image(lk->dl, (pv_rect){r.x, r.y + (r.h - icon) / 2, icon, icon},
                lk->pics[a->msg_ok ? PV_PIC_CHECK : PV_PIC_WARNING]);
  pv_look_text(
      lk, (pv_rect){r.x + icon + lk->m->gap, r.y, r.w - icon - lk->m->gap, r.h},
      a->msg_ok ? COL_GOOD : COL_BAD, a->msg, lk->m->label_px, 1, PV_ALIGN_START, 2);
}

/* ---- the PIN pad --------------------------------------------------------------- */

static void pin_feedback(pv_anim *a, const pv_pin_result *r) {
  if (r->verdict == PV_PIN_WRONG)
    snprintf(a->pin_msg, sizeof a->pin_msg, "Code incorrect. Encore %d essai%s.",
             r->tries_left, r->tries_left > 1 ? "s" : "");
  else if (r->verdict == PV_PIN_LOCKED)
    snprintf(a->pin_msg, sizeof a->pin_msg,
             "Trop d'essais. Réessayez dans %d min %02d s.", r->seconds_left / 60,
             r->seconds_left % 60);
}

/* Seconds the pad stays locked for (0: not locked), from the store. */
static int locked_for(pv_anim *a) {
  char *until = NULL;
  int64_t end;
  int left = 0;
  if (pv_store_setting_get(a->store, PV_PIN_KEY_LOCKED_UNTIL, &until) == PV_OK &&
      pv_time_parse(until, &end) == PV_OK) {
    int64_t ms = end - pv_clock_now(&a->clock);
    left = ms > 0 ? (int)((ms + 999) / 1000) : 0;
  }
  free(until);
  return left;
}

static void pin_submit(pv_anim *a) {
  if (a->screen == ANIM_PIN_NEW) {
    if (pv_pin_validate(a->digits) != PV_OK) {
      snprintf(a->pin_msg, sizeof a->pin_msg, "Le code doit avoir de 4 à 8 chiffres.");
    } else if (!a->first[0]) {
      snprintf(a->first, sizeof a->first, "%s", a->digits);
      snprintf(a->pin_msg, sizeof a->pin_msg, "Tapez le même code une deuxième fois.");
    } else if (strcmp(a->first, a->digits)) {
      a->first[0] = '\0';
      snprintf(a->pin_msg, sizeof a->pin_msg,
               "Les deux codes sont différents. Recommencez.");
    } else if (pv_pin_set(a->store, a->digits) != PV_OK) {
      PV_WARN("anim: setting the PIN: %s", pv_err_detail());
      a->first[0] = '\0';
      snprintf(a->pin_msg, sizeof a->pin_msg,
               "Le code n'a pas pu être enregistré. Réessayez.");
    } else {
      PV_INFO("anim: PIN set on the first-run screen");
      memset(a->first, 0, sizeof a->first);
      anim_go(a, ANIM_MENU);
      return;
    }
    memset(a->digits, 0, sizeof a->digits);
    return;
  }
  pv_pin_result r;
  pv_err err = pv_pin_check(a->store, &a->clock, a->digits, &r);
  memset(a->digits, 0, sizeof a->digits);
  if (err != PV_OK) {
    PV_WARN("anim: checking the PIN: %s: %s", pv_strerror(err), pv_err_detail());
    snprintf(a->pin_msg, sizeof a->pin_msg,
             "Le code n'a pas pu être vérifié (stockage de la tablette).");
    return;
  }
  if (r.verdict == PV_PIN_RIGHT) {
    PV_INFO("anim: PIN accepted");
    a->pin_msg[0] = '\0';
    anim_go(a, ANIM_MENU);
    return;
  }
  PV_INFO("anim: PIN refused (%s)", r.verdict == PV_PIN_LOCKED ? "locked" : "wrong");
  pin_feedback(a, &r);
}

static void screen_pin(const anim_frame *f) {
  pv_anim *a = f->a;
  const pv_look *lk = f->lk;
  const pv_metrics *m = lk->m;
  int lock = a->screen == ANIM_PIN ? locked_for(a) : 0;
  if (lock)
    pin_feedback(a, &(pv_pin_result){.verdict = PV_PIN_LOCKED, .seconds_left = lock});
  else if (strstr(a->pin_msg, "Trop d'essais"))
    a->pin_msg[0] = '\0'; /* the lock ended */

  /* The keys take a square on the end side; the rest says what to do. */
  int key = (m->height - 2 * m->margin - 3 * m->gap) / 4;
  if (m->portrait)
    key = (m->width - 2 * m->margin - 2 * m->gap) / 3;
  if (key > 3 * m->touch_min / 2 * 2)
    key = 3 * m->touch_min;
  int pad_w = 3 * key + 2 * m->gap, pad_h = 4 * key + 3 * m->gap;
  pv_rect pad = {m->width - m->margin - pad_w, (m->height - pad_h) / 2, pad_w, pad_h};
  pv_rect info = {m->margin, m->margin, pad.x - 2 * m->margin,
                  m->height - 2 * m->margin};
  if (m->portrait) {
    pad =
        (pv_rect){(m->width - pad_w) / 2, m->height - m->margin - pad_h, pad_w, pad_h};
    info = (pv_rect){m->margin, m->margin, m->width - 2 * m->margin,
                     pad.y - 2 * m->margin};
  }

  const char *title = a->screen == ANIM_PIN_NEW
                          ? (a->first[0] ? "Confirmez le code animateur"
                                         : "Choisissez un code animateur")
                          : "Code animateur";
  int icon = m->picto;
  pv_draw_image(lk->dl, (pv_rect){info.x, info.y, icon, icon}, lk->pics[PV_PIC_LOCK]);
  pv_look_text(lk,
               (pv_rect){info.x + icon + m->gap, info.y, info.w - icon - m->gap, icon},
               COL_INK, title, m->prompt_px, 1, PV_ALIGN_START, 2);
  int y = info.y + icon + m->gap;
  if (a->screen == ANIM_PIN_NEW && !a->first[0] && !a->pin_msg[0])
    pv_look_text(lk, (pv_rect){info.x, y, info.w, 2 * m->label_px * 3 / 2}, COL_MUTED,
                 "4 à 8 chiffres. Gardez-le pour vous : il protège les réponses.",
                 m->label_px, 0, PV_ALIGN_START, 2);
  y += 2 * m->label_px * 3 / 2 + m->gap;

  /* One dot per digit typed (never the digits). */
  int dot = m->touch_min / 2, n = (int)strlen(a->digits);
  for (int i = 0; i < PV_PIN_MAX_DIGITS; i++) {
    pv_rect r = {info.x + i * (dot + dot / 2), y, dot, dot};
    if (i < n)
      pv_draw_circle(lk->dl, r, COL_INK);
    else if (i < PV_PIN_MIN_DIGITS || i <= n)
      pv_draw_ring(lk->dl, r, COL_MUTED, 2);
  }
  y += dot + m->gap;
  if (a->pin_msg[0])
    pv_look_text(lk, (pv_rect){info.x, y, info.w, 3 * m->label_px * 3 / 2},
                 lock || strstr(a->pin_msg, "incorrect") || strstr(a->pin_msg, "pas pu")
                     ? COL_BAD
                     : COL_INK,
                 a->pin_msg, m->label_px, 1, PV_ALIGN_START, 3);
  pv_rect cancel = {info.x, info.y + info.h - m->nav_h, m->nav_w * 3 / 2, m->nav_h};
  if (m->portrait)
    cancel.y = pad.y - m->gap - m->nav_h;
  if (pv_look_button(lk, "cancel", cancel, lk->pics[PV_PIC_CROSS], "Annuler", COL_CARD,
                     COL_INK, 1) &
      PV_UI_TAPPED) {
    close_anim(a);
    return;
  }

  static const char *const labels[12] = {"1", "2", "3", "4", "5", "6",
                                         "7", "8", "9", "",  "0", "OK"};
  static const char *const ids[12] = {"key:1", "key:2",     "key:3", "key:4",
                                      "key:5", "key:6",     "key:7", "key:8",
                                      "key:9", "key:erase", "key:0", "key:ok"};
  for (int i = 0; i < 12; i++) {
    pv_rect r = {pad.x + (i % 3) * (key + m->gap), pad.y + (i / 3) * (key + m->gap),
                 key, key};
    int is_ok = i == 11, is_erase = i == 9;
    int enabled = !lock && (is_ok      ? n >= PV_PIN_MIN_DIGITS
                            : is_erase ? n > 0
                                       : n < PV_PIN_MAX_DIGITS);
    int flags = pv_ui_widget_do(lk->ui, ids[i], r, 0);
    pv_color fill = !enabled                  ? COL_DISABLED
                    : (flags & PV_UI_PRESSED) ? COL_PRESSED
                    : is_ok                   ? COL_ACCENT
                                              : COL_CARD;
    pv_draw_rect(lk->dl, r, fill, m->radius);
    if (!is_ok)
      pv_draw_frame(lk->dl, r, COL_EDGE, m->radius, 2);
    pv_color ink = is_ok && enabled ? COL_CARD : enabled ? COL_INK : COL_MUTED;
    if (is_erase)
      pv_draw_image(lk->dl, (pv_rect){r.x + r.w / 4, r.y + r.h / 4, r.w / 2, r.h / 2},
                    lk->pics[PV_PIC_ARROW_LEFT]);
    else
      pv_look_text(lk, r, ink, labels[i], m->prompt_px * 3 / 2, 1, PV_ALIGN_CENTER, 1);
    if (!enabled || !(flags & PV_UI_TAPPED))
      continue;
    if (is_ok)
      pin_submit(a);
    else if (is_erase)
      a->digits[n - 1] = '\0';
    else {
      a->digits[n] = labels[i][0];
      a->digits[n + 1] = '\0';
    }
  }
}

/* ---- the menu ---------------------------------------------------------------------
 */

static void screen_menu(const anim_frame *f) {
  pv_anim *a = f->a;
  const pv_look *lk = f->lk;
  const pv_metrics *m = lk->m;
  pv_look_text(lk,
               (pv_rect){m->margin, m->margin, m->width - 2 * m->margin, m->top_bar},
               COL_INK, "Mode animateur", m->prompt_px, 1, PV_ALIGN_START, 1);
  /* What is running now. */
  char line[PV_STORE_MAX_TEXT * 2 + 160];
  if (a->session.uuid[0]) {
    const session_kind *k = kind_of(a->session.kind);
    pv_store_counts c = {0};
    pv_store_count(a->store, a->session.uuid, &c);
    snprintf(line, sizeof line, "Session en cours : %s%s%s%s — %zu réponse%s",
             k ? k->label : a->session.kind, a->session.qpv_name[0] ? ", " : "",
             a->session.qpv_name, a->session.place[0] ? " (" : "",
             c.complete + c.abandoned, c.complete + c.abandoned > 1 ? "s" : "");
    if (a->session.place[0]) {
      size_t len = strlen(line);
      char *dash = strstr(line, " — ");
      if (dash && len + strlen(a->session.place) + 2 < sizeof line) {
        char tail[64];
        snprintf(tail, sizeof tail, "%s", dash);
        snprintf(dash, sizeof line - (size_t)(dash - line), "%s)%s", a->session.place,
                 tail);
      }
    }
  } else {
    snprintf(line, sizeof line, "Aucune session en cours (mode %s).",
             a->set.mode == PV_MODE_TABLET ? "tablette" : "kiosque");
  }
  int y = m->margin + m->top_bar + m->gap / 2;
  pv_look_text(lk, (pv_rect){m->margin, y, m->width - 2 * m->margin, m->label_px * 3},
               COL_MUTED, anim_text(a, "%s", line), m->label_px, 0, PV_ALIGN_START, 2);
  y += m->label_px * 3 + m->gap / 2;
  int bottom = m->height - m->margin - m->nav_h - m->gap;
  /* The last action's outcome, beside the way back. */
  if (m->portrait) {
    message(
        f, (pv_rect){m->margin, bottom - m->nav_h, m->width - 2 * m->margin, m->nav_h});
    if (a->msg[0])
      bottom -= m->nav_h + m->gap;
  } else {
    message(f, (pv_rect){m->margin, m->height - m->margin - m->nav_h,
                         m->width - 3 * m->margin - m->nav_w * 2, m->nav_h});
  }

  /* The cards. */
  const int on = a->session.uuid[0] != 0;
  struct {
    const char *id, *label;
    pv_pic pic;
    int enabled;
  } items[] = {
      {"menu:session", on ? "Terminer la session" : "Commencer une session",
       on ? PV_PIC_CHECK : PV_PIC_MEETING, 1},
      {"menu:restitution", "Montrer les résultats", PV_PIC_VOTE, on},
      {"menu:status", "État et réglages", PV_PIC_WRENCH, 1},
      {"menu:usb", "Exporter sur clé USB", PV_PIC_ARROW_RIGHT, 1},
      {"menu:prompts", "Enregistrer des consignes", PV_PIC_MIC, 1},
  };
  enum { N_CARDS = sizeof items / sizeof items[0] };
  /* Landscape: three cards above two; portrait: five rows. Each card has
   * its pictogram at the start and its label beside it, so the longest
   * label keeps two lines on the narrowest screen. */
  pv_rect cells[N_CARDS];
  int cols = m->portrait ? 1 : 3, rows = (N_CARDS + cols - 1) / cols;
  int cw = (m->width - 2 * m->margin - (cols - 1) * m->gap) / cols;
  int ch = (bottom - y - (rows - 1) * m->gap) / rows;
  for (int i = 0; i < N_CARDS; i++) {
    int row = i / cols, in_row = row == rows - 1 ? N_CARDS - row * cols : cols;
    int x0 = m->margin +
             (m->width - 2 * m->margin - in_row * cw - (in_row - 1) * m->gap) / 2;
    cells[i] =
        (pv_rect){x0 + (i % cols) * (cw + m->gap), y + row * (ch + m->gap), cw, ch};
  }
  for (int i = 0; i < N_CARDS; i++) {
    pv_rect r = cells[i];
    int flags = pv_ui_widget_do(lk->ui, items[i].id, r, 0);
    if (items[i].enabled)
      pv_look_card(lk, r, flags, 0);
    else
      pv_draw_rect(lk->dl, r, COL_DISABLED, m->radius);
    int icon = r.h - 2 * m->gap;
    if (icon > r.w / 3)
      icon = r.w / 3;
    pv_draw_image(lk->dl, (pv_rect){r.x + m->gap, r.y + (r.h - icon) / 2, icon, icon},
                  lk->pics[items[i].pic]);
    int tx = r.x + icon + 2 * m->gap;
    pv_look_text(lk, (pv_rect){tx, r.y, r.x + r.w - tx - m->gap, r.h},
                 items[i].enabled ? COL_INK : COL_MUTED, items[i].label, m->label_px, 1,
                 PV_ALIGN_START, 3);
    if (!items[i].enabled || !(flags & PV_UI_TAPPED))
      continue;
    if (i == 0 && on) {
      end_session(a);
    } else if (i == 0) {
      memset(&a->draft, 0, sizeof a->draft);
      anim_go(a, ANIM_SESSION);
    } else {
      a->msg[0] = '\0';
      static const anim_screen to[N_CARDS] = {ANIM_SESSION, ANIM_RESTIT, ANIM_STATUS,
                                              ANIM_USB, ANIM_PROMPTS};
      anim_go(a, to[i]);
    }
  }
  int quit_w = m->portrait ? m->width - 2 * m->margin : m->nav_w * 2;
  pv_rect quit = {m->width - m->margin - quit_w, m->height - m->margin - m->nav_h,
                  quit_w, m->nav_h};
  if (pv_look_button(lk, "quit", quit, lk->pics[PV_PIC_PEOPLE], "Retour aux habitants",
                     COL_ACCENT, COL_CARD, 1) &
      PV_UI_TAPPED)
    close_anim(a);
}

/* ---- starting a session ------------------------------------------------------------
 */

/* The on-screen keyboard for the place or the initials, full screen. */
typedef struct field_kb {
  pv_qtext text;
  pv_question q;
} field_kb;

static field_kb kb_state; /* one animateur keyboard at a time (UI thread) */

static void open_field(pv_anim *a, int field) {
  a->field = field;
  kb_state.q = (pv_question){.type = PV_Q_TEXT,
                             .max_length = field == 1 ? PLACE_MAX : INITIALS_MAX};
  pv_qtext_load(&kb_state.text, &kb_state.q, NULL, "fr");
  pv_kb_buf_set(&kb_state.text.buf, field == 1 ? a->draft.place : a->draft.animateur);
  kb_state.text.open = 1;
}

/* Runs the keyboard; when it closes, copies what was typed. */
static void do_field(const anim_frame *f) {
  pv_anim *a = f->a;
  const pv_look *lk = f->lk;
  const pv_metrics *m = lk->m;
  pv_qtext_env env = {.ui = lk->ui,
                      .dl = lk->dl,
                      .m = m,
                      .q = &kb_state.q,
                      .lang = "fr",
                      .keyboard_icon = lk->pics[PV_PIC_KEYBOARD],
                      .done_icon = lk->pics[PV_PIC_CHECK],
                      .backspace_icon = lk->pics[PV_PIC_ARROW_LEFT],
                      .measure = lk->measure,
                      .measure_ud = lk->mud};
  pv_rect all = {0, 0, m->width, m->height};
  pv_qtext_do(&kb_state.text, &env, all, all);
  if (pv_qtext_is_open(&kb_state.text))
    return;
  const char *s = kb_state.text.buf.s;
  if (a->field == 1) {
    size_t len = strlen(s); /* PLACE_MAX characters fit; cut on a character anyway */
    if (len >= sizeof a->draft.place)
      for (len = sizeof a->draft.place - 1; len > 0 && (s[len] & 0xC0) == 0x80; len--)
        ;
    memcpy(a->draft.place, s, len);
    a->draft.place[len] = '\0';
  } else { /* initials: letters only, upper case (ASCII; accents dropped) */
    size_t j = 0;
    for (size_t i = 0; s[i] && j + 1 < sizeof a->draft.animateur; i++) {
      char c = s[i];
      if (c >= 'a' && c <= 'z')
        c = (char)(c - 'a' + 'A');
      if ((c >= 'A' && c <= 'Z') || c == '-' || c == '.')
        a->draft.animateur[j++] = c;
    }
    a->draft.animateur[j] = '\0';
  }
  a->field = 0;
}

void pv_anim_set_quartiers(pv_anim *a, const char *const *codes,
                           const char *const *names, size_t n) {
  if (n > PV_ANIM_MAX_QUARTIERS)
    n = PV_ANIM_MAX_QUARTIERS;
  for (size_t i = 0; i < n; i++) {
    snprintf(a->quartiers[i].code, sizeof a->quartiers[i].code, "%s", codes[i]);
    snprintf(a->quartiers[i].name, sizeof a->quartiers[i].name, "%s", names[i]);
  }
  a->n_quartiers = n;
}

static void screen_session(const anim_frame *f) {
  pv_anim *a = f->a;
  const pv_look *lk = f->lk;
  const pv_metrics *m = lk->m;
  if (a->field) {
    do_field(f);
    return;
  }
  if (anim_top_bar(f, "Commencer une session")) {
    anim_go(a, ANIM_MENU);
    return;
  }
  /* Landscape: the kinds as a 2 x 2 grid on the start side, the fields
   * stacked on the end side; portrait: kinds above, fields below. */
  int top = m->margin + m->top_bar + m->gap;
  int bottom = m->height - m->margin - m->nav_h - m->gap;
  int w = m->width - 2 * m->margin;
  int field_h = m->touch_min * 3 / 2;
  pv_rect kinds_area = {m->margin, top, m->portrait ? w : w / 2 - m->gap / 2,
                        m->portrait ? bottom - top - 3 * (field_h + m->gap)
                                    : bottom - top};
  pv_rect fields = {m->portrait ? m->margin : m->margin + w / 2 + m->gap / 2,
                    m->portrait ? kinds_area.y + kinds_area.h + m->gap : top,
                    m->portrait ? w : w / 2 - m->gap / 2, 3 * field_h + 2 * m->gap};

  /* 1. the kind of session: four rows, pictogram and name on one line */
  int row_h = (kinds_area.h - (int)(N_KINDS - 1) * m->gap) / (int)N_KINDS;
  if (row_h > 2 * m->touch_min)
    row_h = 2 * m->touch_min;
  for (size_t i = 0; i < N_KINDS; i++) {
    pv_rect r = {kinds_area.x, kinds_area.y + (int)i * (row_h + m->gap), kinds_area.w,
                 row_h};
    char id[PV_UI_MAX_ID];
    snprintf(id, sizeof id, "kind:%s", kinds[i].id);
    int flags = pv_ui_widget_do(lk->ui, id, r, 0);
    pv_look_card(lk, r, flags, !strcmp(a->draft.kind, kinds[i].id));
    int icon = row_h * 3 / 4, pad = (row_h - icon) / 2;
    pv_draw_image(lk->dl, (pv_rect){r.x + pad, r.y + pad, icon, icon},
                  lk->pics[kinds[i].pic]);
    pv_look_text(
        lk,
        (pv_rect){r.x + icon + 2 * pad, r.y, r.w - icon - 3 * pad - row_h / 2, row_h},
        COL_INK, kinds[i].label, m->label_px, 1, PV_ALIGN_START, 2);
    if (flags & PV_UI_TAPPED)
      snprintf(a->draft.kind, sizeof a->draft.kind, "%s", kinds[i].id);
  }

  /* 2. the quartier: tap to go through the list, then none again */
  pv_rect qr = {fields.x, fields.y, fields.w, field_h};
  const char *qlabel =
      a->draft.qpv_code[0]
          ? anim_text(a, "Quartier : %s (%s)", a->draft.qpv_name, a->draft.qpv_code)
      : a->n_quartiers ? "Quartier : toucher pour choisir"
                       : "Quartier : pas de liste sur cette tablette";
  if (pv_look_button(lk, "quartier", qr, lk->pics[PV_PIC_NEIGHBOURHOOD], qlabel,
                     COL_CARD, COL_INK, a->n_quartiers > 0) &
      PV_UI_TAPPED) {
    size_t next = 0;
    for (size_t i = 0; i < a->n_quartiers; i++)
      if (!strcmp(a->quartiers[i].code, a->draft.qpv_code))
        next = i + 1;
    if (next < a->n_quartiers) {
      snprintf(a->draft.qpv_code, sizeof a->draft.qpv_code, "%s",
               a->quartiers[next].code);
      snprintf(a->draft.qpv_name, sizeof a->draft.qpv_name, "%s",
               a->quartiers[next].name);
    } else {
      a->draft.qpv_code[0] = a->draft.qpv_name[0] = '\0';
    }
  }
  /* 3. place and initials: tap to type */
  pv_rect pr = {fields.x, qr.y + field_h + m->gap, fields.w, field_h};
  const char *plabel = a->draft.place[0] ? anim_text(a, "Lieu : %s", a->draft.place)
                                         : "Lieu : toucher pour écrire";
  if (pv_look_button(lk, "place", pr, lk->pics[PV_PIC_PENCIL], plabel, COL_CARD,
                     COL_INK, 1) &
      PV_UI_TAPPED)
    open_field(a, 1);
  pv_rect ir = {fields.x, pr.y + field_h + m->gap, fields.w, field_h};
  const char *ilabel = a->draft.animateur[0]
                           ? anim_text(a, "Vos initiales : %s", a->draft.animateur)
                           : "Vos initiales : toucher pour écrire";
  if (pv_look_button(lk, "initials", ir, lk->pics[PV_PIC_PENCIL], ilabel, COL_CARD,
                     COL_INK, 1) &
      PV_UI_TAPPED)
    open_field(a, 2);

  pv_rect go = {m->width - m->margin - m->nav_w * 2, m->height - m->margin - m->nav_h,
                m->nav_w * 2, m->nav_h};
  if (pv_look_button(lk, "start", go, lk->pics[PV_PIC_CHECK], "Commencer", COL_ACCENT,
                     COL_CARD, a->draft.kind[0] != 0) &
      PV_UI_TAPPED) {
    start_session(a);
    anim_go(a, ANIM_MENU);
  }
}

/* ---- frames ------------------------------------------------------------------------
 */

int pv_anim_frame(pv_anim *a, const pv_look *app_look) {
  if (a->screen == ANIM_CLOSED)
    return 0;
  /* Animateur screens read French, left to right; the restitution speaks
   * the residents' languages (anim_restit.c picks its own). */
  pv_look lk = *app_look;
  pv_metrics m = *app_look->m; /* placed left to right, whoever answered last */
  m.rtl = 0;
  lk.m = &m;
  lk.rtl = 0;
  lk.lang = "fr";
  anim_frame f = {a, &lk, pv_clock_now(&a->clock)};
  a->n_texts = 0;
  if (app_look->ui->down)
    a->last_touch_ms = f.now;
  switch (a->screen) {
  case ANIM_PIN:
  case ANIM_PIN_NEW:
    screen_pin(&f);
    break;
  case ANIM_MENU:
    screen_menu(&f);
    break;
  case ANIM_SESSION:
    screen_session(&f);
    break;
  case ANIM_RESTIT:
    anim_screen_restit(&f); /* it picks the residents' language */
    break;
  case ANIM_STATUS:
    anim_screen_status(&f);
    break;
  case ANIM_USB:
    anim_screen_usb(&f);
    break;
  case ANIM_PROMPTS:
    anim_screen_prompts(&f);
    break;
  case ANIM_CLOSED:
    break;
  }
  return a->screen != ANIM_CLOSED;
}

int64_t pv_anim_tick(pv_anim *a, const pv_ui *ui) {
  if (a->screen == ANIM_CLOSED)
    return -1;
  int64_t t = pv_clock_now(&a->clock);
  if (ui->last_input_ms > a->last_touch_ms)
    a->last_touch_ms = ui->last_input_ms;
  if (anim_prompts_recording(a)) {
    a->last_touch_ms = t; /* recording is not being idle */
    return 50;            /* the meter and the countdown move */
  }
  /* The group may watch the results for a while: no idle close there. */
  if (a->screen != ANIM_RESTIT && t - a->last_touch_ms >= PV_ANIM_IDLE_MS) {
    PV_INFO("anim: closing after %d s without a touch", PV_ANIM_IDLE_MS / 1000);
    close_anim(a);
    return 0;
  }
  if (a->screen == ANIM_PIN && locked_for(a))
    return 1000; /* the countdown */
  if (a->screen == ANIM_STATUS)
    return 2000; /* counts and the sync line move after "sync now" */
  return a->screen == ANIM_RESTIT ? -1 : a->last_touch_ms + PV_ANIM_IDLE_MS - t;
}
