/* test_anim_status: the animateur's status and settings screen and the USB
 * export screen (kiosk/anim_status.c), driven frame by frame without a
 * display over a real store and the sample surveys, with fake platform
 * callbacks that count their calls: the counts and the sync state read as
 * plain French, each setting saved in the store and held to its bounds,
 * "sync now" (and disabled without sync), the USB list, an export's
 * outcome (ok, failure), nothing off screen or overlapping at 800x480,
 * 1280x800 and 480x800. Then the platform side (kiosk/anim_env.c): the
 * battery and USB folder readers over temporary folders through
 * PV_POWER_SUPPLY_DIR and PV_USB_ROOTS, and a real export to a folder. */
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/pin.h"
#include "core/store.h"
#include "core/survey.h"
#include "kiosk/anim_env.h"
#include "kiosk/anim_internal.h"
#include "kiosk/palette.h"
#include "tests/check.h"

static const char *const names[] = {"lien-social", "qualite-habiter", "tranquillite"};

#define T0 1795446300000LL /* 2026-11-23T15:05:00Z */

/* ---- fake platform -----------------------------------------------------------------
 */

typedef struct fake {
  pv_anim_status st;
  int status_calls, sync_calls, dirs_calls, export_calls, volume_calls, volume;
  char dirs[PV_ANIM_MAX_USB_DIRS][PV_ANIM_PATH];
  size_t n_dirs;
  pv_err export_err;
  const char *export_msg;
  char exported_to[PV_ANIM_PATH];
} fake;

static void fake_status(void *ud, pv_anim_status *out) {
  fake *f = ud;
  f->status_calls++;
  *out = f->st;
}

static void fake_sync_now(void *ud) {
  ((fake *)ud)->sync_calls++;
}

static size_t fake_dirs(void *ud, char dirs[][PV_ANIM_PATH], size_t max) {
  fake *f = ud;
  f->dirs_calls++;
  size_t n = f->n_dirs < max ? f->n_dirs : max;
  for (size_t i = 0; i < n; i++)
    snprintf(dirs[i], PV_ANIM_PATH, "%s", f->dirs[i]);
  return n;
}

static pv_err fake_export(void *ud, const char *dir, char *msg, size_t cap) {
  fake *f = ud;
  f->export_calls++;
  snprintf(f->exported_to, sizeof f->exported_to, "%s", dir);
  snprintf(msg, cap, "%s", f->export_msg);
  return f->export_err;
}

static void fake_volume(void *ud, int volume) {
  fake *f = ud;
  f->volume_calls++;
  f->volume = volume;
}

/* ---- the world ---------------------------------------------------------------------
 */

typedef struct world {
  pv_survey *surveys[3];
  pv_store *store;
  char db[512];
  int64_t clock_ms;
  pv_anim *a;
  fake fk;
  pv_anim_env env;
  pv_ui ui;
  pv_draw_list dl;
  pv_metrics m;
  char pics[PV_PIC__COUNT][PV_LOOK_PATH];
  int width, height;
} world;

static pv_text_metrics fake_measure(void *ud, const char *text, const pv_text_style *st,
                                    int max_w) {
  (void)ud;
  int w = (int)strlen(text) * st->size_px / 2;
  int lines = max_w > 0 ? (w + max_w - 1) / max_w : 1;
  int most = st->max_lines > 0 ? st->max_lines : 1;
  if (lines < 1)
    lines = 1;
  if (lines > most)
    lines = most;
  return (pv_text_metrics){w < max_w ? w : max_w, lines * st->size_px * 6 / 5, lines,
                           0};
}

static void frame(world *w) {
  pv_metrics_compute(&w->m, w->width, w->height, 0, 0);
  pv_look lk = {.ui = &w->ui,
                .dl = &w->dl,
                .m = &w->m,
                .measure = fake_measure,
                .rtl = 0,
                .lang = "fr",
                .pics = (const char(*)[PV_LOOK_PATH])w->pics};
  pv_draw_clear(&w->dl);
  pv_ui_begin(&w->ui);
  pv_anim_frame(w->a, &lk);
  pv_ui_end(&w->ui);
}

/* Taps widget id (down, a frame, up, the frame that acts, a frame that
 * shows the result); 0 when no such widget is on screen. */
static int tap(world *w, const char *id) {
  const pv_rect *r = pv_ui_find(&w->ui, id);
  if (!r)
    return 0;
  int x = r->x + r->w / 2, y = r->y + r->h / 2;
  pv_ui_pointer(&w->ui, PV_PTR_DOWN, 1, x, y, w->clock_ms);
  frame(w);
  w->clock_ms += 80;
  pv_ui_pointer(&w->ui, PV_PTR_UP, 1, x, y, w->clock_ms);
  frame(w);
  w->clock_ms += 80;
  frame(w);
  return 1;
}

/* The first TEXT command containing needle, or NULL. */
static const pv_draw_cmd *text_cmd(const world *w, const char *needle) {
  for (size_t i = 0; i < w->dl.count; i++) {
    const pv_draw_cmd *c = &w->dl.cmds[i];
    if (c->kind == PV_DRAW_TEXT && c->text && strstr(c->text, needle))
      return c;
  }
  return NULL;
}

static int has_text(const world *w, const char *needle) {
  return text_cmd(w, needle) != NULL;
}

/* Dumps the frame's texts when a check failed, to see what was shown. */
static void dump_texts(const world *w) {
  for (size_t i = 0; i < w->dl.count; i++)
    if (w->dl.cmds[i].kind == PV_DRAW_TEXT)
      fprintf(stderr, "  text: %s\n", w->dl.cmds[i].text);
}

