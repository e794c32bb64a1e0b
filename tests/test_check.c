/* test_check: `pv-kiosk check` on the sample content (valid, fully
 * voiced) and on a folder of broken surveys, one per way a file can be
 * wrong: each must give exit 1 and a file:line:col message, never a crash
 * (this test runs under ASan and UBSan). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "kiosk/check.h"
#include "tests/check.h"

static char tmp[256];

/* Runs pv_check_main with args; returns its exit code and fills out/err
 * with what it printed (caller frees). */
static int run(int argc, char **argv, char **out, char **err) {
  FILE *o = tmpfile(), *e = tmpfile();
  PV_ASSERT(o && e);
  int code = pv_check_main(argc, argv, o, e);
  FILE *files[2] = {o, e};
  char **bufs[2] = {out, err};
  for (int i = 0; i < 2; i++) {
    long n = ftell(files[i]);
    rewind(files[i]);
    *bufs[i] = calloc(1, (size_t)n + 1);
    PV_ASSERT(*bufs[i]);
    if (n > 0)
      PV_ASSERT(fread(*bufs[i], 1, (size_t)n, files[i]) == (size_t)n);
    fclose(files[i]);
  }
  return code;
}

static const char valid[] =
    "{\"format\": 1, \"id\": \"%s\", \"version\": 1, \"languages\": [\"fr\", \"ar\"],\n"
    " \"title\": {\"fr\": \"Titre\", \"ar\": \"عنوان\"}, \"image\": \"media/p.svg\",\n"
    " \"questions\": [{\"id\": \"q1\", \"type\": \"yes_no\", \"image\": "
    "\"media/p.svg\",\n"
    "   \"label\": {\"fr\": \"Oui ?\", \"ar\": \"نعم؟\"}}]}\n";

/* Writes tmp/NAME/survey.json with the given bytes and a pictogram. */
static void survey(const char *name, const char *data, size_t len) {
  char p[512];
  snprintf(p, sizeof p, "%s/broken/%s/media/p.svg", tmp, name);
  pv_test_write(p, "<svg/>", 6);
  snprintf(p, sizeof p, "%s/broken/%s/survey.json", tmp, name);
  pv_test_write(p, data, len);
}

static void survey_edit(const char *name, const char *from, const char *to) {
  char text[2048], edited[2048];
  snprintf(text, sizeof text, valid, name);
  char *at = strstr(text, from);
  PV_ASSERT(at);
  snprintf(edited, sizeof edited, "%.*s%s%s", (int)(at - text), text, to,
           at + strlen(from));
  survey(name, edited, strlen(edited));
}

static void test_samples(void) {
  char *argv[] = {"check", PV_SOURCE_DIR "/content/surveys", NULL};
  char *out, *err;
  int code = run(2, argv, &out, &err);
  if (code != 0)
    fprintf(stderr, "%s%s", out, err);
  CHECK_INT(code, 0);
  CHECK_CONTAINS(out, "qualite-habiter");
  CHECK_CONTAINS(out, "tranquillite");
  CHECK_CONTAINS(out, "lien-social");
  CHECK_CONTAINS(out, "audio ar");
  CHECK_CONTAINS(out, "audio en");
  CHECK(strstr(out, "synthesised, 0 none") != NULL);
  CHECK_CONTAINS(out, "checked, 0 with problems");
  CHECK_STR(err, "");
  free(out);
  free(err);
}

static const struct broken {
  const char *name;
  const char *expect; /* in stderr, after "<name>/survey.json:" */
} broken[] = {
    {"truncated", "2:59: JSON syntax error: unexpected end of file"},
    {"wrong-types", "1:47: \"version\" must be a whole number, not a string"},
    {"missing-media", "2:57: pictogram \"media/none.svg\" not found"},
    {"undeclared-language", "4:29: \"en\" is not a declared language"},
    {"duplicate-ids", "5:10: duplicate question id \"q1\""},
    {"garbage", "1:1: invalid UTF-8"},
    {"huge", "1:1: file too large for a survey"},
    {"deep", "1:17: nested too deeply"},
    {"bad-utf8", "2:22: invalid UTF-8"},
    {"directory", "1:1: is a directory; expected a file"},
    {"empty-folder", "1:1: no survey.json in this folder"},
};

