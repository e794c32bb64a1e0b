/* test_sync: the device's sync engine against a real collector started
 * in this process on an ephemeral loopback port: a whole outbox sent and
 * acknowledged exactly once, survey distribution (ETag, staging, atomic
 * switch, old versions kept while their responses are unsynced), refusals
 * (unknown survey version, revoked token, no network), TLS with a private
 * CA, the background thread, and `pv-kiosk sync --once` as a process. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "collector/server.h"
#include "collector/storage.h"
#include "collector/token.h"
#include "core/quartiers.h"
#include "core/sha256.h"
#include "core/wav.h"
#include "kiosk/link.h"
#include "sync/engine.h"
#include "sync/surveys.h"
#include "tests/check.h"
#include "tests/syncfix.h"


static char top[512];

typedef struct fixture {
  char db[600], device_db[600], surveys[600], url[128];
  char token[PV_PROTO_TOKEN_LEN + 1];
  pv_server *srv;
  int64_t ms;
  pv_clock clock;
  pv_store *st;
} fixture;

/* A collector on its own database (TLS when cert is given), and a device. */
static void fixture_open(fixture *f, const char *name, const char *cert,
                         const char *key) {
  memset(f, 0, sizeof *f);
  snprintf(f->db, sizeof f->db, "%s/%s-collector.db", top, name);
  snprintf(f->device_db, sizeof f->device_db, "%s/%s-device.db", top, name);
  snprintf(f->surveys, sizeof f->surveys, "%s/%s-surveys", top, name);
  fx_collector_setup(f->db, f->token);
  pv_server_config sc = {.db_path = f->db,
                         .tls_cert = cert,
                         .tls_key = key,
                         .threads = 2,
                         .rate_per_s = 1e6,
                         .burst = 1000000};
  pv_err err = pv_server_start(&sc, &f->srv);
  if (err) {
    fprintf(stderr, "server: %s\n", pv_err_detail());
    abort();
  }
  snprintf(f->url, sizeof f->url, "%s://127.0.0.1:%d", cert ? "https" : "http",
           pv_server_port(f->srv));
  f->ms = 1795000000000LL;
  f->clock = fx_ticking_clock(&f->ms);
  CHECK_INT(pv_store_open(f->device_db, &f->clock, &f->st), PV_OK);
}

static void fixture_close(fixture *f) {
  pv_store_close(f->st);
  pv_server_stop(f->srv);
}

static pv_sync_config config_of(const fixture *f) {
  return (pv_sync_config){.url = f->url,
                          .token = f->token,
                          .surveys_dir = f->surveys,
                          .connect_timeout_ms = 5000,
                          .transfer_timeout_ms = 20000};
}

static size_t pending(pv_store *st) {
  pv_store_counts c;
  CHECK_INT(pv_store_count(st, NULL, &c), PV_OK);
  return c.pending;
}