#define CHECK_TEXT(w, needle)                                                          \
  do {                                                                                 \
    int ok_ = has_text(w, needle);                                                     \
    CHECK(ok_ &&needle);                                                               \
    if (!ok_)                                                                          \
      dump_texts(w);                                                                   \
  } while (0)

static const char *setting(world *w, const char *key, char *buf, size_t cap) {
  char *v = NULL;
  if (pv_store_setting_get(w->store, key, &v) != PV_OK)
    return NULL;
  snprintf(buf, cap, "%s", v);
  free(v);
  return buf;
}

/* Adds n finished responses (in session when not NULL), acknowledging
 * them when synced. */
static void add_responses(world *w, size_t n, const char *session, int synced) {
  for (size_t i = 0; i < n; i++) {
    char uuid[PV_UUID_LEN + 1];
    PV_ASSERT(pv_store_begin(w->store, "lien-social", 1, session, "fr", uuid) == PV_OK);
    PV_ASSERT(pv_store_finish(w->store, uuid) == PV_OK);
    if (synced) {
      const char *u = uuid;
      PV_ASSERT(pv_store_ack(w->store, &u, 1) == PV_OK);
    }
    w->clock_ms += 1000;
  }
}

static void world_open(world *w, const char *dir, int with_session) {
  memset(w, 0, sizeof *w);
  for (int i = 0; i < 3; i++) {
    char path[512];
    pv_diags d = {0};
    snprintf(path, sizeof path, "%s/content/surveys/%s", PV_SOURCE_DIR, names[i]);
    PV_ASSERT(pv_survey_load(path, NULL, &w->surveys[i], &d) == PV_OK);
    pv_diags_free(&d);
  }
  for (int p = 0; p < PV_PIC__COUNT; p++)
    snprintf(w->pics[p], sizeof w->pics[p], "%s/assets/pictograms/%s", PV_SOURCE_DIR,
             pv_look_pic_file((pv_pic)p));
  static int opened; /* each world its own store: no session left over */
  snprintf(w->db, sizeof w->db, "%s/kiosk-%d.db", dir, ++opened);
  w->clock_ms = T0 - 3600 * 1000LL;
  pv_clock clock = pv_clock_virtual(&w->clock_ms);
  PV_ASSERT(pv_store_open(w->db, &clock, &w->store) == PV_OK);
  add_responses(w, 10, NULL, 0);
  add_responses(w, 34, NULL, 1);
  if (with_session) {
    pv_store_session info = {.kind = "table_de_quartier"};
    char uuid[PV_UUID_LEN + 1];
    PV_ASSERT(pv_store_session_begin(w->store, &info, uuid) == PV_OK);
    PV_ASSERT(pv_store_setting_set(w->store, "anim.session", uuid) == PV_OK);
    add_responses(w, 2, uuid, 0);
  }
  w->clock_ms = T0;
  w->fk.st = (pv_anim_status){
      .sync_configured = 1, .storage_free = 2300000000LL, .battery = 80, .charging = 1};
  pv_time_iso(T0 - 3600 * 1000LL, w->fk.st.last_sync); /* 14:05 UTC */
  w->fk.export_msg = "";
  w->env = (pv_anim_env){.ud = &w->fk,
                         .status = fake_status,
                         .sync_now = fake_sync_now,
                         .usb_dirs = fake_dirs,
                         .usb_export = fake_export,
                         .set_volume = fake_volume};
  pv_anim_settings defaults = {
      .inactivity_s = 40, .volume = 80, .autoplay = 1, .voice_notes = 1, .k = 3};
  w->a = pv_anim_new(w->store, &clock, w->surveys, 3, &defaults, &w->env);
  PV_ASSERT(w->a);
  pv_ui_init(&w->ui, 20);
  w->width = 800;
  w->height = 480;
}

static void world_close(world *w) {
  pv_anim_free(w->a);
  pv_store_close(w->store);
  for (int i = 0; i < 3; i++)
    pv_survey_free(w->surveys[i]);
}

static void go(world *w, anim_screen s) {
  anim_go(w->a, s);
  frame(w);
  frame(w);
}

/* ---- status
 * -------------------------------------------------------------------------- */

