/* test_voice: the voice question end to end.
 *
 * - WAV writing and reading (core/wav), the level meter's RMS.
 * - The real recorder (kiosk/recorder) through SDL's `disk` driver, which
 *   reads capture input from the raw file named by SDL_DISKAUDIOFILEIN: a
 *   known 440 Hz tone goes in, the journey records it, and the stored
 *   attachment is a 16 kHz mono 16-bit WAV whose samples are that tone.
 * - The journey on the headless runner's synthetic microphone: the consent
 *   screen's yes and no, record / replay / delete / record again, going
 *   back, `voice_off` hiding the question, and no capture device skipping
 *   it with {"skipped":"no_capture_device"} stored. */
#include <SDL.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/store.h"
#include "core/survey.h"
#include "core/wav.h"
#include "kiosk/app.h"
#include "kiosk/q_voice.h"
#include "kiosk/recorder.h"
#include "kiosk/script.h"
#include "tests/check.h"

#define TONE_HZ 440
#define TONE_AMP 12000

static int16_t tone(size_t i) {
  return (int16_t)lrint(TONE_AMP * sin(2 * M_PI * TONE_HZ * (double)i / 16000));
}

/* ---- core/wav and the meter ------------------------------------------------ */

static void test_wav(void) {
  int16_t s[5] = {0, 1, -1, 32767, -32768};
  uint8_t *b = NULL;
  size_t len = 0;
  CHECK_INT(pv_wav_encode(s, 5, 16000, &b, &len), PV_OK);
  CHECK_INT(len, 44 + 10);
  CHECK(b && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WAVEfmt ", 8) == 0);
  CHECK_INT(b[4] | b[5] << 8, (int)len - 8);
  CHECK_INT(b[24] | b[25] << 8 | b[26] << 16, 16000); /* rate */
  CHECK_INT(b[22], 1);                                /* mono */
  CHECK_INT(b[34], 16);                               /* bits */
  int rate = 0;
  const uint8_t *p = NULL;
  size_t n = 0;
  CHECK_INT(pv_wav_parse(b, len, &rate, &p, &n), PV_OK);
  CHECK_INT(rate, 16000);
  CHECK_INT(n, 5);
  for (size_t i = 0; i < 5 && p; i++)
    CHECK_INT(pv_wav_sample(p, i), s[i]);
  CHECK_INT(pv_wav_parse(b, len - 1, &rate, &p, &n), PV_ERR_INVALID);
  b[20] = 3; /* float, not PCM */
  CHECK_INT(pv_wav_parse(b, len, &rate, &p, &n), PV_ERR_INVALID);
  free(b);
  CHECK_INT(pv_wav_encode(s, 5, 4000, &b, &len), PV_ERR_INVALID);
  CHECK_INT(pv_wav_encode(s, (PV_WAV_MAX_BYTES) / 2, 16000, &b, &len), PV_ERR_TOOBIG);
}

static void test_level(void) {
  pv_question q = {.type = PV_Q_VOICE, .max_seconds = 5};
  pv_qvoice v = {0};
  CHECK(pv_qvoice_level(&v) == 0);
  CHECK_INT(pv_qvoice_max_samples(&q), 5 * 16000);
  q.max_seconds = 300; /* past one attachment: capped */
  CHECK_INT(pv_qvoice_max_samples(&q), PV_QVOICE_MAX_SECONDS * 16000);
  int16_t s[3200];
  for (size_t i = 0; i < 3200; i++) /* loud first 150 ms, then quiet */
    s[i] = i < 2400 ? tone(i) : (int16_t)(tone(i) / 100);
  uint8_t *b = NULL;
  size_t len = 0;
  CHECK_INT(pv_wav_encode(s, 2400, 16000, &b, &len), PV_OK);
  CHECK_INT(pv_qvoice_load_wav(&v, &q, b, len), PV_OK);
  CHECK_INT(v.state, PV_QVOICE_DONE);
  /* RMS of a sine of amplitude 12000: 8485, -11.7 dBFS -> (60-11.7)/60. */
  double want = (60 + 20 * log10(TONE_AMP / sqrt(2) / 32768)) / 60;
  CHECK(fabs(pv_qvoice_level(&v) - want) < 0.01);
  free(b);
  CHECK_INT(pv_wav_encode(s, 3200, 16000, &b, &len), PV_OK);
  CHECK_INT(pv_qvoice_load_wav(&v, &q, b, len), PV_OK);
  CHECK(pv_qvoice_level(&v) < want - 0.5); /* the last 50 ms are 40 dB down */
  free(b);
  pv_qvoice_reset(&v, NULL);
  CHECK(v.s == NULL && v.n == 0);
}

/* ---- the journey ----------------------------------------------------------- */

typedef struct world {
  pv_survey *survey;
  pv_store *store;
  int64_t clock_ms;
  pv_app *app;
  pv_ui ui;
  pv_draw_list dl;
  pv_script_env env;
  pv_recorder *rec;
  pv_qvoice_capture cap;
  int no_device;
  char replay[512];
  char last_played[512];
  int played;
} world;

static pv_text_metrics fake_measure(void *ud, const char *text, const pv_text_style *st,
                                    int max_w) {
  (void)ud;
  int w = (int)strlen(text) * st->size_px / 2;
  int lines = max_w > 0 ? (w + max_w - 1) / max_w : 1;
  return (pv_text_metrics){w < max_w ? w : max_w, (lines ? lines : 1) * st->size_px,
                           lines ? lines : 1, 0};
}

static void speak(void *ud, const char *path) {
  world *w = ud;
  if (!path)
    return;
  w->played++;
  snprintf(w->last_played, sizeof w->last_played, "%s", path);
}

static int cap_available(void *ud) {
  world *w = ud;
  return !w->no_device && pv_recorder_available(w->rec);
}

static pv_err cap_start(void *ud) {
  world *w = ud;
  return pv_recorder_start(w->rec);
}

static void cap_stop(void *ud) {
  world *w = ud;
  pv_recorder_stop(w->rec);
}

static size_t cap_take(void *ud, int16_t *out, size_t max) {
  world *w = ud;
  return pv_recorder_take(w->rec, out, max);
}

/* A world over tranquillite (its last question is `idees`, voice, 90 s).
 * real: the SDL recorder (disk driver) instead of the synthetic one. */
static void world_open(world *w, const char *dir, int real, int voice_off) {
  memset(w, 0, sizeof *w);
  pv_diags d = {0};
  PV_ASSERT(pv_survey_load(PV_SOURCE_DIR "/content/surveys/tranquillite", NULL,
                           &w->survey, &d) == PV_OK);
  pv_diags_free(&d);
  char db[512];
  snprintf(db, sizeof db, "%s/kiosk-%d-%d.db", dir, real, voice_off);
  remove(db);
  w->clock_ms = 1700000000000LL;
  pv_clock clock = pv_clock_virtual(&w->clock_ms);
  PV_ASSERT(pv_store_open(db, &clock, &w->store) == PV_OK);
  pv_app_config cfg = {.inactivity_s = 40,
                       .autoplay = 1,
                       .tts_dir = PV_SOURCE_DIR "/build/tts",
                       .assets_dir = PV_SOURCE_DIR "/assets",
                       .voice_off = voice_off};
  w->app = pv_app_new(&w->survey, 1, w->store, &clock, &cfg);
  PV_ASSERT(w->app);
  pv_app_set_speaker(w->app, speak, w);
  w->rec = real ? pv_recorder_open() : pv_recorder_open_synth(&w->clock_ms);
  PV_ASSERT(w->rec);
  snprintf(w->replay, sizeof w->replay, "%s/replay.wav", dir);
  w->cap = (pv_qvoice_capture){.available = cap_available,
                               .start = cap_start,
                               .stop = cap_stop,
                               .take = cap_take,
                               .ud = w,
                               .replay_path = w->replay};
  pv_app_set_capture(w->app, &w->cap);
  pv_ui_init(&w->ui, 20);
  w->env = (pv_script_env){.app = w->app,
                           .ui = &w->ui,
                           .dl = &w->dl,
                           .width = 800,
                           .height = 480,
                           .diagonal_in = 7.0,
                           .clock_ms = &w->clock_ms,
                           .measure = fake_measure};
  pv_script_frame(&w->env);
}

static void world_close(world *w) {
  pv_app_free(w->app);
  pv_recorder_close(w->rec);
  pv_store_close(w->store);
  pv_survey_free(w->survey);
}

static int play(world *w, const char *const *lines) {
  for (int i = 0; lines[i]; i++) {
    int code = pv_script_line(&w->env, lines[i], i + 1, "script", stderr);
    if (code != PV_SCRIPT_OK)
      return code;
  }
  return PV_SCRIPT_OK;
}

/* Up to the last screen before `idees`, in French. */
static const char *const to_idees[] = {
    "tap 10 10",
    "tap @lang:fr",
    "tap @consent:yes",
    "expect question:securite_jour",
    "tap @choice:3",
    "tap @next",
    "expect question:securite_nuit",
    "tap @choice:3",
    "tap @next",
    "tap @skip", /* rester_chez_soi */
    "tap @skip",
    /* eclairage */ "tap @skip", /* lieux_evites */
    "tap @skip",
    /* carte */ "tap @skip", /* mediateurs */
    "tap @skip",             /* confiance_police */
    "expect question:evolution",
    NULL,
};

/* The one response's answer to qid (caller frees), or NULL. */
static char *answer(world *w, const char *qid, char sha[PV_SHA256_HEX + 1]) {
  pv_store_batch b = {0};
  char *v = NULL;
  if (pv_store_pending(w->store, 10, &b) != PV_OK)
    return NULL;
  CHECK_INT(b.count, 1);
  for (size_t r = 0; r < b.count; r++)
    for (size_t i = 0; i < b.responses[r].answer_count; i++)
      if (strcmp(b.responses[r].answers[i].question_id, qid) == 0) {
        v = strdup(b.responses[r].answers[i].value);
        if (sha)
          snprintf(sha, PV_SHA256_HEX + 1, "%s", b.responses[r].answers[i].attachment);
      }
  pv_store_batch_free(&b);
  return v;
}

/* Checks the stored WAV of idees: the format, its length within what
 * was recorded, and returns its samples (caller frees with blob). */
static int stored_wav(world *w, pv_store_blob *blob, const uint8_t **s, size_t *n) {
  char sha[PV_SHA256_HEX + 1] = "";
  char *v = answer(w, "idees", sha);
  CHECK(v != NULL);
  if (!v)
    return 0;
  cJSON *j = cJSON_Parse(v);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "media_type")), "audio/wav");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "attachment")), sha);
  cJSON_Delete(j);
  free(v);
  CHECK_INT(pv_store_get_attachment(w->store, sha, blob), PV_OK);
  int rate = 0;
  CHECK_INT(pv_wav_parse(blob->bytes, blob->size, &rate, s, n), PV_OK);
  CHECK_INT(rate, 16000);
  return rate == 16000;
}

