/* test_tts: the synthesised-prompt cache key and paths (core/tts.h), and
 * the pv-tts tool run for real on a small survey: it must write valid
 * 16-bit mono WAVs under the expected keys, skip human recordings and
 * voiceless languages, and render nothing on a second run. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/survey.h"
#include "core/tts.h"
#include "kiosk/strings.h"
#include "tests/check.h"

#ifndef PV_TTS_BIN
#error "PV_TTS_BIN (the built pv-tts) must be defined by tests/CMakeLists.txt"
#endif

/* printf 'pv-tts/1\nfr\nfr\nBonjour' | sha256sum */
#define KEY_FR_BONJOUR                                                                 \
  "058198d251ebe0d1beab31ca2eebaed8d377e9b622490b325bc2b74b2292a941"
/* printf 'pv-tts/1\nar\nar-MA\n<marhaba in Arabic>' | sha256sum */
#define KEY_AR_MA "d81ee9bc01b9320a787dadb818520a21badfa5e4d83f84839d6593feb33d95ad"
#define MARHABA "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7"

static void test_voices(void) {
  static const struct {
    const char *lang, *voice;
  } cases[] = {
      {"fr", "fr"},       {"FR", "fr"},         {"fr-FR", "fr"}, {"fr-BE", "fr-be"},
      {"fr-be", "fr-be"}, {"ar", "ar"},         {"ar-MA", "ar"}, {"ar-DZ", "ar"},
      {"en", "en"},       {"en-US", "en-us"},   {"en-GB", "en"}, {"tr", "tr"},
      {"es", "es"},       {"es-419", "es-419"}, {"pt", "pt"},    {"pt-BR", "pt-br"},
      {"it", "it"},       {"de", "de"},         {"ro", "ro"},    {"ru", "ru"},
      {"zh", "cmn"},      {"zh-Hans", "cmn"},   {"fa", "fa"},    {"ku", "ku"},
      {"sw", "sw"},       {"rom", NULL},        {"zdj", NULL},   {"kab", NULL},
      {"wo", NULL},       {"frr", NULL},        {"f", NULL},     {"", NULL},
      {"-fr", NULL},      {"xx-fr", NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *v = pv_tts_voice(cases[i].lang);
    if (cases[i].voice)
      CHECK_STR(v, cases[i].voice);
    else if (v)
      pv_test_fail(__FILE__, __LINE__, "voice for \"%s\" is \"%s\", expected none",
                   cases[i].lang, v);
    else
      pv_test_passed++;
  }
  CHECK(pv_tts_voice(NULL) == NULL);
}

static void test_key(void) {
  char k[PV_SHA256_HEX + 1], k2[PV_SHA256_HEX + 1];
  CHECK_INT(pv_tts_key("fr", "fr", "Bonjour", k), PV_OK);
  CHECK_STR(k, KEY_FR_BONJOUR);
  CHECK_INT(pv_tts_key("ar", "ar-MA", MARHABA, k), PV_OK);
  CHECK_STR(k, KEY_AR_MA);
  /* Stable across calls. */
  CHECK_INT(pv_tts_key("fr", "fr", "Bonjour", k2), PV_OK);
  CHECK_STR(k2, KEY_FR_BONJOUR);

  /* Any change of voice, language or text changes the key. */
  static const struct {
    const char *voice, *lang, *text;
  } others[] = {
      {"fr-be", "fr", "Bonjour"}, {"fr", "fr-FR", "Bonjour"}, {"fr", "fr", "bonjour"},
      {"fr", "fr", "Bonjour "},   {"fr", "fr", ""},           {"en", "fr", "Bonjour"},
      {"fr", "fr\nBonjour", ""},  {"fr\nfr", "Bonjour", ""},
  };
  for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
    pv_err err = pv_tts_key(others[i].voice, others[i].lang, others[i].text, k);
    if (strchr(others[i].voice, '\n') || strchr(others[i].lang, '\n')) {
      CHECK_INT(err, PV_ERR_INVALID); /* would be ambiguous with the line above */
      continue;
    }
    CHECK_INT(err, PV_OK);
    CHECK(pv_sha256_valid(k));
    CHECK(strcmp(k, KEY_FR_BONJOUR) != 0);
  }
  CHECK_INT(pv_tts_key("", "fr", "Bonjour", k), PV_ERR_INVALID);
  CHECK_INT(pv_tts_key("fr", "", "Bonjour", k), PV_ERR_INVALID);
  CHECK_INT(pv_tts_key(NULL, "fr", "Bonjour", k), PV_ERR_INVALID);
}