static void test_counts(const char *dir) {
  world w;
  world_open(&w, dir, 1);
  w.fk.st.problem[0] = '\0';
  snprintf(w.fk.st.problem, sizeof w.fk.st.problem,
           "Le collecteur ne répond pas : vérifiez le Wi-Fi.");
  /* through the menu, as an animateur gets there */
  go(&w, ANIM_MENU);
  CHECK(tap(&w, "menu:status"));
  CHECK_STR(pv_anim_screen_name(w.a), "status");
  CHECK(w.fk.status_calls > 0);
  CHECK_TEXT(&w, "État et réglages");
  CHECK_TEXT(&w, "12 réponses en attente d'envoi");
  CHECK_TEXT(&w, "34 envoyées");
  CHECK_TEXT(&w, "Session en cours : 2 réponses, dont 2 en attente");
  CHECK_TEXT(&w, "Dernier envoi : aujourd'hui 14:05");
  CHECK_TEXT(&w, "Espace libre : 2,3 Go");
  CHECK_TEXT(&w, "Batterie : 80 %, en charge");
  const pv_draw_cmd *problem = text_cmd(&w, "Le collecteur ne répond pas");
  CHECK(problem && problem->color == COL_BAD);
  /* short of room: ids and versions run together */
  CHECK_TEXT(&w,
             "Questionnaires : lien-social v1, qualite-habiter v1, tranquillite v1");
  CHECK(pv_ui_find(&w.ui, "sync-now") != NULL);

  /* the other states of the same lines */
  struct {
    int configured;
    int64_t ago_ms, storage;
    int battery, charging;
    const char *want[3];
    int red; /* the storage or battery line turns red */
  } cases[] = {
      {0,
       0,
       50000000LL,
       -1,
       0,
       {"Pas de collecteur configuré", "Espace libre : 50 Mo"},
       1},
      {1,
       -1,
       999999LL,
       15,
       0,
       {"Jamais envoyé", "moins de 1 Mo", "Batterie : 15 %"},
       1},
      {1,
       24 * 3600 * 1000LL,
       100000000LL,
       50,
       0,
       {"Dernier envoi : hier 15:05", "Espace libre : 100 Mo", "Batterie : 50 %"},
       0},
      {1,
       3 * 24 * 3600 * 1000LL,
       12345678901LL,
       100,
       1,
       {"Dernier envoi : 20/11/2026 15:05", "Espace libre : 12,3 Go"},
       0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    w.fk.st = (pv_anim_status){.sync_configured = cases[i].configured,
                               .storage_free = cases[i].storage,
                               .battery = cases[i].battery,
                               .charging = cases[i].charging};
    if (cases[i].ago_ms > 0)
      pv_time_iso(T0 - cases[i].ago_ms, w.fk.st.last_sync);
    frame(&w);
    for (int j = 0; j < 3 && cases[i].want[j]; j++)
      CHECK_TEXT(&w, cases[i].want[j]);
    CHECK_INT(has_text(&w, "Batterie"), cases[i].battery >= 0);
    const pv_draw_cmd *s = text_cmd(&w, "Espace libre");
    const pv_draw_cmd *b = text_cmd(&w, "Batterie");
    CHECK_INT((s && s->color == COL_BAD) || (b && b->color == COL_BAD), cases[i].red);
  }
  /* one of each, no session */
  world_close(&w);
  world_open(&w, dir, 0);
  go(&w, ANIM_STATUS);
  CHECK(!has_text(&w, "Session en cours"));
  world_close(&w);
}

static void test_singular(const char *dir) {
  world w;
  world_open(&w, dir, 0);
  /* a fresh store beside: one pending, one synced */
  pv_store_close(w.store);
  pv_anim_free(w.a);
  char db[600];
  snprintf(db, sizeof db, "%s/one.db", dir);
  pv_clock clock = pv_clock_virtual(&w.clock_ms);
  PV_ASSERT(pv_store_open(db, &clock, &w.store) == PV_OK);
  add_responses(&w, 1, NULL, 0);
  add_responses(&w, 1, NULL, 1);
  w.a = pv_anim_new(w.store, &clock, w.surveys, 3, NULL, &w.env);
  go(&w, ANIM_STATUS);
  CHECK_TEXT(&w, "1 réponse en attente d'envoi");
  CHECK_TEXT(&w, "1 envoyée");
  CHECK(!has_text(&w, "1 envoyées"));
  world_close(&w);
}

/* ---- settings
 * ------------------------------------------------------------------------ */

static void check_setting(world *w, const char *key, const char *want) {
  char buf[64];
  const char *got = setting(w, key, buf, sizeof buf);
  if (!want) {
    CHECK(got == NULL);
    return;
  }
  CHECK_STR(got, want);
}

static void test_settings(const char *dir) {
  world w;
  world_open(&w, dir, 0);
  go(&w, ANIM_STATUS);
  const pv_anim_settings *s = pv_anim_settings_now(w.a);
  unsigned gen = pv_anim_generation(w.a);

  /* inactivity: 20..300 by 10 */
  CHECK_TEXT(&w, "40 s");
  CHECK(tap(&w, "set:inactivity:+"));
  CHECK_INT(s->inactivity_s, 50);
  check_setting(&w, "kiosk.inactivity_s", "50");
  CHECK(pv_anim_generation(w.a) != gen);
  CHECK_TEXT(&w, "50 s");
  for (int i = 0; i < 10; i++)
    tap(&w, "set:inactivity:-");
  CHECK_INT(s->inactivity_s, 20);
  check_setting(&w, "kiosk.inactivity_s", "20");
  for (int i = 0; i < 40; i++)
    tap(&w, "set:inactivity:+");
  CHECK_INT(s->inactivity_s, 300);
  check_setting(&w, "kiosk.inactivity_s", "300");

  /* volume: 0..100 by 10, applied at once */
  CHECK(tap(&w, "set:volume:+"));
  CHECK_INT(s->volume, 90);
  CHECK_INT(w.fk.volume, 90);
  tap(&w, "set:volume:+");
  int calls = w.fk.volume_calls;
  tap(&w, "set:volume:+"); /* at 100: disabled */
  CHECK_INT(s->volume, 100);
  CHECK_INT(w.fk.volume_calls, calls);
  check_setting(&w, "kiosk.volume", "100");
  for (int i = 0; i < 12; i++)
    tap(&w, "set:volume:-");
  CHECK_INT(s->volume, 0);
  CHECK_INT(w.fk.volume, 0);
  check_setting(&w, "kiosk.volume", "0");

  /* K: 1..10 */
  tap(&w, "set:k:-");
  tap(&w, "set:k:-");
  tap(&w, "set:k:-");
  CHECK_INT(s->k, 1);
  check_setting(&w, "restit.k", "1");
  for (int i = 0; i < 12; i++)
    tap(&w, "set:k:+");
  CHECK_INT(s->k, 10);
  check_setting(&w, "restit.k", "10");

  /* toggles */
  CHECK(tap(&w, "set:autoplay"));
  CHECK_INT(s->autoplay, 0);
  check_setting(&w, "kiosk.autoplay", "0");
  tap(&w, "set:autoplay");
  CHECK_INT(s->autoplay, 1);
  check_setting(&w, "kiosk.autoplay", "1");
  CHECK(tap(&w, "set:voice"));
  CHECK_INT(s->voice_notes, 0);
  check_setting(&w, "kiosk.voice_notes", "0");
  CHECK_TEXT(&w, "Kiosque");
  CHECK(tap(&w, "set:mode"));
  CHECK_INT(s->mode, PV_MODE_TABLET);
  check_setting(&w, "kiosk.mode", "1");
  CHECK_TEXT(&w, "Tablette");
  CHECK_INT(pv_anim_mode_now(w.a), PV_MODE_TABLET);

  /* default language: the surveys' languages, then none */
  static const struct {
    const char *tag, *shown;
  } langs[] = {
      {"fr", "Français"}, {"ar", "العربية"}, {"en", "English"}, {NULL, "Aucune"}};
  CHECK_TEXT(&w, "Aucune");
  for (size_t i = 0; i < 4; i++) {
    CHECK(tap(&w, "set:lang"));
    CHECK_STR(s->default_lang, langs[i].tag ? langs[i].tag : "");
    check_setting(&w, "kiosk.default_lang", langs[i].tag);
    const pv_draw_cmd *c = text_cmd(&w, langs[i].shown);
    CHECK(c != NULL);
    if (c && langs[i].tag)
      CHECK_STR(c->style.lang, langs[i].tag); /* drawn in its own script */
  }

  /* a restart reads them back */
  pv_anim_free(w.a);
  pv_clock clock = pv_clock_virtual(&w.clock_ms);
  w.a = pv_anim_new(w.store, &clock, w.surveys, 3, NULL, &w.env);
  s = pv_anim_settings_now(w.a);
  CHECK_INT(s->inactivity_s, 300);
  CHECK_INT(s->volume, 0);
  CHECK_INT(s->k, 10);
  CHECK_INT(s->voice_notes, 0);
  CHECK_INT(s->mode, PV_MODE_TABLET);
  world_close(&w);
}

/* ---- sync now ----------------------------------------------------------------------
 */

/* 1 when the draw list has a rect filled with c exactly over r. */
static int filled(const world *w, pv_rect r, pv_color c) {
  for (size_t i = 0; i < w->dl.count; i++) {
    const pv_draw_cmd *d = &w->dl.cmds[i];
    if (d->kind == PV_DRAW_RECT && d->color == c && d->rect.x == r.x &&
        d->rect.y == r.y && d->rect.w == r.w && d->rect.h == r.h)
      return 1;
  }
  return 0;
}

static void test_sync_now(const char *dir) {
  world w;
  world_open(&w, dir, 0);
  go(&w, ANIM_STATUS);
  CHECK(tap(&w, "sync-now"));
  CHECK_INT(w.fk.sync_calls, 1);
  CHECK_TEXT(&w, "Envoi demandé");
  world_close(&w);

  world_open(&w, dir, 0);
  w.a->env.sync_now = NULL; /* a device without a collector */
  w.fk.st.sync_configured = 0;
  go(&w, ANIM_STATUS);
  const pv_rect *r = pv_ui_find(&w.ui, "sync-now");
  CHECK(r != NULL);
  if (r)
    CHECK(filled(&w, *r, COL_DISABLED));
  tap(&w, "sync-now"); /* does nothing, and does not crash */
  CHECK_INT(w.fk.sync_calls, 0);
  CHECK(!has_text(&w, "Envoi demandé"));
  CHECK(tap(&w, "back"));
  CHECK_STR(pv_anim_screen_name(w.a), "admin");
  world_close(&w);
}

/* ---- USB
 * ----------------------------------------------------------------------------- */

static void test_usb(const char *dir) {
  world w;
  world_open(&w, dir, 0);
  char a[PV_ANIM_PATH - 100], b[PV_ANIM_PATH - 100];
  snprintf(a, sizeof a, "%.300s/sticks/CLE-A", dir);
  snprintf(b, sizeof b, "%.300s/sticks", dir);
  mkdir(b, 0755);
  mkdir(a, 0755);
  snprintf(b, sizeof b, "%.300s/sticks/CLE-B/", dir);
  mkdir(b, 0755);
  snprintf(w.fk.dirs[0], PV_ANIM_PATH, "%s", a);
  snprintf(w.fk.dirs[1], PV_ANIM_PATH, "%s", b);
  w.fk.n_dirs = 2;

  go(&w, ANIM_MENU);
  CHECK(tap(&w, "menu:usb"));
  CHECK_STR(pv_anim_screen_name(w.a), "usb");
  CHECK_INT(w.fk.dirs_calls, 1); /* listed on entering */
  CHECK(pv_ui_find(&w.ui, "usb:1") && pv_ui_find(&w.ui, "usb:2"));
  CHECK(!pv_ui_find(&w.ui, "usb:3"));
  CHECK_TEXT(&w, "CLE-A");
  CHECK_TEXT(&w, "CLE-B");
  CHECK_TEXT(&w, "libres"); /* free space, measured */

  w.fk.export_msg = "Export terminé : 44 réponses, 0 séance, 0 fichier joint.";
  CHECK(tap(&w, "usb:2"));
  CHECK_INT(w.fk.export_calls, 1);
  CHECK_STR(w.fk.exported_to, b);
  const pv_draw_cmd *c = text_cmd(&w, "Export terminé : 44 réponses");
  CHECK(c && c->color == COL_GOOD);

  w.fk.export_err = PV_ERR_FULL;
  w.fk.export_msg = "La clé USB est pleine. Rien n'a été effacé sur la tablette.";
  CHECK(tap(&w, "usb:1"));
  CHECK_INT(w.fk.export_calls, 2);
  CHECK_STR(w.fk.exported_to, a);
  c = text_cmd(&w, "La clé USB est pleine. Rien n'a été effacé sur la tablette.");
  CHECK(c && c->color == COL_BAD);
  CHECK(!has_text(&w, "Export terminé"));

  /* a callback saying nothing still gets a sentence */
  w.fk.export_msg = "";
  tap(&w, "usb:1");
  CHECK_TEXT(&w, "Rien n'a été effacé");

  /* the stick is pulled out: refresh */
  w.fk.n_dirs = 0;
  CHECK(tap(&w, "usb:refresh"));
  CHECK_INT(w.fk.dirs_calls, 2);
  CHECK(!pv_ui_find(&w.ui, "usb:1"));
  CHECK_TEXT(&w, "Branchez une clé USB");
  CHECK(!has_text(&w, "pleine")); /* the old outcome went with the list */
  world_close(&w);
}

/* ---- layout
 * -------------------------------------------------------------------------- */

static int inside(pv_rect in, pv_rect r) {
  return r.x >= in.x && r.y >= in.y && r.x + r.w <= in.x + in.w &&
         r.y + r.h <= in.y + in.h;
}

static int overlap(pv_rect a, pv_rect b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/* Widgets and texts on screen, widgets apart, texts apart, each text in
 * one widget or outside all, every widget at least touch_min. */
static void check_layout(world *w, const char *what) {
  pv_rect screen = {0, 0, w->width, w->height};
  int bad = 0;
  CHECK_INT(w->dl.dropped, 0);
  for (int i = 0; i < w->ui.n_last; i++) {
    const pv_ui_widget *a = &w->ui.last[i];
    int side = a->rect.w < a->rect.h ? a->rect.w : a->rect.h;
    if (!inside(screen, a->rect) || side < w->m.touch_min) {
      fprintf(stderr, "%s %dx%d: %s off screen or small\n", what, w->width, w->height,
              a->id);
      bad++;
    }
    for (int j = i + 1; j < w->ui.n_last; j++)
      if (overlap(a->rect, w->ui.last[j].rect)) {
        fprintf(stderr, "%s %dx%d: %s overlaps %s\n", what, w->width, w->height, a->id,
                w->ui.last[j].id);
        bad++;
      }
  }
  for (size_t i = 0; i < w->dl.count; i++) {
    const pv_draw_cmd *t = &w->dl.cmds[i];
    if (t->kind != PV_DRAW_TEXT)
      continue;
    if (!inside(screen, t->rect) || t->rect.h <= 0 || t->rect.w <= 0) {
      fprintf(stderr, "%s %dx%d: text \"%s\" off screen\n", what, w->width, w->height,
              t->text);
      bad++;
    }
    for (size_t j = i + 1; j < w->dl.count; j++)
      if (w->dl.cmds[j].kind == PV_DRAW_TEXT && overlap(t->rect, w->dl.cmds[j].rect)) {
        fprintf(stderr, "%s %dx%d: text \"%s\" overlaps \"%s\"\n", what, w->width,
                w->height, t->text, w->dl.cmds[j].text);
        bad++;
      }
    for (int k = 0; k < w->ui.n_last; k++)
      if (overlap(t->rect, w->ui.last[k].rect) &&
          !inside(w->ui.last[k].rect, t->rect)) {
        fprintf(stderr, "%s %dx%d: text \"%s\" straddles %s\n", what, w->width,
                w->height, t->text, w->ui.last[k].id);
        bad++;
      }
  }
  CHECK_INT(bad, 0);
}

static void test_layout(const char *dir) {
  static const int sizes[][2] = {{800, 480}, {1280, 800}, {480, 800}};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    world w;
    world_open(&w, dir, 1); /* every line: session, problem, battery, a message */
    w.width = sizes[i][0];
    w.height = sizes[i][1];
    snprintf(w.fk.st.problem, sizeof w.fk.st.problem,
             "Le collecteur a refusé la connexion : le jeton de la tablette n'est plus "
             "valable. Demandez-en un nouveau.");
    w.fk.st.storage_free = 50000000LL;
    w.fk.st.storage_in_memory = 1;
    go(&w, ANIM_STATUS);
    /* answers at risk: said first, in red, at every size */
    const pv_draw_cmd *risk = text_cmd(&w, "perdues si l'appareil s'éteint");
    const pv_draw_cmd *sync = text_cmd(&w, "en attente d'envoi");
    CHECK(risk && risk->color == COL_BAD);
    CHECK(risk && sync && risk->rect.y < sync->rect.y);
    tap(&w, "sync-now");
    tap(&w, "set:autoplay"); /* off: no badge */
    tap(&w, "set:voice");
    check_layout(&w, "status");
    CHECK_TEXT(&w, "Envoi demandé");
    CHECK(pv_ui_find(&w.ui, "set:mode") != NULL);
    if (w.width == 1280) { /* room for a line each */
      CHECK_TEXT(&w, "Questionnaires chargés (3)");
      CHECK_TEXT(&w, "Ensemble dans mon quartier — lien-social, version 1");
      CHECK_TEXT(&w, "tranquillite, version 1");
    }
    tap(&w, "set:autoplay"); /* on: the check badge */
    check_layout(&w, "status, toggles on");

    for (size_t n = 0; n <= PV_ANIM_MAX_USB_DIRS; n += PV_ANIM_MAX_USB_DIRS / 2) {
      w.fk.n_dirs = n;
      for (size_t d = 0; d < n; d++)
        snprintf(w.fk.dirs[d], PV_ANIM_PATH, "/media/animateur/CLE-USB-%zu", d + 1);
      w.fk.export_err = PV_ERR_STATE;
      w.fk.export_msg = "La clé USB est protégée en écriture : poussez le petit "
                        "verrou sur le côté de la clé. Rien n'a été effacé sur la "
                        "tablette.";
      go(&w, ANIM_USB);
      check_layout(&w, "usb");
      if (n) {
        char id[16];
        snprintf(id, sizeof id, "usb:%zu", n);
        CHECK(tap(&w, id));
        CHECK_TEXT(&w, "protégée en écriture");
        check_layout(&w, "usb, outcome");
      }
    }
    world_close(&w);
  }
}

/* ---- the platform side
 * --------------------------------------------------------------- */

/* The type /proc/mounts gives the mount holding dir (the longest mount
 * point that is a prefix of its real path), into type. */
static void mount_type(const char *dir, char *type, size_t cap) {
  char real[PATH_MAX], line[1024], best_dir[PATH_MAX] = "";
  type[0] = '\0';
  if (!realpath(dir, real))
    return;
  FILE *f = fopen("/proc/mounts", "r");
  while (f && fgets(line, sizeof line, f)) {
    char dev[256], mnt[PATH_MAX], fs[64];
    if (sscanf(line, "%255s %4095s %63s", dev, mnt, fs) != 3)
      continue;
    size_t n = strlen(mnt);
    int under = strcmp(mnt, "/") == 0 ||
                (strncmp(real, mnt, n) == 0 && (real[n] == '/' || real[n] == '\0'));
    if (under && n >= strlen(best_dir)) {
      snprintf(best_dir, sizeof best_dir, "%s", mnt);
      snprintf(type, cap, "%s", fs);
    }
  }
  if (f)
    fclose(f);
}

/* The store's folder in memory: pv_anim_env_in_memory agrees with
 * /proc/mounts on the test's folder and on /dev/shm (tmpfs), and the
 * status says so. */
static void test_env_in_memory(const char *dir) {
  const char *dirs[] = {dir, "/dev/shm", "/proc"};
  int seen_memory = 0;
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
    char type[64];
    mount_type(dirs[i], type, sizeof type);
    if (!type[0])
      continue;
    if (strcmp(type, "overlay") == 0)
      continue; /* depends on its upper layer: test_env_overlay */
    int want = strcmp(type, "tmpfs") == 0 || strcmp(type, "ramfs") == 0;
    seen_memory |= want;
    if (pv_anim_env_in_memory(dirs[i]) != want)
      pv_test_fail(__FILE__, __LINE__, "%s (%s): in memory %d, expected %d", dirs[i],
                   type, pv_anim_env_in_memory(dirs[i]), want);
    else
      pv_test_passed++;
  }
  CHECK(seen_memory); /* /dev/shm is tmpfs on Debian: the check ran both ways */
  CHECK_INT(pv_anim_env_in_memory("/no/such/folder"), 0);

  char db[700];
  snprintf(db, sizeof db, "/dev/shm/pv-test-%ld.db", (long)getpid());
  pv_anim_env env;
  pv_anim_platform p;
  pv_anim_env_init(&env, &p, db, NULL, NULL, NULL);
  pv_anim_status st;
  env.status(env.ud, &st);
  CHECK_INT(st.storage_in_memory, pv_anim_env_in_memory("/dev/shm"));
}