/* Yes, record 2 s of the synthetic tone, replay, delete, record again
 * 1.5 s, next: the answer is a WAV of 1.5 s; back shows it again. */
static void test_consent_yes(const char *dir) {
  world w;
  world_open(&w, dir, 0, 0);
  CHECK_INT(play(&w, to_idees), PV_SCRIPT_OK);
  static const char *const s1[] = {"tap @skip",
                                   "expect voice-consent",
                                   "tap @consent:voice:yes",
                                   "expect question:idees",
                                   "record 2000",
                                   NULL};
  CHECK_INT(play(&w, s1), PV_SCRIPT_OK);
  CHECK(pv_ui_find(&w.ui, "replay") && pv_ui_find(&w.ui, "delete") &&
        pv_ui_find(&w.ui, "rerecord") && !pv_ui_find(&w.ui, "stop"));
  w.played = 0;
  static const char *const s2[] = {"tap @replay", NULL};
  CHECK_INT(play(&w, s2), PV_SCRIPT_OK);
  CHECK_INT(w.played, 1);
  CHECK_STR(w.last_played, w.replay);
  FILE *f = fopen(w.replay, "rb");
  CHECK(f != NULL);
  if (f) {
    fseek(f, 0, SEEK_END);
    long size = ftell(f); /* 2 s and the taps' 160 ms, at 32000 bytes/s */
    CHECK(size >= 44 + 2 * 32000 && size <= 44 + 3 * 32000);
    fclose(f);
  }
  static const char *const s3[] = {"tap @delete", "record 1500", "tap @next",
                                   "expect thanks", NULL};
  CHECK_INT(play(&w, s3), PV_SCRIPT_OK);
  FILE *gone = fopen(w.replay, "rb"); /* nothing of the resident stays */
  CHECK(gone == NULL);
  if (gone)
    fclose(gone);
  pv_store_blob blob = {0};
  const uint8_t *s = NULL;
  size_t n = 0;
  if (stored_wav(&w, &blob, &s, &n)) {
    CHECK(n >= 24000 && n <= 24000 + 16000 / 4); /* 1.5 s and the stop tap */
    int loud = 0;
    for (size_t i = 0; i < n; i++)
      loud |= abs(pv_wav_sample(s, i)) > 3000;
    CHECK(loud);
  }
  pv_store_blob_free(&blob);
  world_close(&w);
}

