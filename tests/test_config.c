/* test_config: the kiosk's config file (kiosk/config.h). A table of good
 * files with the values they must give, a table of bad ones with the
 * line:col and message each must report, then the file cases: missing
 * (defaults), a folder, too big, and the sample content/kiosk.json. */
#include <stdlib.h>

#include "kiosk/config.h"
#include "tests/check.h"

static void test_defaults(void) {
  pv_config c;
  pv_config_defaults(&c);
  CHECK_STR(c.device_name, "porte-voix");
  CHECK_STR(c.language, "fr");
  CHECK_INT(c.n_surveys, 0);
  CHECK_INT(c.inactivity_seconds, 40);
  CHECK_INT(c.autoplay, 1);
  CHECK_INT(c.volume, 80);
  CHECK(c.sync.url == NULL && c.sync.token == NULL && c.sync.ca_file == NULL);
  CHECK(c.sync.json == NULL);
  CHECK(pv_config_survey_enabled(&c, "anything"));
  pv_config_free(&c);
}

static const struct {
  const char *json;
  const char *name, *language;
  int n_surveys, inactivity, autoplay, volume;
  const char *url, *sync_json;
} good[] = {
    {"{}", "porte-voix", "fr", 0, 40, 1, 80, NULL, NULL},
    {"  {\n}\n", "porte-voix", "fr", 0, 40, 1, 80, NULL, NULL},
    {"\xEF\xBB\xBF{\"volume\": 0}", "porte-voix", "fr", 0, 40, 1, 0, NULL, NULL},
    {"{\"device_name\": \"Centre social Les Tilleuls\", \"language\": \"ar-MA\"}",
     "Centre social Les Tilleuls", "ar-MA", 0, 40, 1, 80, NULL, NULL},
    {"{\"surveys\": [\"qualite-habiter\", \"tranquillite\"]}", "porte-voix", "fr", 2,
     40, 1, 80, NULL, NULL},
    {"{\"surveys\": []}", "porte-voix", "fr", 0, 40, 1, 80, NULL, NULL},
    {"{\"inactivity_seconds\": 10, \"autoplay\": false, \"volume\": 100}", "porte-voix",
     "fr", 0, 10, 0, 100, NULL, NULL},
    {"{\"inactivity_seconds\": 600.0}", "porte-voix", "fr", 0, 600, 1, 80, NULL, NULL},
    {"{\"comment\": \"hall B\", \"autoplay\": true}", "porte-voix", "fr", 0, 40, 1, 80,
     NULL, NULL},
    {"{\"device_name\": \"Médiathèque — hall\"}", "Médiathèque — hall", "fr", 0, 40, 1,
     80, NULL, NULL},
    {"{\"sync\": {}}", "porte-voix", "fr", 0, 40, 1, 80, NULL, "{}"},
    {"{\"sync\": {\"url\": \"https://pv.example.org\", \"token\": \"abc\", "
     "\"ca_file\": \"/etc/pv/ca.pem\", \"every_minutes\": 5}}",
     "porte-voix", "fr", 0, 40, 1, 80, "https://pv.example.org",
     "{\"url\":\"https://pv.example.org\",\"token\":\"abc\",\"ca_file\":\"/etc/pv/"
     "ca.pem\",\"every_minutes\":5}"},
};