/* An overlay's upper layer from mountinfo (a made-up one, as Raspberry Pi
 * OS's overlayroot writes it): the innermost mount holding the folder
 * decides, "\040" is a space, other mounts are not overlays. */
static void test_env_overlay(const char *dir) {
  char info[700], inner[700], text[10000], up[PV_ANIM_PATH];
  snprintf(info, sizeof info, "%s/mountinfo", dir);
  snprintf(inner, sizeof inner, "%s/inner", dir);
  mkdir(inner, 0700);
  char real[PATH_MAX];
  CHECK(realpath(dir, real) != NULL);
  snprintf(text, sizeof text,
           "1 0 8:2 / / rw,noatime - ext4 /dev/mmcblk0p2 rw\n"
           "24 1 0:21 / /dev/shm rw,nosuid - tmpfs tmpfs rw\n"
           "30 1 0:40 / %s rw,relatime - overlay overlayroot "
           "rw,lowerdir=/media/root-ro,upperdir=/media/root-rw/over\\040lay,"
           "workdir=/media/root-rw/work\n"
           "31 30 0:41 / %s/inner rw - tmpfs tmpfs rw\n",
           real, real);
  pv_test_write(info, text, strlen(text));
  setenv("PV_MOUNTINFO", info, 1);
  CHECK_INT(pv_anim_env_overlay_upper(dir, up, sizeof up), 1);
  CHECK_STR(up, "/media/root-rw/over lay");
  char below[800];
  snprintf(below, sizeof below, "%s/.", inner); /* a mount inside: not the overlay */
  CHECK_INT(pv_anim_env_overlay_upper(below, up, sizeof up), 0);
  CHECK_INT(pv_anim_env_overlay_upper("/dev/shm", up, sizeof up), 0);
  CHECK_INT(pv_anim_env_overlay_upper("/no/such/folder", up, sizeof up), 0);
  snprintf(text, sizeof text, "garbage\n\n1 2\n");
  pv_test_write(info, text, strlen(text));
  CHECK_INT(pv_anim_env_overlay_upper(dir, up, sizeof up), 0);
  unsetenv("PV_MOUNTINFO");
}