/* No: the voice question is skipped, nothing stored for it; the next
 * response is asked again. */
static void test_consent_no(const char *dir) {
  world w;
  world_open(&w, dir, 0, 0);
  CHECK_INT(play(&w, to_idees), PV_SCRIPT_OK);
  static const char *const s1[] = {"tap @skip", "expect voice-consent",
                                   "tap @consent:voice:no", "expect thanks", NULL};
  CHECK_INT(play(&w, s1), PV_SCRIPT_OK);
  char *v = answer(&w, "idees", NULL);
  CHECK(v == NULL);
  free(v);
  world_close(&w);
}

/* Back from the recorded voice question and forward again: the recording
 * is loaded back from the store. */
static void test_back(const char *dir) {
  world w;
  world_open(&w, dir, 0, 0);
  CHECK_INT(play(&w, to_idees), PV_SCRIPT_OK);
  static const char *const s1[] = {"tap @skip",
                                   "tap @consent:voice:yes",
                                   "record 1000",
                                   "tap @back",
                                   "expect question:evolution",
                                   "tap @skip",
                                   "expect question:idees",
                                   NULL};
  CHECK_INT(play(&w, s1), PV_SCRIPT_OK);
  CHECK(pv_ui_find(&w.ui, "replay") != NULL);
  CHECK(pv_ui_find(&w.ui, "record") == NULL);
  static const char *const s2[] = {"tap @delete", "tap @skip", "expect thanks", NULL};
  CHECK_INT(play(&w, s2), PV_SCRIPT_OK);
  char *v = answer(&w, "idees", NULL); /* deleted: withdrawn, stored as null */
  CHECK_STR(v, "null");
  free(v);
  world_close(&w);
}