static int is_dir(const char *dir, const char *name) {
  char path[1200];
  struct stat sb;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* 1 when a staging folder was left behind in dir. */
static int staging_left(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int found = 0;
  while (d && (e = readdir(d)))
    found |= strncmp(e->d_name, ".staging-", 9) == 0;
  if (d)
    closedir(d);
  return found;
}

/* Runs argv (argv[0] a path), stdout and stderr to log; returns the exit
 * status, or -1. */
static int run(char *const argv[], const char *log) {
  posix_spawn_file_actions_t fa;
  pid_t pid;
  int status;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  int rc = pv_test_spawn(&pid, &fa, argv);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
    return -1;
  return WEXITSTATUS(status);
}

/* ---- backoff ------------------------------------------------------------ */

static void test_backoff(void) {
  static const struct {
    int failures;
    long retry_after;
    double unit;
    int64_t ms;
  } cases[] = {
      {1, -1, 0.0, 2000},      /* 4 s halved by the jitter's low end */
      {1, -1, 0.999999, 3999}, /* ... and nearly whole at its top */
      {2, -1, 0.0, 4000},      {5, -1, 0.0, 32000},
      {9, -1, 0.0, 450000},  /* 1024 s > cap 900 s: cap, halved */
      {40, -1, 0.0, 450000}, /* never overflows, never gives up */
      {1, 30, 0.0, 30000},   /* Retry-After wins when longer */
      {9, 5, 0.0, 450000},   /* and not when shorter */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    CHECK_INT(
        pv_sync_backoff_ms(cases[i].failures, cases[i].retry_after, cases[i].unit),
        cases[i].ms);
}

/* ---- the kiosk config's sync keys ----------------------------------------- */

static void test_config_keys(void) {
  static const struct {
    const char *json;
    int ok, poll, connect, transfer;
    const char *surveys_dir; /* as pv_link_config gives it for "k.db" */
  } cases[] = {
      {"{\"sync\": {\"url\": \"https://pv.example.org\"}}", 1, 0, 0, 0, "k.db.surveys"},
      {"{\"sync\": {\"url\": \"http://127.0.0.1:9\", \"surveys_dir\": \"/var/pv\","
       " \"poll_seconds\": 300, \"connect_timeout_seconds\": 5,"
       " \"transfer_timeout_seconds\": 60}}",
       1, 300, 5, 60, "/var/pv"},
      {"{\"sync\": {\"url\": \"https://x\", \"poll_seconds\": 2}}", 0, 0, 0, 0, NULL},
      {"{\"sync\": {\"url\": \"https://x\", \"poll_seconds\": 1.5}}", 0, 0, 0, 0, NULL},
      {"{\"sync\": {\"url\": \"https://x\", \"connect_timeout_seconds\": 0}}", 0, 0, 0,
       0, NULL},
      {"{\"sync\": {\"url\": \"https://x\", \"transfer_timeout_seconds\": 4000}}", 0, 0,
       0, 0, NULL},
      {"{\"sync\": {\"url\": \"https://x\", \"surveys_dir\": \"\"}}", 0, 0, 0, 0, NULL},
      {"{\"sync\": {\"token\": \"t\"}}", 1, 0, 0, 0, NULL}, /* no url: no sync */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    pv_config cfg;
    pv_diags d = {0};
    char dir[PV_LINK_MAX_PATH];
    pv_sync_config sc;
    pv_err err =
        pv_config_parse("k.json", cases[i].json, strlen(cases[i].json), &cfg, &d);
    CHECK_INT(err == PV_OK, cases[i].ok);
    if (err == PV_OK) {
      CHECK_INT(cfg.sync.poll_seconds, cases[i].poll);
      int on = pv_link_config(&cfg, "k.db", dir, &sc);
      CHECK_INT(on, cases[i].surveys_dir != NULL);
      if (on) {
        CHECK_STR(sc.surveys_dir, cases[i].surveys_dir);
        CHECK_STR(dir, cases[i].surveys_dir); /* what the kiosk loads from */
        CHECK_INT(sc.connect_timeout_ms, cases[i].connect * 1000L);
        CHECK_INT(sc.transfer_timeout_ms, cases[i].transfer * 1000L);
        CHECK_INT(sc.poll_seconds, cases[i].poll);
      }
    } else {
      CHECK(d.count == 1);
    }
    pv_config_free(&cfg);
    pv_diags_free(&d);
  }
}

/* ---- a whole outbox, surveys, versions ---------------------------------- */

static int version_of(const char *id) {
  char dir[1024];
  pv_survey *sv = NULL;
  pv_diags d = {0};
  snprintf(dir, sizeof dir, "%s/%s", FX_SURVEYS, id);
  int v = pv_survey_load(dir, NULL, &sv, &d) == PV_OK ? sv->version : -1;
  pv_survey_free(sv);
  pv_diags_free(&d);
  return v;
}

/* Copies the sample survey id into dst with its version raised by one. */
static void bump_copy(const char *id, const char *dst) {
  char cmd[2048], path[1200];
  snprintf(cmd, sizeof cmd, "cp -r '%s/%s' '%s'", FX_SURVEYS, id, dst);
  CHECK(system(cmd) == 0);
  snprintf(path, sizeof path, "%s/survey.json", dst);
  static char out[8192 * 8];
  FILE *f = fopen(path, "rb");
  size_t n = f ? fread(out, 1, sizeof out - 1, f) : 0;
  if (f)
    fclose(f);
  out[n] = '\0';
  char *v = strstr(out, "\"version\": ");
  CHECK(v != NULL);
  if (!v)
    return;
  char *num = v + strlen("\"version\": ");
  long old = strtol(num, NULL, 10);
  char *end = num;
  while (*end >= '0' && *end <= '9')
    end++;
  static char fixed[sizeof out + 32];
  snprintf(fixed, sizeof fixed, "%.*s%ld%s", (int)(num - out), out, old + 1, end);
  pv_test_write(path, fixed, strlen(fixed));
}

static void test_outbox_and_surveys(void) {
  fixture f;
  pv_sync_report rep;
  fx_uuid *uuids = calloc(300, sizeof *uuids);
  size_t n = 250;
  fixture_open(&f, "main", NULL, NULL);
  pv_sync_config c = config_of(&f);
  c.batch = 40; /* several batches */
  fx_fill(f.st, 250, 10, uuids);
  CHECK_INT(pending(f.st), 250);

  /* First pass: the three surveys land, everything goes, once. */
  CHECK_INT(pv_sync_once(&c, f.st, &rep), PV_OK);
  CHECK_INT(rep.sent, 250);
  CHECK_INT(rep.acked, 250);
  CHECK_INT(rep.failed, 0);
  CHECK_INT(rep.pending_after, 0);
  CHECK_INT(rep.attachments, 25);
  CHECK_INT(rep.surveys_installed, 3);
  CHECK(rep.surveys_changed);
  CHECK_STR(rep.message, "");
  CHECK_INT(fx_server_count(f.db), 250);
  CHECK_INT(fx_compare(f.db, f.st, uuids, 250, 1), 0);
  pv_sync_current cur;
  CHECK_INT(pv_sync_current_read(f.surveys, &cur), PV_OK);
  CHECK_INT(cur.count, 3);
  int v1 = version_of("qualite-habiter");
  char old_dir[PV_SYNC_MAX_DIRNAME + 1], new_dir[PV_SYNC_MAX_DIRNAME + 1];
  pv_sync_survey_dirname("qualite-habiter", v1, old_dir);
  pv_sync_survey_dirname("qualite-habiter", v1 + 1, new_dir);
  CHECK(is_dir(f.surveys, old_dir));
  CHECK(!staging_left(f.surveys));

  /* Second pass: nothing to send, and the catalogue is not modified (304). */
  CHECK_INT(pv_sync_once(&c, f.st, &rep), PV_OK);
  CHECK_INT(rep.sent, 0);
  CHECK(rep.surveys_not_modified);
  CHECK_INT(rep.surveys_installed, 0);
  CHECK(!rep.surveys_changed);

  /* A response to an unpublished version is kept and counted as refused;
   * the others still go. */
  fx_uuid odd;
  fx_fill(f.st, 4, 0, uuids + n);
  n += 4;
  CHECK_INT(pv_store_begin(f.st, "qualite-habiter", 99, NULL, "fr", odd), PV_OK);
  CHECK_INT(pv_store_put_answer(f.st, odd, "note", "3", PV_QUANTITATIVE), PV_OK);
  CHECK_INT(pv_store_finish(f.st, odd), PV_OK);
  memcpy(uuids[n++], odd, sizeof odd);
  CHECK_INT(pv_sync_once(&c, f.st, &rep), PV_OK);
  CHECK_INT(rep.sent, 5);
  CHECK_INT(rep.acked, 4);
  CHECK_INT(rep.failed, 1);
  CHECK_INT(rep.pending_after, 1);
  CHECK_CONTAINS(rep.message, "refusées");
  pv_store_response r;
  CHECK_INT(pv_store_get_response(f.st, odd, &r), PV_OK);
  CHECK_INT(r.attempts, 1);
  CHECK_STR(r.synced_at, "");
  pv_store_response_free(&r);
  /* Refused again next pass, and still not blocking anything. */
  CHECK_INT(pv_sync_once(&c, f.st, &rep), PV_OK);
  CHECK_INT(rep.sent, 1);
  CHECK_INT(rep.failed, 1);

  /* A new version: installed beside the old one, current.json switches,
   * the old folder stays while a response to it is unfinished. */
  fx_uuid open_one;
  CHECK_INT(pv_store_begin(f.st, "qualite-habiter", v1, NULL, "fr", open_one), PV_OK);
  memcpy(uuids[n++], open_one, sizeof open_one);
  CHECK_INT(pv_store_put_answer(f.st, open_one, "note", "2", PV_QUANTITATIVE), PV_OK);
  char bumped[800];
  snprintf(bumped, sizeof bumped, "%s/qualite-habiter", top);
  bump_copy("qualite-habiter", bumped);
  CHECK_INT(fx_publish(f.db, bumped), PV_OK);
  CHECK_INT(pv_sync_once(&c, f.st, &rep), PV_OK);
  CHECK_INT(rep.surveys_installed, 1);
  CHECK(rep.surveys_changed);
  CHECK(!rep.surveys_not_modified);
  CHECK_INT(pv_sync_current_read(f.surveys, &cur), PV_OK);
  CHECK_INT(cur.count, 3);
  int found = 0;
  for (size_t i = 0; i < cur.count; i++)
    if (strcmp(cur.entries[i].id, "qualite-habiter") == 0)
      found = cur.entries[i].version;
  CHECK_INT(found, v1 + 1);
  CHECK(is_dir(f.surveys, new_dir));
  CHECK(is_dir(f.surveys, old_dir)); /* open_one still needs it */
  CHECK(!staging_left(f.surveys));

  /* The kiosk's view: the synced version replaces the bundled one. */
  pv_config kc;
  pv_config_defaults(&kc);
  pv_survey *loaded[8] = {0};
  size_t n_loaded = 0;
  pv_diags d = {0};
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/qualite-habiter", FX_SURVEYS);
  CHECK_INT(pv_survey_load(dir, NULL, &loaded[n_loaded++], &d), PV_OK);
  CHECK_INT(pv_link_load_surveys(f.surveys, &kc, NULL, loaded, &n_loaded, 8), 3);
  CHECK_INT(n_loaded, 3);
  CHECK_STR(loaded[0]->id, "qualite-habiter");
  CHECK_INT(loaded[0]->version, v1 + 1);
  /* Loading again adds nothing: what is loaded is as new. */
  CHECK_INT(pv_link_load_surveys(f.surveys, &kc, NULL, loaded, &n_loaded, 8), 0);
  for (size_t i = 0; i < n_loaded; i++)
    pv_survey_free(loaded[i]);
  pv_diags_free(&d);

  /* Once that response is finished and acknowledged, the old folder may
   * go, but only when the kiosk, which may still show it, says so after
   * reloading (pv_link_collect): a pass alone keeps it. */
  CHECK_INT(pv_store_finish(f.st, open_one), PV_OK);
  CHECK_INT(pv_sync_once(&c, f.st, &rep), PV_OK);
  CHECK_INT(rep.acked, 1);
  CHECK(is_dir(f.surveys, old_dir));
  pv_survey *shown = NULL; /* the kiosk still shows the old version */
  snprintf(dir, sizeof dir, "%s/%s/survey.json", f.surveys, old_dir);
  CHECK_INT(pv_survey_load(dir, NULL, &shown, &d), PV_OK);
  pv_diags_free(&d);
  pv_link_collect(f.surveys, &shown, shown ? 1 : 0, f.st);
  CHECK(is_dir(f.surveys, old_dir));
  pv_survey_free(shown);
  pv_link_collect(f.surveys, NULL, 0, f.st); /* reloaded: it is not shown */
  CHECK(!is_dir(f.surveys, old_dir));
  CHECK(is_dir(f.surveys, new_dir));

  /* Revoked: the pass fails on its first request, nothing is acknowledged,
   * and the animateur reads why in French. */
  fx_uuid *late = uuids + n;
  fx_fill(f.st, 3, 1, late);
  n += 3;
  fx_revoke(f.db);
  CHECK(pv_sync_once(&c, f.st, &rep) != PV_OK);
  CHECK(rep.http_status == 401 || rep.http_status == 403);
  CHECK_INT(rep.acked, 0);
  CHECK_INT(rep.pending_after, 4);
  CHECK_CONTAINS(rep.message, "jeton");
  CHECK_CONTAINS(rep.error, "HTTP 40");
  for (int i = 0; i < 3; i++) {
    CHECK_INT(pv_store_get_response(f.st, late[i], &r), PV_OK);
    CHECK_STR(r.synced_at, "");
    pv_store_response_free(&r);
  }
  /* Everything but the refused and the revoked-late ones is there, once. */
  CHECK_INT(fx_compare(f.db, f.st, uuids, n, 0), 0);
  CHECK_INT(fx_server_count(f.db), n - 4);
  fixture_close(&f);

  /* No server at all: a network error in plain French, nothing lost. */
  int64_t ms = 1795000000000LL;
  pv_clock clock = fx_ticking_clock(&ms);
  pv_store *st = NULL;
  char path[700];
  snprintf(path, sizeof path, "%s/main-device.db", top);
  CHECK_INT(pv_store_open(path, &clock, &st), PV_OK);
  int s = socket(AF_INET, SOCK_STREAM, 0); /* a port nobody listens on */
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof a;
  CHECK(bind(s, (struct sockaddr *)&a, sizeof a) == 0);
  CHECK(getsockname(s, (struct sockaddr *)&a, &alen) == 0);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(a.sin_port));
  c.url = url;
  CHECK_INT(pv_sync_once(&c, st, &rep), PV_ERR_IO);
  CHECK_INT(rep.http_status, 0);
  CHECK_STR(rep.message, "Pas de réseau : les réponses sont gardées sur la tablette.");
  CHECK_INT(rep.pending_after, 4);
  close(s);
  pv_store_close(st);
  free(uuids);
}

/* ---- a survey version that does not check out --------------------------- */

static void test_bad_survey(void) {
  fixture f;
  pv_sync_report rep;
  fx_uuid uuids[3];
  pv_cdb *db = NULL;
  pv_cdb_publish what;
  fixture_open(&f, "bad", NULL, NULL);
  pv_sync_config c = config_of(&f);
  CHECK_INT(pv_sync_once(&c, f.st, &rep), PV_OK);
  CHECK_INT(rep.surveys_installed, 3);
  /* A version whose survey.json is no survey: the loader refuses it. */
  int v = version_of("tranquillite");
  pv_proto_file file = {.path = "survey.json", .size = 2};
  CHECK_INT(pv_sha256_hex("{}", 2, file.sha256), PV_OK);
  pv_proto_survey s = {
      .id = "tranquillite", .version = v + 5, .files = &file, .n_files = 1};
  CHECK_INT(pv_cdb_open_sqlite(f.db, &db), PV_OK);
  CHECK_INT(pv_cdb_blob_put(db, file.sha256, "application/json", "{}", 2), PV_OK);
  CHECK_INT(pv_cdb_survey_publish(db, NULL, &s, "2026-11-23T11:00:00.000Z", &what),
            PV_OK);
  pv_cdb_close(db);
  fx_fill(f.st, 3, 0, uuids);
  /* Not installed, the old version stays current, the responses still go. */
  CHECK_INT(pv_sync_once(&c, f.st, &rep), PV_OK);
  CHECK_INT(rep.surveys_installed, 0);
  CHECK_INT(rep.surveys_failed, 1);
  CHECK_INT(rep.acked, 3);
  CHECK_CONTAINS(rep.message, "questionnaire");
  pv_sync_current cur;
  CHECK_INT(pv_sync_current_read(f.surveys, &cur), PV_OK);
  int found = 0;
  for (size_t i = 0; i < cur.count; i++)
    if (strcmp(cur.entries[i].id, "tranquillite") == 0)
      found = cur.entries[i].version;
  CHECK_INT(found, v);
  CHECK(!staging_left(f.surveys));
  /* And it is tried again next pass (no ETag kept), still refused. */
  CHECK_INT(pv_sync_once(&c, f.st, &rep), PV_OK);
  CHECK(!rep.surveys_not_modified);
  CHECK_INT(rep.surveys_failed, 1);
  fixture_close(&f);

  /* The staging checks themselves: bytes, size, paths. */
  static const struct {
    const char *path, *bytes;
    size_t size;
    pv_err want;
  } files[] = {
      {"survey.json", "{}", 2, PV_OK},
      {"media/a.png", "{}", 2, PV_OK},
      {"survey.json", "[]", 2, PV_ERR_CORRUPT}, /* not the bytes the hash names */
      {"survey.json", "{}", 3, PV_ERR_CORRUPT}, /* not the size the catalogue says */
      {"../evil.json", "{}", 2, PV_ERR_INVALID},
      {"/etc/passwd", "{}", 2, PV_ERR_INVALID},
      {"media/../../x", "{}", 2, PV_ERR_INVALID},
      {".hidden", "{}", 2, PV_ERR_INVALID},
  };
  char staging[PV_SYNC_MAX_PATH];
  pv_proto_survey one = {.id = "tranquillite", .version = 1};
  CHECK_INT(pv_sync_stage_begin(f.surveys, &one, staging), PV_OK);
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
    pv_proto_file pf = {.size = files[i].size};
    snprintf(pf.path, sizeof pf.path, "%s", files[i].path);
    CHECK_INT(pv_sha256_hex("{}", 2, pf.sha256), PV_OK);
    if (files[i].want == PV_OK) { /* a fresh folder each time: O_EXCL */
      pv_test_rmtree(staging);
      CHECK_INT(pv_sync_stage_begin(f.surveys, &one, staging), PV_OK);
    }
    CHECK_INT(pv_sync_stage_file(staging, &pf, files[i].bytes, strlen(files[i].bytes)),
              files[i].want);
  }
  pv_sync_stage_abort(staging);
  CHECK(!staging_left(f.surveys));
}

