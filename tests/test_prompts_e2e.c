/* test_prompts_e2e: a prompt recorded on one kiosk is played on a second
 * kiosk of the territory after both sync (issue 6, "Done when"), with the
 * real programs.
 *
 * pv-collector (a territory, two device tokens, the sample surveys,
 * serve on an ephemeral loopback port). Kiosk A's store gets a recording
 * of qualite-habiter's first question in French through the store API
 * (what the animateur's record screen keeps); `pv-kiosk sync --once` for
 * A, then for B (two configs, two tokens); `pv-collector prompt list`
 * shows it and `pv-collector export` writes it to
 * prompts/<survey>/<lang>/<key>.wav; B's store holds the same record and bytes; B's
 * headless run reaches that question, and the app writes <db>.prompts/<sha256>.wav, the
 * same bytes, to play instead of the synthesised voice. Then A deletes it
 * (« Supprimer », pv_store_prompt_delete): after both sync again, B's store
 * no longer holds it and B's next run removes the WAV it played. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check.h"
#include "core/store.h"

#define OUT_CAP (1 << 20)
#define RATE 16000
#define SAMPLES 1600 /* 0.1 s */

static char dir[256], cdb[512], out[OUT_CAP];

/* pv-collector args... --db cdb; checks the exit code; output in out. */
static void collector(const char *const *args, int want, int line) {
  pv_test_tool(PV_COLLECTOR_BIN, args, cdb, want, out, OUT_CAP, 1, __FILE__, line);
}

/* A new device token of territory 34172 named name, into token (cap >
 * PV_PROTO_TOKEN_LEN). */
static void device_add(const char *name, char *token, size_t cap) {
  collector((const char *[]){"device", "add", "--territory", "34172", name, NULL}, 0,
            __LINE__);
  snprintf(token, cap, "%.*s", (int)strcspn(out, "\n"), out); /* the first line */
  CHECK(strncmp(token, "pvd_", 4) == 0);
}

static void le16(unsigned char *p, unsigned v) {
  p[0] = (unsigned char)(v & 0xff);
  p[1] = (unsigned char)(v >> 8);
}

static void le32(unsigned char *p, uint32_t v) {
  le16(p, v & 0xffff);
  le16(p + 2, v >> 16);
}

/* A 16-bit mono PCM WAV of SAMPLES samples (a ramp) into wav; its size. */
static size_t make_wav(unsigned char *wav) {
  const size_t data = SAMPLES * 2;
  memcpy(wav, "RIFF", 4);
  le32(wav + 4, (uint32_t)(36 + data));
  memcpy(wav + 8, "WAVEfmt ", 8);
  le32(wav + 16, 16);
  le16(wav + 20, 1); /* PCM */
  le16(wav + 22, 1); /* mono */
  le32(wav + 24, RATE);
  le32(wav + 28, RATE * 2);
  le16(wav + 32, 2);
  le16(wav + 34, 16);
  memcpy(wav + 36, "data", 4);
  le32(wav + 40, (uint32_t)data);
  for (size_t i = 0; i < SAMPLES; i++)
    le16(wav + 44 + 2 * i, (unsigned)((i * 37) & 0x3fff));
  return 44 + data;
}

/* Writes kiosk config path for url and token, synced surveys in sub. */
static void write_config(const char *path, const char *url, const char *token,
                         const char *sub) {
  char text[1024];
  snprintf(text, sizeof text,
           "{\"language\": \"fr\", \"sync\": {\"url\": \"%s\", \"token\": \"%s\", "
           "\"surveys_dir\": \"%s/%s\"}}",
           url, token, dir, sub);
  pv_test_write(path, text, strlen(text));
}

static void sync_once(const char *config, const char *db) {
  const char *argv[] = {PV_KIOSK_BIN, "sync", "--once", "--config",
                        config,       "--db", db,       NULL};
  int rc = pv_test_run(out, OUT_CAP, argv, 1);
  if (rc != 0)
    fprintf(stderr, "pv-kiosk sync --once --db %s:\n%s\n", db, out);
  CHECK_INT(rc, 0);
}