static void test_good(void) {
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    pv_config c;
    pv_diags d = {0};
    pv_err err = pv_config_parse("k.json", good[i].json, strlen(good[i].json), &c, &d);
    if (err != PV_OK) {
      pv_test_fail(__FILE__, __LINE__, "good case %zu refused", i);
      pv_diags_print(&d, stderr);
    } else {
      pv_test_passed++;
    }
    CHECK_INT(d.count, 0);
    CHECK_STR(c.device_name, good[i].name);
    CHECK_STR(c.language, good[i].language);
    CHECK_INT(c.n_surveys, good[i].n_surveys);
    CHECK_INT(c.inactivity_seconds, good[i].inactivity);
    CHECK_INT(c.autoplay, good[i].autoplay);
    CHECK_INT(c.volume, good[i].volume);
    if (good[i].url)
      CHECK_STR(c.sync.url, good[i].url);
    else
      CHECK(c.sync.url == NULL);
    if (good[i].sync_json)
      CHECK_STR(c.sync.json, good[i].sync_json);
    else
      CHECK(c.sync.json == NULL);
    pv_config_free(&c);
    pv_diags_free(&d);
  }

  /* The survey list, in order, and what it enables. */
  pv_config c;
  pv_diags d = {0};
  const char *j = "{\"surveys\": [\"tranquillite\", \"lien-social\"],"
                  " \"sync\": {\"url\": \"http://127.0.0.1:8080\", \"token\": \"t\","
                  " \"ca_file\": \"ca.pem\"}}";
  CHECK_INT(pv_config_parse("k.json", j, strlen(j), &c, &d), PV_OK);
  CHECK_STR(c.surveys[0], "tranquillite");
  CHECK_STR(c.surveys[1], "lien-social");
  CHECK(pv_config_survey_enabled(&c, "lien-social"));
  CHECK(!pv_config_survey_enabled(&c, "qualite-habiter"));
  CHECK_STR(c.sync.token, "t");
  /* Plain http:// reaches this machine only. */
  static const char *const local[] = {"http://localhost:8080/", "http://[::1]:8080",
                                      "http://127.0.0.1", "http://localhost"};
  for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
    char text[200];
    pv_config lc;
    pv_diags ld = {0};
    snprintf(text, sizeof text, "{\"sync\": {\"url\": \"%s\"}}", local[i]);
    CHECK_INT(pv_config_parse("k.json", text, strlen(text), &lc, &ld), PV_OK);
    pv_config_free(&lc);
    pv_diags_free(&ld);
  }
  CHECK_STR(c.sync.ca_file, "ca.pem");
  pv_config_free(&c);
  CHECK(c.sync.url == NULL); /* free resets to the defaults */
  CHECK_INT(c.volume, 80);
  pv_config_free(&c); /* and may run twice */
  pv_diags_free(&d);
}