/* ---- TLS ----------------------------------------------------------------- */

static void test_tls(void) {
  char cert[600], key[600], log[600], ext[600];
  snprintf(cert, sizeof cert, "%s/cert.pem", top);
  snprintf(key, sizeof key, "%s/key.pem", top);
  snprintf(log, sizeof log, "%s/openssl.log", top);
  snprintf(ext, sizeof ext, "subjectAltName=IP:127.0.0.1");
  char *argv[] = {"/usr/bin/openssl",
                  "req",
                  "-x509",
                  "-newkey",
                  "rsa:2048",
                  "-nodes",
                  "-keyout",
                  key,
                  "-out",
                  cert,
                  "-days",
                  "2",
                  "-subj",
                  "/CN=127.0.0.1",
                  "-addext",
                  ext,
                  NULL};
  if (run(argv, log) != 0) {
    {
      char *t_ = pv_test_read(log, NULL);
      fprintf(stderr, "openssl failed: %s\n", t_ ? t_ : "");
      free(t_);
    }
    CHECK(0);
    return;
  }
  fixture f;
  pv_sync_report rep;
  fx_uuid uuids[5];
  fixture_open(&f, "tls", cert, key);
  CHECK(strncmp(f.url, "https://", 8) == 0);
  fx_fill(f.st, 5, 2, uuids);
  pv_sync_config c = config_of(&f);
  /* The system's CAs do not know our certificate: refused, nothing sent. */
  CHECK_INT(pv_sync_once(&c, f.st, &rep), PV_ERR_IO);
  CHECK_CONTAINS(rep.message, "certificat");
  CHECK_INT(rep.acked, 0);
  CHECK_INT(fx_server_count(f.db), 0);
  /* With the CA file: everything goes. */
  c.ca_file = cert;
  CHECK_INT(pv_sync_once(&c, f.st, &rep), PV_OK);
  CHECK_INT(rep.acked, 5);
  CHECK_INT(fx_compare(f.db, f.st, uuids, 5, 1), 0);
  fixture_close(&f);
}

