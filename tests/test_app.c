/* test_app: the resident's journey through the real sample surveys and a
 * real store, driven by headless scripts without a display: answers land
 * in the store with the right values, conditions and exclusive choices
 * apply, going back keeps answers editable, a timeout leaves an abandoned
 * response and nothing on screen, RTL mirrors the layout, and every touch
 * target stays at least 12 mm on the Pi's 7" screen. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/store.h"
#include "core/survey.h"
#include "core/pin.h"
#include "kiosk/anim.h"
#include "kiosk/app.h"
#include "kiosk/canvas.h"
#include "kiosk/png.h"
#include "core/wav.h"
#include "kiosk/q_drawing.h"
#include "kiosk/recorder.h"
#include "kiosk/script.h"
#include "kiosk/strings.h"
#include "tests/check.h"

static const char *const names[] = {"lien-social", "qualite-habiter", "tranquillite"};

typedef struct world {
  pv_survey *surveys[3];
  pv_store *store;
  int64_t clock_ms;
  pv_app *app;
  pv_ui ui;
  pv_draw_list dl;
  pv_script_env env;
  int small_targets; /* widgets under 12 mm seen in any frame */
  char small_example[96];
  int spoken;
  char last_spoken[4096];
  char prompts_dir[512]; /* where the app writes recorded prompts */
  pv_recorder *rec;      /* the animateur's microphone (world_mic), or NULL */
  pv_qvoice_capture cap;
  char replay[512];
} world;

static pv_text_metrics fake_measure(void *ud, const char *text, const pv_text_style *st,
                                    int max_w) {
  (void)ud;
  int w = (int)strlen(text) * st->size_px / 2;
  int lines = max_w > 0 ? (w + max_w - 1) / max_w : 1;
  if (lines < 1)
    lines = 1;
  return (pv_text_metrics){w < max_w ? w : max_w, lines * st->size_px * 6 / 5, lines,
                           0};
}

static void check_targets(void *ud, const pv_draw_list *dl) {
  world *w = ud;
  (void)dl;
  pv_metrics m;
  pv_metrics_compute(&m, w->env.width, w->env.height, w->env.diagonal_in, 0);
  int min = pv_mm(&m, 12.0) - 1;
  for (int i = 0; i < w->ui.n_last; i++) {
    const pv_ui_widget *wd = &w->ui.last[i];
    int side = wd->rect.w < wd->rect.h ? wd->rect.w : wd->rect.h;
    if (side < min) {
      if (!w->small_targets)
        snprintf(w->small_example, sizeof w->small_example, "%s is %dx%d", wd->id,
                 wd->rect.w, wd->rect.h);
      w->small_targets++;
    }
  }
}

static void speak(void *ud, const char *path) {
  world *w = ud;
  if (!path)
    return;
  w->spoken++;
  snprintf(w->last_spoken, sizeof w->last_spoken, "%s", path);
}

static const char *default_lang;

static void world_open(world *w, const char *dir, int width, int height) {
  memset(w, 0, sizeof *w);
  for (int i = 0; i < 3; i++) {
    char path[512];
    pv_diags d = {0};
    snprintf(path, sizeof path, "%s/content/surveys/%s", PV_SOURCE_DIR, names[i]);
    PV_ASSERT(pv_survey_load(path, NULL, &w->surveys[i], &d) == PV_OK);
    pv_diags_free(&d);
  }
  char db[512];
  snprintf(db, sizeof db, "%s/kiosk.db", dir);
  w->clock_ms = 1700000000000LL;
  pv_clock clock = pv_clock_virtual(&w->clock_ms);
  PV_ASSERT(pv_store_open(db, &clock, &w->store) == PV_OK);
  snprintf(w->prompts_dir, sizeof w->prompts_dir, "%s/prompts", dir);
  pv_app_config cfg = {.inactivity_s = 40,
                       .autoplay = 1,
                       .tts_dir = PV_SOURCE_DIR "/build/tts",
                       .assets_dir = PV_SOURCE_DIR "/assets",
                       .default_lang = default_lang,
                       .prompts_dir = w->prompts_dir};
  w->app = pv_app_new(w->surveys, 3, w->store, &clock, &cfg);
  PV_ASSERT(w->app);
  pv_app_set_speaker(w->app, speak, w);
  pv_app_set_png(w->app, pv_png_encode, NULL);
  pv_ui_init(&w->ui, 20);
  w->env = (pv_script_env){.app = w->app,
                           .ui = &w->ui,
                           .dl = &w->dl,
                           .width = width,
                           .height = height,
                           .diagonal_in = 7.0,
                           .clock_ms = &w->clock_ms,
                           .measure = fake_measure,
                           .render = check_targets,
                           .ud = w};
  pv_script_frame(&w->env);
}

static void world_close(world *w) {
  pv_app_free(w->app);
  pv_recorder_close(w->rec);
  pv_store_close(w->store);
  for (int i = 0; i < 3; i++)
    pv_survey_free(w->surveys[i]);
}

/* Runs script lines; returns the first non-OK code. */
static int play(world *w, const char *const *lines) {
  for (int i = 0; lines[i]; i++) {
    int code = pv_script_line(&w->env, lines[i], i + 1, "script", stderr);
    if (code != PV_SCRIPT_OK)
      return code;
  }
  return PV_SCRIPT_OK;
}

static const char *answer_of(const pv_store_response *r, const char *qid) {
  for (size_t i = 0; i < r->answer_count; i++)
    if (strcmp(r->answers[i].question_id, qid) == 0)
      return r->answers[i].value;
  return NULL;
}

typedef struct want {
  const char *qid, *value;
} want;

/* Checks the one pending response: its survey, status, language and
 * answers (n of them, plus `more` checked elsewhere), and that question
 * `absent` (when given) has none. */
static void check_response_ex(world *w, const char *survey, pv_store_status status,
                              const char *lang, const want *answers, size_t n,
                              size_t more, const char *absent) {
  pv_store_batch b = {0};
  CHECK_INT(pv_store_pending(w->store, 10, &b), PV_OK);
  CHECK_INT(b.count, 1);
  if (b.count == 1) {
    const pv_store_response *r = &b.responses[0];
    CHECK_STR(r->survey_id, survey);
    CHECK_INT(r->status, status);
    CHECK_STR(r->language, lang);
    if (absent)
      CHECK(answer_of(r, absent) == NULL);
    for (size_t i = 0; i < n; i++)
      CHECK_STR(answer_of(r, answers[i].qid), answers[i].value);
    CHECK_INT(r->answer_count, n + more);
  }
  pv_store_batch_free(&b);
}

static void check_response(world *w, const char *survey, pv_store_status status,
                           const char *lang, const want *answers, size_t n,
                           const char *absent) {
  check_response_ex(w, survey, status, lang, answers, n, 0, absent);
}

/* A pin the script asked for: its kind and where (0..1 on the plan). */
typedef struct want_pin {
  const char *kind;
  double x, y;
} want_pin;

/* Checks the stored answer to qid of the one pending response: exactly
 * these pins, in order, each within 1/100 of where it was asked. */
static void check_pins(world *w, const char *qid, const want_pin *pins, int n) {
  pv_store_batch b = {0};
  CHECK_INT(pv_store_pending(w->store, 10, &b), PV_OK);
  CHECK_INT(b.count, 1);
  const char *value = b.count == 1 ? answer_of(&b.responses[0], qid) : NULL;
  CHECK(value != NULL);
  cJSON *a = value ? cJSON_Parse(value) : NULL;
  CHECK(cJSON_IsArray(a));
  CHECK_INT(cJSON_GetArraySize(a), n);
  int i = 0;
  for (const cJSON *it = a ? a->child : NULL; it && i < n; it = it->next, i++) {
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(it, "kind");
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(it, "x");
    const cJSON *y = cJSON_GetObjectItemCaseSensitive(it, "y");
    CHECK(cJSON_IsString(k) && cJSON_IsNumber(x) && cJSON_IsNumber(y));
    if (!cJSON_IsString(k) || !cJSON_IsNumber(x) || !cJSON_IsNumber(y))
      continue;
    CHECK_STR(k->valuestring, pins[i].kind);
    CHECK(fabs(x->valuedouble - pins[i].x) <= 0.01);
    CHECK(fabs(y->valuedouble - pins[i].y) <= 0.01);
    if (fabs(x->valuedouble - pins[i].x) > 0.01 ||
        fabs(y->valuedouble - pins[i].y) > 0.01)
      fprintf(stderr, "pin %d: got %g %g, want %g %g\n", i + 1, x->valuedouble,
              y->valuedouble, pins[i].x, pins[i].y);
  }
  cJSON_Delete(a);
  pv_store_batch_free(&b);
}