static const struct {
  const char *json;
  int line, col;
  const char *message; /* a part of the first diag */
} bad[] = {
    {"", 1, 1, "unexpected end of file"},
    {"[]", 1, 1, "a kiosk config is a JSON object, not an array"},
    {"\"fr\"", 1, 1, "not a string"},
    {"{\"volume\": 80", 1, 14, "unexpected end of file"},
    {"{\"volume\" 80}", 1, 11, "JSON syntax error near '8'"},
    {"{\n  \"volume\": 80\n} x", 3, 3, "JSON syntax error near 'x'"},
    {"{\"device_name\": \"a\xff\"}", 1, 19, "UTF-8"},
    {"{\"a\": [[[[[[[[[[1]]]]]]]]]]}", 1, 14, "nested too deeply"},
    {"{\n  \"volum\": 80\n}", 2, 3, "unknown key \"volum\""},
    {"{\"Volume\": 80}", 1, 2, "unknown key \"Volume\""},
    {"{\"volume\": 80, \"volume\": 70}", 1, 16, "duplicate key \"volume\""},
    {"{\"volume\": 101}", 1, 12, "\"volume\" is 101; it must be between 0 and 100"},
    {"{\"voice_notes\": \"no\"}", 1, 17,
     "\"voice_notes\" must be true or false, not a string"},
    {"{\"volume\": -1}", 1, 12, "between 0 and 100"},
    {"{\"volume\": 50.5}", 1, 12, "\"volume\" must be a whole number, not a number"},
    {"{\"volume\": \"80\"}", 1, 12, "must be a whole number, not a string"},
    {"{\"volume\": 1e300}", 1, 12, "whole number"},
    {"{\"inactivity_seconds\": 9}", 1, 24, "between 10 and 600"},
    {"{\"inactivity_seconds\": 601}", 1, 24, "between 10 and 600"},
    {"{\"inactivity_seconds\": null}", 1, 24, "not null"},
    {"{\"autoplay\": 1}", 1, 14, "\"autoplay\" must be true or false, not a number"},
    {"{\"autoplay\": \"true\"}", 1, 14, "true or false"},
    {"{\"device_name\": \"\"}", 1, 17, "1 to 64 bytes"},
    {"{\"device_name\": \"12345678901234567890123456789012345678901234567890123456789"
     "012345\"}",
     1, 17, "1 to 64 bytes (it has 65)"},
    {"{\"device_name\": \"a\\nb\"}", 1, 17, "control characters"},
    {"{\"device_name\": 7}", 1, 17, "must be a string, not a number"},
    {"{\"language\": \"french\"}", 1, 14, "BCP 47"},
    {"{\"language\": \"FR\"}", 1, 14, "BCP 47"},
    {"{\"language\": \"fr-\"}", 1, 14, "BCP 47"},
    {"{\"language\": [\"fr\"]}", 1, 14, "BCP 47"},
    {"{\"surveys\": \"tranquillite\"}", 1, 13, "must be an array of survey ids"},
    {"{\"surveys\": [\"Tranquillite\"]}", 1, 14, "a survey id is a string"},
    {"{\"surveys\": [\"ok\", 3]}", 1, 20, "a survey id is a string"},
    {"{\"surveys\": [\"a\", \"b\", \"a\"]}", 1, 24, "survey \"a\" is listed twice"},
    {"{\"sync\": []}", 1, 10, "\"sync\" must be an object, not an array"},
    {"{\"sync\": {\"url\": \"ftp://x\"}}", 1, 18, "must start with https://"},
    {"{\"sync\": {\"url\": \"http://collecteur.example.org\"}}", 1, 18,
     "would cross the network in clear"},
    {"{\"sync\": {\"url\": \"http://127.0.0.1.evil.example/\"}}", 1, 18, "in clear"},
    {"{\"sync\": {\"url\": \"http://[::1].evil/\"}}", 1, 18, "in clear"},
    {"{\"sync\": {\"url\": \"http://localhost.evil:80/\"}}", 1, 18, "in clear"},
    {"{\"sync\": {\"url\": 5}}", 1, 18, "\"url\" must be a string"},
    {"{\"sync\": {\"token\": \"\"}}", 1, 20, "1 to 2048 bytes"},
    {"{\"comment\": 1}", 1, 13, "\"comment\" must be a string"},
    {"{\"a\": \"\\u0000\"}", 1, 8, "NUL"},
};

static void test_bad(void) {
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    pv_config c;
    pv_diags d = {0};
    pv_err err = pv_config_parse("k.json", bad[i].json, strlen(bad[i].json), &c, &d);
    CHECK_INT(err, PV_ERR_INVALID);
    if (d.count == 0) {
      pv_test_fail(__FILE__, __LINE__, "bad case %zu (%s): no diag", i, bad[i].json);
      continue;
    }
    const pv_diag *g = &d.items[0];
    if (g->line != bad[i].line || g->col != bad[i].col ||
        !strstr(g->message, bad[i].message) || strcmp(g->file, "k.json") != 0)
      pv_test_fail(__FILE__, __LINE__,
                   "bad case %zu (%s): got %s:%d:%d: %s, want %d:%d: %s", i,
                   bad[i].json, g->file, g->line, g->col, g->message, bad[i].line,
                   bad[i].col, bad[i].message);
    else
      pv_test_passed++;
    /* A refused file leaves the defaults, nothing half-read. */
    CHECK_INT(c.volume, 80);
    CHECK_INT(c.n_surveys, 0);
    CHECK(c.sync.json == NULL);
    pv_config_free(&c);
    pv_diags_free(&d);
  }

  /* Every problem at once, in file order. */
  pv_config c;
  pv_diags d = {0};
  const char *j = "{\n \"volume\": 200,\n \"autoplay\": \"yes\",\n \"colour\": 1\n}";
  CHECK_INT(pv_config_parse("k.json", j, strlen(j), &c, &d), PV_ERR_INVALID);
  CHECK_INT(d.count, 3);
  if (d.count == 3) {
    CHECK_INT(d.items[0].line, 2);
    CHECK_INT(d.items[1].line, 3);
    CHECK_INT(d.items[2].line, 4);
  }
  pv_config_free(&c);
  pv_diags_free(&d);

  /* Many unknown keys: diags stop at their bound, counted as dropped. */
  char big[8192];
  size_t used = 0;
  used += (size_t)snprintf(big, sizeof big, "{");
  for (int i = 0; i < 300; i++)
    used +=
        (size_t)snprintf(big + used, sizeof big - used, "%s\"k%d\":1", i ? "," : "", i);
  snprintf(big + used, sizeof big - used, "}");
  CHECK_INT(pv_config_parse("k.json", big, strlen(big), &c, &d), PV_ERR_INVALID);
  CHECK_INT(d.count, PV_SURVEY_MAX_DIAGS);
  CHECK_INT(d.dropped, 100);
  pv_config_free(&c);
  pv_diags_free(&d);
}