/* ---- the thread ---------------------------------------------------------- */

/* Waits (bounded) until the thread reports a pass finished with pred. */
static int wait_status(pv_sync *s, int (*pred)(const pv_sync_status *),
                       pv_sync_status *st) {
  for (int i = 0; i < 3000; i++) {
    pv_sync_status_get(s, st);
    if (pred(st))
      return 1;
    struct timespec t = {0, 10 * 1000000L};
    nanosleep(&t, NULL);
  }
  return 0;
}

static int64_t since; /* a success after this time counts */

static int all_sent(const pv_sync_status *s) {
  return s->last_success_ms > since && s->pending == 0 && !s->running;
}

static int has_failed(const pv_sync_status *s) {
  return s->consecutive_failures >= 1 && !s->running;
}

static void test_thread(void) {
  fixture f;
  fx_uuid uuids[40];
  pv_sync *s = NULL;
  pv_sync_status st;
  fixture_open(&f, "thread", NULL, NULL);
  fx_fill(f.st, 30, 7, uuids);
  pv_sync_config c = config_of(&f);
  c.poll_seconds = 3600; /* only kicks start passes after the first */
  CHECK_INT(pv_sync_start(&c, f.device_db, &f.clock, &s), PV_OK);
  CHECK(wait_status(s, all_sent, &st));
  CHECK_STR(st.last_error, "");
  CHECK_INT(st.consecutive_failures, 0);
  CHECK(pv_sync_surveys_generation(s) >= 1);
  CHECK(st.next_attempt_ms > st.last_success_ms);
  /* A kick sends what was added since. */
  fx_fill(f.st, 2, 0, uuids + 30);
  since = st.last_success_ms;
  pv_sync_kick(s);
  CHECK(wait_status(s, all_sent, &st));
  CHECK_INT(fx_compare(f.db, f.st, uuids, 32, 1), 0);
  CHECK_INT(fx_server_count(f.db), 32);
  pv_sync_stop(s);

  /* A failing server: the status says so in French, and stop is prompt
   * even in the middle of a long backoff. */
  fx_revoke(f.db);
  fx_fill(f.st, 1, 0, uuids + 32);
  CHECK_INT(pv_sync_start(&c, f.device_db, &f.clock, &s), PV_OK);
  CHECK(wait_status(s, has_failed, &st));
  CHECK_CONTAINS(st.last_error, "jeton");
  CHECK_INT(st.pending, 1);
  CHECK(st.next_attempt_ms > st.last_attempt_ms);
  pv_sync_stop(s);
  fixture_close(&f);

  /* A server that accepts and never answers: stop aborts the transfer. */
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof a;
  CHECK(bind(ls, (struct sockaddr *)&a, sizeof a) == 0 && listen(ls, 4) == 0);
  CHECK(getsockname(ls, (struct sockaddr *)&a, &alen) == 0);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(a.sin_port));
  c.url = url;
  c.transfer_timeout_ms = 600000;
  CHECK_INT(pv_sync_start(&c, f.device_db, &f.clock, &s), PV_OK);
  int conn = accept(ls, NULL, NULL); /* the pass is under way */
  CHECK(conn >= 0);
  pv_sync_stop(s); /* returns well before the 10-minute timeout */
  close(conn);
  close(ls);
}

/* ---- pv-kiosk sync --once ---------------------------------------------- */

static void test_command(void) {
  fixture f;
  fx_uuid uuids[12];
  char config[700], log[700], json[2048];
  fixture_open(&f, "cmd", NULL, NULL);
  fx_fill(f.st, 12, 4, uuids);
  pv_store_close(f.st); /* the command opens it */
  f.st = NULL;
  snprintf(config, sizeof config, "%s/kiosk.json", top);
  snprintf(log, sizeof log, "%s/cmd.log", top);
  snprintf(json, sizeof json,
           "{\"sync\": {\"url\": \"%s\", \"token\": \"%s\", \"poll_seconds\": 30,"
           " \"connect_timeout_seconds\": 5, \"transfer_timeout_seconds\": 20}}",
           f.url, f.token);
  pv_test_write(config, json, strlen(json));
  char *argv[] = {PV_KIOSK_BIN, "sync", "--once",    "--config",
                  config,       "--db", f.device_db, NULL};
  CHECK_INT(run(argv, log), 0);
  {
    char *t_ = pv_test_read(log, NULL);
    CHECK_CONTAINS(t_, "sent 12, acknowledged 12");
    free(t_);
  }
  CHECK_INT(fx_server_count(f.db), 12);
  /* The default surveys folder sits beside the store. */
  char dflt[700];
  snprintf(dflt, sizeof dflt, "%s.surveys", f.device_db);
  CHECK(is_dir(dflt, "."));
  /* Something pending and the collector gone: exit 1, the reason in French. */
  CHECK_INT(pv_store_open(f.device_db, &f.clock, &f.st), PV_OK);
  fx_fill(f.st, 1, 0, uuids);
  pv_server_stop(f.srv);
  f.srv = NULL;
  CHECK_INT(run(argv, log), 1);
  {
    char *t_ = pv_test_read(log, NULL);
    CHECK_CONTAINS(t_, "Pas de réseau");
    free(t_);
  }
  /* Usage. */
  char *bad[] = {PV_KIOSK_BIN, "sync", "--config", config, NULL};
  CHECK_INT(run(bad, log), 2);
  fixture_close(&f);
}

/* ---- a collector that lies ---------------------------------------------- */

/* A one-thread HTTP server on loopback answering from a script: a survey
 * file longer than its catalogue entry says, and batch results that are
 * either in order ("stored" for each) or shuffled. */
typedef struct liar {
  int fd, port, shuffle;
  atomic_int stop;
  pthread_t th;
} liar;

static void liar_reply(int c, int status, const char *body, size_t len) {
  char head[256];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                   status, len);
  if (write(c, head, (size_t)n) < 0 || (len && write(c, body, len) < 0))
    return;
}

static void *liar_run(void *arg) {
  liar *l = arg;
  static char req[1 << 20];
  while (!atomic_load(&l->stop)) {
    int c = accept(l->fd, NULL, NULL);
    if (c < 0)
      continue;
    size_t n = 0;
    ssize_t r;
    char *end = NULL;
    long want = -1;
    while (n + 1 < sizeof req && (r = read(c, req + n, sizeof req - 1 - n)) > 0) {
      n += (size_t)r;
      req[n] = '\0';
      if (!end && (end = strstr(req, "\r\n\r\n"))) {
        const char *cl = strcasestr(req, "content-length:");
        want = cl && cl < end ? strtol(cl + 15, NULL, 10) : 0;
      }
      if (end && (long)(n - (size_t)(end + 4 - req)) >= want)
        break;
    }
    const char *sha1 =
        "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881";
    if (strncmp(req, "GET /v1/surveys", 15) == 0) {
      char cat[512];
      snprintf(cat, sizeof cat,
               "{\"surveys\":[{\"id\":\"qualite-habiter\",\"version\":7,\"files\":"
               "[{\"path\":\"survey.json\",\"sha256\":\"%s\",\"size\":1}]}]}",
               sha1);
      liar_reply(c, 200, cat, strlen(cat));
    } else if (strncmp(req, "GET /v1/files/", 14) == 0) {
      liar_reply(c, 200, "xxxxxxxxxxxxxxxxxx", 18); /* 18 bytes, 1 listed */
    } else if (strncmp(req, "POST /v1/responses", 18) == 0 && end) {
      pv_proto_batch b;
      char why[200];
      const char *body = end + 4;
      if (pv_proto_batch_decode(body, strlen(body), &b, why, sizeof why) != PV_OK) {
        liar_reply(c, 400, "{}", 2);
      } else {
        pv_proto_result res[PV_PROTO_MAX_BATCH];
        for (size_t i = 0; i < b.count; i++) {
          size_t k = l->shuffle ? b.count - 1 - i : i;
          memset(&res[i], 0, sizeof res[i]);
          memcpy(res[i].uuid, b.items[k].result.uuid, sizeof res[i].uuid);
          res[i].outcome = PV_OUT_STORED;
        }
        char *out = pv_proto_results_encode(res, b.count);
        liar_reply(c, 200, out, strlen(out));
        free(out);
        pv_proto_batch_free(&b);
      }
    } else {
      liar_reply(c, 404, "{\"error\":\"not_found\",\"reason\":\"\"}", 33);
    }
    close(c);
  }
  return NULL;
}