static void test_path(void) {
  char p[256];
  const char *want = "/var/cache/pv/" KEY_FR_BONJOUR ".wav";
  CHECK_INT(pv_tts_path("/var/cache/pv", "fr", "Bonjour", p, sizeof p), PV_OK);
  CHECK_STR(p, want);
  CHECK_INT(pv_tts_path("/var/cache/pv/", "fr", "Bonjour", p, sizeof p), PV_OK);
  CHECK_STR(p, want);
  CHECK_INT(pv_tts_path("c", "ar-MA", MARHABA, p, sizeof p), PV_OK);
  CHECK_STR(p, "c/" KEY_AR_MA ".wav");

  /* Bounds: exactly enough room, then one byte short. */
  size_t need = strlen(want) + 1;
  CHECK_INT(pv_tts_path("/var/cache/pv", "fr", "Bonjour", p, need), PV_OK);
  CHECK_STR(p, want);
  CHECK_INT(pv_tts_path("/var/cache/pv", "fr", "Bonjour", p, need - 1), PV_ERR_TOOBIG);
  CHECK_STR(p, "");
  CHECK_INT(pv_tts_path("/var/cache/pv", "fr", "Bonjour", p, 1), PV_ERR_TOOBIG);

  /* No voice, no path. */
  p[0] = 'x';
  CHECK_INT(pv_tts_path("/var/cache/pv", "rom", "Sar san?", p, sizeof p),
            PV_ERR_NOTFOUND);
  CHECK_STR(p, "");
  CHECK_CONTAINS(pv_err_detail(), "rom");
}

static void test_default_dir(void) {
  unsetenv("PV_TTS_DIR");
  const char *def = pv_tts_default_dir();
  CHECK(def && *def);
  char saved[1024];
  snprintf(saved, sizeof saved, "%s", def);
  setenv("PV_TTS_DIR", "/srv/pv/tts", 1);
  CHECK_STR(pv_tts_default_dir(), "/srv/pv/tts");
  setenv("PV_TTS_DIR", "", 1);
  CHECK_STR(pv_tts_default_dir(), saved);
  unsetenv("PV_TTS_DIR");
  CHECK_STR(pv_tts_default_dir(), saved);
}

/* ---- pv-tts, for real ---------------------------------------------------- */

/* Runs pv-tts with args (NULL-terminated), stdout and stderr to out_file;
 * returns its exit status, or -1 when it did not exit normally. */