static const char *const french_run[] = {
    "expect attract",
    "tap 400 240",
    "expect language",
    "tap @lang:fr",
    "expect consent",
    "tap @consent:yes",
    "expect survey",
    "tap @survey:lien-social",
    "expect question:seul",
    "tap @choice:7",
    "tap @next",
    "expect question:parler_voisins",
    "hold @choice:souvent 800   # a long press speaks, does not choose",
    "tap @choice:souvent",
    "tap @next",
    "expect question:entraide",
    "tap @choice:yes",
    "tap @next",
    "expect question:lieux_rencontre",
    "tap @choice:parc",
    "tap @choice:cafe",
    "tap @choice:nulle_part     # exclusive: clears the others",
    "tap @choice:centre_social  # and is cleared in turn",
    "tap @next",
    "expect question:centre_social",
    "tap @choice:no",
    "tap @next",
    "expect question:instances  # centre_social_accueil is hidden",
    "tap @skip",
    "expect question:ecoute",
    "tap @choice:4",
    "tap @back",
    "expect question:instances",
    "tap @choice:table_quartier",
    "tap @next",
    "expect question:ecoute",
    "tap @next                  # the 4 was kept",
    "expect question:envie_participer",
    "tap @choice:yes",
    "tap @next",
    "expect question:comment_participer",
    "tap @choice:marche",
    "tap @choice:reunion",
    "tap @choice:animateur      # the last one ranks itself",
    "tap @next",
    "expect question:dessin",
    "tap @skip                  # nothing drawn: nothing stored",
    "expect question:idee",
    "tap @skip                  # writing is optional",
    "expect thanks",
    "wait 9000",
    "expect attract",
    NULL,
};

static void test_french_run(const char *dir) {
  world w;
  world_open(&w, dir, 800, 480);
  CHECK_INT(play(&w, french_run), PV_SCRIPT_OK);
  static const want answers[] = {
      {"seul", "7"},
      {"parler_voisins", "\"souvent\""},
      {"entraide", "\"yes\""},
      {"lieux_rencontre", "[\"centre_social\"]"},
      {"centre_social", "\"no\""},
      {"instances", "[\"table_quartier\"]"},
      {"ecoute", "4"},
      {"envie_participer", "\"yes\""},
      {"comment_participer", "[\"marche\",\"reunion\",\"animateur\",\"tablette\"]"},
  };
  check_response(&w, "lien-social", PV_STORE_COMPLETE, "fr", answers,
                 sizeof answers / sizeof *answers,
                 "centre_social_accueil" /* hidden */);
  CHECK_INT(w.small_targets, 0);
  if (w.small_targets)
    fprintf(stderr, "small target: %s\n", w.small_example);
  CHECK(w.spoken > 10); /* autoplay, long press, feedback */
  world_close(&w);
}

static void test_arabic_timeout(const char *dir) {
  world w;
  world_open(&w, dir, 800, 480);
  static const char *const start[] = {"tap 10 10",
                                      "tap @lang:ar",
                                      "expect consent",
                                      "tap @consent:yes",
                                      "tap @survey:tranquillite",
                                      "expect question:securite_jour",
                                      NULL};
  CHECK_INT(play(&w, start), PV_SCRIPT_OK);
  CHECK_INT(pv_app_rtl(w.app), 1);
  /* Mirrored: next on the left, back and the speaker on the right. */
  const pv_rect *next = pv_ui_find(&w.ui, "next"), *back = pv_ui_find(&w.ui, "back");
  const pv_rect *spk = pv_ui_find(&w.ui, "speak");
  CHECK(next && next->x < 400);
  CHECK(back && back->x > 400);
  CHECK(spk && spk->x > 400);
  static const char *const rest[] = {"tap @choice:2",
                                     "tap @next",
                                     "expect question:securite_nuit",
                                     "tap @choice:1",
                                     "wait 39000",
                                     "expect question:securite_nuit",
                                     "wait 2000               # 'still there?' now",
                                     "tap 400 300             # a touch: carry on",
                                     "expect question:securite_nuit",
                                     "wait 41000",
                                     "wait 11000              # the countdown runs out",
                                     "expect attract",
                                     NULL};
  CHECK_INT(play(&w, rest), PV_SCRIPT_OK);
  CHECK_STR(pv_app_response(w.app), "");
  CHECK_INT(pv_app_rtl(w.app), 0); /* nothing of the resident's choices */
  pv_store_batch b = {0};
  CHECK_INT(pv_store_pending(w.store, 10, &b), PV_OK);
  CHECK_INT(b.count, 1);
  if (b.count == 1) {
    CHECK_INT(b.responses[0].status, PV_STORE_ABANDONED);
    CHECK_STR(b.responses[0].language, "ar");
    CHECK_STR(answer_of(&b.responses[0], "securite_jour"), "2");
    CHECK_STR(answer_of(&b.responses[0], "securite_nuit"), "1");
  }
  pv_store_batch_free(&b);
  CHECK_INT(w.small_targets, 0);
  world_close(&w);
}

static const char *const arabic_run[] = {
    "tap 10 10",
    "tap @lang:ar",
    "tap @consent:yes",
    "tap @survey:qualite-habiter",
    "expect question:bien_quartier",
    "tap @choice:5",
    "tap @next",
    "expect question:logement",
    "tap @choice:2",
    "tap @next",
    "expect question:logement_problemes  # shown: logement is 1, 2 or 3",
    "tap @choice:humidite",
    "tap @choice:ascenseur",
    "tap @next",
    "expect question:proprete",
    "tap @choice:3",
    "tap @next",
    "expect question:reparations",
    "tap @choice:8",
    "tap @next",
    "expect question:transports",
    "tap @choice:1",
    "tap @next",
    "expect question:commerces",
    "tap @choice:no",
    "tap @next",
    "expect question:travaux",
    "tap @choice:yes",
    "tap @next",
    "expect question:travaux_avis",
    "tap @choice:2",
    "tap @next",
    "expect question:priorites",
    "tap @choice:proprete",
    "tap @choice:logement",
    "tap @choice:transports",
    "tap @choice:espaces_verts          # commerces ranks itself last",
    "drag @choice:commerces @choice:proprete  # and swaps with the first",
    "tap @next",
    "expect question:espaces_verts",
    "tap @choice:jeux",
    "tap @next",
    "expect question:carte",
    "pin @aime 0.25 0.30",
    "pin @evite 0.75 0.80",
    "pin @reparer 0.50 0.55",
    "pin @sale 0.10 0.80",
    "pin @rencontre 0.90 0.35",
    "tap @next",
    "expect thanks",
    NULL,
};

static void test_arabic_run(const char *dir) {
  world w;
  world_open(&w, dir, 800, 480);
  CHECK_INT(play(&w, arabic_run), PV_SCRIPT_OK);
  static const want answers[] = {
      {"bien_quartier", "5"},
      {"logement", "2"},
      {"logement_problemes", "[\"humidite\",\"ascenseur\"]"},
      {"proprete", "3"},
      {"reparations", "8"},
      {"transports", "1"},
      {"commerces", "\"no\""},
      {"travaux", "\"yes\""},
      {"travaux_avis", "2"},
      {"priorites",
       "[\"commerces\",\"logement\",\"transports\",\"espaces_verts\",\"proprete\"]"},
      {"espaces_verts", "[\"jeux\"]"},
  };
  check_response_ex(&w, "qualite-habiter", PV_STORE_COMPLETE, "ar", answers,
                    sizeof answers / sizeof *answers, 1, NULL);
  /* The plan is not mirrored: x still runs from the plan's left. */
  static const want_pin pins[] = {{"aime", 0.25, 0.30},
                                  {"evite", 0.75, 0.80},
                                  {"reparer", 0.50, 0.55},
                                  {"sale", 0.10, 0.80},
                                  {"rencontre", 0.90, 0.35}};
  check_pins(&w, "carte", pins, 5);
  CHECK_INT(w.small_targets, 0);
  world_close(&w);
}

/* The French journey through qualite-habiter up to the map. */
static const char *const to_map_fr[] = {
    "tap 10 10",
    "tap @lang:fr",
    "tap @consent:yes",
    "tap @survey:qualite-habiter",
    "tap @choice:4",
    "tap @next",
    "tap @choice:4",
    "tap @next",
    "expect question:proprete  # logement_problemes hidden",
    "tap @choice:2",
    "tap @next",
    "tap @choice:6",
    "tap @next",
    "tap @skip",
    "tap @choice:yes",
    "tap @next",
    "tap @choice:no",
    "tap @next",
    "expect question:priorites",
    "tap @choice:proprete",
    "tap @choice:logement",
    "tap @choice:transports",
    "tap @choice:espaces_verts",
    "tap @next",
    "expect question:espaces_verts",
    "tap @choice:jardin",
    "tap @next",
    "expect question:carte",
    NULL,
};