static void test_lying_server(void) {
  liar l = {0};
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  l.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  CHECK(l.fd >= 0 && bind(l.fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        listen(l.fd, 8) == 0 && getsockname(l.fd, (struct sockaddr *)&a, &al) == 0);
  struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
  setsockopt(l.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv); /* accept wakes to stop */
  l.shuffle = 1;
  pthread_create(&l.th, NULL, liar_run, &l);

  char url[64], db[700], dir[700];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(a.sin_port));
  snprintf(db, sizeof db, "%s/liar-device.db", top);
  snprintf(dir, sizeof dir, "%s/liar-surveys", top);
  int64_t ms = 1793000000000LL;
  pv_clock clock = pv_clock_virtual(&ms);
  pv_store *st = NULL;
  CHECK_INT(pv_store_open(db, &clock, &st), PV_OK);
  fx_uuid uuids[3];
  fx_fill(st, 3, 0, uuids);
  pv_sync_config c = {
      .url = url, .token = "pvd_0123456789abcdefghijklmnopqrstuv", .surveys_dir = dir};
  pv_sync_report rep;

  /* Shuffled results: nothing acknowledged, the pass fails. The survey
   * whose file is too long is skipped without ending the pass first. */
  CHECK(pv_sync_once(&c, st, &rep) != PV_OK);
  CHECK_INT(rep.surveys_failed, 1);
  CHECK_INT(rep.sent, 3);
  CHECK_INT(rep.acked, 0);
  CHECK_INT(rep.pending_after, 3);
  CHECK_CONTAINS(rep.error, "do not match");

  /* Results in order: all three acknowledged, though the survey still
   * cannot be installed (reported, the pass goes on). */
  l.shuffle = 0;
  CHECK_INT(pv_sync_once(&c, st, &rep), PV_OK);
  CHECK_INT(rep.surveys_failed, 1);
  CHECK_INT(rep.acked, 3);
  CHECK_INT(rep.pending_after, 0);
  pv_sync_current cur;
  CHECK(pv_sync_current_read(dir, &cur) != PV_OK || cur.count == 0);

  atomic_store(&l.stop, 1);
  pthread_join(l.th, NULL);
  close(l.fd);
  pv_store_close(st);
}

/* ---- sessions ---------------------------------------------------------------- */

static pv_err count_with_session(void *ud, const pv_store_response *r,
                                 const pv_store_session *s) {
  size_t *n = ud;
  (void)r;
  if (s && strcmp(s->kind, "table_de_quartier") == 0 && s->ended_at[0])
    (*n)++;
  return PV_OK;
}

/* Adds territory 75056 and a device of it to db; returns its id. */
static long long paris_device(pv_cdb *db) {
  long long id = 0;
  CHECK_INT(pv_cdb_territory_add(db, "75056", "Paris", "2026-11-23T12:00:00.000Z"),
            PV_OK);
  CHECK_INT(pv_cdb_token_add(
                db, PV_CDB_DEVICE, "75056", "borne-paris",
                "0000000000000000000000000000000000000000000000000000000000000075",
                "2026-11-23T12:00:00.000Z", &id),
            PV_OK);
  return id;
}

/* A table de quartier: begun, two residents answer, ended; each pass
 * sends what changed, and the collector ends up with the ended session and
 * the responses that name it. */
static void test_sessions(void) {
  fixture f;
  pv_sync_report rep;
  char sess[PV_UUID_LEN + 1], bad[PV_UUID_LEN + 1];
  fx_uuid r[2];
  fixture_open(&f, "sessions", NULL, NULL);
  pv_sync_config c = config_of(&f);
  int version = version_of("qualite-habiter");
  pv_store_session info = {.kind = "table_de_quartier",
                           .place = "Maison pour tous Léo Lagrange",
                           .qpv_code = "QN03401M",
                           .qpv_name = "Mosson",
                           .animateur = "MB"};
  CHECK_INT(pv_store_session_begin(f.st, &info, sess), PV_OK);
  for (int i = 0; i < 2; i++) {
    CHECK_INT(pv_store_begin(f.st, "qualite-habiter", version, sess, "fr", r[i]),
              PV_OK);
    CHECK_INT(pv_store_put_answer(f.st, r[i], "note", "4", PV_QUANTITATIVE), PV_OK);
    CHECK_INT(pv_store_finish(f.st, r[i]), PV_OK);
  }

  /* Pass 1: the running session, then the responses. */
  CHECK_INT(pv_sync_once(&c, f.st, &rep), PV_OK);
  CHECK_INT(rep.sessions_sent, 1);
  CHECK_INT(rep.sessions_acked, 1);
  CHECK_INT(rep.sessions_failed, 0);
  CHECK_INT(rep.sent, 2);
  CHECK_INT(rep.acked, 2);
  pv_cdb *db = NULL;
  pv_store_session got;
  CHECK_INT(pv_cdb_open_sqlite(f.db, &db), PV_OK);
  CHECK_INT(pv_cdb_session_get(db, FX_TERRITORY, sess, &got), PV_OK);
  CHECK_STR(got.ended_at, "");
  CHECK_STR(got.qpv_code, "QN03401M");
  pv_cdb_close(db);

  /* Pass 2: nothing changed, nothing sent. */
  CHECK_INT(pv_sync_once(&c, f.st, &rep), PV_OK);
  CHECK_INT(rep.sessions_sent, 0);
  CHECK_INT(rep.sent, 0);

  /* Ended: sent again, once. */
  CHECK_INT(pv_store_session_end(f.st, sess), PV_OK);
  pv_store_session mine;
  CHECK_INT(pv_store_session_get(f.st, sess, &mine), PV_OK);
  CHECK_INT(pv_sync_once(&c, f.st, &rep), PV_OK);
  CHECK_INT(rep.sessions_sent, 1);
  CHECK_INT(rep.sessions_acked, 1);
  CHECK_INT(pv_sync_once(&c, f.st, &rep), PV_OK);
  CHECK_INT(rep.sessions_sent, 0);
  CHECK_INT(pv_cdb_open_sqlite(f.db, &db), PV_OK);
  CHECK_INT(pv_cdb_session_get(db, FX_TERRITORY, sess, &got), PV_OK);
  CHECK_STR(got.ended_at, mine.ended_at);
  CHECK(got.ended_at[0] != '\0');
  size_t with = 0;
  pv_cdb_filter flt = {.survey_id = "qualite-habiter", .session = sess};
  CHECK_INT(pv_cdb_export_rows(db, FX_TERRITORY, &flt, count_with_session, &with),
            PV_OK);
  CHECK_INT(with, 2);
  pv_cdb_close(db);

  /* The territory's quartiers land in <surveys>/quartiers.json, once. */
  char qpath[700];
  pv_quartier *q = NULL;
  size_t nq = 0;
  snprintf(qpath, sizeof qpath, "%s/quartiers.json", f.surveys);
  /* None distributed yet: no file (the kiosk uses its offline default). */
  CHECK_INT(pv_quartiers_load(qpath, &q, &nq), PV_ERR_NOTFOUND);
  CHECK_INT(pv_cdb_open_sqlite(f.db, &db), PV_OK);
  CHECK_INT(pv_cdb_quartier_add(db, FX_TERRITORY, "QN03401M", "Mosson",
                                "2026-11-23T12:00:00.000Z"),
            PV_OK);
  pv_cdb_close(db);
  CHECK_INT(pv_sync_once(&c, f.st, &rep), PV_OK);
  CHECK(rep.quartiers_changed);
  CHECK(!rep.quartiers_failed);
  CHECK_INT(pv_quartiers_load(qpath, &q, &nq), PV_OK);
  CHECK_INT(nq, 1);
  if (nq == 1)
    CHECK_STR(q[0].name, "Mosson");
  free(q);
  CHECK_INT(pv_sync_once(&c, f.st, &rep), PV_OK);
  CHECK(!rep.quartiers_changed);

  /* A session the server refuses (its uuid is another territory's: a
   * conflict) is counted and kept, and the responses still go in the
   * same pass. */
  pv_store_session odd = {.kind = "atelier"}, theirs;
  fx_uuid more;
  long long other_dev = 0;
  CHECK_INT(pv_store_session_begin(f.st, &odd, bad), PV_OK);
  CHECK_INT(pv_store_session_get(f.st, bad, &theirs), PV_OK);
  char *theirs_json = pv_proto_session_encode(&theirs);
  pv_cdb_session_item item = {.s = &theirs, .canonical = theirs_json};
  pv_sha256_hex(theirs_json, strlen(theirs_json), item.hash);
  CHECK_INT(pv_cdb_open_sqlite(f.db, &db), PV_OK);
  other_dev = paris_device(db);
  CHECK_INT(pv_cdb_session_ingest(db, "75056", other_dev, &item, 1,
                                  "2026-11-23T12:00:00.000Z"),
            PV_OK);
  CHECK_INT(item.outcome, PV_OUT_STORED);
  pv_cdb_close(db);
  free(theirs_json);
  fx_fill(f.st, 1, 0, &more);
  CHECK_INT(pv_sync_once(&c, f.st, &rep), PV_OK);
  CHECK_INT(rep.sessions_sent, 1);
  CHECK_INT(rep.sessions_failed, 1);
  CHECK_INT(rep.sent, 1);
  CHECK_INT(rep.acked, 1);
  CHECK_CONTAINS(rep.message, "sessions");
  pv_store_session *left = NULL;
  size_t n_left = 0;
  CHECK_INT(pv_store_sessions_pending(f.st, 10, &left, &n_left), PV_OK);
  CHECK_INT(n_left, 1);
  if (n_left == 1)
    CHECK_STR(left[0].uuid, bad);
  free(left);
  fixture_close(&f);
}