/* B's resident: French, qualite-habiter, up to its first question, whose
 * prompt autoplays. */
static const char script[] = "tap 10 10\n"
                             "expect language\n"
                             "tap @lang:fr\n"
                             "expect consent\n"
                             "tap @consent:yes\n"
                             "expect survey\n"
                             "tap @survey:qualite-habiter\n"
                             "expect question:bien_quartier\n"
                             "wait 500\n";

int main(void) {
  char kdb_a[512], kdb_b[512], config_a[512], config_b[512], path[700];
  char token_a[128], token_b[128], url[200];
  static unsigned char wav[44 + SAMPLES * 2];
  snprintf(dir, sizeof dir, "%s", pv_test_tmpdir());
  snprintf(cdb, sizeof cdb, "%s/collector.db", dir);
  snprintf(kdb_a, sizeof kdb_a, "%s/kiosk-a.db", dir);
  snprintf(kdb_b, sizeof kdb_b, "%s/kiosk-b.db", dir);
  snprintf(config_a, sizeof config_a, "%s/kiosk-a.json", dir);
  snprintf(config_b, sizeof config_b, "%s/kiosk-b.json", dir);
  size_t wav_len = make_wav(wav);

  /* The administrator: one territory, two kiosks, the sample surveys. */
  collector((const char *[]){"territory", "add", "34172", "Montpellier", NULL}, 0,
            __LINE__);
  device_add("hall-a", token_a, sizeof token_a);
  device_add("hall-b", token_b, sizeof token_b);
  static const char *const surveys[] = {"qualite-habiter", "tranquillite",
                                        "lien-social"};
  for (size_t i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "%s/content/surveys/%s", PV_SOURCE_DIR, surveys[i]);
    collector((const char *[]){"survey", "publish", path, NULL}, 0, __LINE__);
  }
  pid_t server = pv_test_serve(PV_COLLECTOR_BIN, cdb, url, sizeof url);
  CHECK(strncmp(url, "http://127.0.0.1:", 17) == 0);
  write_config(config_a, url, token_a, "synced-a");
  write_config(config_b, url, token_b, "synced-b");

  /* Kiosk A: the animateur's recording, kept in its store. */
  pv_store *st = NULL;
  pv_clock clock = pv_clock_system();
  pv_store_prompt rec = {0}, want = {.survey_id = "qualite-habiter",
                                     .key = "q:bien_quartier",
                                     .lang = "fr"};
  CHECK_INT(pv_store_open(kdb_a, &clock, &st), PV_OK);
  CHECK_INT(pv_store_prompt_record(st, &want, "audio/wav", wav, wav_len, &rec), PV_OK);
  pv_store_close(st);
  st = NULL;

  /* Both sync, A first. */
  sync_once(config_a, kdb_a);
  sync_once(config_b, kdb_b);

  /* The chef de projet sees it. */
  collector((const char *[]){"prompt", "list", "--territory", "34172", NULL}, 0,
            __LINE__);
  char line[300];
  snprintf(line, sizeof line,
           "qualite-habiter\tq:bien_quartier\tfr\t%s\t%s\t%zu\t", /* received_at */
           rec.recorded_at, rec.device_id, wav_len);
  CHECK_CONTAINS(out, line);
  /* ... and gets it in the survey's export folder. */
  char export_dir[600];
  snprintf(export_dir, sizeof export_dir, "%s/export", dir);
  collector((const char *[]){"export", "--survey", "qualite-habiter", "--format", "csv",
                             "--out", export_dir, "--territory", "34172", NULL},
            0, __LINE__);
  snprintf(path, sizeof path, "%s/prompts/qualite-habiter/fr/q.bien_quartier.wav",
           export_dir);
  size_t exported_len = 0;
  char *exported = pv_test_read(path, &exported_len);
  CHECK(exported && exported_len == wav_len && memcmp(exported, wav, wav_len) == 0);
  free(exported);

  /* B's store holds the same recording, the same bytes. */
  pv_store_prompt *list = NULL;
  size_t n = 0;
  pv_store_blob blob = {0};
  CHECK_INT(pv_store_open(kdb_b, &clock, &st), PV_OK);
  if (st) {
    CHECK_INT(pv_store_prompt_list(st, NULL, &list, &n), PV_OK);
    CHECK_INT(n, 1);
    if (n == 1) {
      CHECK_STR(list[0].key, "q:bien_quartier");
      CHECK_STR(list[0].lang, "fr");
      CHECK_STR(list[0].sha256, rec.sha256);
      CHECK_STR(list[0].recorded_at, rec.recorded_at);
      CHECK_STR(list[0].device_id, rec.device_id);
      CHECK_INT(list[0].synced, 1);
    }
    free(list);
    CHECK_INT(pv_store_get_attachment(st, rec.sha256, &blob), PV_OK);
    CHECK(blob.size == wav_len && memcmp(blob.bytes, wav, wav_len) == 0);
    pv_store_blob_free(&blob);
    pv_store_close(st);
  }

  /* B's resident reaches the question: its recording is what plays. */
  char script_path[600], surveys_dir[512];
  snprintf(script_path, sizeof script_path, "%s/resident-b.txt", dir);
  pv_test_write(script_path, script, strlen(script));
  snprintf(surveys_dir, sizeof surveys_dir, "%s/content/surveys", PV_SOURCE_DIR);
  const char *argv[] = {PV_KIOSK_BIN, "--headless", "--config", config_b, "--surveys",
                        surveys_dir,  "--db",       kdb_b,      "--size", "800x480",
                        "--script",   script_path,  NULL};
  int rc = pv_test_run(out, OUT_CAP, argv, 1);
  if (rc != 0)
    fprintf(stderr, "pv-kiosk --headless (B):\n%s\n", out);
  CHECK_INT(rc, 0);
  size_t played_len = 0;
  snprintf(path, sizeof path, "%s.prompts/%s.wav", kdb_b, rec.sha256);
  char *played = pv_test_read(path, &played_len);
  CHECK(played != NULL);
  CHECK(played && played_len == wav_len && memcmp(played, wav, wav_len) == 0);
  free(played);

  /* A deletes it; both sync: the deletion reaches the collector and B. */
  CHECK_INT(pv_store_open(kdb_a, &clock, &st), PV_OK);
  if (st) {
    CHECK_INT(pv_store_prompt_delete(st, "qualite-habiter", "q:bien_quartier", "fr"),
              PV_OK);
    pv_store_close(st);
  }
  sync_once(config_a, kdb_a);
  sync_once(config_b, kdb_b);
  collector((const char *[]){"prompt", "list", "--territory", "34172", NULL}, 0,
            __LINE__);
  snprintf(line, sizeof line, "qualite-habiter\tq:bien_quartier\tfr\t");
  CHECK_CONTAINS(out, line);
  snprintf(line, sizeof line, "\t%s\tdeleted\t", rec.device_id); /* A's deletion */
  CHECK_CONTAINS(out, line);
  for (int i = 0; i < 2; i++) { /* A, then B */
    CHECK_INT(pv_store_open(i ? kdb_b : kdb_a, &clock, &st), PV_OK);
    if (!st)
      continue;
    pv_store_prompt gone;
    CHECK_INT(
        pv_store_prompt_get(st, "qualite-habiter", "q:bien_quartier", "fr", &gone),
        PV_ERR_NOTFOUND);
    CHECK_INT(pv_store_prompt_list(st, NULL, &list, &n), PV_OK);
    CHECK_INT(n, 0);
    free(list);
    pv_store_close(st);
  }
  /* B's next run plays the synthesised voice again: the WAV is gone. */
  rc = pv_test_run(out, OUT_CAP, argv, 1);
  if (rc != 0)
    fprintf(stderr, "pv-kiosk --headless (B, after the deletion):\n%s\n", out);
  CHECK_INT(rc, 0);
  played = pv_test_read(path, &played_len);
  CHECK(played == NULL);
  free(played);

  if (server > 0) {
    kill(server, SIGTERM);
    int status = 0;
    waitpid(server, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  if (pv_test_failed == 0)
    pv_test_rmtree(dir);
  return pv_test_done();
}