static void write_file(const char *dir, const char *name, const char *text) {
  char path[800];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  pv_test_write(path, text, strlen(text));
}

static void test_env_battery(const char *dir) {
  char root[600], bat[700], ac[700];
  snprintf(root, sizeof root, "%s/power", dir);
  snprintf(ac, sizeof ac, "%s/AC", root);
  snprintf(bat, sizeof bat, "%s/BAT0", root);
  write_file(ac, "type", "Mains\n");
  write_file(ac, "online", "1\n");
  setenv("PV_POWER_SUPPLY_DIR", root, 1);

  pv_anim_env env;
  pv_anim_platform p;
  char db[700];
  snprintf(db, sizeof db, "%s/kiosk.db", dir);
  pv_anim_env_init(&env, &p, db, NULL, NULL, NULL);
  CHECK(env.status != NULL && env.usb_dirs != NULL);
  CHECK(env.sync_now == NULL && env.set_volume == NULL && env.usb_export == NULL);
  CHECK_STR(p.store_dir, dir);

  pv_anim_status st;
  env.status(env.ud, &st);
  CHECK_INT(st.battery, -1); /* mains only */
  CHECK_INT(st.sync_configured, 0);
  CHECK(st.storage_free > 0);

  static const struct {
    const char *capacity, *status;
    int battery, charging;
  } cases[] = {
      {"57\n", "Discharging\n", 57, 0}, {"100\n", "Full\n", 100, 1},
      {"12", "Charging", 12, 1},        {"80\n", "Not charging\n", 80, 1},
      {"abc\n", "Charging\n", -1, 0},   {"140\n", "Discharging\n", -1, 0},
      {"-3\n", "Discharging\n", -1, 0}, {"", "Unknown\n", -1, 0},
  };
  write_file(bat, "type", "Battery\n");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    write_file(bat, "capacity", cases[i].capacity);
    write_file(bat, "status", cases[i].status);
    env.status(env.ud, &st);
    CHECK_INT(st.battery, cases[i].battery);
    CHECK_INT(st.charging, cases[i].charging);
  }
  setenv("PV_POWER_SUPPLY_DIR", "/nonexistent/power", 1);
  env.status(env.ud, &st);
  CHECK_INT(st.battery, -1);
  unsetenv("PV_POWER_SUPPLY_DIR");
}