/* Review finding 11: sessions the collector refuses for good (another
 * territory holds their uuids), a full batch of them queued first, do not
 * keep a newer session from going out, and the status says so. */
static void test_sessions_refused(void) {
  enum { N_THEIRS = PV_PROTO_MAX_SESSIONS };
  fixture f;
  pv_sync_report rep;
  pv_store_session *theirs = calloc(N_THEIRS, sizeof *theirs);
  pv_cdb_session_item *items = calloc(N_THEIRS, sizeof *items);
  char *json[N_THEIRS] = {0};
  char uuid[PV_UUID_LEN + 1], fresh[PV_UUID_LEN + 1];
  long long other_dev = 0;
  pv_cdb *db = NULL;
  CHECK(theirs && items);
  fixture_open(&f, "sessions-refused", NULL, NULL);
  pv_sync_config c = config_of(&f);
  pv_store_session kind = {.kind = "atelier"}, got;
  for (int i = 0; i < N_THEIRS; i++) {
    CHECK_INT(pv_store_session_begin(f.st, &kind, uuid), PV_OK);
    CHECK_INT(pv_store_session_get(f.st, uuid, &theirs[i]), PV_OK);
    json[i] = pv_proto_session_encode(&theirs[i]);
    items[i] = (pv_cdb_session_item){.s = &theirs[i], .canonical = json[i]};
    pv_sha256_hex(json[i], strlen(json[i]), items[i].hash);
  }
  CHECK_INT(pv_cdb_open_sqlite(f.db, &db), PV_OK);
  other_dev = paris_device(db);
  CHECK_INT(pv_cdb_session_ingest(db, "75056", other_dev, items, N_THEIRS,
                                  "2026-11-23T12:00:00.000Z"),
            PV_OK);
  pv_cdb_close(db);
  CHECK_INT(pv_store_session_begin(f.st, &kind, fresh), PV_OK);

  /* Each pass sends every pending session once; the newer one is stored. */
  for (int pass = 0; pass < 2; pass++) {
    CHECK_INT(pv_sync_once(&c, f.st, &rep), PV_OK);
    CHECK_INT(rep.sessions_sent, N_THEIRS + (pass == 0));
    CHECK_INT(rep.sessions_failed, N_THEIRS);
    CHECK_INT(rep.sessions_acked, pass == 0);
    CHECK_CONTAINS(rep.message, "sessions");
  }
  CHECK_INT(pv_cdb_open_sqlite(f.db, &db), PV_OK);
  CHECK_INT(pv_cdb_session_get(db, FX_TERRITORY, fresh, &got), PV_OK);
  CHECK_STR(got.uuid, fresh);
  pv_cdb_close(db);
  for (int i = 0; i < N_THEIRS; i++)
    free(json[i]);
  free(items);
  free(theirs);
  fixture_close(&f);
}

/* ---- recorded prompts ------------------------------------------------- */

#define P_SURVEY "qualite-habiter"
#define P_KEY "q:logement"
#define DAY_MS (86400 * 1000LL)

/* Adds a second device token of FX_TERRITORY to the collector db. */
static void second_device(const char *dbpath, char token[PV_PROTO_TOKEN_LEN + 1]) {
  char hash[PV_SHA256_HEX + 1];
  long long id = 0;
  pv_cdb *db = NULL;
  CHECK_INT(pv_cdb_open_sqlite(dbpath, &db), PV_OK);
  CHECK_INT(pv_token_new(PV_CDB_DEVICE, token), PV_OK);
  CHECK_INT(pv_token_hash(token, hash), PV_OK);
  CHECK_INT(pv_cdb_token_add(db, PV_CDB_DEVICE, FX_TERRITORY, "kiosque-b", hash,
                             "2026-11-23T12:00:00.000Z", &id),
            PV_OK);
  pv_cdb_close(db);
}

/* A recording's bytes: a real WAV (pv_wav_encode) unless not_wav. */
typedef struct take {
  uint8_t *bytes;
  size_t len;
} take;

/* Returns a distinct 0.05 s WAV for seed; free with take_free. */
static take take_of(int seed) {
  int16_t samples[800];
  take t = {0};
  for (size_t i = 0; i < sizeof samples / sizeof *samples; i++)
    samples[i] = (int16_t)((int)(i * 37) * (seed + 1) % 20000 - 10000);
  CHECK_INT(pv_wav_encode(samples, sizeof samples / sizeof *samples, PV_WAV_VOICE_RATE,
                          &t.bytes, &t.len),
            PV_OK);
  return t;
}

static void take_free(take *t) {
  free(t->bytes);
  t->bytes = NULL;
}