/* voice_notes: false hides the question; nothing is stored for it. */
static void test_voice_off(const char *dir) {
  world w;
  world_open(&w, dir, 0, 1);
  CHECK_INT(play(&w, to_idees), PV_SCRIPT_OK);
  static const char *const s1[] = {"tap @skip", "expect thanks", NULL};
  CHECK_INT(play(&w, s1), PV_SCRIPT_OK);
  char *v = answer(&w, "idees", NULL);
  CHECK(v == NULL);
  free(v);
  world_close(&w);
}

/* No capture device: no consent screen, the question is skipped and the
 * response says why. */
static void test_no_device(const char *dir) {
  world w;
  world_open(&w, dir, 0, 0);
  w.no_device = 1;
  CHECK_INT(play(&w, to_idees), PV_SCRIPT_OK);
  static const char *const s1[] = {"tap @skip", "expect thanks", NULL};
  CHECK_INT(play(&w, s1), PV_SCRIPT_OK);
  char *v = answer(&w, "idees", NULL);
  CHECK_STR(v, "{\"skipped\":\"no_capture_device\"}");
  free(v);
  world_close(&w);
}

/* The real recorder: SDL's disk driver plays tone.raw into the microphone;
 * about 600 ms are recorded (real time) and the stored samples are the
 * file's, from its start. */