/* The map in French: place, remove (tap then the remove button, or drag
 * onto it), move, come back to find the pins, fill to max and be refused
 * (shown and spoken), then the stored value. */
static void test_map_fr(const char *dir) {
  world w;
  world_open(&w, dir, 800, 480);
  CHECK_INT(play(&w, to_map_fr), PV_SCRIPT_OK);
  CHECK(pv_ui_find(&w.ui, "skip") != NULL); /* nothing placed: skippable */
  static const char *const place[] = {"pin @aime 0.25 0.30",
                                      "pin @evite 0.75 0.80",
                                      "pin @reparer 0.50 0.55",
                                      "pin @sale 0.10 0.80",
                                      "pin @rencontre 0.90 0.35",
                                      "tap @pinned:2            # ringed and spoken",
                                      "tap @remove              # evite is gone",
                                      "drag @pinned:1 @remove   # and so is aime",
                                      NULL};
  CHECK_INT(play(&w, place), PV_SCRIPT_OK);
  CHECK(pv_ui_find(&w.ui, "pinned:3") != NULL);
  CHECK(pv_ui_find(&w.ui, "pinned:4") == NULL);
  CHECK(pv_ui_find(&w.ui, "skip") == NULL);
  /* Move pin 1 (reparer, at 0.50 0.55) by +40 px, -20 px. */
  const pv_rect *plan = pv_ui_find(&w.ui, "plan"), *p1 = pv_ui_find(&w.ui, "pinned:1");
  CHECK(plan && p1 && plan->w > 300);
  double moved_x = 0.5, moved_y = 0.55;
  if (plan && p1) {
    char line[96];
    snprintf(line, sizeof line, "drag @pinned:1 %d %d", p1->x + p1->w / 2 + 40,
             p1->y + p1->h / 2 - 20);
    moved_x += 40.0 / plan->w;
    moved_y -= 20.0 / plan->h;
    CHECK_INT(pv_script_line(&w.env, line, 1, "move", stderr), PV_SCRIPT_OK);
  }
  static const char *const more[] = {"tap @back",
                                     "expect question:espaces_verts",
                                     "tap @next",
                                     "expect question:carte",
                                     "pin @aime 0.25 0.30",
                                     "pin @aime 0.30 0.80",
                                     "pin @evite 0.50 0.10",
                                     "pin @evite 0.70 0.30",
                                     "pin @reparer 0.70 0.80",
                                     "pin @sale 0.10 0.30",
                                     "pin @rencontre 0.90 0.80 # the 10th: the max",
                                     NULL};
  CHECK_INT(play(&w, more), PV_SCRIPT_OK);
  CHECK(pv_ui_find(&w.ui, "pinned:10") != NULL);
  int spoken = w.spoken;
  CHECK_INT(play(&w, (const char *const[]){"pin @aime 0.50 0.85", NULL}), PV_SCRIPT_OK);
  CHECK(pv_ui_find(&w.ui, "pinned:11") == NULL); /* refused */
  CHECK(w.spoken > spoken);
  char want_path[4096];
  CHECK_INT(pv_str_audio_path(PV_SOURCE_DIR "/build/tts", PV_STR_MAX_REACHED, "fr",
                              want_path, sizeof want_path),
            PV_OK);
  CHECK_STR(w.last_spoken, want_path);
  CHECK_INT(play(&w, (const char *const[]){"tap @next", "expect thanks", NULL}),
            PV_SCRIPT_OK);
  static want_pin pins[] = {{"reparer", 0.50, 0.55},   {"sale", 0.10, 0.80},
                            {"rencontre", 0.90, 0.35}, {"aime", 0.25, 0.30},
                            {"aime", 0.30, 0.80},      {"evite", 0.50, 0.10},
                            {"evite", 0.70, 0.30},     {"reparer", 0.70, 0.80},
                            {"sale", 0.10, 0.30},      {"rencontre", 0.90, 0.80}};
  pins[0].x = moved_x;
  pins[0].y = moved_y;
  check_pins(&w, "carte", pins, 10);
  CHECK_INT(w.small_targets, 0);
  if (w.small_targets)
    fprintf(stderr, "small target: %s\n", w.small_example);
  world_close(&w);
}

/* photo_choice: holding a photo shows it full screen with its label
 * spoken; lifting the finger returns and chooses nothing. */
static void test_photo_preview(const char *dir) {
  world w;
  world_open(&w, dir, 800, 480);
  for (int i = 0; to_map_fr[i] && strcmp(to_map_fr[i], "tap @choice:jardin") != 0; i++)
    CHECK_INT(pv_script_line(&w.env, to_map_fr[i], i + 1, "to_photos", stderr),
              PV_SCRIPT_OK);
  CHECK(pv_ui_find(&w.ui, "skip") != NULL);
  int spoken = w.spoken;
  CHECK_INT(pv_script_line(&w.env, "press @choice:jardin 800", 1, "p", stderr),
            PV_SCRIPT_OK);
  CHECK(w.spoken > spoken); /* its label */
  /* The last image drawn is the photo, over most of the screen. */
  const pv_draw_cmd *img = NULL;
  for (size_t i = 0; i < w.dl.count; i++)
    if (w.dl.cmds[i].kind == PV_DRAW_IMAGE)
      img = &w.dl.cmds[i];
  CHECK(img && img->rect.w > 600 && img->rect.h > 300);
  CHECK(img && strstr(img->path, "jardin") != NULL);
  CHECK_INT(pv_script_line(&w.env, "release", 2, "p", stderr), PV_SCRIPT_OK);
  img = NULL;
  for (size_t i = 0; i < w.dl.count; i++)
    if (w.dl.cmds[i].kind == PV_DRAW_IMAGE && w.dl.cmds[i].rect.w > 600)
      img = &w.dl.cmds[i];
  CHECK(img == NULL);
  CHECK(pv_ui_find(&w.ui, "skip") != NULL); /* nothing chosen */
  CHECK_INT(pv_script_line(&w.env, "release", 3, "p", stderr), PV_SCRIPT_FAILED);
  static const char *const rest[] = {"tap @choice:jardin", "tap @next",
                                     "expect question:carte", NULL};
  CHECK_INT(play(&w, rest), PV_SCRIPT_OK);
  CHECK_INT(w.small_targets, 0);
  world_close(&w);
}

/* Skipping the map stores nothing for it. */
static void test_map_skip(const char *dir) {
  world w;
  world_open(&w, dir, 800, 480);
  CHECK_INT(play(&w, to_map_fr), PV_SCRIPT_OK);
  CHECK_INT(play(&w, (const char *const[]){"tap @skip", "expect thanks", NULL}),
            PV_SCRIPT_OK);
  pv_store_batch b = {0};
  CHECK_INT(pv_store_pending(w.store, 10, &b), PV_OK);
  CHECK_INT(b.count, 1);
  if (b.count == 1)
    CHECK(answer_of(&b.responses[0], "carte") == NULL);
  pv_store_batch_free(&b);
  world_close(&w);
}

/* Into lien-social in lang, answering the one required question and
 * skipping the others, up to the text question `idee`. */
static int to_idee(world *w, const char *lang) {
  char pick[32];
  snprintf(pick, sizeof pick, "tap @lang:%s", lang);
  const char *const start[] = {"tap 10 10",
                               pick,
                               "tap @consent:yes",
                               "tap @survey:lien-social",
                               "expect question:seul",
                               "tap @choice:5",
                               "tap @next",
                               NULL};
  int code = play(w, start);
  char screen[64];
  for (int i = 0; code == PV_SCRIPT_OK && i < 20; i++) {
    if (strcmp(pv_app_screen_name(w->app, screen, sizeof screen), "question:idee") == 0)
      return PV_SCRIPT_OK;
    code = pv_script_line(&w->env, "tap @skip", i + 1, "to_idee", stderr);
  }
  return code == PV_SCRIPT_OK ? PV_SCRIPT_FAILED : code;
}

#define FR_TEXT "Le hall est sombre, ça fait peur à côté"
#define AR_TEXT "الدرج مظلم"

/* The text question in French: closed, only the keyboard button and skip;
 * typed key by key (accents, shift for capitals), kept when going back,
 * edited with backspace, stored byte for byte as a JSON string. */