/* Records t as the Darija prompt of key on st; returns the record. */
static pv_store_prompt record_key(pv_store *st, const char *key, const take *t) {
  pv_store_prompt p = {.survey_id = P_SURVEY, .lang = "ary"}, out = {0};
  snprintf(p.key, sizeof p.key, "%s", key);
  CHECK_INT(pv_store_prompt_record(st, &p, "audio/wav", t->bytes, t->len, &out), PV_OK);
  return out;
}

static pv_store_prompt record(pv_store *st, const take *t) {
  return record_key(st, P_KEY, t);
}

/* 1 when st's recording of P_KEY in Darija is want, synced, with t's
 * bytes (and it is the survey's only one). */
static int holds(pv_store *st, const pv_store_prompt *want, const take *t) {
  pv_store_prompt *list = NULL;
  pv_store_blob blob = {0};
  size_t n = 0;
  int ok = pv_store_prompt_list(st, P_SURVEY, &list, &n) == PV_OK && n == 1 &&
           strcmp(list[0].sha256, want->sha256) == 0 &&
           strcmp(list[0].recorded_at, want->recorded_at) == 0 &&
           strcmp(list[0].device_id, want->device_id) == 0 &&
           strcmp(list[0].media_type, "audio/wav") == 0 && list[0].synced &&
           pv_store_get_attachment(st, want->sha256, &blob) == PV_OK &&
           blob.size == t->len && memcmp(blob.bytes, t->bytes, blob.size) == 0;
  pv_store_blob_free(&blob);
  free(list);
  return ok;
}

/* 1 when st holds no entry at all (recording or pending deletion) of key
 * in Darija. */
static int lacks(pv_store *st, const char *key) {
  pv_store_prompt p;
  return pv_store_prompt_get(st, P_SURVEY, key, "ary", &p) == PV_ERR_NOTFOUND;
}

/* The collector's current entry of P_KEY in Darija: its sha256 ("" for a
 * deletion) and *deleted. */
static void collector_holds(const char *dbpath, char sha[PV_SHA256_HEX + 1],
                            int *deleted) {
  pv_proto_prompt_entry *list = NULL;
  size_t n = 0;
  pv_cdb *db = NULL;
  sha[0] = '\0';
  *deleted = -1;
  CHECK_INT(pv_cdb_open_sqlite(dbpath, &db), PV_OK);
  CHECK_INT(pv_cdb_prompt_list(db, FX_TERRITORY, &list, &n), PV_OK);
  for (size_t i = 0; i < n; i++)
    if (!strcmp(list[i].p.key, P_KEY) && !strcmp(list[i].p.lang, "ary")) {
      snprintf(sha, PV_SHA256_HEX + 1, "%s", list[i].p.sha256);
      *deleted = list[i].p.deleted;
    }
  free(list);
  pv_cdb_close(db);
}

static size_t prompts_pending(pv_store *st) {
  pv_store_prompt *left = NULL;
  size_t n = 99;
  CHECK_INT(pv_store_prompts_pending(st, 10, &left, &n), PV_OK);
  free(left);
  return n;
}