static void make_broken(void) {
  char text[2048], p[512];
  snprintf(text, sizeof text, valid, "truncated");
  survey("truncated", text, strlen(text) / 2);
  survey_edit("wrong-types", "\"version\": 1", "\"version\": \"1\"");
  survey_edit("missing-media", "\"image\": \"media/p.svg\",\n \"questions",
              "\"image\": \"media/none.svg\",\n \"questions");
  survey_edit("undeclared-language", "\"fr\": \"Oui ?\"",
              "\"fr\": \"Oui ?\", \"en\": \"Yes?\"");
  survey_edit("duplicate-ids", "\"label\": {\"fr\": \"Oui ?\", \"ar\": \"نعم؟\"}}]",
              "\"label\": {\"fr\": \"Oui ?\", \"ar\": \"نعم؟\"}},\n  {\"id\": \"q1\", "
              "\"type\": \"yes_no\", \"image\": \"media/p.svg\", \"label\": {\"fr\": "
              "\"Non ?\", \"ar\": \"لا؟\"}}]");
  unsigned char junk[1024];
  for (size_t i = 0; i < sizeof junk; i++)
    junk[i] = (unsigned char)(0x80 + (i * 37) % 128);
  survey("garbage", (const char *)junk, sizeof junk);
  survey("huge", "{", 1); /* then grown to 50 MB, sparse */
  snprintf(p, sizeof p, "%s/broken/huge/survey.json", tmp);
  PV_ASSERT(truncate(p, 50L << 20) == 0);
  char deep[20001];
  memset(deep, '[', 10000);
  memset(deep + 10000, ']', 10000);
  survey("deep", deep, 20000);
  survey_edit("bad-utf8", "Titre", "Tit\xFFre");
  snprintf(p, sizeof p, "%s/broken/directory/survey.json/x", tmp);
  pv_test_write(p, "{}", 2);
  snprintf(p, sizeof p, "%s/broken/empty-folder/media/p.svg", tmp);
  pv_test_write(p, "<svg/>", 6);
}

static void test_broken(void) {
  char path[512];
  snprintf(path, sizeof path, "%s/broken", tmp);
  char *argv[] = {"check", path, NULL};
  char *out, *err;
  CHECK_INT(run(2, argv, &out, &err), 1);
  for (size_t i = 0; i < sizeof broken / sizeof *broken; i++) {
    char want[512];
    snprintf(want, sizeof want, "%s/broken/%s/survey.json:%s", tmp, broken[i].name,
             broken[i].expect);
    if (!strstr(err, want))
      fprintf(stderr, "missing: %s\n", want);
    CHECK_CONTAINS(err, want);
  }
  char summary[64];
  snprintf(summary, sizeof summary, "%zu surveys checked, %zu with problems",
           sizeof broken / sizeof *broken, sizeof broken / sizeof *broken);
  CHECK_CONTAINS(out, summary);
  free(out);
  free(err);

  /* one file named directly */
  snprintf(path, sizeof path, "%s/broken/wrong-types/survey.json", tmp);
  CHECK_INT(run(2, argv, &out, &err), 1);
  free(out);
  free(err);
}

/* A valid survey with no recordings and an empty synthesised cache: the
 * coverage counts "none", which is an error. */
static void test_no_audio(void) {
  char text[2048], p[512], cache[512];
  snprintf(text, sizeof text, valid, "silent");
  snprintf(p, sizeof p, "%s/ok/silent/survey.json", tmp);
  pv_test_write(p, text, strlen(text));
  snprintf(p, sizeof p, "%s/ok/silent/media/p.svg", tmp);
  pv_test_write(p, "<svg/>", 6);
  snprintf(cache, sizeof cache, "%s/empty-cache", tmp);
  mkdir(cache, 0755);
  snprintf(p, sizeof p, "%s/ok/silent", tmp);
  char *argv[] = {"check", "--tts", cache, p, NULL};
  char *out, *err;
  CHECK_INT(run(4, argv, &out, &err), 1);
  CHECK_CONTAINS(out, "ok: \"silent\" version 1, 1 questions, languages fr ar");
  CHECK_CONTAINS(out, "audio fr    prompts: 0 human, 0 synthesised, 2 none");
  CHECK_CONTAINS(err, "2 \"ar\" texts have no audio");
  free(out);
  free(err);
}

static void test_usage(void) {
  char *out, *err;
  char *none[] = {"check", NULL};
  CHECK_INT(run(1, none, &out, &err), 2);
  CHECK_CONTAINS(err, "usage: pv-kiosk check");
  free(out);
  free(err);
  char *bad[] = {"check", "--frobnicate", "x", NULL};
  CHECK_INT(run(3, bad, &out, &err), 2);
  CHECK_CONTAINS(err, "unknown option --frobnicate");
  free(out);
  free(err);
  char *missing[] = {"check", "/nonexistent/survey", NULL};
  CHECK_INT(run(2, missing, &out, &err), 1);
  CHECK_CONTAINS(err, "/nonexistent/survey: No such file or directory");
  free(out);
  free(err);
}

int main(void) {
  snprintf(tmp, sizeof tmp, "%s", pv_test_tmpdir());
  make_broken();
  test_samples();
  test_broken();
  test_no_audio();
  test_usage();
  pv_test_rmtree(tmp);
  return pv_test_done();
}