static void test_text_fr(const char *dir) {
  world w;
  world_open(&w, dir, 800, 480);
  CHECK_INT(to_idee(&w, "fr"), PV_SCRIPT_OK);
  CHECK(pv_ui_find(&w.ui, "keyboard") != NULL);
  CHECK(pv_ui_find(&w.ui, "skip") != NULL);
  CHECK(pv_ui_find(&w.ui, "key:a") == NULL); /* writing is optional */
  static const char *const write[] = {"tap @keyboard",
                                      "expect question:idee",
                                      "type " FR_TEXT,
                                      "type xy",
                                      "key backspace",
                                      "key backspace",
                                      NULL};
  CHECK_INT(play(&w, write), PV_SCRIPT_OK);
  /* The keyboard takes the screen: no navigation under it. */
  CHECK(pv_ui_find(&w.ui, "next") == NULL);
  CHECK(pv_ui_find(&w.ui, "key:backspace") != NULL);
  CHECK(pv_ui_find(&w.ui, "key:é") != NULL);
  CHECK(pv_ui_find(&w.ui, "key:œ") != NULL);
  /* A character no key types fails clearly, typing nothing. */
  CHECK_INT(pv_script_line(&w.env, "type ß", 1, "s", stderr), PV_SCRIPT_FAILED);
  CHECK_INT(pv_script_line(&w.env, "key enter", 1, "s", stderr), PV_SCRIPT_BAD_LINE);
  static const char *const leave[] = {"tap @keyboard:done",
                                      "expect question:idee",
                                      "tap @back",
                                      "expect question:dessin",
                                      "tap @back",
                                      "expect question:envie_participer",
                                      "tap @skip",
                                      "tap @skip",
                                      "expect question:idee",
                                      NULL};
  CHECK_INT(play(&w, leave), PV_SCRIPT_OK);
  /* Back again: the text is there (a card, next enabled, no skip). */
  CHECK(pv_ui_find(&w.ui, "field") != NULL);
  CHECK(pv_ui_find(&w.ui, "skip") == NULL);
  static const char *const end[] = {
      "tap @field", "key backspace", "type é", "tap @keyboard:done",
      "tap @next",  "expect thanks", NULL};
  CHECK_INT(play(&w, end), PV_SCRIPT_OK);
  static const want answers[] = {{"seul", "5"}, {"idee", "\"" FR_TEXT "\""}};
  check_response(&w, "lien-social", PV_STORE_COMPLETE, "fr", answers, 2, NULL);
  CHECK_INT(w.small_targets, 0);
  if (w.small_targets)
    fprintf(stderr, "small target: %s\n", w.small_example);
  world_close(&w);
}

/* The text question in Arabic, on a 10-inch screen: the keyboard opens in
 * Arabic, the language key reaches French and back, and the text is
 * stored as typed. Erasing everything stores no answer. */
static void test_text_ar(const char *dir) {
  world w;
  world_open(&w, dir, 1280, 800);
  w.env.diagonal_in = 10.1;
  CHECK_INT(to_idee(&w, "ar"), PV_SCRIPT_OK);
  static const char *const write[] = {"tap @keyboard", NULL};
  CHECK_INT(play(&w, write), PV_SCRIPT_OK);
  CHECK(pv_ui_find(&w.ui, "key:ض") != NULL); /* the resident's language first */
  CHECK(pv_ui_find(&w.ui, "key:a") == NULL);
  static const char *const more[] = {"type " AR_TEXT, "type  2A",      "key backspace",
                                     "key backspace", "key backspace", NULL};
  CHECK_INT(play(&w, more), PV_SCRIPT_OK);
  CHECK(pv_ui_find(&w.ui, "key:a") != NULL); /* typing A switched to French */
  static const char *const end[] = {"key lang", "tap @keyboard:done", "tap @next",
                                    "expect thanks", NULL};
  CHECK_INT(play(&w, end), PV_SCRIPT_OK);
  static const want answers[] = {{"seul", "5"}, {"idee", "\"" AR_TEXT "\""}};
  check_response(&w, "lien-social", PV_STORE_COMPLETE, "ar", answers, 2, NULL);
  CHECK_INT(w.small_targets, 0);
  if (w.small_targets)
    fprintf(stderr, "small target: %s\n", w.small_example);
  world_close(&w);
}

static void test_consent_no(const char *dir) {
  world w;
  world_open(&w, dir, 1280, 800);
  static const char *const lines[] = {"tap 10 10",      "tap @lang:en",
                                      "expect consent", "tap @consent:no",
                                      "expect attract", NULL};
  CHECK_INT(play(&w, lines), PV_SCRIPT_OK);
  pv_store_counts c;
  CHECK_INT(pv_store_count(w.store, NULL, &c), PV_OK);

  CHECK_INT(c.in_progress + c.complete + c.abandoned, 0);
  CHECK_INT(w.small_targets, 0);
  world_close(&w);
}

/* The device's default language is offered first. */
static void test_default_language(const char *dir) {
  world w;
  default_lang = "en";
  world_open(&w, dir, 800, 480);
  default_lang = NULL;
  CHECK_INT(pv_script_line(&w.env, "tap 10 10", 1, "s", stderr), PV_SCRIPT_OK);
  const pv_rect *fr = pv_ui_find(&w.ui, "lang:fr"), *en = pv_ui_find(&w.ui, "lang:en");
  const pv_rect *ar = pv_ui_find(&w.ui, "lang:ar");
  CHECK(fr && en && ar && en->x < fr->x && fr->x < ar->x);
  world_close(&w);
}

static void test_script_errors(const char *dir) {
  world w;
  world_open(&w, dir, 800, 480);
  CHECK_INT(pv_script_line(&w.env, "frobnicate 3", 1, "s", stderr), PV_SCRIPT_BAD_LINE);
  CHECK_INT(pv_script_line(&w.env, "tap 10", 2, "s", stderr), PV_SCRIPT_BAD_LINE);
  CHECK_INT(pv_script_line(&w.env, "wait -5", 3, "s", stderr), PV_SCRIPT_BAD_LINE);
  CHECK_INT(pv_script_line(&w.env, "shot ../x", 4, "s", stderr), PV_SCRIPT_BAD_LINE);
  CHECK_INT(pv_script_line(&w.env, "expect thanks", 5, "s", stderr), PV_SCRIPT_FAILED);
  CHECK_INT(pv_script_line(&w.env, "tap @next", 6, "s", stderr), PV_SCRIPT_FAILED);
  CHECK_INT(pv_script_line(&w.env, "   # only a comment", 7, "s", stderr),
            PV_SCRIPT_OK);
  world_close(&w);
}

/* lien-social up to its drawing question, in LANG (the quickest way:
 * the one required answer, then skip). */
static void to_drawing(world *w, const char *lang) {
  char pick[32];
  snprintf(pick, sizeof pick, "tap @lang:%s", lang);
  const char *const lines[] = {"tap 10 10",
                               pick,
                               "tap @consent:yes",
                               "tap @survey:lien-social",
                               "tap @choice:7",
                               "tap @next",
                               "tap @skip",
                               "tap @skip",
                               "tap @skip",
                               "tap @skip",
                               "tap @skip",
                               "tap @skip",
                               "tap @skip",
                               "expect question:dessin",
                               NULL};
  CHECK_INT(play(w, lines), PV_SCRIPT_OK);
}

static uint32_t canvas_at(const uint32_t *px, double x, double y) {
  return px[(size_t)(y * PV_CANVAS_H) * PV_CANVAS_W + (size_t)(x * PV_CANVAS_W)];
}

/* Fills px with the stored drawing of the pending response (decoded);
 * returns 1 when it is a PNG attachment of the canvas's size. */
static int stored_drawing(world *w, uint32_t *px) {
  pv_store_response r = {0};
  pv_store_blob blob = {0};
  int ok = 0;
  CHECK_INT(pv_store_get_response(w->store, pv_app_response(w->app), &r), PV_OK);
  const char *v = answer_of(&r, "dessin");
  cJSON *a = v ? cJSON_Parse(v) : NULL;
  const cJSON *sha = cJSON_GetObjectItemCaseSensitive(a, "attachment");
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(a, "media_type");
  CHECK(cJSON_IsString(sha) && cJSON_IsString(type));
  if (cJSON_IsString(sha) && cJSON_IsString(type)) {
    CHECK_STR(type->valuestring, "image/png");
    CHECK_INT(pv_store_get_attachment(w->store, sha->valuestring, &blob), PV_OK);
    CHECK(blob.size > 8 && memcmp(blob.bytes, "\x89PNG", 4) == 0);
    CHECK(blob.size < 200 * 1024); /* flat colours: tens of KiB */
    ok = pv_png_decode(blob.bytes, blob.size, PV_CANVAS_W, PV_CANVAS_H, px) == PV_OK;
    CHECK(ok);
  }
  pv_store_blob_free(&blob);
  cJSON_Delete(a);
  pv_store_response_free(&r);
  return ok;
}