/* The wall clock in ms: the collector's clock. */
static int64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_prompts(void) {
  take wa = take_of(1), wb = take_of(2), wa2 = take_of(3), wb2 = take_of(4),
       wb3 = take_of(5), wf = take_of(6), wa3 = take_of(7);
  static const char not_wav[] = "RIFF....WAVEfmt but not a WAV at all";
  fixture f;
  pv_sync_report rep;
  char token_b[PV_PROTO_TOKEN_LEN + 1], db_b[700], held[PV_SHA256_HEX + 1];
  int deleted = -1;
  pv_store *b = NULL;
  fixture_open(&f, "prompts", NULL, NULL);
  second_device(f.db, token_b);
  snprintf(db_b, sizeof db_b, "%s/prompts-device-b.db", top);
  int64_t ms_b = f.ms + DAY_MS; /* A's clock runs a day behind B's */
  pv_clock clock_b = fx_ticking_clock(&ms_b);
  CHECK_INT(pv_store_open(db_b, &clock_b, &b), PV_OK);
  pv_sync_config ca = config_of(&f), cb = config_of(&f);
  cb.token = token_b;
  cb.surveys_dir = NULL;

  /* A records, syncs: the collector holds it. */
  pv_store_prompt pa = record(f.st, &wa);
  CHECK_INT(pv_sync_once(&ca, f.st, &rep), PV_OK);
  CHECK_INT(rep.prompts_sent, 1);
  CHECK_INT(rep.prompts_acked, 1);
  CHECK_INT(rep.prompts_failed, 0);
  CHECK_INT(rep.prompts_received, 0); /* its own: nothing to take */
  CHECK_INT(rep.attachments, 1);
  collector_holds(f.db, held, &deleted);
  CHECK_STR(held, pa.sha256);
  CHECK_INT(prompts_pending(f.st), 0);

  /* B syncs: it holds the same recording, the same bytes; once. */
  CHECK_INT(pv_sync_once(&cb, b, &rep), PV_OK);
  CHECK_INT(rep.prompts_received, 1);
  CHECK_INT(rep.prompts_receive_failed, 0);
  CHECK(holds(b, &pa, &wa));
  CHECK_INT(pv_sync_once(&cb, b, &rep), PV_OK); /* 304: nothing again */
  CHECK_INT(rep.prompts_received, 0);
  CHECK_INT(rep.prompts_sent, 0);

  /* B records it anew: after both sync, A holds B's. */
  pv_store_prompt pb = record(b, &wb);
  CHECK_INT(pv_sync_once(&cb, b, &rep), PV_OK);
  CHECK_INT(rep.prompts_acked, 1);
  CHECK_INT(rep.prompts_received, 0);
  CHECK_INT(pv_sync_once(&ca, f.st, &rep), PV_OK);
  CHECK_INT(rep.prompts_received, 1);
  CHECK(holds(f.st, &pb, &wb));

  /* A records again with its clock a day behind B's: it reaches the
   * collector last, so it is current; B takes it. */
  pv_store_prompt pa2 = record(f.st, &wa2);
  CHECK(strcmp(pa2.recorded_at, pb.recorded_at) < 0);
  CHECK_INT(pv_sync_once(&ca, f.st, &rep), PV_OK);
  CHECK_INT(rep.prompts_sent, 1);
  CHECK_INT(rep.prompts_acked, 1);
  CHECK_INT(rep.prompts_received, 0);
  pa2.synced = 1;
  CHECK(holds(f.st, &pa2, &wa2));
  collector_holds(f.db, held, &deleted);
  CHECK_STR(held, pa2.sha256);
  CHECK_INT(pv_sync_once(&cb, b, &rep), PV_OK);
  CHECK_INT(rep.prompts_received, 1);
  CHECK(holds(b, &pa2, &wa2));

  /* A take pending on B (the collector refuses it: B's clock two days
   * ahead of the collector's) is not overwritten by the one A records and
   * syncs meanwhile; once B's clock is right, B's new take wins. */
  ms_b = wall_ms() + 2 * DAY_MS;
  pv_store_prompt pb2 = record(b, &wb2);
  pv_store_prompt pa3 = record(f.st, &wa3);
  CHECK_INT(pv_sync_once(&ca, f.st, &rep), PV_OK);
  CHECK_INT(rep.prompts_acked, 1);
  CHECK_INT(pv_sync_once(&cb, b, &rep), PV_OK);
  CHECK_INT(rep.prompts_sent, 1);
  CHECK_INT(rep.prompts_failed, 1);
  CHECK_INT(rep.prompts_received, 0);
  CHECK_INT(prompts_pending(b), 1);
  pv_store_prompt now_b;
  CHECK_INT(pv_store_prompt_get(b, P_SURVEY, P_KEY, "ary", &now_b), PV_OK);
  CHECK_STR(now_b.sha256, pb2.sha256);
  CHECK_INT(now_b.synced, 0);
  collector_holds(f.db, held, &deleted);
  CHECK_STR(held, pa3.sha256);
  ms_b = f.ms + DAY_MS;
  pv_store_prompt pb3 = record(b, &wb3);
  CHECK_INT(pv_sync_once(&cb, b, &rep), PV_OK);
  CHECK_INT(rep.prompts_acked, 1);
  CHECK_INT(rep.prompts_failed, 0);
  pb3.synced = 1;
  CHECK(holds(b, &pb3, &wb3));
  CHECK_INT(pv_sync_once(&ca, f.st, &rep), PV_OK);
  CHECK_INT(rep.prompts_received, 1);
  CHECK(holds(f.st, &pb3, &wb3));

  /* A deletes it: after both sync it is gone from B too, and stays gone
   * when A records another text and both sync again. */
  CHECK_INT(pv_store_prompt_delete(f.st, P_SURVEY, P_KEY, "ary"), PV_OK);
  CHECK_INT(prompts_pending(f.st), 1);
  CHECK_INT(pv_sync_once(&ca, f.st, &rep), PV_OK);
  CHECK_INT(rep.prompts_sent, 1);
  CHECK_INT(rep.prompts_acked, 1);
  CHECK_INT(rep.attachments, 0); /* a deletion has no audio */
  CHECK_INT(prompts_pending(f.st), 0);
  CHECK(lacks(f.st, P_KEY)); /* acknowledged: the tombstone is dropped */
  collector_holds(f.db, held, &deleted);
  CHECK_INT(deleted, 1);
  CHECK_INT(pv_sync_once(&cb, b, &rep), PV_OK);
  CHECK_INT(rep.prompts_removed, 1);
  CHECK_INT(rep.prompts_received, 0);
  CHECK(lacks(b, P_KEY));
  pv_store_blob blob = {0};
  CHECK_INT(pv_store_get_attachment(b, pb3.sha256, &blob), PV_ERR_NOTFOUND);
  record_key(f.st, "q:bien_quartier", &wf);
  for (int i = 0; i < 2; i++) {
    CHECK_INT(pv_sync_once(&ca, f.st, &rep), PV_OK);
    CHECK_INT(pv_sync_once(&cb, b, &rep), PV_OK);
    CHECK_INT(rep.prompts_removed, 0);
  }
  CHECK(lacks(b, P_KEY));
  CHECK(lacks(f.st, P_KEY));
  CHECK(!lacks(b, "q:bien_quartier"));

  /* The thread tells the kiosk when recordings arrived or went. */
  pv_store_prompt pb4 = record(b, &wa);
  CHECK_INT(pv_sync_once(&cb, b, &rep), PV_OK);
  pv_sync *s = NULL;
  pv_sync_status st;
  ca.poll_seconds = 3600;
  since = 0;
  CHECK_INT(pv_sync_start(&ca, f.device_db, &f.clock, &s), PV_OK);
  CHECK(wait_status(s, all_sent, &st));
  CHECK_INT(pv_sync_prompts_generation(s), 1);
  pv_sync_stop(s);
  pv_store_prompt *list = NULL;
  size_t n = 0;
  CHECK_INT(pv_store_prompt_get(f.st, P_SURVEY, P_KEY, "ary", &now_b), PV_OK);
  CHECK_STR(now_b.sha256, pb4.sha256);

  /* A recording whose bytes are no WAV is listed by the collector (it does
   * not play audio) but refused by the kiosk, counted, tried again. */
  pv_store_prompt odd = {.survey_id = P_SURVEY, .key = "q:proprete", .lang = "ary"};
  CHECK_INT(
      pv_store_prompt_record(f.st, &odd, "audio/wav", not_wav, strlen(not_wav), NULL),
      PV_OK);
  CHECK_INT(pv_sync_once(&ca, f.st, &rep), PV_OK);
  CHECK_INT(rep.prompts_acked, 1);
  for (int i = 0; i < 2; i++) {
    CHECK_INT(pv_sync_once(&cb, b, &rep), PV_OK);
    CHECK_INT(rep.prompts_receive_failed, 1);
    CHECK_INT(rep.prompts_received, 0);
    CHECK(lacks(b, "q:proprete"));
  }
  CHECK_INT(pv_store_prompt_list(b, P_SURVEY, &list, &n), PV_OK);
  CHECK_INT(n, 2); /* P_KEY and q:bien_quartier */
  free(list);

  /* A collector failing on prompts (its table gone) does not stop the
   * responses; the recording waits for the next pass. */
  fx_uuid r[1];
  fx_fill(f.st, 1, 0, r);
  record(f.st, &wa2);
  sqlite3 *raw = NULL;
  CHECK_INT(sqlite3_open(f.db, &raw), SQLITE_OK);
  CHECK_INT(sqlite3_exec(raw, "DROP TABLE prompts", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(raw);
  CHECK_INT(pv_sync_once(&ca, f.st, &rep), PV_OK);
  CHECK_INT(rep.sent, 1);
  CHECK_INT(rep.acked, 1);
  CHECK_INT(rep.prompts_failed, 1);
  CHECK_INT(rep.prompts_receive_failed, 1);
  CHECK_CONTAINS(rep.message, "enregistrements");
  CHECK_INT(prompts_pending(f.st), 1);
  CHECK_INT(pending(f.st), 0);

  pv_store_close(b);
  fixture_close(&f);
  take_free(&wa);
  take_free(&wb);
  take_free(&wa2);
  take_free(&wb2);
  take_free(&wb3);
  take_free(&wf);
  take_free(&wa3);
}

/* A response whose body is over the protocol's limit is never sent (a
 * server refuses it before reading, and a client caught sending into the
 * refusal sees a send error it would retry for ever): it is kept, noted,
 * and the others still go. */
static void test_oversize(void) {
  fixture f;
  pv_sync_report rep;
  fx_uuid uuids[3], big;
  fixture_open(&f, "oversize", NULL, NULL);
  pv_sync_config c = config_of(&f);
  fx_fill(f.st, 3, 0, uuids);
  CHECK_INT(pv_store_begin(f.st, "qualite-habiter", version_of("qualite-habiter"), NULL,
                           "fr", big),
            PV_OK);
  char *value = malloc(62 * 1024);
  PV_ASSERT(value);
  memset(value, 'a', 62 * 1024 - 1);
  value[0] = value[62 * 1024 - 2] = '"';
  value[62 * 1024 - 1] = '\0';
  for (int i = 0; i < 70; i++) { /* 70 x 62 KiB: over 4 MiB */
    char id[16];
    snprintf(id, sizeof id, "q%d", i);
    CHECK_INT(pv_store_put_answer(f.st, big, id, value, PV_QUALITATIVE), PV_OK);
  }
  free(value);
  CHECK_INT(pv_store_finish(f.st, big), PV_OK);
  CHECK_INT(pv_sync_once(&c, f.st, &rep), PV_OK);
  CHECK_INT(rep.sent, 3); /* the big one never went */
  CHECK_INT(rep.acked, 3);
  CHECK_INT(rep.failed, 1);
  CHECK_INT(rep.pending_after, 1);
  pv_store_response r;
  CHECK_INT(pv_store_get_response(f.st, big, &r), PV_OK);
  CHECK_INT(r.attempts, 1);
  CHECK_STR(r.synced_at, "");
  pv_store_response_free(&r);
  CHECK_INT(fx_server_count(f.db), 3);
  fixture_close(&f);
}

int main(void) {
  snprintf(top, sizeof top, "%s", pv_test_tmpdir());
  test_backoff();
  test_config_keys();
  test_outbox_and_surveys();
  test_bad_survey();
  test_tls();
  test_thread();
  test_command();
  test_lying_server();
  test_sessions();
  test_sessions_refused();
  test_prompts();
  test_oversize();
  if (pv_test_failed == 0)
    pv_test_rmtree(top);
  return pv_test_done();
}