static void test_disk_capture(const char *dir) {
  char raw[512];
  snprintf(raw, sizeof raw, "%s/tone.raw", dir);
  FILE *f = fopen(raw, "wb");
  PV_ASSERT(f);
  for (size_t i = 0; i < 16000 * 4; i++) {
    int16_t s = tone(i);
    fwrite(&s, sizeof s, 1, f); /* host order: AUDIO_S16SYS */
  }
  fclose(f);
  setenv("SDL_AUDIODRIVER", "disk", 1);
  setenv("SDL_DISKAUDIOFILEIN", raw, 1);
  char out[512];
  snprintf(out, sizeof out, "%s/disk-out.raw", dir); /* the output side's file */
  setenv("SDL_DISKAUDIOFILE", out, 1);
  PV_ASSERT(SDL_Init(0) == 0);
  world w;
  world_open(&w, dir, 1, 0);
  CHECK(pv_recorder_available(w.rec));
  CHECK_INT(play(&w, to_idees), PV_SCRIPT_OK);
  static const char *const s1[] = {"tap @skip", "tap @consent:voice:yes", "tap @record",
                                   NULL};
  CHECK_INT(play(&w, s1), PV_SCRIPT_OK);
  CHECK(pv_ui_find(&w.ui, "stop") != NULL);
  /* Frames pull what SDL's thread captured; the disk driver paces its
   * reads in real time. */
  Uint64 t0 = SDL_GetTicks64();
  while (SDL_GetTicks64() - t0 < 600) {
    pv_script_frame(&w.env);
    SDL_Delay(10);
  }
  static const char *const s2[] = {"tap @stop", "tap @next", "expect thanks", NULL};
  CHECK_INT(play(&w, s2), PV_SCRIPT_OK);
  CHECK_INT(pv_recorder_dropped(w.rec), 0);
  pv_store_blob blob = {0};
  const uint8_t *s = NULL;
  size_t n = 0;
  if (stored_wav(&w, &blob, &s, &n)) {
    CHECK(n >= 16000 / 4); /* at least 250 ms arrived */
    CHECK(n <= 16000 * 4);
    size_t same = 0;
    for (size_t i = 0; i < n; i++)
      same += pv_wav_sample(s, i) == tone(i);
    CHECK_INT(same, n); /* exactly the tone, from the file's start */
    /* And it is 440 Hz: zero crossings per second. */
    size_t cross = 0;
    for (size_t i = 1; i < n; i++)
      cross += (pv_wav_sample(s, i - 1) < 0) != (pv_wav_sample(s, i) < 0);
    double hz = cross / 2.0 / ((double)n / 16000);
    CHECK(fabs(hz - TONE_HZ) < 10);
  }
  pv_store_blob_free(&blob);
  world_close(&w);
  SDL_Quit();
}

/* No audio driver at all: the recorder says so and refuses to start. */
static void test_no_driver(void) {
  setenv("SDL_AUDIODRIVER", "no-such-driver", 1);
  PV_ASSERT(SDL_Init(0) == 0);
  pv_recorder *r = pv_recorder_open();
  CHECK(r != NULL);
  CHECK(!pv_recorder_available(r));
  CHECK_INT(pv_recorder_start(r), PV_ERR_NOTFOUND);
  int16_t s[4];
  CHECK_INT(pv_recorder_take(r, s, 4), 0);
  pv_recorder_close(r);
  SDL_Quit();
}

/* A full disk when the recording is stored: the resident goes on, the
 * recording stays in memory, and it is stored on the next leave once
 * there is room (RLIMIT_FSIZE at 1 byte makes every write fail). */
static void test_full_disk(const char *dir) {
  world w;
  world_open(&w, dir, 0, 0);
  CHECK_INT(play(&w, to_idees), PV_SCRIPT_OK);
  static const char *const rec[] = {"tap @skip", "tap @consent:voice:yes",
                                    "record 1000", NULL};
  CHECK_INT(play(&w, rec), PV_SCRIPT_OK);
  pv_test_disk_full(1);
  int moved =
      play(&w, (const char *const[]){"tap @back", "expect question:evolution", NULL});
  pv_test_disk_full(0);
  CHECK_INT(moved, PV_SCRIPT_OK);
  pv_store_response r = {0}; /* nothing half-stored */
  CHECK_INT(pv_store_get_response(w.store, pv_app_response(w.app), &r), PV_OK);
  for (size_t i = 0; i < r.answer_count; i++)
    CHECK(strcmp(r.answers[i].question_id, "idees") != 0);
  CHECK(r.answer_count >= 2); /* securite_jour, securite_nuit: still there */
  pv_store_response_free(&r);
  CHECK_INT(play(&w, (const char *const[]){"tap @skip", "expect question:idees", NULL}),
            PV_SCRIPT_OK);
  CHECK(pv_ui_find(&w.ui, "replay") != NULL); /* the recording came back */
  CHECK_INT(play(&w, (const char *const[]){"tap @next", "expect thanks", NULL}),
            PV_SCRIPT_OK);
  char sha[PV_SHA256_HEX + 1] = "";
  char *v = answer(&w, "idees", sha);
  CHECK(v != NULL && strlen(sha) == PV_SHA256_HEX);
  free(v);
  world_close(&w);
}

int main(void) {
  const char *dir = pv_test_tmpdir();
  test_wav();
  test_level();
  test_consent_yes(dir);
  test_consent_no(dir);
  test_back(dir);
  test_full_disk(dir);
  test_voice_off(dir);
  test_no_device(dir);
  test_no_driver();
  test_disk_capture(dir);
  return pv_test_done();
}