/* The drawing question in LANG: a figure drawn with colours, brushes,
 * undo and the eraser is stored on leaving as a PNG whose decoded pixels
 * are the canvas's; going back shows it again; clear (held) empties it
 * and withdraws the stored answer. The canvas never mirrors. */
static void test_drawing(const char *dir, const char *lang) {
  world w;
  world_open(&w, dir, 800, 480);
  to_drawing(&w, lang);
  const pv_rect *skip = pv_ui_find(&w.ui, "skip");
  CHECK(skip != NULL); /* nothing drawn yet: skip, not next */
  static const char *const figure[] = {
      "colour 2",
      "brush 3",
      "draw 0.1 0.1 0.9 0.1 0.9 0.9 0.1 0.9 0.1 0.1  # a thick red square",
      "colour 5",
      "brush 1",
      "draw 0.2 0.5 0.8 0.5                         # undone below",
      "undo",
      "draw 0.25 0.2 0.25 0.8                       # a fine blue line, left",
      "tap @eraser",
      "brush 2",
      "draw 0.85 0.45 0.95 0.55                     # a bite out of the square",
      NULL};
  CHECK_INT(play(&w, figure), PV_SCRIPT_OK);
  CHECK(pv_ui_find(&w.ui, "next") != NULL);
  const uint32_t *px = pv_app_canvas(w.app);
  CHECK(px != NULL);
  if (!px) {
    world_close(&w);
    return;
  }
  CHECK_INT(canvas_at(px, 0.1, 0.1), pv_qdraw_colours[1]);
  CHECK_INT(canvas_at(px, 0.5, 0.9), pv_qdraw_colours[1]);
  CHECK_INT(canvas_at(px, 0.25, 0.5), pv_qdraw_colours[4]); /* left: not mirrored */
  CHECK_INT(canvas_at(px, 0.75, 0.5), PV_CANVAS_BG);        /* undone */
  CHECK_INT(canvas_at(px, 0.4, 0.5), PV_CANVAS_BG);
  CHECK_INT(canvas_at(px, 0.9, 0.5), PV_CANVAS_BG); /* erased */
  CHECK_INT(canvas_at(px, 0.9, 0.2), pv_qdraw_colours[1]);
  size_t bytes = (size_t)PV_CANVAS_W * PV_CANVAS_H * sizeof(uint32_t);
  uint32_t *expect_px = malloc(bytes), *got = malloc(bytes);
  PV_ASSERT(expect_px && got);
  memcpy(expect_px, px, bytes);
  /* Leaving stores the PNG; its pixels are the canvas's. */
  CHECK_INT(play(&w, (const char *const[]){"tap @back",
                                           "expect question:envie_participer", NULL}),
            PV_SCRIPT_OK);
  CHECK(stored_drawing(&w, got) && memcmp(got, expect_px, bytes) == 0);
  /* Back on it: the same drawing, from the raster kept in memory. */
  CHECK_INT(
      play(&w, (const char *const[]){"tap @skip", "expect question:dessin", NULL}),
      PV_SCRIPT_OK);
  px = pv_app_canvas(w.app);
  CHECK(px && memcmp(px, expect_px, bytes) == 0);
  /* Clear, held: blank, and the stored answer is withdrawn (null). */
  CHECK_INT(play(&w, (const char *const[]){"clear", NULL}), PV_SCRIPT_OK);
  px = pv_app_canvas(w.app);
  CHECK(px && px[0] == PV_CANVAS_BG && canvas_at(px, 0.1, 0.1) == PV_CANVAS_BG);
  CHECK(pv_ui_find(&w.ui, "skip") != NULL);
  CHECK_INT(play(&w, (const char *const[]){"tap @back", NULL}), PV_SCRIPT_OK);
  pv_store_response r = {0};
  CHECK_INT(pv_store_get_response(w.store, pv_app_response(w.app), &r), PV_OK);
  const char *v = answer_of(&r, "dessin");
  CHECK(v && strcmp(v, "null") == 0);
  pv_store_response_free(&r);
  free(expect_px);
  free(got);
  CHECK_INT(w.small_targets, 0);
  if (w.small_targets)
    fprintf(stderr, "small target: %s\n", w.small_example);
  world_close(&w);
}

/* Two fingers on the canvas at once draw two strokes, none joining them;
 * a third finger landing on a swatch meanwhile chooses nothing. */
static void test_drawing_fingers(const char *dir) {
  world w;
  world_open(&w, dir, 800, 480);
  to_drawing(&w, "fr");
  const pv_rect *cv = pv_ui_find(&w.ui, "canvas");
  const pv_rect *sw = pv_ui_find(&w.ui, "colour:2");
  CHECK(cv && sw);
  if (!cv || !sw) {
    world_close(&w);
    return;
  }
  pv_rect c = *cv, red = *sw;
  int y1 = c.y + c.h / 4, y2 = c.y + c.h * 3 / 4;
  pv_ui_pointer(&w.ui, PV_PTR_DOWN, 11, c.x + c.w / 10, y1, w.clock_ms);
  pv_script_frame(&w.env);
  pv_ui_pointer(&w.ui, PV_PTR_DOWN, 12, c.x + c.w / 10, y2, w.clock_ms);
  pv_ui_pointer(&w.ui, PV_PTR_DOWN, 13, red.x + red.w / 2, red.y + red.h / 2,
                w.clock_ms);
  pv_script_frame(&w.env);
  for (int i = 2; i <= 9; i++) {
    w.clock_ms += 16;
    pv_ui_pointer(&w.ui, PV_PTR_MOVE, 11, c.x + c.w * i / 10, y1, w.clock_ms);
    pv_ui_pointer(&w.ui, PV_PTR_MOVE, 12, c.x + c.w * i / 10, y2, w.clock_ms);
    pv_script_frame(&w.env);
  }
  pv_ui_pointer(&w.ui, PV_PTR_UP, 13, red.x + red.w / 2, red.y + red.h / 2, w.clock_ms);
  pv_ui_pointer(&w.ui, PV_PTR_UP, 11, c.x + c.w * 9 / 10, y1, w.clock_ms);
  pv_script_frame(&w.env);
  pv_ui_pointer(&w.ui, PV_PTR_UP, 12, c.x + c.w * 9 / 10, y2, w.clock_ms);
  pv_script_frame(&w.env);
  pv_script_frame(&w.env);
  const uint32_t *px = pv_app_canvas(w.app);
  CHECK(px != NULL);
  if (px) {
    CHECK_INT(canvas_at(px, 0.5, 0.25), pv_qdraw_colours[0]); /* first finger */
    CHECK_INT(canvas_at(px, 0.5, 0.75), pv_qdraw_colours[0]); /* second finger */
    CHECK_INT(canvas_at(px, 0.5, 0.5), PV_CANVAS_BG);         /* nothing between */
  }
  /* The strokes are two: one undo leaves one of them. */
  CHECK_INT(play(&w, (const char *const[]){"undo", NULL}), PV_SCRIPT_OK);
  px = pv_app_canvas(w.app);
  CHECK(px && (canvas_at(px, 0.5, 0.25) == PV_CANVAS_BG) !=
                  (canvas_at(px, 0.5, 0.75) == PV_CANVAS_BG));
  world_close(&w);
}

static void test_drawing_fr(const char *dir) {
  test_drawing(dir, "fr");
}

static void test_drawing_ar(const char *dir) {
  test_drawing(dir, "ar");
}

/* A full disk while a drawing is stored: the kiosk carries on to the next
 * question without crashing, the answers stored before are intact, and
 * once there is room again the drawing is stored on the next leave.
 * RLIMIT_FSIZE at 1 byte makes every write past offset 0 fail (EFBIG),
 * as a full disk would make them fail (ENOSPC). */
