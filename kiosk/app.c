/* app: the journey's state machine and its screens (see app.h).
 *
 * State lives in pv_app; each frame, the current screen's function reads
 * its widgets' events from the ui context, changes state, and draws. The
 * answer being edited lives in a small working selection (`sel`, `value`)
 * that is loaded from the JSON answer when a question is entered and
 * encoded back, then written to the store, when the resident leaves it. */
#include "kiosk/app.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/tts.h"
#include "core/wav.h"
#include "kiosk/anim.h"
#include "kiosk/canvas.h"
#include "kiosk/look.h"
#include "kiosk/q_drawing.h"
#include "kiosk/q_map.h"
#include "kiosk/q_voice.h"
#include "kiosk/q_text.h"
#include "kiosk/strings.h"

#include "kiosk/palette.h"

#define MAX_Q PV_SURVEY_MAX_QUESTIONS
#define MAX_OPT PV_SURVEY_MAX_OPTIONS

struct pv_app {
  pv_survey *const *surveys;
  size_t n_surveys;
  pv_store *store;
  pv_clock clock;
  pv_app_config cfg;
  pv_speak_fn speak;
  void *speak_ud;

  pv_screen screen;
  int64_t entered_ms; /* when the current screen was entered */
  int autoplayed;     /* the current screen's prompt was spoken */

  const char *langs[PV_APP_MAX_LANGS]; /* borrowed from a survey, or extra[] */
  size_t n_langs;
  char extra[PV_APP_MAX_LANGS][PV_STORE_MAX_LANG + 1]; /* offered, declared by none */
  char first_lang[PV_STORE_MAX_LANG + 1];              /* the animateur's default */
  const char *lang;      /* chosen language (in lang_buf), or NULL */
  const char *text_lang; /* the language of the texts shown: lang, or for a
                            language no survey declares, a survey's first */
  char lang_buf[PV_STORE_MAX_LANG + 1];
  int rtl;

  pv_store_prompt *prompts; /* this device's recordings, by survey, key, lang */
  size_t n_prompts;
  unsigned prompts_gen; /* the anim's prompts generation last loaded */

  int survey; /* index in surveys, -1 before the choice */
  int li;     /* language index within the survey */
  size_t q;   /* current question */
  size_t history[MAX_Q];
  size_t n_history;
  char uuid[PV_UUID_LEN + 1];
  char *answers[MAX_Q]; /* JSON text per question, owned; NULL = none */
  int saved[MAX_Q];     /* answers[i] is what the store holds */

  /* Working selection of the current question. */
  int sel[MAX_OPT];      /* choice/photo: 1 when picked; ranking: rank, 0 = none */
  int value;             /* smileys 1..N, scale 0..10, yes_no 1 yes / 2 no; -1 */
  pv_qmap map;           /* map: the pins on the plan */
  pv_canvas *canvas;     /* drawing: made on the first drawing question */
  pv_qdraw draw;         /* drawing: tools and the stroke in progress */
  uint32_t *kept[MAX_Q]; /* drawing: each stored drawing's raster, for going
                            back within the response (never decoded again) */
  pv_png_fn png;
  void *png_ud;
  pv_qvoice voice;   /* voice: the recording */
  size_t voice_of;   /* the question an unstored recording (voice.dirty) belongs to */
  int voice_consent; /* this response: -1 not asked yet, 0 declined, 1 agreed */
  pv_qvoice_capture cap; /* the microphone; available == NULL: none */
  pv_qtext text;         /* text: what is written, the keyboard's mode */
  int preview;           /* photo_choice: the photo held for a full-screen look, -1 */

  pv_anim *anim;                      /* animateur mode: sessions, modes, settings */
  unsigned anim_gen;                  /* the anim generation the app last applied */
  char anim_session[PV_UUID_LEN + 1]; /* the session when animateur mode opened */
  int anim_mode;                      /* the mode then */
  pv_screen anim_from;                /* the resident screen it opened over */

  int still_there; /* the countdown is on screen */
  int64_t countdown_ms;
  char path[4096]; /* scratch for audio paths (not for drawing) */
  char pics[PV_PIC__COUNT][PV_LOOK_PATH];
};

/* ---- small helpers ------------------------------------------------------ */

static int64_t now(const pv_app *app) {
  return pv_clock_now(&app->clock);
}

static const pv_survey *cur(const pv_app *app) {
  return app->survey >= 0 ? app->surveys[app->survey] : NULL;
}

static const char *text_of(const pv_app *app, const pv_text *t) {
  return t->s && t->s[app->li] ? t->s[app->li] : "";
}

static void say_file(pv_app *app, const char *path) {
  if (app->speak)
    app->speak(app->speak_ud, path);
}

/* ---- recorded prompts ---------------------------------------------------- */

static int prompt_cmp(const char *survey_id, const char *key, const char *lang,
                      const pv_store_prompt *p) {
  int c = strcmp(survey_id, p->survey_id);
  if (!c)
    c = strcmp(key, p->key);
  return c ? c : strcmp(lang, p->lang);
}

/* The device's recording of (survey_id, key, lang), or NULL (borrowed
 * until the prompts are reloaded). app->prompts is in the store's order. */