static void test_env_usb(const char *dir) {
  char r1[600], r2[600], path[800];
  snprintf(r1, sizeof r1, "%s/roots/one", dir);
  snprintf(r2, sizeof r2, "%s/roots/two", dir);
  write_file(r1, "B/.keep", "");
  write_file(r1, "A/.keep", "");
  write_file(r1, ".hidden/.keep", "");
  write_file(r1, "not-a-folder.txt", "x");
  write_file(r2, "C/.keep", "");
  char roots[1300];
  snprintf(roots, sizeof roots, "%s:/nonexistent:%s", r1, r2);
  setenv("PV_USB_ROOTS", roots, 1);

  pv_anim_env env;
  pv_anim_platform p;
  pv_anim_env_init(&env, &p, "kiosk.db", NULL, NULL, NULL);
  CHECK_STR(p.store_dir, ".");
  char dirs[PV_ANIM_MAX_USB_DIRS][PV_ANIM_PATH];
  size_t n = env.usb_dirs(env.ud, dirs, PV_ANIM_MAX_USB_DIRS);
  CHECK_INT(n, 3);
  if (n == 3) {
    snprintf(path, sizeof path, "%s/A", r1);
    CHECK_STR(dirs[0], path);
    snprintf(path, sizeof path, "%s/B", r1);
    CHECK_STR(dirs[1], path);
    snprintf(path, sizeof path, "%s/C", r2);
    CHECK_STR(dirs[2], path);
  }
  CHECK_INT(env.usb_dirs(env.ud, dirs, 2), 2); /* bounded */

  if (geteuid() != 0) { /* root writes anywhere */
    snprintf(path, sizeof path, "%s/B", r1);
    chmod(path, 0555);
    CHECK_INT(env.usb_dirs(env.ud, dirs, PV_ANIM_MAX_USB_DIRS), 2);
    chmod(path, 0755);
  }
  setenv("PV_USB_ROOTS", "/nonexistent", 1);
  CHECK_INT(env.usb_dirs(env.ud, dirs, PV_ANIM_MAX_USB_DIRS), 0);
  unsetenv("PV_USB_ROOTS");
}