static void test_full_disk(const char *dir) {
  world w;
  world_open(&w, dir, 800, 480);
  to_drawing(&w, "fr");
  CHECK_INT(play(&w, (const char *const[]){"draw 0.2 0.2 0.8 0.8", NULL}),
            PV_SCRIPT_OK);
  char uuid[PV_UUID_LEN + 1];
  snprintf(uuid, sizeof uuid, "%s", pv_app_response(w.app));
  pv_test_disk_full(1);
  int moved =
      play(&w, (const char *const[]){"tap @next", "expect question:idee", NULL});
  pv_test_disk_full(0);
  CHECK_INT(moved, PV_SCRIPT_OK); /* the resident goes on */
  pv_store_response r = {0};
  CHECK_INT(pv_store_get_response(w.store, uuid, &r), PV_OK);
  CHECK(answer_of(&r, "seul") != NULL); /* stored before the disk filled */
  CHECK(answer_of(&r, "dessin") == NULL);
  pv_store_response_free(&r);
  /* Room again: back to the drawing, still on screen, stored on leaving. */
  CHECK_INT(play(&w, (const char *const[]){"tap @back", "expect question:dessin",
                                           "tap @next", "expect question:idee", NULL}),
            PV_SCRIPT_OK);
  CHECK_INT(pv_store_get_response(w.store, uuid, &r), PV_OK);
  CHECK(answer_of(&r, "dessin") != NULL);
  pv_store_response_free(&r);
  world_close(&w);
}

/* ---- animateur mode ------------------------------------------------------ */

/* 1 when some text command of the last frame contains needle. */
static int on_screen(const world *w, const char *needle) {
  for (size_t i = 0; i < w->dl.count; i++)
    if (w->dl.cmds[i].kind == PV_DRAW_TEXT && w->dl.cmds[i].text &&
        strstr(w->dl.cmds[i].text, needle))
      return 1;
  return 0;
}

static const char *screen(const world *w) {
  static char buf[64];
  return pv_app_screen_name(w->app, buf, sizeof buf);
}

/* Two fingers on two points for ms, then lifted. */
static void two_fingers(world *w, int x1, int y1, int x2, int y2, int64_t ms) {
  pv_ui_pointer(&w->ui, PV_PTR_DOWN, 1, x1, y1, w->clock_ms);
  pv_ui_pointer(&w->ui, PV_PTR_DOWN, 2, x2, y2, w->clock_ms);
  pv_script_frame(&w->env);
  for (int64_t t = 0; t < ms; t += 50) {
    w->clock_ms += 50;
    pv_script_frame(&w->env);
  }
  pv_ui_pointer(&w->ui, PV_PTR_UP, 2, x2, y2, w->clock_ms);
  pv_ui_pointer(&w->ui, PV_PTR_UP, 1, x1, y1, w->clock_ms);
  pv_script_frame(&w->env);
  pv_script_frame(&w->env);
}

static void test_anim_gesture(const char *dir) {
  world w;
  world_open(&w, dir, 800, 480);
  two_fingers(&w, 5, 5, 400, 240, 5000); /* one corner and the middle */
  CHECK_STR(screen(&w), "attract");
  two_fingers(&w, 5, 5, 795, 5, 5000); /* two corners, not opposite */
  CHECK_STR(screen(&w), "attract");
  two_fingers(&w, 5, 5, 795, 475, 2900); /* released too early */
  CHECK_STR(screen(&w), "attract");
  two_fingers(&w, 795, 5, 5, 475, 3100); /* the other diagonal, held */
  CHECK_STR(screen(&w), "pin-new");      /* no PIN yet: choose one */
  CHECK(on_screen(&w, "Choisissez un code animateur"));
  /* First run: too short (OK does nothing), two different, then twice the same. */
  static const char *const first_run[] = {
      "code 123",       "expect pin-new", "tap @key:erase",
      "tap @key:erase", "tap @key:erase", "code 1234",
      "code 9999",      "expect pin-new", NULL};
  CHECK_INT(play(&w, first_run), PV_SCRIPT_OK);
  CHECK(on_screen(&w, "Les deux codes sont différents"));
  CHECK(!pv_pin_is_set(w.store));
  static const char *const same[] = {"code 1357", "code 1357", "expect admin", NULL};
  CHECK_INT(play(&w, same), PV_SCRIPT_OK);
  pv_clock clock = pv_clock_virtual(&w.clock_ms);
  pv_pin_result r;
  CHECK_INT(pv_pin_check(w.store, &clock, "1357", &r), PV_OK);
  CHECK_INT(r.verdict, PV_PIN_RIGHT);
  /* Out again; the gesture in the middle of a question keeps the answer. */
  static const char *const out[] = {"tap @quit",
                                    "expect attract",
                                    "tap 400 240",
                                    "tap @lang:fr",
                                    "tap @consent:yes",
                                    "tap @survey:tranquillite",
                                    "tap @choice:4",
                                    "corners 3100",
                                    "expect pin",
                                    "tap @cancel",
                                    "expect question:securite_jour",
                                    "tap @next",
                                    "expect question:securite_nuit",
                                    NULL};
  CHECK_INT(play(&w, out), PV_SCRIPT_OK);
  world_close(&w);
}

static void test_anim_lockout(const char *dir) {
  world w;
  world_open(&w, dir, 800, 480);
  CHECK_INT(pv_pin_set(w.store, "2468"), PV_OK);
  static const char *const wrong[] = {"corners 3100", "expect pin", "code 1111",
                                      "expect pin", NULL};
  CHECK_INT(play(&w, wrong), PV_SCRIPT_OK);
  CHECK(on_screen(&w, "Code incorrect. Encore 4 essais."));
  static const char *const more[] = {"code 1111", "code 1111", "code 1111", "code 1111",
                                     NULL};
  CHECK_INT(play(&w, more), PV_SCRIPT_OK);
  CHECK(on_screen(&w, "Trop d'essais. Réessayez dans 5 min 00 s."));
  /* Locked: the right PIN cannot even be typed (the keys are off). */
  static const char *const locked[] = {"code 2468", "expect pin", NULL};
  CHECK_INT(play(&w, locked), PV_SCRIPT_OK);
  CHECK(on_screen(&w, "Trop d'essais"));
  /* A restart does not lift the lock. */
  int64_t t = w.clock_ms + 60000;
  world_close(&w);
  world_open(&w, dir, 800, 480);
  w.clock_ms = t;
  static const char *const reopen[] = {"corners 3100", "expect pin", NULL};
  CHECK_INT(play(&w, reopen), PV_SCRIPT_OK);
  CHECK(on_screen(&w, "Réessayez dans 3 min 5"));
  /* Its expiry, by the virtual clock; the right PIN then opens. */
  static const char *const later[] = {
      "wait 100000", "expect pin",   "wait 20000", "expect attract", /* idle: closed */
      "wait 120000", "corners 3100", "code 2468",  "expect admin",   NULL};
  CHECK_INT(play(&w, later), PV_SCRIPT_OK);
  CHECK(!on_screen(&w, "Trop d'essais"));
  world_close(&w);
}

/* Resident i of a table de quartier, on the handoff screen: answers the
 * two faces of tranquillite (day, night), yes_no for some, skips the rest. */
static void resident(world *w, int i, int day, int night) {
  char line[64];
  static const char *const start[] = {"expect handoff",
                                      "tap @my-turn",
                                      "tap @lang:fr",
                                      "tap @consent:yes",
                                      "tap @survey:tranquillite",
                                      NULL};
  CHECK_INT(play(w, start), PV_SCRIPT_OK);
  snprintf(line, sizeof line, "tap @choice:%d", day);
  CHECK_INT(pv_script_line(&w->env, line, 1, "resident", stderr), PV_SCRIPT_OK);
  CHECK_INT(pv_script_line(&w->env, "tap @next", 2, "resident", stderr), PV_SCRIPT_OK);
  snprintf(line, sizeof line, "tap @choice:%d", night);
  CHECK_INT(pv_script_line(&w->env, line, 3, "resident", stderr), PV_SCRIPT_OK);
  CHECK_INT(pv_script_line(&w->env, "tap @next", 4, "resident", stderr), PV_SCRIPT_OK);
  if (i < 2) /* only two say whether they stay in: too few to show */
    CHECK_INT(pv_script_line(&w->env, "tap @choice:yes", 5, "resident", stderr),
              PV_SCRIPT_OK);
  for (int n = 0; n < 20 && strcmp(screen(w), "thanks"); n++)
    CHECK_INT(pv_script_line(&w->env, i < 2 && n == 0 ? "tap @next" : "tap @skip", 6,
                             "resident", stderr),
              PV_SCRIPT_OK);
  CHECK_STR(screen(w), "thanks");
  CHECK_INT(pv_script_line(&w->env, "wait 9000", 7, "resident", stderr), PV_SCRIPT_OK);
}