static void test_files(void) {
  char top[256], path[400];
  snprintf(top, sizeof top, "%s", pv_test_tmpdir());
  pv_config c;
  pv_diags d = {0};

  /* Missing: the defaults, no problem. */
  snprintf(path, sizeof path, "%s/none.json", top);
  CHECK_INT(pv_config_load(path, &c, &d), PV_OK);
  CHECK_INT(d.count, 0);
  CHECK_INT(c.inactivity_seconds, 40);
  pv_config_free(&c);

  /* A folder. */
  CHECK_INT(pv_config_load(top, &c, &d), PV_ERR_INVALID);
  CHECK_INT(d.count, 1);
  if (d.count == 1) {
    CHECK_STR(d.items[0].file, top);
    CHECK_INT(d.items[0].line, 1);
    CHECK_CONTAINS(d.items[0].message, "is a directory");
  }
  pv_config_free(&c);
  pv_diags_free(&d);

  /* Too big, even if it is white space. */
  size_t n = PV_CONFIG_MAX_FILE + 1;
  char *blob = malloc(n);
  PV_ASSERT(blob);
  memset(blob, ' ', n);
  blob[0] = '{';
  blob[n - 1] = '}';
  snprintf(path, sizeof path, "%s/big.json", top);
  pv_test_write(path, blob, n);
  free(blob);
  CHECK_INT(pv_config_load(path, &c, &d), PV_ERR_INVALID);
  CHECK_INT(d.count, 1);
  if (d.count == 1)
    CHECK_CONTAINS(d.items[0].message, "too large");
  pv_config_free(&c);
  pv_diags_free(&d);

  /* A real file: positions name the path. */
  static const char text[] = "{\n  \"volume\": 55,\n  \"autoplay\": 0\n}\n";
  snprintf(path, sizeof path, "%s/kiosk.json", top);
  pv_test_write(path, text, strlen(text));
  CHECK_INT(pv_config_load(path, &c, &d), PV_ERR_INVALID);
  CHECK_INT(d.count, 1);
  if (d.count == 1) {
    CHECK_STR(d.items[0].file, path);
    CHECK_INT(d.items[0].line, 3);
    CHECK_INT(d.items[0].col, 15);
  }
  pv_config_free(&c);
  pv_diags_free(&d);
  pv_test_rmtree(top);

  /* The sample the demo uses is valid. */
  CHECK_INT(pv_config_load(PV_SOURCE_DIR "/content/kiosk.json", &c, &d), PV_OK);
  pv_diags_print(&d, stderr);
  CHECK_INT(d.count, 0);
  CHECK(c.n_surveys > 0);
  CHECK(c.sync.json != NULL);
  pv_config_free(&c);
  pv_diags_free(&d);
}

/* voice_notes: on unless the file says false. */
static void test_voice_notes(void) {
  static const struct {
    const char *json;
    int want;
  } cases[] = {
      {"{}", 1}, {"{\"voice_notes\": true}", 1}, {"{\"voice_notes\": false}", 0}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    pv_config c;
    pv_diags d = {0};
    CHECK_INT(pv_config_parse("k.json", cases[i].json, strlen(cases[i].json), &c, &d),
              PV_OK);
    CHECK_INT(c.voice_notes, cases[i].want);
    pv_config_free(&c);
    pv_diags_free(&d);
  }
}

int main(void) {
  test_defaults();
  test_voice_notes();
  test_good();
  test_bad();
  test_files();
  return pv_test_done();
}