/* The real thing: the screen over pv_anim_env_init's callbacks, a real
 * export into a folder offered through PV_USB_ROOTS, then the same folder
 * gone. */
static void test_env_export(const char *dir) {
  world w;
  world_open(&w, dir, 1);
  char root[600], stick[700];
  snprintf(root, sizeof root, "%s/media", dir);
  snprintf(stick, sizeof stick, "%s/STICK", root);
  write_file(stick, ".keep", "");
  setenv("PV_USB_ROOTS", root, 1);
  pv_anim_platform p;
  pv_anim_env_init(&w.a->env, &p, w.db, w.store, NULL, NULL);

  go(&w, ANIM_USB);
  CHECK(pv_ui_find(&w.ui, "usb:1") != NULL);
  CHECK_TEXT(&w, "STICK");
  CHECK(tap(&w, "usb:1"));
  const pv_draw_cmd *c = text_cmd(&w, "Export terminé : 46 réponses");
  CHECK(c && c->color == COL_GOOD);
  if (!c)
    dump_texts(&w);
  DIR *d = opendir(stick);
  int exports = 0;
  for (struct dirent *e; d && (e = readdir(d));)
    exports += !strncmp(e->d_name, "porte-voix-", 11);
  if (d)
    closedir(d);
  CHECK_INT(exports, 1);
  pv_store_counts counts;
  CHECK_INT(pv_store_count(w.store, NULL, &counts), PV_OK);
  CHECK_INT(counts.pending, 12); /* an export marks nothing synced */

  pv_test_rmtree(stick); /* pulled out between listing and tapping */
  CHECK(tap(&w, "usb:1"));
  c = text_cmd(&w, "Rien n'a été effacé sur la tablette.");
  CHECK(c && c->color == COL_BAD);
  if (!c)
    dump_texts(&w);
  unsetenv("PV_USB_ROOTS");

  /* status through the real callbacks: no sync thread, the store's disk */
  go(&w, ANIM_STATUS);
  CHECK_TEXT(&w, "Pas de collecteur configuré");
  CHECK_TEXT(&w, "Espace libre : ");
  world_close(&w);
}