static int run_tool(const char *out_file, const char *const *args) {
  char *argv[16];
  size_t n = 0;
  argv[n++] = (char *)PV_TTS_BIN;
  for (; args[n - 1] && n < 15; n++)
    argv[n] = (char *)args[n - 1];
  argv[n] = NULL;
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    int fd = open(out_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
      _exit(126);
    /* libespeak-ng keeps some allocations to the end: not our leaks. */
    setenv("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1", 1);
    pv_test_execv(argv);
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static uint32_t le(const unsigned char *p, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

/* Checks that path is a canonical 16-bit mono PCM WAV of at least
 * min_seconds of sound. */
static void check_wav(const char *path, double min_seconds) {
  size_t len = 0;
  unsigned char *w = (unsigned char *)pv_test_read(path, &len);
  if (!w) {
    pv_test_fail(__FILE__, __LINE__, "missing %s", path);
    return;
  }
  CHECK(len > 44);
  if (len > 44) {
    CHECK(memcmp(w, "RIFF", 4) == 0);
    CHECK_INT(le(w + 4, 4), len - 8);
    CHECK(memcmp(w + 8, "WAVEfmt ", 8) == 0);
    CHECK_INT(le(w + 16, 4), 16);
    CHECK_INT(le(w + 20, 2), 1); /* PCM */
    CHECK_INT(le(w + 22, 2), 1); /* mono */
    uint32_t rate = le(w + 24, 4);
    CHECK(rate >= 8000 && rate <= 48000);
    CHECK_INT(le(w + 28, 4), rate * 2);
    CHECK_INT(le(w + 32, 2), 2);
    CHECK_INT(le(w + 34, 2), 16); /* bits */
    CHECK(memcmp(w + 36, "data", 4) == 0);
    CHECK_INT(le(w + 40, 4), len - 44);
    double seconds = rate ? (double)(len - 44) / 2.0 / rate : 0;
    if (seconds < min_seconds)
      pv_test_fail(__FILE__, __LINE__, "%s: %.2f s of sound, expected >= %.2f", path,
                   seconds, min_seconds);
    /* Not silence: some sample is loud. */
    int loud = 0;
    for (size_t i = 44; i + 1 < len && !loud; i += 2) {
      int16_t s = (int16_t)le(w + i, 2);
      loud = s > 2000 || s < -2000;
    }
    CHECK(loud);
  }
  free(w);
}

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* Counts regular files in dir whose name ends with suffix. */
static int count_files(const char *dir, const char *suffix) {
  int n = 0;
  DIR *d = opendir(dir);
  if (!d)
    return -1;
  for (struct dirent *e; (e = readdir(d));) {
    size_t l = strlen(e->d_name), s = strlen(suffix);
    if (l >= s && strcmp(e->d_name + l - s, suffix) == 0)
      n++;
  }
  closedir(d);
  return n;
}

static const char svg[] =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\">"
    "<circle cx=\"5\" cy=\"5\" r=\"4\"/></svg>\n";

/* A 44-byte WAV with no samples: enough for the loader's signature check. */
static const unsigned char tiny_wav[44] = {
    'R', 'I', 'F', 'F', 36, 0, 0,   0,   'W', 'A',  'V',  'E', 'f', 'm',  't',
    ' ', 16,  0,   0,   0,  1, 0,   1,   0,   0x22, 0x56, 0,   0,   0x44, 0xAC,
    0,   0,   2,   0,   16, 0, 'd', 'a', 't', 'a',  0,    0,   0,   0};

/* Texts of the sample survey, per language: fr, ar, en, rom. */
#define T_TITLE                                                                        \
  "Mon quartier", "\xd8\xad\xd9\x8a\xd9\x91\xd9\x8a", "My neighbourhood", "Miro foro"
#define T_FEEL                                                                         \
  "Comment vous sentez-vous ici ?",                                                    \
      "\xd9\x83\xd9\x8a\xd9\x81 \xd8\xad\xd8\xa7\xd9\x84\xd9\x83\xd8\x9f",             \
      "How do you feel here?", "Sar san?"
#define T_PARK                                                                         \
  "Le parc", "\xd8\xa7\xd9\x84\xd8\xad\xd8\xaf\xd9\x8a\xd9\x82\xd8\xa9", "The park",   \
      "O parko"
#define T_MARKET                                                                       \
  "Le march\xc3\xa9", "\xd8\xa7\xd9\x84\xd8\xb3\xd9\x88\xd9\x82", "The market", "O foro"

static const char survey_json[] =
    "{\n"
    "  \"format\": 1, \"id\": \"demo-tts\", \"version\": 1,\n"
    "  \"languages\": [\"fr\", \"ar\", \"en\", \"rom\"],\n"
    "  \"title\": {\"fr\": \"Mon quartier\", \"ar\": "
    "\"\xd8\xad\xd9\x8a\xd9\x91\xd9\x8a\","
    " \"en\": \"My neighbourhood\", \"rom\": \"Miro foro\"},\n"
    "  \"image\": \"media/icon.svg\",\n"
    "  \"audio\": {\"fr\": \"media/fr/title.wav\"},\n"
    "  \"questions\": [\n"
    "    {\"id\": \"ressenti\", \"type\": \"smileys\", \"points\": 5,\n"
    "     \"label\": {\"fr\": \"Comment vous sentez-vous ici ?\","
    " \"ar\": \"\xd9\x83\xd9\x8a\xd9\x81 \xd8\xad\xd8\xa7\xd9\x84\xd9\x83\xd8\x9f\","
    " \"en\": \"How do you feel here?\", \"rom\": \"Sar san?\"},\n"
    "     \"image\": \"media/icon.svg\"},\n"
    "    {\"id\": \"lieux\", \"type\": \"choice\",\n"
    "     \"label\": {\"fr\": \"Le parc\", \"ar\": "
    "\"\xd8\xa7\xd9\x84\xd8\xad\xd8\xaf\xd9\x8a\xd9\x82\xd8\xa9\","
    " \"en\": \"The park\", \"rom\": \"O parko\"},\n"
    "     \"image\": \"media/icon.svg\",\n"
    "     \"choices\": [\n"
    "       {\"id\": \"parc\", \"image\": \"media/icon.svg\", \"label\": {\"fr\": \"Le "
    "parc\","
    " \"ar\": \"\xd8\xa7\xd9\x84\xd8\xad\xd8\xaf\xd9\x8a\xd9\x82\xd8\xa9\", \"en\": "
    "\"The park\", \"rom\": \"O parko\"}},\n"
    "       {\"id\": \"marche\", \"image\": \"media/icon.svg\", \"label\": {\"fr\": "
    "\"Le march\xc3\xa9\","
    " \"ar\": \"\xd8\xa7\xd9\x84\xd8\xb3\xd9\x88\xd9\x82\", \"en\": \"The market\", "
    "\"rom\": \"O foro\"}}\n"
    "     ]}\n"
    "  ]\n"
    "}\n";

static void test_tool(void) {
  char top[256], surveys[300], sdir[320], file[400], cache[300], out[300];
  snprintf(top, sizeof top, "%s", pv_test_tmpdir());
  snprintf(surveys, sizeof surveys, "%s/surveys", top);
  snprintf(sdir, sizeof sdir, "%s/demo-tts", surveys);
  snprintf(cache, sizeof cache, "%s/cache/tts", top); /* pv-tts makes it */
  snprintf(out, sizeof out, "%s/out.txt", top);
  snprintf(file, sizeof file, "%s/survey.json", sdir);
  pv_test_write(file, survey_json, strlen(survey_json));
  snprintf(file, sizeof file, "%s/media/icon.svg", sdir);
  pv_test_write(file, svg, strlen(svg));
  snprintf(file, sizeof file, "%s/media/fr/title.wav", sdir);
  pv_test_write(file, tiny_wav, sizeof tiny_wav);

  /* The label of "lieux" repeats the "parc" option: one file per language. */
  static const char *const texts[][4] = {{T_TITLE}, {T_FEEL}, {T_PARK}, {T_MARKET}};
  static const char *const langs[] = {"fr", "ar", "en"};
  const int expected = 4 * 3 - 1; /* the French title is recorded */

  const char *first[] = {"--out", cache, "--no-ui", surveys, NULL};
  int rc = run_tool(out, first);
  char *log = pv_test_read(out, NULL);
  CHECK_INT(rc, 0);
  char want[128];
  snprintf(want, sizeof want, "rendered %d, cached 0, recorded 1, no voice 4, failed 0",
           expected);
  CHECK_CONTAINS(log, want);
  CHECK_CONTAINS(log, "no voice for \"rom\"");
  if (rc != 0)
    fprintf(stderr, "pv-tts said:\n%s\n", log ? log : "(nothing)");
  free(log);

  for (size_t t = 0; t < 4; t++)
    for (size_t l = 0; l < 3; l++) {
      char path[512];
      CHECK_INT(pv_tts_path(cache, langs[l], texts[t][l], path, sizeof path), PV_OK);
      if (t == 0 && l == 0)
        CHECK(!exists(path)); /* human recording wins */
      else
        check_wav(path, 0.3);
    }
  CHECK_INT(count_files(cache, ".wav"), expected);
  CHECK_INT(count_files(cache, "") - 2, expected); /* no temporary files left */

  /* Second run: everything cached, on the survey folder itself this time. */
  const char *second[] = {"-o", cache, sdir, "--no-ui", NULL};
  rc = run_tool(out, second);
  log = pv_test_read(out, NULL);
  CHECK_INT(rc, 0);
  snprintf(want, sizeof want, "rendered 0, cached %d, recorded 1", expected);
  CHECK_CONTAINS(log, want);
  free(log);

  /* An invalid survey next to a valid one: exit 1, its problem printed,
   * the valid one still done. */
  snprintf(file, sizeof file, "%s/broken/survey.json", surveys);
  static const char broken[] = "{\"format\": 1,\n \"id\": 7}\n";
  pv_test_write(file, broken, strlen(broken));
  const char *third[] = {"--out", cache, "--no-ui", surveys, NULL};
  rc = run_tool(out, third);
  log = pv_test_read(out, NULL);
  CHECK_INT(rc, 1);
  CHECK_CONTAINS(log, "broken/survey.json:");
  CHECK_CONTAINS(log, "2 surveys (1 invalid)");
  CHECK_CONTAINS(log, "rendered 0, cached 11");
  free(log);

  /* Past PV_TTS_MAX_SECONDS of speech (400 bytes of big numbers read out
   * in words): an error naming the text, and no file, not a cut one. */
  char longdir[320], longtext[PV_SURVEY_MAX_TEXT + 1] = "", json[2048];
  snprintf(longdir, sizeof longdir, "%s/long/long-number", top);
  for (size_t used = 0; used + 10 < sizeof longtext - 1;)
    used += (size_t)snprintf(longtext + used, sizeof longtext - used, "%s987654321",
                             used ? " " : "");
  snprintf(json, sizeof json,
           "{\"format\": 1, \"id\": \"long-number\", \"version\": 1,"
           " \"languages\": [\"fr\"], \"title\": {\"fr\": \"%s\"},"
           " \"image\": \"media/icon.svg\", \"questions\": [{\"id\": \"q\","
           " \"type\": \"yes_no\", \"label\": {\"fr\": \"Oui ?\"},"
           " \"image\": \"media/icon.svg\"}]}\n",
           longtext);
  snprintf(file, sizeof file, "%s/survey.json", longdir);
  pv_test_write(file, json, strlen(json));
  snprintf(file, sizeof file, "%s/media/icon.svg", longdir);
  pv_test_write(file, svg, strlen(svg));
  const char *too_long[] = {"--out", cache, "--no-ui", longdir, NULL};
  rc = run_tool(out, too_long);
  log = pv_test_read(out, NULL);
  CHECK_INT(rc, 1);
  CHECK_CONTAINS(log, "[fr] \"987654321 987654321");
  CHECK_CONTAINS(log, "longer than 60 s of speech");
  CHECK_CONTAINS(log, "rendered 1, cached 0, recorded 0, no voice 0, failed 1");
  free(log);
  char longpath[512];
  CHECK_INT(pv_tts_path(cache, "fr", longtext, longpath, sizeof longpath), PV_OK);
  CHECK(!exists(longpath));
  CHECK_INT(count_files(cache, ".wav"), expected + 1); /* + "Oui ?" */
  CHECK_INT(count_files(cache, "") - 2, expected + 1); /* no temporary left */

  /* Usage errors exit 2; a missing path exits 1. */
  const char *none[] = {"--out", cache, NULL};
  CHECK_INT(run_tool(out, none), 2);
  const char *bad_opt[] = {"--voice", "fr", sdir, NULL};
  CHECK_INT(run_tool(out, bad_opt), 2);
  const char *no_dir[] = {sdir, "--out", NULL};
  CHECK_INT(run_tool(out, no_dir), 2);
  char missing[320];
  snprintf(missing, sizeof missing, "%s/nowhere", top);
  const char *absent[] = {"--out", cache, missing, NULL};
  CHECK_INT(run_tool(out, absent), 1);

  pv_test_rmtree(top);
}

/* Without --no-ui, pv-tts also renders the kiosk's own strings in every
 * table language and each language's name in that language, under the
 * paths the kiosk computes (kiosk/strings.h). */
static void test_ui_strings(void) {
  char top[256], sdir[320], file[400], cache[300], out[300];
  snprintf(top, sizeof top, "%s", pv_test_tmpdir());
  snprintf(sdir, sizeof sdir, "%s/surveys/demo-tts", top);
  snprintf(cache, sizeof cache, "%s/tts", top);
  snprintf(out, sizeof out, "%s/out.txt", top);
  snprintf(file, sizeof file, "%s/survey.json", sdir);
  pv_test_write(file, survey_json, strlen(survey_json));
  snprintf(file, sizeof file, "%s/media/icon.svg", sdir);
  pv_test_write(file, svg, strlen(svg));
  snprintf(file, sizeof file, "%s/media/fr/title.wav", sdir);
  pv_test_write(file, tiny_wav, sizeof tiny_wav);

  /* What the kiosk will look for. */
  size_t strings = 0, names = 0, voiceless = 0;
  for (size_t l = 0; l < pv_str_lang_count(); l++)
    for (int id = 0; id < PV_STR__COUNT; id++)
      strings += pv_str_nargs((pv_str_id)id) == 0;
  for (size_t i = 0; i < pv_lang_endonym_count(); i++) {
    if (pv_tts_voice(pv_lang_endonym_tag(i)))
      names++;
    else
      voiceless++;
  }

  const char *first[] = {"--out", cache, sdir, NULL};
  int rc = run_tool(out, first);
  char *log = pv_test_read(out, NULL);
  CHECK_INT(rc, 0);
  /* The survey's own line is unchanged. */
  CHECK_CONTAINS(log, "rendered 11, cached 0, recorded 1, no voice 4, failed 0");
  char want[160];
  snprintf(want, sizeof want,
           "kiosk strings and language names: %zu rendered, 0 cached, %zu without a "
           "voice, 0 failed",
           strings + names, voiceless);
  CHECK_CONTAINS(log, want);
  if (rc != 0)
    fprintf(stderr, "pv-tts said:\n%s\n", log ? log : "(nothing)");
  free(log);
  CHECK_INT(count_files(cache, ".wav"), 11 + (int)(strings + names));

  char path[512];
  for (size_t l = 0; l < pv_str_lang_count(); l++)
    for (int id = 0; id < PV_STR__COUNT; id++) {
      pv_err err =
          pv_str_audio_path(cache, (pv_str_id)id, pv_str_lang_at(l), path, sizeof path);
      if (pv_str_nargs((pv_str_id)id) > 0) {
        CHECK_INT(err, PV_ERR_INVALID);
        continue;
      }
      CHECK_INT(err, PV_OK);
      check_wav(path, 0.15);
    }
  static const char *const spoken[] = {"fr", "ar", "en", "tr", "es", "pt-BR", "ro"};
  for (size_t i = 0; i < sizeof spoken / sizeof spoken[0]; i++) {
    CHECK_INT(pv_lang_endonym_audio_path(cache, spoken[i], path, sizeof path), PV_OK);
    check_wav(path, 0.2);
  }
  /* A region of a table language uses the table language's file. */
  char a[512], b[512];
  CHECK_INT(pv_str_audio_path(cache, PV_STR_NEXT, "ar-MA", a, sizeof a), PV_OK);
  CHECK_INT(pv_str_audio_path(cache, PV_STR_NEXT, "ar", b, sizeof b), PV_OK);
  CHECK_STR(a, b);

  /* Second run: all cached. */
  rc = run_tool(out, first);
  log = pv_test_read(out, NULL);
  CHECK_INT(rc, 0);
  snprintf(want, sizeof want,
           "kiosk strings and language names: 0 rendered, %zu cached", strings + names);
  CHECK_CONTAINS(log, want);
  free(log);
  pv_test_rmtree(top);
}

int main(void) {
  test_voices();
  test_key();
  test_path();
  test_default_dir();
  test_tool();
  test_ui_strings();
  return pv_test_done();
}