static const pv_store_prompt *find_prompt(const pv_app *app, const char *survey_id,
                                          const char *key, const char *lang) {
  size_t lo = 0, hi = app->n_prompts;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = prompt_cmp(survey_id, key, lang, &app->prompts[mid]);
    if (!c)
      return &app->prompts[mid];
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

/* Writes p's WAV to <prompts_dir>/<sha256>.wav unless it is there already,
 * and its path to app->path. */
static pv_err prompt_file(pv_app *app, const pv_store_prompt *p) {
  char tmp[4096];
  struct stat sb;
  pv_store_blob blob = {0};
  FILE *f = NULL;
  pv_err err = PV_OK;
  const char *dir = app->cfg.prompts_dir;
  if (snprintf(app->path, sizeof app->path, "%s/%s.wav", dir, p->sha256) >=
      (int)sizeof app->path)
    return pv_fail(PV_ERR_TOOBIG, "app: prompts folder path too long");
  if (stat(app->path, &sb) == 0 && S_ISREG(sb.st_mode) && (size_t)sb.st_size == p->size)
    return PV_OK;
  if (mkdir(dir, 0700) != 0 && errno != EEXIST)
    return pv_fail(PV_ERR_IO, "app: %s: %s", dir, strerror(errno));
  if ((err = pv_store_get_attachment(app->store, p->sha256, &blob)))
    return err;
  snprintf(tmp, sizeof tmp, "%.4000s/.%.64s-XXXXXX", dir, p->sha256);
  int fd = mkstemp(tmp); /* 0600 */
  if (fd < 0) {
    err = pv_fail(PV_ERR_IO, "app: %s: %s", tmp, strerror(errno));
    goto out;
  }
  if (!(f = fdopen(fd, "wb"))) {
    close(fd);
    err = pv_fail(PV_ERR_IO, "app: %s: %s", tmp, strerror(errno));
    goto out;
  }
  int bad = fwrite(blob.bytes, 1, blob.size, f) != blob.size;
  bad |= fclose(f) != 0;
  f = NULL;
  if (bad || rename(tmp, app->path) != 0) {
    err = pv_fail(PV_ERR_IO, "app: writing %s: %s", app->path, strerror(errno));
    unlink(tmp);
  }
out:
  pv_store_blob_free(&blob);
  return err;
}

/* Plays the device's recording of key in the resident's language; 0 when
 * there is none (or it cannot be written out). */
static int say_recording(pv_app *app, const char *survey_id, const char *key) {
  const pv_store_prompt *p = app->lang && app->cfg.prompts_dir
                                 ? find_prompt(app, survey_id, key, app->lang)
                                 : NULL;
  if (!p)
    return 0;
  pv_err err = prompt_file(app, p);
  if (err != PV_OK) {
    PV_WARN("app: recorded prompt %s %s: %s", key, p->lang, pv_err_detail());
    return 0;
  }
  say_file(app, app->path);
  return 1;
}

/* Speaks text t of survey s (key names it for recordings; NULL: none):
 * the survey's own recording for the language, else the device's, else
 * the synthesised one (in the language of the text shown). */
static void say_text(pv_app *app, const pv_survey *s, const char *key, const pv_text *t,
                     const pv_audio *a) {
  int declared = s && app->lang && pv_survey_lang_index(s, app->lang) >= 0;
  if (declared && a && a->path && a->path[app->li]) {
    say_file(app, a->path[app->li]);
    return;
  }
  if (s && key && say_recording(app, s->id, key))
    return;
  const char *lang = declared || !s ? app->lang : s->languages[app->li];
  if (pv_tts_path(app->cfg.tts_dir, lang, text_of(app, t), app->path,
                  sizeof app->path) == PV_OK)
    say_file(app, app->path);
}

/* Speaks question q's prompt. */
static void say_prompt(pv_app *app, const pv_question *q) {
  char key[PV_STORE_MAX_PROMPT_KEY + 1];
  snprintf(key, sizeof key, "q:%s", q->id);
  say_text(app, cur(app), key, &q->label, &q->audio);
}

static void say_str(pv_app *app, pv_str_id id, const char *lang) {
  if (pv_str_audio_path(app->cfg.tts_dir, id, lang, app->path, sizeof app->path) ==
      PV_OK)
    say_file(app, app->path);
}

static const char *pic_path(const pv_app *app, pv_pic p) {
  return app->pics[p];
}

static void enter(pv_app *app, pv_screen s) {
  app->screen = s;
  app->entered_ms = now(app);
  app->autoplayed = 0;
}

/* ---- answers ------------------------------------------------------------ */

static const pv_question *question(const pv_app *app) {
  return &cur(app)->questions[app->q];
}

/* Nothing of a resident's drawing stays once the response ends. */
static void forget_drawings(pv_app *app) {
  for (size_t i = 0; i < MAX_Q; i++) {
    free(app->kept[i]);
    app->kept[i] = NULL;
  }
  if (app->canvas)
    pv_canvas_reset(app->canvas);
  pv_qdraw_reset(&app->draw, app->canvas);
}

static void forget_response(pv_app *app) {
  forget_drawings(app);
  for (size_t i = 0; i < MAX_Q; i++) {
    free(app->answers[i]);
    app->answers[i] = NULL;
    app->saved[i] = 0;
  }
  app->uuid[0] = '\0';
  pv_qvoice_reset(&app->voice, &app->cap);
  app->voice_consent = -1;
  app->n_history = 0;
  app->survey = -1;
  app->lang = app->text_lang = NULL;
  app->rtl = 0;
  app->still_there = 0;
  memset(&app->text, 0, sizeof app->text); /* nothing written stays */
}

/* Returns 1 when the answer text matches one of the condition's values. */
static int answer_matches(const char *answer, const pv_condition *c) {
  cJSON *a = cJSON_Parse(answer);
  int hit = 0;
  if (!a)
    return 0;
  const cJSON *items = cJSON_IsArray(a) ? a->child : a;
  for (const cJSON *it = items; it && !hit; it = cJSON_IsArray(a) ? it->next : NULL) {
    char *s = cJSON_PrintUnformatted(it);
    for (size_t i = 0; s && i < c->n_values && !hit; i++)
      hit = strcmp(s, c->values[i]) == 0;
    cJSON_free(s);
  }
  cJSON_Delete(a);
  return hit;
}

static int capture_ok(const pv_app *app) {
  return app->cap.available && app->cap.available(app->cap.ud);
}

/* Returns 1 when voice questions may be asked on this kiosk, in this
 * response (the device allows them, the resident did not decline). */
static int voice_allowed(const pv_app *app) {
  return !app->cfg.voice_off && app->voice_consent != 0;
}

static int visible(const pv_app *app, size_t i);

/* Returns 1 when question i's condition holds given the answers so far. */
static int relevant(const pv_app *app, size_t i) {
  const pv_question *q = &cur(app)->questions[i];
  if (!q->relevant)
    return 1;
  size_t t = q->relevant->question_index;
  return visible(app, t) && app->answers[t] &&
         answer_matches(app->answers[t], q->relevant);
}

/* Returns 1 when question i is shown given the answers so far. */
static int visible(const pv_app *app, size_t i) {
  const pv_question *q = &cur(app)->questions[i];
  switch (q->type) { /* the qualitative widgets arrive with issue 5 */
  case PV_Q_VOICE:   /* off on this kiosk, declined, or no microphone */
    if (!voice_allowed(app) || !capture_ok(app))
      return 0;
    break;
  default:
    break;
  }
  return relevant(app, i);
}

static int option_index(const pv_question *q, const char *id) {
  for (size_t i = 0; i < q->n_options; i++)
    if (strcmp(q->options[i].id, id) == 0)
      return (int)i;
  return -1;
}

/* Loads the current voice question's recording back from the store (going
 * back to it); a missing or unreadable one leaves the question empty. */
static void load_voice(pv_app *app) {
  /* A recording the store could not take (disk full) is still here: keep
   * it on screen, to be stored on the next leave. */
  if (app->voice.dirty && app->voice.n && app->voice_of == app->q)
    return;
  pv_qvoice_reset(&app->voice, &app->cap);
  cJSON *a = app->answers[app->q] ? cJSON_Parse(app->answers[app->q]) : NULL;
  const cJSON *sha = cJSON_GetObjectItemCaseSensitive(a, "attachment");
  pv_store_blob blob = {0};
  if (cJSON_IsString(sha) &&
      pv_store_get_attachment(app->store, sha->valuestring, &blob) == PV_OK &&
      pv_qvoice_load_wav(&app->voice, question(app), blob.bytes, blob.size) != PV_OK)
    PV_WARN("app: voice answer %s: %s", sha->valuestring, pv_err_detail());
  pv_store_blob_free(&blob);
  cJSON_Delete(a);
}

/* Loads the working selection from the stored JSON answer of question q. */
static void load_selection(pv_app *app) {
  const pv_question *q = question(app);
  memset(app->sel, 0, sizeof app->sel);
  app->value = -1;
  if (q->type == PV_Q_MAP) {
    pv_qmap_load(&app->map, q, app->answers[app->q]);
    return;
  }
  if (q->type == PV_Q_DRAWING) { /* the raster kept when it was stored */
    if (!app->canvas && !(app->canvas = pv_canvas_new()))
      PV_ERROR("app: no memory for a drawing canvas");
    pv_qdraw_reset(&app->draw, app->canvas);
    /* A raster kept but not stored (the store failed: disk full) comes
     * back too, marked changed so the next leave stores it. */
    int unsaved = app->kept[app->q] && !app->saved[app->q];
    if (app->canvas && app->kept[app->q] && (app->answers[app->q] || unsaved))
      pv_canvas_load(app->canvas, app->kept[app->q]);
    else if (app->canvas)
      pv_canvas_reset(app->canvas);
    app->draw.changed = unsaved;
    return;
  }
  if (q->type == PV_Q_VOICE) {
    load_voice(app);
    return;
  }
  if (q->type == PV_Q_TEXT) {
    pv_qtext_load(&app->text, q, app->answers[app->q], app->text_lang);
    return;
  }
  cJSON *a = app->answers[app->q] ? cJSON_Parse(app->answers[app->q]) : NULL;
  if (!a)
    return;
  if (cJSON_IsNumber(a)) {
    app->value = a->valueint;
  } else if (cJSON_IsString(a)) {
    if (q->type == PV_Q_YES_NO)
      app->value = strcmp(a->valuestring, "yes") == 0 ? 1 : 2;
    int i = option_index(q, a->valuestring);
    if (i >= 0)
      app->sel[i] = 1;
  } else if (cJSON_IsArray(a)) {
    int rank = 1;
    for (const cJSON *it = a->child; it; it = it->next) {
      int i = cJSON_IsString(it) ? option_index(q, it->valuestring) : -1;
      if (i >= 0)
        app->sel[i] = q->type == PV_Q_RANKING ? rank++ : 1;
    }
  }
  cJSON_Delete(a);
}

static int picked(const pv_app *app) {
  int n = 0;
  for (size_t i = 0; i < question(app)->n_options; i++)
    n += app->sel[i] != 0;
  return n;
}

/* Encodes the working selection as the answer's JSON (caller frees), or
 * NULL when the question is not answered (enough). */
static char *encode_selection(const pv_app *app) {
  const pv_question *q = question(app);
  cJSON *v = NULL;
  switch (q->type) {
  case PV_Q_SMILEYS:
  case PV_Q_SCALE:
    if (app->value >= 0)
      v = cJSON_CreateNumber(app->value);
    break;
  case PV_Q_YES_NO:
    if (app->value > 0)
      v = cJSON_CreateString(app->value == 1 ? "yes" : "no");
    break;
  case PV_Q_CHOICE:
  case PV_Q_PHOTO_CHOICE:
    if (q->type == PV_Q_CHOICE && !q->multiple) {
      for (size_t i = 0; i < q->n_options && !v; i++)
        if (app->sel[i])
          v = cJSON_CreateString(q->options[i].id);
    } else if (picked(app) >= q->min) {
      v = cJSON_CreateArray();
      for (size_t i = 0; v && i < q->n_options; i++)
        if (app->sel[i])
          cJSON_AddItemToArray(v, cJSON_CreateString(q->options[i].id));
    }
    break;
  case PV_Q_RANKING:
    if ((size_t)picked(app) == q->n_options) {
      v = cJSON_CreateArray();
      for (int r = 1; v && r <= (int)q->n_options; r++)
        for (size_t i = 0; i < q->n_options; i++)
          if (app->sel[i] == r)
            cJSON_AddItemToArray(v, cJSON_CreateString(q->options[i].id));
    }
    break;
  case PV_Q_MAP:
    v = pv_qmap_encode(&app->map, q);
    break;
  case PV_Q_VOICE: /* only says "answered": save_voice stores the file */
    if (app->voice.state == PV_QVOICE_DONE && app->voice.n)
      v = cJSON_CreateTrue();
    break;
  case PV_Q_TEXT:
    v = pv_qtext_encode(&app->text);
    break;
  default:
    break;
  }
  char *s = v ? cJSON_PrintUnformatted(v) : NULL;
  cJSON_Delete(v);
  return s;
}

/* Starts the response in the store on its first answer, so a resident
 * who leaves without answering leaves nothing. Returns 0 on failure. */
static int begin_response(pv_app *app) {
  if (app->uuid[0])
    return 1;
  const char *session = pv_anim_session(app->anim);
  pv_err err = pv_store_begin(app->store, cur(app)->id, cur(app)->version,
                              session[0] ? session : NULL, app->lang, app->uuid);
  if (err != PV_OK) {
    PV_ERROR("app: cannot begin a response: %s: %s", pv_strerror(err), pv_err_detail());
    app->uuid[0] = '\0';
    return 0;
  }
  return 1;
}

/* Keeps the working selection as the question's answer and writes it to
 * the store when it changed. A store failure is logged; the resident goes
 * on (the answer stays in memory and is written again on the next leave). */
static void save_voice(pv_app *app);

static void save_drawing(pv_app *app);

static void save_current(pv_app *app) {
  const pv_question *q = question(app);
  if (q->type == PV_Q_DRAWING) {
    save_drawing(app);
    return;
  }
  if (q->type == PV_Q_VOICE) {
    save_voice(app);
    return;
  }
  char *json = encode_selection(app);
  char *old = app->answers[app->q];
  if (!json && !old)
    return;
  if (!begin_response(app)) {
    cJSON_free(json);
    return;
  }
  if (json && old && strcmp(json, old) == 0 && app->saved[app->q]) {
    cJSON_free(json);
    return;
  }
  free(old);
  app->answers[app->q] = json ? strdup(json) : NULL;
  cJSON_free(json);
  /* A withdrawn answer is stored as null: "answered, then taken back". */
  const char *value = app->answers[app->q] ? app->answers[app->q] : "null";
  pv_err err = pv_store_put_answer(app->store, app->uuid, q->id, value,
                                   pv_qtype_measure(q->type));
  app->saved[app->q] = err == PV_OK;
  if (err != PV_OK)
    PV_WARN("app: storing %s/%s: %s: %s", cur(app)->id, q->id, pv_strerror(err),
            pv_err_detail());
}

/* Stores the recording as a WAV attachment (or null when it was deleted)
 * when it changed; leaving while recording keeps what was said. */
static void save_voice(pv_app *app) {
  const pv_question *q = question(app);
  pv_qvoice *v = &app->voice;
  uint8_t *wav = NULL;
  size_t len = 0;
  cJSON *o = NULL;
  pv_qvoice_stop(v, &app->cap);
  if (!v->dirty || (!v->n && !app->answers[app->q]) || !begin_response(app))
    goto out;
  pv_err err;
  char sha[PV_SHA256_HEX + 1] = "";
  if (!v->n) {
    err = pv_store_put_answer(app->store, app->uuid, q->id, "null",
                              pv_qtype_measure(q->type));
  } else {
    err = pv_qvoice_wav(v, &wav, &len);
    if (err == PV_OK)
      err = pv_store_put_attachment(app->store, app->uuid, q->id, PV_WAV_MEDIA_TYPE,
                                    wav, len, sha);
  }
  if (err != PV_OK) {
    PV_WARN("app: storing %s/%s: %s: %s", cur(app)->id, q->id, pv_strerror(err),
            pv_err_detail());
    app->voice_of = app->q; /* v->dirty stays: stored on the next leave */
    goto out;
  }
  free(app->answers[app->q]);
  app->answers[app->q] = NULL;
  if (v->n) {
    o = cJSON_CreateObject();
    if (o && cJSON_AddStringToObject(o, "attachment", sha) &&
        cJSON_AddStringToObject(o, "media_type", PV_WAV_MEDIA_TYPE) &&
        cJSON_AddNumberToObject(o, "size", (double)len)) {
      char *json = cJSON_PrintUnformatted(o);
      app->answers[app->q] = json ? strdup(json) : NULL;
      cJSON_free(json);
    }
  }
  app->saved[app->q] = 1;
  v->dirty = 0;
out:
  cJSON_Delete(o);
  free(wav);
}

/* A voice question passed over for want of a microphone says so in the
 * response (docs/qualitative.md), unless the device or the resident
 * turned voice off. */
static void note_no_device(pv_app *app, size_t i) {
  const pv_question *q = &cur(app)->questions[i];
  if (q->type != PV_Q_VOICE || !voice_allowed(app) || capture_ok(app) ||
      !relevant(app, i) || !begin_response(app))
    return;
  pv_err err = pv_store_put_answer(app->store, app->uuid, q->id,
                                   "{\"skipped\":\"no_capture_device\"}",
                                   pv_qtype_measure(q->type));
  if (err != PV_OK)
    PV_WARN("app: storing %s/%s: %s: %s", cur(app)->id, q->id, pv_strerror(err),
            pv_err_detail());
}

/* Stores the drawing on screen as a PNG attachment when it changed (or
 * was not stored yet), keeping its raster for going back; a drawing
 * cleared after it was stored is withdrawn (null). Failures are logged;
 * the drawing stays on the canvas and is stored again on the next leave. */
static void save_drawing(pv_app *app) {
  const pv_question *q = question(app);
  unsigned char *png = NULL;
  size_t len = 0;
  if (!app->canvas)
    return;
  pv_canvas_end_all(app->canvas);
  app->draw.drawing = 0;
  app->draw.n_others = 0;
  if (!app->draw.changed && (app->saved[app->q] || !app->answers[app->q]))
    return;
  int blank = pv_canvas_blank(app->canvas);
  if (blank && !app->answers[app->q])
    return;
  if (!begin_response(app))
    return;
  pv_err err;
  if (blank) {
    free(app->answers[app->q]);
    app->answers[app->q] = NULL;
    free(app->kept[app->q]);
    app->kept[app->q] = NULL;
    err = pv_store_put_answer(app->store, app->uuid, q->id, "null",
                              pv_qtype_measure(q->type));
    goto out;
  }
  /* Kept first: if storing fails (disk full), the drawing is still on
   * screen when the resident comes back, and stored on the next leave. */
  size_t bytes = (size_t)PV_CANVAS_W * PV_CANVAS_H * sizeof(uint32_t);
  if (!app->kept[app->q])
    app->kept[app->q] = malloc(bytes);
  if (app->kept[app->q])
    memcpy(app->kept[app->q], pv_canvas_pixels(app->canvas), bytes);
  if (!app->png) {
    err = pv_fail(PV_ERR_STATE, "no PNG encoder");
    goto out;
  }
  err = app->png(app->png_ud, pv_canvas_pixels(app->canvas), PV_CANVAS_W, PV_CANVAS_H,
                 PV_STORE_MAX_ATTACHMENT, &png, &len);
  if (err != PV_OK)
    goto out;
  char sha[PV_SHA256_HEX + 1];
  err =
      pv_store_put_attachment(app->store, app->uuid, q->id, "image/png", png, len, sha);
  if (err != PV_OK)
    goto out;
  char json[160];
  snprintf(json, sizeof json,
           "{\"attachment\":\"%s\",\"media_type\":\"image/png\",\"size\":%zu}", sha,
           len);
  free(app->answers[app->q]);
  app->answers[app->q] = strdup(json);
out:
  free(png);
  app->saved[app->q] = err == PV_OK;
  if (err == PV_OK)
    app->draw.changed = 0;
  else
    PV_WARN("app: storing the drawing %s/%s: %s: %s", cur(app)->id, q->id,
            pv_strerror(err), pv_err_detail());
}

static int answered(const pv_app *app) {
  if (question(app)->type == PV_Q_DRAWING)
    return app->canvas && !pv_canvas_blank(app->canvas);
  char *json = encode_selection(app);
  cJSON_free(json);
  return json != NULL;
}

/* ---- navigation ------------------------------------------------------------ */

/* Back to the attract screen with nothing of the resident left; a
 * response in progress is closed as abandoned, its answers kept. */
static void to_attract(pv_app *app) {
  if (app->uuid[0]) {
    pv_err err = pv_store_abandon(app->store, app->uuid);
    if (err != PV_OK)
      PV_WARN("app: abandoning %s: %s: %s", app->uuid, pv_strerror(err),
              pv_err_detail());
  }
  forget_response(app);
  enter(app, pv_anim_mode_now(app->anim) == PV_MODE_TABLET ? PV_SCREEN_HANDOFF
                                                           : PV_SCREEN_ATTRACT);
}

static void enter_question(pv_app *app, size_t i) {
  app->q = i;
  load_selection(app);
  /* The first recording of a response is asked for first. */
  enter(app, question(app)->type == PV_Q_VOICE && app->voice_consent < 0
                 ? PV_SCREEN_VOICE_CONSENT
                 : PV_SCREEN_QUESTION);
}

static void finish(pv_app *app) {
  if (!begin_response(app)) { /* even with every question skipped: it counts */
    to_attract(app);
    return;
  }
  pv_err err = pv_store_finish(app->store, app->uuid);
  if (err != PV_OK)
    PV_WARN("app: finishing %s: %s: %s", app->uuid, pv_strerror(err), pv_err_detail());
  for (size_t i = 0; i < MAX_Q; i++) { /* nothing of the resident stays */
    free(app->answers[i]);
    app->answers[i] = NULL;
  }
  forget_drawings(app);
  memset(&app->text, 0, sizeof app->text);
  app->uuid[0] = '\0';
  pv_qvoice_reset(&app->voice, &app->cap);
  app->voice_consent = -1;
  enter(app, PV_SCREEN_THANKS);
}

static void go_next(pv_app *app) {
  save_current(app);
  for (size_t i = app->q + 1; i < cur(app)->n_questions; i++) {
    note_no_device(app, i);
    if (visible(app, i)) {
      app->history[app->n_history++] = app->q;
      enter_question(app, i);
      return;
    }
  }
  finish(app);
}

static void go_back(pv_app *app) {
  save_current(app);
  if (app->n_history == 0) {
    enter(app, app->n_surveys > 1 ? PV_SCREEN_SURVEY : PV_SCREEN_CONSENT);
    return;
  }
  enter_question(app, app->history[--app->n_history]);
}

static void start_survey(pv_app *app, int s) {
  app->survey = s;
  app->li = pv_survey_lang_index(cur(app), app->lang);
  if (app->li < 0)
    app->li = 0;
  for (size_t i = 0; i < cur(app)->n_questions; i++) {
    note_no_device(app, i);
    if (visible(app, i)) {
      enter_question(app, i);
      return;
    }
  }
  finish(app);
}

/* 1 when every question of s has its prompt recorded in lang (voice
 * questions left out while voice notes are off). */
static int complete_in(const pv_app *app, const pv_survey *s, const char *lang) {
  char key[PV_STORE_MAX_PROMPT_KEY + 1];
  size_t counted = 0;
  for (size_t i = 0; i < s->n_questions; i++) {
    if (s->questions[i].type == PV_Q_VOICE && app->cfg.voice_off)
      continue;
    snprintf(key, sizeof key, "q:%s", s->questions[i].id);
    if (!find_prompt(app, s->id, key, lang))
      return 0;
    counted++;
  }
  return counted > 0;
}

/* Surveys offered in the chosen language: those declaring it, and those
 * recorded in it whole. */
static int offered(const pv_app *app, size_t s) {
  return pv_survey_lang_index(app->surveys[s], app->lang) >= 0 ||
         complete_in(app, app->surveys[s], app->lang);
}

static void after_consent(pv_app *app) {
  int only = -1, count = 0;
  for (size_t s = 0; s < app->n_surveys; s++)
    if (offered(app, s)) {
      only = (int)s;
      count++;
    }
  if (count == 1)
    start_survey(app, only);
  else
    enter(app, PV_SCREEN_SURVEY);
}

/* The language the texts are shown in for lang: itself when a survey
 * declares it, else the first language of the first survey recorded in
 * it whole (borrowed from the survey). */
static const char *text_lang_of(const pv_app *app, const char *lang) {
  for (size_t s = 0; s < app->n_surveys; s++)
    if (pv_survey_lang_index(app->surveys[s], lang) >= 0)
      return lang;
  for (size_t s = 0; s < app->n_surveys; s++)
    if (complete_in(app, app->surveys[s], lang))
      return app->surveys[s]->languages[0];
  return app->surveys[0]->languages[0];
}

static void choose_language(pv_app *app, const char *lang) {
  snprintf(app->lang_buf, sizeof app->lang_buf, "%s", lang);
  app->lang = app->lang_buf;
  app->text_lang = text_lang_of(app, app->lang);
  app->rtl = pv_lang_is_rtl(app->text_lang);
  enter(app, PV_SCREEN_CONSENT);
}

/* ---- drawing pieces ----------------------------------------------------------- */

typedef struct frame {
  pv_app *app;
  pv_ui *ui;
  pv_draw_list *dl;
  const pv_metrics *m;
  pv_measure_fn measure;
  void *mud;
  pv_look look; /* the same frame, for the shared drawing pieces */
} frame;

/* The prompt row: pictogram and text, below the top bar. The text keeps
 * its size up to three lines, then steps down (never under the smallest
 * size) so the prompt never runs into the answers. Returns its bottom. */
static int prompt_row(const frame *f, const char *image, const char *text) {
  const pv_metrics *m = f->m;
  int y = m->margin + m->top_bar + m->gap;
  int x = m->margin + m->picto + 2 * m->gap;
  int w = m->width - x - m->margin;
  int size = m->prompt_px, h = m->picto;
  int limit = m->height * 3 / 10; /* at most 30% of the screen */
  int lines = m->portrait ? 4 : 3;
  for (; size >= m->small_px; size -= 2) {
    h = pv_look_text_height(&f->look, text, size, 1, lines, w);
    if (h <= limit)
      break;
  }
  if (size < m->small_px)
    size = m->small_px;
  if (h < m->picto)
    h = m->picto;
  if (image)
    pv_draw_image(
        f->dl,
        pv_look_at(&f->look, m->margin, y + (h - m->picto) / 2, m->picto, m->picto),
        image);
  pv_look_text(&f->look, pv_look_at(&f->look, x, y, w, h), COL_INK, text, size, 1,
               PV_ALIGN_START, lines);
  return y + h;
}

/* Progress dots in the top bar: one per question shown. */
static void progress(const frame *f) {
  pv_app *app = f->app;
  const pv_metrics *m = f->m;
  size_t shown = 0, current = 0;
  for (size_t i = 0; i < cur(app)->n_questions; i++)
    if (visible(app, i)) {
      if (i == app->q)
        current = shown;
      shown++;
    }
  int d = m->top_bar / 4, gap = d;
  int total = (int)shown * d + ((int)shown - 1) * gap;
  int x0 = (m->width - total) / 2, y = m->margin + (m->top_bar - d) / 2;
  for (size_t i = 0; i < shown; i++) {
    pv_rect r = pv_look_at(&f->look, x0 + (int)i * (d + gap), y, d, d);
    if (i == current)
      pv_draw_circle(
          f->dl, (pv_rect){r.x - d / 3, r.y - d / 3, d + 2 * (d / 3), d + 2 * (d / 3)},
          COL_ACCENT);
    else if (i < current)
      pv_draw_circle(f->dl, r, COL_ACCENT);
    else
      pv_draw_ring(f->dl, r, COL_ACCENT, 2);
  }
}

/* ---- question widgets ------------------------------------------------------ */

static void speak_choice(pv_app *app, const pv_option *o) {
  char key[PV_STORE_MAX_PROMPT_KEY + 1];
  snprintf(key, sizeof key, "o:%s:%s", question(app)->id, o->id);
  say_text(app, cur(app), key, &o->label, &o->audio);
}

static void choose_feedback(pv_app *app, int on) {
  say_str(app, on ? PV_STR_CHOSEN : PV_STR_REMOVED, app->text_lang);
}

static void widget_smileys(const frame *f, pv_rect area) {
  pv_app *app = f->app;
  const pv_question *q = question(app);
  pv_rect cards[5];
  if (f->m->portrait) { /* a scale reads in one line: a column when upright */
    int h = (area.h - (q->points - 1) * f->m->gap) / q->points;
    for (int i = 0; i < q->points; i++)
      cards[i] =
          (pv_rect){area.x, area.y + (q->points - 1 - i) * (h + f->m->gap), area.w, h};
  } else {
    pv_look_grid_ex(&f->look, area, (size_t)q->points, 1, cards);
  }
  for (int p = 1; p <= q->points; p++) {
    char id[24];
    snprintf(id, sizeof id, "choice:%d", p);
    pv_rect r = cards[p - 1];
    int flags = pv_ui_widget_do(f->ui, id, r, 0);
    if (flags & PV_UI_TAPPED) {
      app->value = app->value == p ? -1 : p;
      choose_feedback(app, app->value == p);
    }
    pv_look_card(&f->look, r, flags, app->value == p);
    int pad = (r.w < r.h ? r.w : r.h) / 8;
    pv_look_face(&f->look,
                 (pv_rect){r.x + pad, r.y + pad, r.w - 2 * pad, r.h - 2 * pad}, p,
                 q->points);
  }
}

static void widget_yes_no(const frame *f, pv_rect area) {
  pv_app *app = f->app;
  pv_rect cards[2];
  pv_look_grid(&f->look, area, 2, cards);
  static const char *const ids[] = {"choice:yes", "choice:no"};
  static const pv_pic pics[] = {PV_PIC_CHECK, PV_PIC_CROSS};
  static const pv_str_id strs[] = {PV_STR_YES, PV_STR_NO};
  for (int i = 0; i < 2; i++) {
    int flags = pv_ui_widget_do(f->ui, ids[i], cards[i], 0);
    if (flags & PV_UI_TAPPED) {
      app->value = app->value == i + 1 ? -1 : i + 1;
      choose_feedback(app, app->value == i + 1);
    }
    if (flags & PV_UI_HELD)
      say_str(app, strs[i], app->text_lang);
    pv_look_picture_card(&f->look, cards[i], flags, app->value == i + 1,
                         pic_path(app, pics[i]), pv_str(strs[i], app->text_lang));
  }
}

/* choice, single or multiple (with "exclusive" options), and photo_choice. */
static void widget_choice(const frame *f, pv_rect area) {
  pv_app *app = f->app;
  const pv_question *q = question(app);
  int multiple = q->type == PV_Q_PHOTO_CHOICE || q->multiple;
  pv_rect cards[MAX_OPT];
  if (multiple && picked(app) > 0) {
    /* "2 sur 3": how many are picked out of the most allowed, in the nav
     * row's middle, where "skip" stands while nothing is picked. */
    static char count[64];
    const pv_metrics *m = f->m;
    pv_str_fill(count, sizeof count, PV_STR_PICKED_N_OF_M, app->text_lang, picked(app),
                q->max);
    pv_rect r = pv_look_at(&f->look, (m->width - m->nav_w) / 2,
                           m->height - m->margin - m->nav_h, m->nav_w, m->nav_h);
    pv_draw_rect(f->dl, r, COL_CARD, m->nav_h / 2);
    pv_draw_frame(f->dl, r, COL_ACCENT, m->nav_h / 2, 3);
    pv_look_text(&f->look, r, COL_ACCENT, count, m->label_px, 1, PV_ALIGN_CENTER, 1);
  }
  pv_look_grid(&f->look, area, q->n_options, cards);
  for (size_t i = 0; i < q->n_options; i++) {
    const pv_option *o = &q->options[i];
    char id[PV_UI_MAX_ID];
    snprintf(id, sizeof id, "choice:%s", o->id);
    int flags = pv_ui_widget_do(f->ui, id, cards[i], 0);
    if (flags & PV_UI_HELD)
      speak_choice(app, o);
    if (q->type == PV_Q_PHOTO_CHOICE && (flags & PV_UI_PRESSED) && f->ui->held_fired)
      app->preview = (int)i; /* shown full screen until the finger lifts */
    if (flags & PV_UI_TAPPED) {
      int on = !app->sel[i];
      if (!multiple) {
        memset(app->sel, 0, sizeof app->sel);
      } else if (on && o->exclusive) {
        memset(app->sel, 0, sizeof app->sel);
      } else if (on) {
        for (size_t j = 0; j < q->n_options; j++)
          if (q->options[j].exclusive)
            app->sel[j] = 0;
      }
      if (on && multiple && picked(app) >= q->max) {
        say_str(app, PV_STR_MAX_REACHED, app->text_lang);
      } else {
        app->sel[i] = on;
        choose_feedback(app, on);
      }
    }
    pv_look_picture_card(&f->look, cards[i], flags, app->sel[i], o->image,
                         text_of(app, &o->label));
  }
}

/* scale 0..10 as a thermometer: eleven tall segments filling from the low
 * end, the end points' pictograms and labels above. */
static void widget_scale(const frame *f, pv_rect area) {
  pv_app *app = f->app;
  const pv_question *q = question(app);
  const pv_metrics *m = f->m;
  int ends_h = area.h / 3 > m->touch_min ? area.h / 3 : m->touch_min;
  int end_w = area.w / 3;
  const pv_option *ends[2] = {&q->low, &q->high};
  for (int e = 0; e < 2; e++) {
    pv_rect r = pv_look_at(&f->look, e ? area.x + area.w - end_w : area.x, area.y,
                           end_w, ends_h);
    int flags = pv_ui_widget_do(f->ui, e ? "end:high" : "end:low", r, 0);
    if (flags & (PV_UI_TAPPED | PV_UI_HELD))
      speak_choice(app, ends[e]);
    int ph = ends_h;
    if (ph > end_w * 2 / 5)
      ph = end_w * 2 / 5; /* leave the label room beside its pictogram */
    pv_rect pic_rect = {r.x, r.y, ph, ph};
    pv_rect lab = {r.x + ph + m->gap, r.y, r.w - ph - m->gap, ph};
    if (e ^ app->rtl) {
      pic_rect.x = r.x + r.w - ph;
      lab.x = r.x;
    }
    pv_draw_image(f->dl, pic_rect, ends[e]->image);
    pv_look_text(&f->look, lab, COL_INK, text_of(app, &ends[e]->label), m->label_px, 0,
                 (e ^ app->rtl) ? PV_ALIGN_END : PV_ALIGN_START, 2);
  }
  int gap = m->gap / 2 > 2 ? m->gap / 2 : 2;
  int seg_w = (area.w - 10 * gap) / 11;
  int y = area.y + ends_h + m->gap, h = area.h - ends_h - m->gap;
  for (int v = 0; v <= 10; v++) {
    char id[24];
    snprintf(id, sizeof id, "choice:%d", v);
    pv_rect r = pv_look_at(&f->look, area.x + v * (seg_w + gap), y, seg_w, h);
    int flags = pv_ui_widget_do(f->ui, id, r, 0);
    if (flags & PV_UI_TAPPED) {
      app->value = app->value == v ? -1 : v;
      choose_feedback(app, app->value == v);
    }
    int filled = app->value >= 0 && v <= app->value;
    double t = v / 10.0;
    pv_color c = t < 0.34 ? COL_BAD : t < 0.67 ? COL_MID : COL_GOOD;
    int bar_h = h / 3 + (h * 2 / 3) * v / 10; /* rises towards the high end */
    pv_rect bar = {r.x, r.y + h - bar_h, r.w, bar_h};
    pv_draw_rect(f->dl, bar,
                 filled ? c : ((flags & PV_UI_PRESSED) ? COL_PRESSED : COL_CARD),
                 m->radius / 2);
    if (app->value == v)
      pv_draw_frame(f->dl, bar, COL_SELECT, m->radius / 2, m->ring);
    else
      pv_draw_frame(f->dl, bar, COL_EDGE, m->radius / 2, 2);
    static const char *const digits[] = {"0", "1", "2", "3", "4", "5",
                                         "6", "7", "8", "9", "10"};
    pv_look_text(&f->look,
                 (pv_rect){bar.x, bar.y + bar.h - m->label_px - m->gap, bar.w,
                           m->label_px + m->gap / 2},
                 filled ? COL_CARD : COL_INK, digits[v], m->label_px, 1,
                 PV_ALIGN_CENTER, 1);
  }
}

/* ranking: tap the cards in order of preference (or drag one onto
 * another to swap); a badge shows each rank. The last card ranks itself. */
static void widget_ranking(const frame *f, pv_rect area) {
  pv_app *app = f->app;
  const pv_question *q = question(app);
  const pv_metrics *m = f->m;
  pv_rect cards[MAX_OPT];
  pv_look_grid(&f->look, area, q->n_options, cards);
  int n = (int)q->n_options;
  for (int i = 0; i < n; i++) {
    const pv_option *o = &q->options[i];
    char id[PV_UI_MAX_ID];
    snprintf(id, sizeof id, "choice:%s", o->id);
    int flags = pv_ui_widget_do(f->ui, id, cards[i], PV_UI_DRAGGABLE);
    if (flags & PV_UI_HELD)
      speak_choice(app, o);
    if (flags & PV_UI_TAPPED) {
      if (app->sel[i]) { /* un-rank it and those after it */
        int r = app->sel[i];
        for (int j = 0; j < n; j++)
          if (app->sel[j] >= r)
            app->sel[j] = 0;
      } else {
        app->sel[i] = picked(app) + 1;
        if (picked(app) == n - 1)
          for (int j = 0; j < n; j++)
            if (!app->sel[j])
              app->sel[j] = n;
      }
      choose_feedback(app, app->sel[i] != 0);
    }
    if (flags & PV_UI_DROPPED) {
      int x, y;
      pv_ui_drag_pos(f->ui, &x, &y);
      for (int j = 0; j < n; j++)
        if (j != i && pv_rect_contains(cards[j], x, y)) {
          if (!app->sel[i] || !app->sel[j]) { /* rank both in order first */
            for (int k = 0; k < n; k++)
              if (!app->sel[k])
                app->sel[k] = picked(app) + 1;
          }
          int t = app->sel[i];
          app->sel[i] = app->sel[j];
          app->sel[j] = t;
          choose_feedback(app, 1);
        }
    }
    pv_rect r = cards[i];
    if (flags & PV_UI_DRAGGING) { /* follow the finger */
      int x, y;
      pv_ui_drag_pos(f->ui, &x, &y);
      r.x = x - r.w / 2;
      r.y = y - r.h / 2;
    }
    pv_look_picture_card_ex(&f->look, r, flags, app->sel[i] != 0, 0, o->image,
                            text_of(app, &o->label));
    if (app->sel[i]) {
      static const char *const ranks[] = {"", "1", "2", "3", "4", "5", "6", "7", "8"};
      int b = m->touch_min * 2 / 3;
      pv_rect badge = {app->rtl ? r.x + r.w - b - m->ring : r.x + m->ring,
                       r.y + m->ring, b, b};
      pv_draw_circle(f->dl, badge, COL_ACCENT);
      pv_look_text(&f->look, badge, COL_CARD, ranks[app->sel[i] <= 8 ? app->sel[i] : 0],
                   m->label_px, 1, PV_ALIGN_CENTER, 1);
    }
  }
}

static void map_say_option(void *ud, const pv_option *o) {
  speak_choice(ud, o);
}

static void map_say(void *ud, pv_str_id id) {
  pv_app *app = ud;
  say_str(app, id, app->text_lang);
}

static void prompt_beside(const frame *f, pv_rect r);

/* map (kiosk/q_map.c): in landscape the prompt goes beside the plan, in
 * the rect the widget leaves for it, stepping down in size to fit. */
static void widget_map(const frame *f, pv_rect area) {
  pv_app *app = f->app;
  const pv_question *q = question(app);
  const pv_metrics *m = f->m;
  pv_qmap_env e = {.ui = f->ui,
                   .dl = f->dl,
                   .m = m,
                   .q = q,
                   .li = app->li,
                   .lang = app->text_lang,
                   .remove_icon = pic_path(app, PV_PIC_CROSS),
                   .check_icon = pic_path(app, PV_PIC_CHECK),
                   .say_option = map_say_option,
                   .say = map_say,
                   .ud = app};
  prompt_beside(f, pv_qmap_do(&app->map, &e, area));
}

/* The prompt in the rect a widget left for it (map, drawing), stepping
 * down in size to fit; nothing when r is empty (portrait). */
static void prompt_beside(const frame *f, pv_rect r) {
  pv_app *app = f->app;
  const pv_question *q = question(app);
  const pv_metrics *m = f->m;
  if (r.w <= 0)
    return;
  const char *text = text_of(app, &q->label);
  int size = m->prompt_px, lines = 1, h = 0;
  for (;; size -= 2) { /* the largest size whose whole text fits */
    lines = r.h / (size * 5 / 4) > 1 ? r.h / (size * 5 / 4) : 1;
    h = pv_look_text_height(&f->look, text, size, 1, lines + 4, r.w);
    if (h <= r.h || size - 2 < m->small_px)
      break;
  }
  int pic = m->picto;
  if (q->image && r.h - h - m->gap >= pic) { /* room for the pictogram above */
    pv_draw_image(f->dl, (pv_rect){app->rtl ? r.x + r.w - pic : r.x, r.y, pic, pic},
                  q->image);
    r.y += pic + m->gap;
    r.h -= pic + m->gap;
  }
  pv_look_text(&f->look, r, COL_INK, text, size, 1, PV_ALIGN_START, lines);
}

static void text_say_prompt(void *ud) {
  pv_app *app = ud;
  say_prompt(app, question(app));
}

/* text (kiosk/q_text.c): closed, a keyboard button in area; open, the
 * keyboard takes the whole screen (screen_question then draws nothing
 * else). */
static void widget_text(const frame *f, pv_rect area) {
  pv_app *app = f->app;
  const pv_metrics *m = f->m;
  pv_qtext_env e = {.ui = f->ui,
                    .dl = f->dl,
                    .m = m,
                    .q = question(app),
                    .lang = app->text_lang,
                    .keyboard_icon = pic_path(app, PV_PIC_KEYBOARD),
                    .done_icon = pic_path(app, PV_PIC_CHECK),
                    .backspace_icon = pic_path(app, PV_PIC_ARROW_LEFT),
                    .measure = f->measure,
                    .measure_ud = f->mud,
                    .say = map_say,
                    .say_prompt = text_say_prompt,
                    .ud = app};
  int edge = m->margin / 2; /* twelve keys of 12 mm fit across 800 px */
  pv_rect all = {edge, edge, m->width - 2 * edge, m->height - 2 * edge};
  pv_qtext_do(&app->text, &e, area, all);
}

static void voice_play(void *ud, const char *path) {
  say_file(ud, path);
}

static pv_qvoice_env voice_env(const frame *f) {
  pv_app *app = f->app;
  return (pv_qvoice_env){.ui = f->ui,
                         .dl = f->dl,
                         .m = f->m,
                         .q = question(app),
                         .lang = app->text_lang,
                         .cap = &app->cap,
                         .mic_icon = pic_path(app, PV_PIC_MIC),
                         .ear_icon = pic_path(app, PV_PIC_EAR),
                         .cross_icon = pic_path(app, PV_PIC_CROSS),
                         .check_icon = pic_path(app, PV_PIC_CHECK),
                         .say = map_say,
                         .play = voice_play,
                         .ud = app};
}

/* voice (kiosk/q_voice.c): record, then replay, record again or delete. */
static void widget_voice(const frame *f, pv_rect area) {
  pv_qvoice_env e = voice_env(f);
  pv_qvoice_do(&f->app->voice, &e, area);
}

/* drawing (kiosk/q_drawing.c): the prompt over the swatches in landscape. */
static void widget_drawing(const frame *f, pv_rect area) {
  pv_app *app = f->app;
  if (!app->canvas)
    return; /* no memory for it: the question can only be skipped */
  pv_qdraw_env e = {
      .ui = f->ui,
      .dl = f->dl,
      .m = f->m,
      .lang = app->text_lang,
      .undo_icon = pic_path(app, app->rtl ? PV_PIC_ARROW_RIGHT : PV_PIC_ARROW_LEFT),
      .clear_icon = pic_path(app, PV_PIC_TRASH),
      .check_icon = pic_path(app, PV_PIC_CHECK),
      .say = map_say,
      .ud = app};
  prompt_beside(f, pv_qdraw_do(&app->draw, &e, area));
}

/* photo_choice: a held photo, full screen on dark ink (nothing of the
 * question shows through), its label under it (spoken when the hold
 * began); lifting the finger returns. */
static void photo_preview(const frame *f, const pv_option *o) {
  pv_app *app = f->app;
  const pv_metrics *m = f->m;
  pv_draw_rect(f->dl, (pv_rect){0, 0, m->width, m->height}, COL_INK, 0);
  int label_h = m->prompt_px * 2;
  pv_rect pic = {m->margin, m->margin, m->width - 2 * m->margin,
                 m->height - 2 * m->margin - label_h - m->gap};
  pv_draw_rect(f->dl, pic, COL_CARD, m->radius);
  pv_draw_image(
      f->dl,
      (pv_rect){pic.x + m->gap, pic.y + m->gap, pic.w - 2 * m->gap, pic.h - 2 * m->gap},
      o->image);
  pv_look_text(&f->look, (pv_rect){m->margin, pic.y + pic.h + m->gap, pic.w, label_h},
               COL_CARD, text_of(app, &o->label), m->prompt_px, 1, PV_ALIGN_CENTER, 1);
}

typedef void (*widget_fn)(const frame *f, pv_rect area);

static const widget_fn widgets[PV_Q__COUNT] = {
    [PV_Q_SMILEYS] = widget_smileys, [PV_Q_CHOICE] = widget_choice,
    [PV_Q_YES_NO] = widget_yes_no,   [PV_Q_SCALE] = widget_scale,
    [PV_Q_RANKING] = widget_ranking, [PV_Q_PHOTO_CHOICE] = widget_choice,
    [PV_Q_MAP] = widget_map,         [PV_Q_VOICE] = widget_voice,
    [PV_Q_TEXT] = widget_text,       [PV_Q_DRAWING] = widget_drawing,
};

/* ---- screens ------------------------------------------------------------------ */

static void screen_attract(const frame *f) {
  pv_app *app = f->app;
  const pv_metrics *m = f->m;
  pv_rect all = {0, 0, m->width, m->height};
  int flags = pv_ui_widget_do(f->ui, "attract", all, 0);
  /* A gentle pulse: the circle breathes over 2.4 s. */
  int64_t t = (now(app) - app->entered_ms) % 10000;
  double phase = t >= 2400 ? 0 : t < 1200 ? t / 1200.0 : (2400 - t) / 1200.0;
  int base = (m->height < m->width ? m->height : m->width) / 2;
  int side = base + (int)(base * 0.08 * phase);
  pv_rect c = {(m->width - side) / 2, (m->height - side) / 2 - m->label_px, side, side};
  pv_draw_circle(f->dl, c, COL_ACCENT);
  pv_draw_image(f->dl,
                (pv_rect){c.x + side / 5, c.y + side / 5, side * 3 / 5, side * 3 / 5},
                pic_path(app, PV_PIC_TOUCH));
  /* "Touch the screen" in every language the device offers. */
  int y = c.y + side + m->gap, h = m->label_px + m->gap;
  for (size_t i = 0; i < app->n_langs && y + h <= m->height; i++) {
    const char *text = pv_str(PV_STR_TAP_TO_START, app->langs[i]);
    int shown = 0; /* a language without strings falls back: once is enough */
    for (size_t j = 0; j < i; j++)
      shown |= pv_str(PV_STR_TAP_TO_START, app->langs[j]) == text;
    if (shown)
      continue;
    pv_text_style st = {.size_px = m->label_px,
                        .bold = i == 0,
                        .rtl = pv_lang_is_rtl(app->langs[i]),
                        .lang = app->langs[i],
                        .align = PV_ALIGN_CENTER,
                        .max_lines = 1};
    pv_draw_text(f->dl, (pv_rect){0, y, m->width, h}, COL_INK, text, &st);
    y += h;
  }
  if (flags & PV_UI_TAPPED) {
    if (app->n_langs == 1)
      choose_language(app, app->langs[0]);
    else
      enter(app, PV_SCREEN_LANGUAGE);
  }
}

static void screen_language(const frame *f) {
  pv_app *app = f->app;
  const pv_metrics *m = f->m;
  int bottom =
      prompt_row(f, pic_path(app, PV_PIC_GLOBE), pv_str(PV_STR_CHOOSE_LANGUAGE, "fr"));
  pv_rect area = {m->margin, bottom + m->gap, m->width - 2 * m->margin,
                  m->height - bottom - 2 * m->gap - m->margin};
  pv_rect cards[PV_APP_MAX_LANGS];
  pv_look_grid(&f->look, area, app->n_langs, cards);
  for (size_t i = 0; i < app->n_langs; i++) {
    char id[PV_UI_MAX_ID];
    snprintf(id, sizeof id, "lang:%s", app->langs[i]);
    int flags = pv_ui_widget_do(f->ui, id, cards[i], 0);
    pv_look_card(&f->look, cards[i], flags, 0);
    pv_text_style st = {.size_px = m->prompt_px,
                        .bold = 1,
                        .rtl = pv_lang_is_rtl(app->langs[i]),
                        .lang = app->langs[i],
                        .align = PV_ALIGN_CENTER,
                        .max_lines = 2};
    const char *name = pv_lang_endonym(app->langs[i]);
    const char *shown = pv_lang_shown_name(app->langs[i]); /* one the fonts draw */
    pv_draw_text(f->dl, cards[i], COL_INK, shown ? shown : app->langs[i], &st);
    if (flags & PV_UI_HELD) { /* a language without a voice says nothing */
      if (name && pv_tts_path(app->cfg.tts_dir, app->langs[i], name, app->path,
                              sizeof app->path) == PV_OK)
        say_file(app, app->path);
    }
    if (flags & PV_UI_TAPPED)
      choose_language(app, app->langs[i]);
  }
  if (pv_look_speaker(&f->look))
    say_str(app, PV_STR_CHOOSE_LANGUAGE, "fr");
}

static void screen_consent(const frame *f) {
  pv_app *app = f->app;
  const pv_metrics *m = f->m;
  const char *shield = pic_path(app, PV_PIC_SHIELD), *yes = pic_path(app, PV_PIC_CHECK),
             *no = pic_path(app, PV_PIC_CROSS);
  if (!app->autoplayed && app->cfg.autoplay) {
    say_str(app, PV_STR_CONSENT, app->text_lang);
    app->autoplayed = 1;
  }
  if (pv_look_speaker(&f->look))
    say_str(app, PV_STR_CONSENT, app->text_lang);
  int bottom = m->margin + m->top_bar + m->gap;
  int nav_y = m->height - m->margin - m->nav_h * 2;
  int side = m->portrait ? m->picto * 3 / 2 : m->picto * 2;
  pv_draw_image(f->dl, pv_look_at(&f->look, m->margin, bottom, side, side), shield);
  int x = m->portrait ? m->margin : m->margin + side + 2 * m->gap;
  int y = m->portrait ? bottom + side + m->gap : bottom;
  pv_look_text(&f->look,
               pv_look_at(&f->look, x, y, m->width - x - m->margin, nav_y - y - m->gap),
               COL_INK, pv_str(PV_STR_CONSENT, app->text_lang), m->prompt_px, 0,
               PV_ALIGN_START, 8);
  int w = (m->width - 2 * m->margin - m->gap) / 2;
  if (pv_look_button(&f->look, "consent:no",
                     pv_look_at(&f->look, m->margin, nav_y, w, m->nav_h * 2), no,
                     pv_str(PV_STR_CONSENT_NO, app->text_lang), COL_CARD, COL_INK, 1) &
      PV_UI_TAPPED) {
    to_attract(app); /* nothing was stored */
    return;
  }
  if (pv_look_button(
          &f->look, "consent:yes",
          pv_look_at(&f->look, m->margin + w + m->gap, nav_y, w, m->nav_h * 2), yes,
          pv_str(PV_STR_CONSENT_YES, app->text_lang), COL_ACCENT, COL_CARD, 1) &
      PV_UI_TAPPED)
    after_consent(app);
}

/* Before a response's first recording: what happens to it, yes / no. No
 * skips every voice question of the response. */
static void screen_voice_consent(const frame *f) {
  pv_app *app = f->app;
  const pv_metrics *m = f->m;
  if (!app->autoplayed && app->cfg.autoplay) {
    say_str(app, PV_STR_VOICE_CONSENT, app->text_lang);
    app->autoplayed = 1;
  }
  if (pv_look_speaker(&f->look))
    say_str(app, PV_STR_VOICE_CONSENT, app->text_lang);
  int top = m->margin + m->top_bar + m->gap;
  int nav_y = m->height - m->margin - m->nav_h;
  pv_qvoice_env e = voice_env(f);
  int said = pv_qvoice_consent_do(
      &e, (pv_rect){m->margin, top, m->width - 2 * m->margin, nav_y - top - m->gap});
  if (said == 1) {
    app->voice_consent = 1;
    enter(app, PV_SCREEN_QUESTION);
    return;
  }
  if (said == 2) {
    app->voice_consent = 0;
    for (size_t i = app->q + 1; i < cur(app)->n_questions; i++)
      if (visible(app, i)) { /* no history: back skips the voice question */
        enter_question(app, i);
        return;
      }
    finish(app);
    return;
  }
  const char *back = pic_path(app, app->rtl ? PV_PIC_ARROW_RIGHT : PV_PIC_ARROW_LEFT);
  if (pv_look_button(&f->look, "back",
                     pv_look_at(&f->look, m->margin, nav_y, m->nav_w, m->nav_h), back,
                     pv_str(PV_STR_BACK, app->text_lang), COL_CARD, COL_INK, 1) &
      PV_UI_TAPPED)
    go_back(app);
}

static void screen_survey(const frame *f) {
  pv_app *app = f->app;
  const pv_metrics *m = f->m;
  int bottom = prompt_row(f, pic_path(app, PV_PIC_QUESTION),
                          pv_str(PV_STR_CHOOSE_SURVEY, app->text_lang));
  if (pv_look_speaker(&f->look))
    say_str(app, PV_STR_CHOOSE_SURVEY, app->text_lang);
  size_t idx[PV_APP_MAX_SURVEYS], n = 0;
  for (size_t s = 0; s < app->n_surveys; s++)
    if (offered(app, s))
      idx[n++] = s;
  pv_rect area = {m->margin, bottom + m->gap, m->width - 2 * m->margin,
                  m->height - bottom - 2 * m->gap - m->margin};
  pv_rect cards[PV_APP_MAX_SURVEYS];
  pv_look_grid(&f->look, area, n, cards);
  for (size_t k = 0; k < n; k++) {
    const pv_survey *s = app->surveys[idx[k]];
    int li = pv_survey_lang_index(s, app->lang);
    if (li < 0) /* recorded in the language, shown in the survey's first */
      li = 0;
    char id[PV_UI_MAX_ID];
    snprintf(id, sizeof id, "survey:%s", s->id);
    int flags = pv_ui_widget_do(f->ui, id, cards[k], 0);
    pv_look_picture_card(&f->look, cards[k], flags, 0, s->image, s->title.s[li]);
    if (flags & PV_UI_HELD) {
      int keep = app->li;
      app->li = li;
      say_text(app, s, NULL, &s->title, &s->audio);
      app->li = keep;
    }
    if (flags & PV_UI_TAPPED) {
      start_survey(app, (int)idx[k]);
      return;
    }
  }
}

static void screen_question(const frame *f) {
  pv_app *app = f->app;
  const pv_metrics *m = f->m;
  const pv_question *q = question(app);
  if (!app->autoplayed && app->cfg.autoplay) {
    say_prompt(app, q);
    app->autoplayed = 1;
  }
  if (q->type == PV_Q_TEXT && pv_qtext_is_open(&app->text)) {
    widgets[q->type](f, (pv_rect){0, 0, 0, 0}); /* the keyboard, full screen */
    return;
  }
  if (pv_look_speaker(&f->look))
    say_prompt(app, q);
  progress(f);
  int beside = q->type == PV_Q_MAP || q->type == PV_Q_DRAWING;
  int bottom = beside && !m->portrait /* the prompt beside the plan or canvas */
                   ? m->margin + m->top_bar
                   : prompt_row(f, q->image, text_of(app, &q->label));
  int nav_y = m->height - m->margin - m->nav_h;
  pv_rect area = {m->margin, bottom + m->gap, m->width - 2 * m->margin,
                  nav_y - bottom - 2 * m->gap};
  size_t before = app->q;
  pv_screen screen_before = app->screen;
  app->preview = -1;
  widgets[q->type](f, area);
  if (app->q != before || app->screen != screen_before)
    return;

  const char *back = pic_path(app, app->rtl ? PV_PIC_ARROW_RIGHT : PV_PIC_ARROW_LEFT);
  const char *next = pic_path(app, app->rtl ? PV_PIC_ARROW_LEFT : PV_PIC_ARROW_RIGHT);
  if (pv_look_button(&f->look, "back",
                     pv_look_at(&f->look, m->margin, nav_y, m->nav_w, m->nav_h), back,
                     pv_str(PV_STR_BACK, app->text_lang), COL_CARD, COL_INK, 1) &
      PV_UI_TAPPED) {
    go_back(app);
    return;
  }
  int ok = answered(app);
  int started = (q->type == PV_Q_CHOICE && q->multiple) ||
                        q->type == PV_Q_PHOTO_CHOICE || q->type == PV_Q_RANKING
                    ? picked(app) > 0
                    : q->type == PV_Q_VOICE && app->voice.state == PV_QVOICE_RECORDING;
  if (!q->required && !ok && !started) {
    int w = m->nav_w;
    if (pv_look_button(&f->look, "skip",
                       pv_look_at(&f->look, (m->width - w) / 2, nav_y, w, m->nav_h),
                       NULL, pv_str(PV_STR_SKIP, app->text_lang), COL_CARD, COL_MUTED,
                       1) &
        PV_UI_TAPPED) {
      go_next(app);
      return;
    }
  }
  if (pv_look_button(&f->look, "next",
                     pv_look_at(&f->look, m->width - m->margin - m->nav_w, nav_y,
                                m->nav_w, m->nav_h),
                     next, pv_str(PV_STR_NEXT, app->text_lang), COL_ACCENT, COL_CARD,
                     ok) &
      PV_UI_TAPPED) {
    go_next(app);
    return;
  }
  if (app->preview >= 0 && (size_t)app->preview < q->n_options)
    photo_preview(f, &q->options[app->preview]); /* over everything */
}

static void screen_thanks(const frame *f) {
  pv_app *app = f->app;
  const pv_metrics *m = f->m;
  const char *lang = app->text_lang ? app->text_lang : "fr";
  int flags = pv_ui_widget_do(f->ui, "thanks", (pv_rect){0, 0, m->width, m->height}, 0);
  if (!app->autoplayed) {
    say_str(app, PV_STR_THANKS, lang);
    app->autoplayed = 1;
  }
  /* A small celebration: stars rise and settle within 300 ms per wave. */
  int64_t t = now(app) - app->entered_ms;
  const char *heart = pic_path(app, PV_PIC_HEART), *star = pic_path(app, PV_PIC_STAR);
  int side = (m->height < m->width ? m->height : m->width) * 2 / 5;
  pv_rect h = {(m->width - side) / 2, m->height / 2 - side, side, side};
  pv_draw_image(f->dl, h, heart);
  double k = t < 900 ? t / 900.0 : 1.0;
  for (int i = 0; i < 6; i++) {
    int s = side / 4;
    int x = m->width / 2 + (int)((i - 2.5) * side / 2.2);
    int y = h.y + side - (int)(k * (side / 2 + (i % 3) * s / 2));
    pv_draw_image(f->dl, (pv_rect){x - s / 2, y, s, s}, star);
  }
  pv_look_text(&f->look,
               (pv_rect){m->margin, h.y + side + m->gap, m->width - 2 * m->margin,
                         m->prompt_px * 3},
               COL_INK, pv_str(PV_STR_THANKS, lang), m->prompt_px, 1, PV_ALIGN_CENTER,
               2);
  if (flags & PV_UI_TAPPED && t > 1000)
    to_attract(app);
}

/* Tablet mode: the animateur's cue to pass the tablet on, and the next
 * resident's way in (the same as the attract screen's). */
static void screen_handoff(const frame *f) {
  pv_app *app = f->app;
  const pv_metrics *m = f->m;
  const char *lang = app->n_langs ? app->langs[0] : "fr";
  if (!app->autoplayed) {
    say_str(app, PV_STR_HANDOFF, lang);
    app->autoplayed = 1;
  }
  int side = (m->height < m->width ? m->height : m->width) * 2 / 5;
  pv_rect pic = {(m->width - side) / 2, m->margin + m->gap, side, side};
  pv_draw_image(f->dl, pic, pic_path(app, PV_PIC_HANDSHAKE));
  int lines = m->portrait ? 2 : 1;
  int y = pic.y + side + m->gap, h = m->label_px * 3 / 2 * lines;
  for (size_t i = 0; i < app->n_langs && i < 2; i++, y += h) { /* the first two */
    pv_text_style st = {.size_px = m->label_px,
                        .bold = i == 0,
                        .rtl = pv_lang_is_rtl(app->langs[i]),
                        .lang = app->langs[i],
                        .align = PV_ALIGN_CENTER,
                        .max_lines = lines};
    pv_draw_text(f->dl, (pv_rect){m->margin, y, m->width - 2 * m->margin, h}, COL_INK,
                 pv_str(PV_STR_HANDOFF, app->langs[i]), &st);
  }
  int bw = m->nav_w * 2, bh = m->nav_h;
  pv_rect go = {(m->width - bw) / 2, m->height - m->margin - bh, bw, bh};
  if (go.y < y + m->gap)
    go.y = y + m->gap;
  if (pv_look_button(&f->look, "my-turn", go, pic_path(app, PV_PIC_TOUCH),
                     pv_str(PV_STR_MY_TURN, lang), COL_ACCENT, COL_CARD, 1) &
      PV_UI_TAPPED) {
    if (app->n_langs == 1)
      choose_language(app, app->langs[0]);
    else
      enter(app, PV_SCREEN_LANGUAGE);
  }
}

/* The inactivity overlay: a large, spoken countdown over the screen. */
static void overlay_still_there(const frame *f) {
  pv_app *app = f->app;
  const pv_metrics *m = f->m;
  pv_rect all = {0, 0, m->width, m->height};
  pv_ui_widget_do(f->ui, "still-there", all, 0);
  pv_draw_rect(f->dl, all, COL_VEIL, 0);
  int64_t left_ms = PV_APP_COUNTDOWN_S * 1000 - (now(app) - app->countdown_ms);
  int left = (int)((left_ms + 999) / 1000);
  if (left < 0)
    left = 0;
  static const char *const numbers[] = {"0", "1", "2", "3", "4", "5",
                                        "6", "7", "8", "9", "10"};
  int side = m->height / 2;
  pv_rect c = {(m->width - side) / 2, m->height / 8, side, side};
  pv_draw_circle(f->dl, c, COL_CARD);
  pv_draw_ring(f->dl, c, COL_ACCENT, m->ring);
  pv_look_text(&f->look, c, COL_INK, numbers[left <= 10 ? left : 10], side / 2, 1,
               PV_ALIGN_CENTER, 1);
  pv_look_text(&f->look,
               (pv_rect){m->margin, c.y + side + m->gap, m->width - 2 * m->margin,
                         m->prompt_px * 3},
               COL_CARD,
               pv_str(PV_STR_STILL_THERE, app->text_lang ? app->text_lang : "fr"),
               m->prompt_px, 1, PV_ALIGN_CENTER, 2);
}

typedef void (*screen_fn)(const frame *f);

static const screen_fn screens[] = {
    [PV_SCREEN_ATTRACT] = screen_attract,
    [PV_SCREEN_LANGUAGE] = screen_language,
    [PV_SCREEN_CONSENT] = screen_consent,
    [PV_SCREEN_SURVEY] = screen_survey,
    [PV_SCREEN_QUESTION] = screen_question,
    [PV_SCREEN_THANKS] = screen_thanks,
    [PV_SCREEN_VOICE_CONSENT] = screen_voice_consent,
    [PV_SCREEN_HANDOFF] = screen_handoff,
};

/* ---- the app's face ------------------------------------------------------------ */

/* Puts lang first among the languages on offer (attract, picker). */
static void put_first(pv_app *app, const char *lang) {
  for (size_t k = 1; lang && *lang && k < app->n_langs; k++)
    if (strcmp(app->langs[k], lang) == 0) {
      const char *first = app->langs[k];
      memmove(&app->langs[1], &app->langs[0], k * sizeof *app->langs);
      app->langs[0] = first;
    }
}

static int listed(const pv_app *app, const char *lang) {
  for (size_t k = 0; k < app->n_langs; k++)
    if (strcmp(app->langs[k], lang) == 0)
      return 1;
  return 0;
}

/* Languages on offer: every survey's, in order of first appearance, then
 * those some survey is recorded in whole; the default ones first. */
static void rebuild_langs(pv_app *app) {
  const char *tried[PV_APP_MAX_LANGS * 4];
  size_t n_tried = 0, n_extra = 0;
  app->n_langs = 0;
  for (size_t s = 0; s < app->n_surveys; s++)
    for (size_t l = 0;
         l < app->surveys[s]->n_languages && app->n_langs < PV_APP_MAX_LANGS; l++)
      if (!listed(app, app->surveys[s]->languages[l]))
        app->langs[app->n_langs++] = app->surveys[s]->languages[l];
  for (size_t i = 0; i < app->n_prompts && app->n_langs < PV_APP_MAX_LANGS; i++) {
    const char *lang = app->prompts[i].lang;
    int seen = listed(app, lang);
    for (size_t k = 0; k < n_tried && !seen; k++)
      seen = strcmp(tried[k], lang) == 0;
    if (seen)
      continue;
    if (n_tried < sizeof tried / sizeof tried[0])
      tried[n_tried++] = lang;
    for (size_t s = 0; s < app->n_surveys; s++)
      if (complete_in(app, app->surveys[s], lang)) {
        snprintf(app->extra[n_extra], sizeof app->extra[n_extra], "%s", lang);
        app->langs[app->n_langs++] = app->extra[n_extra++];
        break;
      }
  }
  put_first(app, app->cfg.default_lang);
  put_first(app, app->first_lang);
}

/* Loads this device's recordings and the languages they complete. */
static int cmp_sha(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Removes from prompts_dir the WAV files no recording names any more (a
 * deleted or replaced take: the animateur's voice must not stay behind)
 * and temporary files a crash left. Only names this app writes are
 * touched. */
static void sweep_prompt_files(const pv_app *app) {
  const char *dir = app->cfg.prompts_dir;
  DIR *d = dir ? opendir(dir) : NULL;
  if (!d)
    return;
  const char **shas = app->n_prompts ? malloc(app->n_prompts * sizeof *shas) : NULL;
  if (app->n_prompts && !shas) {
    closedir(d);
    return;
  }
  for (size_t i = 0; i < app->n_prompts; i++)
    shas[i] = app->prompts[i].sha256;
  if (shas)
    qsort(shas, app->n_prompts, sizeof *shas, cmp_sha);
  char sha[PV_SHA256_HEX + 1], path[4096];
  const struct dirent *e;
  while ((e = readdir(d))) {
    const char *name = e->d_name;
    int tmp = name[0] == '.' && strlen(name) == 1 + PV_SHA256_HEX + 7 &&
              name[1 + PV_SHA256_HEX] == '-';
    int wav =
        strlen(name) == PV_SHA256_HEX + 4 && !strcmp(name + PV_SHA256_HEX, ".wav");
    if (!tmp && !wav)
      continue;
    memcpy(sha, name + tmp, PV_SHA256_HEX);
    sha[PV_SHA256_HEX] = '\0';
    const char *key = sha;
    if (wav && shas && bsearch(&key, shas, app->n_prompts, sizeof *shas, cmp_sha))
      continue;
    snprintf(path, sizeof path, "%.4000s/%.80s", dir, name);
    if (unlink(path) == 0)
      PV_DEBUG("app: removed %s (no recording names it)", path);
  }
  free(shas);
  closedir(d);
}

static void load_prompts(pv_app *app) {
  free(app->prompts);
  app->prompts = NULL;
  app->n_prompts = 0;
  pv_err err = pv_store_prompt_list(app->store, NULL, &app->prompts, &app->n_prompts);
  if (err != PV_OK) {
    PV_WARN("app: recorded prompts: %s: %s", pv_strerror(err), pv_err_detail());
  } else {
    /* The list never holds a deletion waiting for the collector; were one
     * there, it has no WAV: never offered, played or counted, and its old
     * file is swept. */
    size_t kept = 0;
    for (size_t i = 0; i < app->n_prompts; i++)
      if (!app->prompts[i].deleted)
        app->prompts[kept++] = app->prompts[i];
    app->n_prompts = kept;
    sweep_prompt_files(app);
  }
  rebuild_langs(app);
}

void pv_app_prompts_changed(pv_app *app) {
  load_prompts(app);
  PV_INFO("app: %zu recorded prompts, %zu languages on offer", app->n_prompts,
          app->n_langs);
}

/* Takes up the animateur's settings when they changed. */
static void apply_anim(pv_app *app) {
  if (app->anim_gen == pv_anim_generation(app->anim) && app->anim_gen)
    return;
  app->anim_gen = pv_anim_generation(app->anim);
  const pv_anim_settings *s = pv_anim_settings_now(app->anim);
  app->cfg.inactivity_s = s->inactivity_s;
  app->cfg.autoplay = s->autoplay;
  app->cfg.voice_off = !s->voice_notes;
  snprintf(app->first_lang, sizeof app->first_lang, "%s", s->default_lang);
  put_first(app, app->first_lang);
}

pv_app *pv_app_new(pv_survey *const *surveys, size_t n_surveys, pv_store *store,
                   const pv_clock *clock, const pv_app_config *cfg) {
  PV_ASSERT(n_surveys >= 1 && n_surveys <= PV_APP_MAX_SURVEYS);
  pv_app *app = calloc(1, sizeof *app);
  if (!app)
    return NULL;
  app->surveys = surveys;
  app->n_surveys = n_surveys;
  app->store = store;
  app->clock = *clock;
  app->cfg = *cfg;
  if (app->cfg.inactivity_s <= 0)
    app->cfg.inactivity_s = 40;
  app->survey = -1;
  app->voice_consent = -1;
  for (int p = 0; p < PV_PIC__COUNT; p++)
    snprintf(app->pics[p], sizeof app->pics[p], "%.900s/pictograms/%s", cfg->assets_dir,
             pv_look_pic_file(p));
  load_prompts(app); /* and the languages on offer */
  pv_anim_settings defaults = {.inactivity_s = app->cfg.inactivity_s,
                               .volume = cfg->volume,
                               .autoplay = cfg->autoplay,
                               .voice_notes = !cfg->voice_off,
                               .k = 3,
                               .mode = PV_MODE_KIOSK};
  if (cfg->default_lang)
    snprintf(defaults.default_lang, sizeof defaults.default_lang, "%s",
             cfg->default_lang);
  if (!(app->anim = pv_anim_new(store, clock, surveys, n_surveys, &defaults, NULL))) {
    free(app);
    return NULL;
  }
  apply_anim(app);
  enter(app, pv_anim_mode_now(app->anim) == PV_MODE_TABLET ? PV_SCREEN_HANDOFF
                                                           : PV_SCREEN_ATTRACT);
  return app;
}

void pv_app_free(pv_app *app) {
  if (!app)
    return;
  forget_response(app);
  pv_canvas_free(app->canvas);
  pv_anim_free(app->anim);
  free(app->prompts);
  free(app);
}

void pv_app_set_capture(pv_app *app, const pv_qvoice_capture *cap) {
  app->cap = cap ? *cap : (pv_qvoice_capture){0};
}

void pv_app_set_speaker(pv_app *app, pv_speak_fn fn, void *ud) {
  app->speak = fn;
  app->speak_ud = ud;
}

void pv_app_set_png(pv_app *app, pv_png_fn fn, void *ud) {
  app->png = fn;
  app->png_ud = ud;
}

const uint32_t *pv_app_canvas(const pv_app *app) {
  return app->canvas ? pv_canvas_pixels(app->canvas) : NULL;
}

static pv_look look_of(const pv_app *app, pv_ui *ui, pv_draw_list *dl,
                       const pv_metrics *m, pv_measure_fn measure, void *mud) {
  return (pv_look){.ui = ui,
                   .dl = dl,
                   .m = m,
                   .measure = measure,
                   .mud = mud,
                   .rtl = app->rtl,
                   .lang = app->text_lang ? app->text_lang : "fr",
                   .pics = app->pics};
}

/* The gesture opened animateur mode: what is on screen is kept. */
static void open_anim(pv_app *app, pv_ui *ui) {
  if (app->screen == PV_SCREEN_QUESTION)
    save_current(app);
  say_file(app, NULL);
  app->anim_from = app->screen;
  snprintf(app->anim_session, sizeof app->anim_session, "%s",
           pv_anim_session(app->anim));
  app->anim_mode = pv_anim_mode_now(app->anim);
  app->still_there = 0;
  ui->pressed[0] = '\0'; /* lifting the fingers taps nothing */
  pv_anim_open(app->anim);
}

/* Animateur mode closed: the resident's journey resumes where it was,
 * unless the session or the mode changed, which starts afresh. */
static void after_anim(pv_app *app) {
  apply_anim(app);
  if (strcmp(app->anim_session, pv_anim_session(app->anim)) ||
      app->anim_mode != (int)pv_anim_mode_now(app->anim) ||
      app->anim_from == PV_SCREEN_ATTRACT || app->anim_from == PV_SCREEN_HANDOFF ||
      app->anim_from == PV_SCREEN_THANKS)
    to_attract(app);
  else
    enter(app, app->anim_from);
  app->autoplayed = 1; /* no prompt spoken again over the animateur's back */
}

void pv_app_frame(pv_app *app, pv_ui *ui, pv_draw_list *dl, const pv_metrics *m,
                  pv_measure_fn measure, void *measure_ud) {
  frame f = {app,
             ui,
             dl,
             m,
             measure,
             measure_ud,
             look_of(app, ui, dl, m, measure, measure_ud)};
  pv_draw_clear(dl);
  pv_ui_begin(ui);
  pv_draw_rect(dl, (pv_rect){0, 0, m->width, m->height}, COL_BG, 0);
  if (app->prompts_gen != pv_anim_prompts_generation(app->anim)) {
    app->prompts_gen = pv_anim_prompts_generation(app->anim); /* kept or deleted */
    pv_app_prompts_changed(app);
  }
  if (pv_anim_is_open(app->anim)) {
    if (!pv_anim_frame(app->anim, &f.look))
      after_anim(app);
    ui->dirty = 1;
    pv_ui_end(ui);
    return;
  }
  double gesture = 0;
  if (pv_anim_gesture(app->anim, ui, m, &gesture)) {
    open_anim(app, ui);
    pv_ui_end(ui);
    return;
  }
  if (app->still_there) {
    /* The screen below is drawn but not live: only the veil listens. */
    pv_ui begin_copy = *ui;
    pv_ui_begin(&begin_copy);
    begin_copy.down = 0;
    begin_copy.tapped[0] = begin_copy.held[0] = begin_copy.dropped[0] = '\0';
    screens[app->screen](
        &(frame){app, &begin_copy, dl, m, measure, measure_ud,
                 look_of(app, &begin_copy, dl, m, measure, measure_ud)});
    overlay_still_there(&f);
    if (ui->last_input_ms > app->countdown_ms) { /* a touch: carry on */
      app->still_there = 0;
      ui->dirty = 1;
    }
  } else {
    screens[app->screen](&f);
  }
  pv_anim_draw_gesture(&f.look, gesture);
  pv_ui_end(ui);
}

int64_t pv_app_tick(pv_app *app, pv_ui *ui) {
  int64_t t = now(app);
  pv_ui_tick(ui, t);
  if (pv_anim_is_open(app->anim)) {
    int64_t next = pv_anim_tick(app->anim, ui);
    if (!pv_anim_is_open(app->anim)) { /* it closed by itself (idle) */
      after_anim(app);
      return 0;
    }
    return next;
  }
  if (ui->down && ui->extra[0].down)
    return 50; /* two fingers: the opening gesture's rings may fill */
  if (app->screen == PV_SCREEN_HANDOFF)
    return -1; /* the response is finished: wait for the next resident */
  if (app->screen == PV_SCREEN_ATTRACT) {
    /* The pulse runs 2.4 s out of every 10 s, at 20 frames a second; the
     * rest of the time the kiosk sleeps until a touch or the next pulse. */
    int64_t in_cycle = (t - app->entered_ms) % 10000;
    return in_cycle < 2400 ? 50 : 10000 - in_cycle;
  }
  if (app->screen == PV_SCREEN_THANKS) {
    int64_t left = PV_APP_THANKS_MS - (t - app->entered_ms);
    if (left <= 0) {
      to_attract(app);
      return 0;
    }
    return t - app->entered_ms < 1000 ? 16 : left;
  }
  if (app->screen == PV_SCREEN_QUESTION && app->voice.state == PV_QVOICE_RECORDING &&
      !app->still_there) {
    ui->last_input_ms = t; /* speaking is not being idle */
    return 50;             /* the meter and the countdown move */
  }
  int64_t idle_ms = (int64_t)app->cfg.inactivity_s * 1000;
  int64_t last =
      ui->last_input_ms > app->entered_ms ? ui->last_input_ms : app->entered_ms;
  if (!app->still_there) {
    if (t - last >= idle_ms) {
      app->still_there = 1;
      app->countdown_ms = t;
      say_str(app, PV_STR_STILL_THERE, app->text_lang ? app->text_lang : "fr");
      return 0;
    }
    int64_t wait = idle_ms - (t - last);
    int64_t soon =
        app->screen == PV_SCREEN_QUESTION && question(app)->type == PV_Q_DRAWING
            ? pv_qdraw_next_frame(&app->draw, ui)
            : -1;
    return soon >= 0 && soon < wait ? soon : wait;
  }
  int64_t left = PV_APP_COUNTDOWN_S * 1000 - (t - app->countdown_ms);
  if (left <= 0) {
    if (app->screen == PV_SCREEN_QUESTION)
      save_current(app); /* the answer on screen is kept too */
    say_file(app, NULL);
    to_attract(app);
    return 0;
  }
  return left % 1000 ? left % 1000 : 1000; /* redraw as the number changes */
}

const char *pv_app_screen_name(const pv_app *app, char *buf, size_t size) {
  static const char *const names[] = {"attract",       "language", "consent",
                                      "survey",        "question", "thanks",
                                      "voice-consent", "handoff"};
  if (pv_anim_is_open(app->anim)) {
    snprintf(buf, size, "%s", pv_anim_screen_name(app->anim));
    return buf;
  }
  if (app->screen == PV_SCREEN_QUESTION)
    snprintf(buf, size, "question:%s", question(app)->id);
  else
    snprintf(buf, size, "%s", names[app->screen]);
  return buf;
}

pv_screen pv_app_screen(const pv_app *app) {
  return app->screen;
}

int pv_app_rtl(const pv_app *app) {
  return app->rtl;
}

const char *pv_app_response(const pv_app *app) {
  return app->uuid;
}

pv_anim *pv_app_anim(pv_app *app) {
  return app->anim;
}

void pv_app_open_animateur(pv_app *app, pv_ui *ui) {
  if (!pv_anim_is_open(app->anim))
    open_anim(app, ui);
}