static void test_anim_session(const char *dir) {
  world w;
  world_open(&w, dir, 800, 480);
  CHECK_INT(pv_pin_set(w.store, "2468"), PV_OK);
  static const char *const start[] = {"corners 3100",
                                      "code 2468",
                                      "expect admin",
                                      "tap @menu:session",
                                      "expect session",
                                      "tap @kind:table_de_quartier",
                                      "tap @place",
                                      "type Centre social Les Tilleuls",
                                      "tap @keyboard:done",
                                      "tap @initials",
                                      "type mb",
                                      "tap @keyboard:done",
                                      "tap @start",
                                      "expect admin",
                                      "tap @quit",
                                      "expect handoff",
                                      NULL};
  CHECK_INT(play(&w, start), PV_SCRIPT_OK);
  const char *session = pv_anim_session(pv_app_anim(w.app));
  CHECK_INT(strlen(session), PV_UUID_LEN);
  pv_store_session s;
  CHECK_INT(pv_store_session_get(w.store, session, &s), PV_OK);
  CHECK_STR(s.kind, "table_de_quartier");
  CHECK_STR(s.place, "Centre social Les Tilleuls");
  CHECK_STR(s.animateur, "MB");
  CHECK_STR(s.ended_at, "");

  /* Ten residents, one after the other, the tablet passed on each time. */
  static const int days[10] = {5, 5, 5, 4, 4, 4, 4, 2, 1, 1};
  for (int i = 0; i < 10; i++)
    resident(&w, i, days[i], 3);
  CHECK_STR(screen(&w), "handoff");
  pv_store_counts c;
  CHECK_INT(pv_store_count(w.store, session, &c), PV_OK);
  CHECK_INT(c.complete, 10);
  pv_store_batch b;
  CHECK_INT(pv_store_finished_after(w.store, session, 100, NULL, NULL, &b), PV_OK);
  CHECK_INT(b.count, 10);
  for (size_t i = 0; i < b.count; i++)
    CHECK_STR(b.responses[i].session_uuid, session);
  pv_store_batch_free(&b);

  /* A restart keeps the session and the tablet mode. */
  char kept[PV_UUID_LEN + 1];
  snprintf(kept, sizeof kept, "%s", session);
  int64_t t = w.clock_ms;
  world_close(&w);
  world_open(&w, dir, 800, 480);
  w.clock_ms = t;
  pv_script_frame(&w.env);
  CHECK_STR(pv_anim_session(pv_app_anim(w.app)), kept);
  CHECK_STR(screen(&w), "handoff");

  /* Ending it: kiosk mode again (the attract screen), the session ended. */
  static const char *const end[] = {
      "corners 3100",   "code 2468", "tap @menu:session", "expect admin", "tap @quit",
      "expect attract", NULL};
  CHECK_INT(play(&w, end), PV_SCRIPT_OK);
  CHECK_STR(pv_anim_session(pv_app_anim(w.app)), "");
  CHECK_INT(pv_store_session_get(w.store, kept, &s), PV_OK);
  CHECK(s.ended_at[0] != '\0');
  /* Idle animateur screens close by themselves after two minutes. */
  static const char *const idle[] = {
      "corners 3100", "code 2468", "expect admin",   "wait 119000",
      "expect admin", "wait 2000", "expect attract", NULL};
  CHECK_INT(play(&w, idle), PV_SCRIPT_OK);
  CHECK_INT(w.small_targets, 0);
  if (w.small_targets)
    fprintf(stderr, "small target: %s\n", w.small_example);
  world_close(&w);
}

/* ---- recorded prompts ------------------------------------------------------ */

static int mic_available(void *ud) {
  return pv_recorder_available(((world *)ud)->rec);
}

static pv_err mic_start(void *ud) {
  return pv_recorder_start(((world *)ud)->rec);
}

static void mic_stop(void *ud) {
  pv_recorder_stop(((world *)ud)->rec);
}

static size_t mic_take(void *ud, int16_t *out, size_t max) {
  return pv_recorder_take(((world *)ud)->rec, out, max);
}

/* Gives animateur mode the headless runner's synthetic microphone and a
 * player that goes where the app's speech goes. */
static void world_mic(world *w, const char *dir) {
  w->rec = pv_recorder_open_synth(&w->clock_ms);
  PV_ASSERT(w->rec);
  snprintf(w->replay, sizeof w->replay, "%s/replay.wav", dir);
  w->cap = (pv_qvoice_capture){.available = mic_available,
                               .start = mic_start,
                               .stop = mic_stop,
                               .take = mic_take,
                               .ud = w,
                               .replay_path = w->replay};
  pv_anim_env env = {.ud = w, .capture = &w->cap, .play = speak};
  pv_anim_set_env(pv_app_anim(w->app), &env);
}

/* 1 when path names a file of size bytes. */
static int file_of_size(const char *path, size_t size) {
  struct stat sb;
  return stat(path, &sb) == 0 && (size_t)sb.st_size == size;
}

/* Fills *out with the recording of (survey, key, lang); 0 when none. */
static int stored_prompt(world *w, const char *survey, const char *key,
                         const char *lang, pv_store_prompt *out) {
  pv_store_prompt *list = NULL;
  size_t n = 0;
  int found = 0;
  CHECK_INT(pv_store_prompt_list(w->store, survey, &list, &n), PV_OK);
  for (size_t i = 0; i < n && !found; i++)
    if (!strcmp(list[i].key, key) && !strcmp(list[i].lang, lang)) {
      *out = list[i];
      found = 1;
    }
  free(list);
  return found;
}

/* The animateur records tranquillite's first prompt in French through the
 * screens with the synthetic microphone; the resident then hears it in
 * place of the synthesised voice; deleted, the synthesis speaks again. */
static void test_prompts_record(const char *dir) {
  world w;
  world_open(&w, dir, 800, 480);
  world_mic(&w, dir);
  CHECK_INT(pv_pin_set(w.store, "2468"), PV_OK);
  static const char *const to_panel[] = {
      "corners 3100",         "code 2468",
      "expect admin",         "tap @menu:prompts",
      "expect prompts",       "tap @prompts:survey:tranquillite",
      "tap @prompts:lang:fr", "tap @prompt:q:securite_jour",
      "expect prompts",       NULL};
  CHECK_INT(play(&w, to_panel), PV_SCRIPT_OK);
  CHECK(on_screen(&w, "Dans la journée, vous vous sentez en sécurité"));
  CHECK(on_screen(&w, "Pas encore enregistré"));
  /* Record 2 s, listen, keep. */
  static const char *const rec[] = {"record 2000", "tap @replay", NULL};
  CHECK_INT(play(&w, rec), PV_SCRIPT_OK);
  CHECK_STR(w.last_spoken, w.replay);
  static const char *const keep[] = {"tap @prompts:keep", NULL};
  CHECK_INT(play(&w, keep), PV_SCRIPT_OK);
  CHECK(on_screen(&w, "Gardé"));
  pv_store_prompt p;
  CHECK(stored_prompt(&w, "tranquillite", "q:securite_jour", "fr", &p));
  CHECK(p.size >= pv_wav_size(2 * PV_QVOICE_RATE)); /* 2 s, and the taps' frames */
  CHECK(p.size < pv_wav_size(3 * PV_QVOICE_RATE));
  CHECK_STR(p.media_type, "audio/wav");
  CHECK_STR(p.device_id, pv_store_device_id(w.store));
  CHECK_INT(p.synced, 0);
  pv_store_prompt *pending = NULL;
  size_t n = 0;
  CHECK_INT(pv_store_prompts_pending(w.store, 10, &pending, &n), PV_OK);
  CHECK_INT(n, 1); /* queued for the collector */
  free(pending);
  /* Back to the list: the text has its mark; out to the residents. */
  static const char *const out[] = {"tap @back", "expect prompts", "tap @back",
                                    "tap @back", "tap @back",      "expect admin",
                                    "tap @quit", "expect attract", NULL};
  CHECK_INT(play(&w, out), PV_SCRIPT_OK);

  /* The resident hears the recording, written once beside the store. */
  static const char *const resident_fr[] = {"tap 400 240",
                                            "tap @lang:fr",
                                            "tap @consent:yes",
                                            "tap @survey:tranquillite",
                                            "expect question:securite_jour",
                                            NULL};
  CHECK_INT(play(&w, resident_fr), PV_SCRIPT_OK);
  char wav_path[1024];
  snprintf(wav_path, sizeof wav_path, "%s/%s.wav", w.prompts_dir, p.sha256);
  CHECK_STR(w.last_spoken, wav_path);
  CHECK(file_of_size(wav_path, p.size));
  struct stat sb;
  CHECK_INT(stat(w.prompts_dir, &sb), 0);
  CHECK_INT(sb.st_mode & 0777, 0700);
  CHECK_INT(stat(wav_path, &sb), 0);
  CHECK_INT(sb.st_mode & 0777, 0600);
  /* The speaker button too; the next question has no recording: synthesis. */
  static const char *const again[] = {"tap @speak", NULL};
  CHECK_INT(play(&w, again), PV_SCRIPT_OK);
  CHECK_STR(w.last_spoken, wav_path);
  static const char *const next[] = {"tap @choice:4", "tap @next",
                                     "expect question:securite_nuit", NULL};
  CHECK_INT(play(&w, next), PV_SCRIPT_OK);
  CHECK_CONTAINS(w.last_spoken, "/build/tts/");

  /* Deleted on the screens: the synthesised voice speaks again. */
  static const char *const del[] = {"tap @back",
                                    "expect question:securite_jour",
                                    "corners 3100",
                                    "code 2468",
                                    "tap @menu:prompts",
                                    "tap @prompts:survey:tranquillite",
                                    "tap @prompts:lang:fr",
                                    "tap @prompt:q:securite_jour",
                                    "expect prompts",
                                    NULL};
  CHECK_INT(play(&w, del), PV_SCRIPT_OK);
  CHECK(on_screen(&w, "Déjà enregistré"));
  static const char *const del2[] = {"tap @prompts:delete", NULL};
  CHECK_INT(play(&w, del2), PV_SCRIPT_OK);
  CHECK(on_screen(&w, "Supprimé"));
  CHECK(!stored_prompt(&w, "tranquillite", "q:securite_jour", "fr", &p));
  static const char *const back[] = {"tap @back",
                                     "tap @back",
                                     "tap @back",
                                     "tap @back",
                                     "expect admin",
                                     "tap @quit",
                                     "expect question:securite_jour",
                                     "tap @speak",
                                     NULL};
  CHECK_INT(play(&w, back), PV_SCRIPT_OK);
  CHECK_CONTAINS(w.last_spoken, "/build/tts/");
  /* The deleted take's file is gone from the prompts folder too. */
  CHECK(stat(wav_path, &sb) != 0 && errno == ENOENT);
  CHECK_INT(w.small_targets, 0);
  if (w.small_targets)
    fprintf(stderr, "small target: %s\n", w.small_example);
  world_close(&w);
}