/* ---- the restitution screen's guards
 * -------------------------------------------------
 */

static int has_exact(const world *w, const char *text) {
  for (size_t i = 0; i < w->dl.count; i++)
    if (w->dl.cmds[i].kind == PV_DRAW_TEXT && w->dl.cmds[i].text &&
        strcmp(w->dl.cmds[i].text, text) == 0)
      return 1;
  return 0;
}

/* n residents of the running session answering entraide (yes_no) "yes". */
static void say_yes(world *w, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char uuid[PV_UUID_LEN + 1];
    PV_ASSERT(pv_store_begin(w->store, "lien-social", 1, pv_anim_session(w->a), "fr",
                             uuid) == PV_OK);
    PV_ASSERT(pv_store_put_answer(w->store, uuid, "entraide", "\"yes\"",
                                  PV_QUANTITATIVE) == PV_OK);
    PV_ASSERT(pv_store_finish(w->store, uuid) == PV_OK);
    w->clock_ms += 1000;
  }
}

/* Opens the restitution on entraide's page (the third question). */
static void show_entraide(world *w) {
  go(w, ANIM_RESTIT);
  CHECK_STR(pv_anim_screen_name(w->a), "restitution");
  for (int i = 0; i < 2; i++)
    CHECK(tap(w, "restit:next"));
  frame(w);
}

static void test_restit_guards(const char *dir) {
  world w;
  world_open(&w, dir, 1);
  CHECK_INT(pv_pin_set(w.store, "2468"), PV_OK);
  say_yes(&w, 4);
  show_entraide(&w);
  CHECK(has_exact(&w, "4"));
  /* Back soon after: the menu. */
  CHECK(tap(&w, "back"));
  CHECK_STR(pv_anim_screen_name(w.a), "admin");
  /* One more resident: the same snapshot, or the room would learn that
   * resident's answer by comparing. */
  say_yes(&w, 1);
  show_entraide(&w);
  CHECK(has_exact(&w, "4"));
  CHECK(!has_exact(&w, "5"));
  /* Left on screen past the idle delay: the way back asks for the PIN. */
  w.clock_ms += PV_ANIM_IDLE_MS + 1000;
  CHECK_INT(pv_anim_tick(w.a, &w.ui) != 0, 1); /* the results never idle-close */
  frame(&w);
  CHECK_STR(pv_anim_screen_name(w.a), "restitution");
  CHECK(tap(&w, "back"));
  CHECK_STR(pv_anim_screen_name(w.a), "pin");
  /* K = 3 more residents since the snapshot: fresh figures. */
  say_yes(&w, 2);
  show_entraide(&w);
  CHECK(has_exact(&w, "7"));
  world_close(&w);
}

int main(void) {
  setenv("TZ", "UTC", 1);
  tzset();
  char dir[512];
  snprintf(dir, sizeof dir, "%s", pv_test_tmpdir());
  struct {
    const char *name;
    void (*fn)(const char *dir);
  } tests[] = {
      {"counts", test_counts},
      {"singular", test_singular},
      {"settings", test_settings},
      {"sync_now", test_sync_now},
      {"usb", test_usb},
      {"layout", test_layout},
      {"env_battery", test_env_battery},
      {"env_usb", test_env_usb},
      {"env_export", test_env_export},
      {"env_in_memory", test_env_in_memory},
      {"env_overlay", test_env_overlay},
      {"restit_guards", test_restit_guards},
  };
  for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
    char sub[600];
    snprintf(sub, sizeof sub, "%s/%s", dir, tests[i].name);
    mkdir(sub, 0700);
    tests[i].fn(sub);
  }
  pv_test_rmtree(dir);
  return pv_test_done();
}