/* Records, through the store, a short distinct WAV for key in lang. */
static void record_prompt(world *w, const char *survey, const char *key,
                          const char *lang, int seed) {
  int16_t samples[1600];
  for (size_t i = 0; i < sizeof samples / sizeof *samples; i++)
    samples[i] = (int16_t)(((int)i * (seed + 3)) % 2000 - 1000);
  uint8_t *wav = NULL;
  size_t len = 0;
  CHECK_INT(pv_wav_encode(samples, sizeof samples / sizeof *samples, PV_QVOICE_RATE,
                          &wav, &len),
            PV_OK);
  pv_store_prompt p = {0};
  snprintf(p.survey_id, sizeof p.survey_id, "%s", survey);
  snprintf(p.key, sizeof p.key, "%s", key);
  snprintf(p.lang, sizeof p.lang, "%s", lang);
  CHECK_INT(pv_store_prompt_record(w->store, &p, "audio/wav", wav, len, NULL), PV_OK);
  free(wav);
}

/* Darija, which no survey declares: offered once every question of
 * tranquillite has its prompt recorded in it; the resident sees the
 * French texts, hears the recordings, and the response says "ary". */
static void test_prompts_ary(const char *dir) {
  world w;
  world_open(&w, dir, 800, 480);
  const pv_survey *s = w.surveys[2];
  CHECK_STR(s->id, "tranquillite");
  char key[PV_STORE_MAX_PROMPT_KEY + 1];
  for (size_t i = 0; i + 1 < s->n_questions; i++) { /* all but the last */
    snprintf(key, sizeof key, "q:%s", s->questions[i].id);
    record_prompt(&w, s->id, key, "ary", (int)i);
  }
  /* Not all of them yet: not offered, even after a restart. */
  world_close(&w);
  world_open(&w, dir, 800, 480);
  s = w.surveys[2];
  static const char *const look[] = {"tap 400 240", "expect language", NULL};
  CHECK_INT(play(&w, look), PV_SCRIPT_OK);
  CHECK(!pv_ui_find(&w.ui, "lang:ary"));
  snprintf(key, sizeof key, "q:%s", s->questions[s->n_questions - 1].id);
  record_prompt(&w, s->id, key, "ary", 99);
  record_prompt(&w, s->id, "o:rester_chez_soi:yes", "ary", 100); /* unused: yes_no */
  world_close(&w);

  world_open(&w, dir, 800, 480);
  s = w.surveys[2];
  CHECK_INT(play(&w, look), PV_SCRIPT_OK);
  CHECK(pv_ui_find(&w.ui, "lang:ary") != NULL);
  CHECK(on_screen(&w, "الدارجة"));
  static const char *const start[] = {"tap @lang:ary", "expect consent",
                                      "tap @consent:yes", /* only tranquillite */
                                      "expect question:securite_jour", NULL};
  CHECK_INT(play(&w, start), PV_SCRIPT_OK);
  CHECK(on_screen(&w, "Dans la journée, vous vous sentez en sécurité"));
  pv_store_prompt p;
  CHECK(stored_prompt(&w, "tranquillite", "q:securite_jour", "ary", &p));
  char wav_path[1024];
  snprintf(wav_path, sizeof wav_path, "%s/%s.wav", w.prompts_dir, p.sha256);
  CHECK_STR(w.last_spoken, wav_path);
  CHECK(file_of_size(wav_path, p.size));
  static const char *const on[] = {"tap @choice:2", "tap @next",
                                   "expect question:securite_nuit", NULL};
  CHECK_INT(play(&w, on), PV_SCRIPT_OK);
  CHECK(stored_prompt(&w, "tranquillite", "q:securite_nuit", "ary", &p));
  snprintf(wav_path, sizeof wav_path, "%s/%s.wav", w.prompts_dir, p.sha256);
  CHECK_STR(w.last_spoken, wav_path);
  for (int n = 0; n < 20 && strcmp(screen(&w), "thanks"); n++)
    CHECK_INT(pv_script_line(&w.env,
                             n == 0   ? "tap @choice:3"
                             : n == 1 ? "tap @next"
                                      : "tap @skip",
                             1, "ary", stderr),
              PV_SCRIPT_OK);
  CHECK_STR(screen(&w), "thanks");
  pv_store_batch b;
  CHECK_INT(pv_store_finished_after(w.store, NULL, 100, NULL, NULL, &b), PV_OK);
  CHECK_INT(b.count, 1);
  if (b.count == 1) {
    CHECK_STR(b.responses[0].language, "ary");
    CHECK_STR(b.responses[0].survey_id, "tranquillite");
    CHECK_STR(answer_of(&b.responses[0], "securite_jour"), "2");
  }
  pv_store_batch_free(&b);
  world_close(&w);
}

int main(void) {
  char dir[256];
  snprintf(dir, sizeof dir, "%s", pv_test_tmpdir());
  char sub[300];
  static const char *const parts[] = {"fr",
                                      "ar",
                                      "ar2",
                                      "no",
                                      "en",
                                      "err",
                                      "map",
                                      "skip",
                                      "textfr",
                                      "textar",
                                      "draw-fr",
                                      "draw-ar",
                                      "fingers",
                                      "photo",
                                      "full",
                                      "anim-gesture",
                                      "anim-lock",
                                      "anim-session",
                                      "prompts-record",
                                      "prompts-ary"};
  void (*const tests[])(const char *) = {
      test_french_run,      test_arabic_timeout,   test_arabic_run,
      test_consent_no,      test_default_language, test_script_errors,
      test_map_fr,          test_map_skip,         test_text_fr,
      test_text_ar,         test_drawing_fr,       test_drawing_ar,
      test_drawing_fingers, test_photo_preview,    test_full_disk,
      test_anim_gesture,    test_anim_lockout,     test_anim_session,
      test_prompts_record,  test_prompts_ary};
  for (size_t i = 0; i < sizeof tests / sizeof *tests; i++) {
    snprintf(sub, sizeof sub, "%s/%s", dir, parts[i]);
    PV_ASSERT(mkdir(sub, 0700) == 0);
    tests[i](sub);
  }
  pv_test_rmtree(dir);
  return pv_test_done();
}
