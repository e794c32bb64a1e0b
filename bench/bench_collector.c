/* bench_collector: the sync and collector figures of issue 4, each beside
 * a baseline measured in the same run.
 *
 *   bench_collector sync DIR      one device syncs 10,000 responses and
 *                                 1,000 attachments of 100 KB over loopback
 *                                 (goal < 10 s); baseline: the device-side
 *                                 work alone (read, encode, hash).
 *   bench_collector ingest DIR [PG_CONNINFO]
 *                                 16 devices post batches of 100 at once
 *                                 (goal >= 5,000 responses/s on SQLite);
 *                                 baseline: the same batches stored by one
 *                                 thread straight through pv_cdb_ingest.
 *   bench_collector export DIR [PG_CONNINFO]
 *                                 100,000 responses to CSV (goal < 3 s, peak
 *                                 RSS < 64 MiB, measured in a child process);
 *                                 baseline: walking and decoding the rows.
 *
 * The responses answer the sample survey qualite-habiter (every question,
 * values of each type). DIR holds the collector database (on the disk
 * under test); the device store goes to /dev/shm when it exists, because
 * filling it is setup, not what is measured. */
#include <curl/curl.h>
#include <libpq-fe.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "collector/export.h"
#include "collector/import.h"
#include "collector/server.h"
#include "collector/storage.h"
#include "collector/token.h"
#include "core/clock.h"
#include "core/pin.h"
#include "core/restitution.h"
#include "core/sha256.h"
#include "core/store.h"
#include "core/survey.h"
#include "core/uuid.h"
#include "sync/engine.h"
#include "sync/protocol.h"
#include "sync/usb.h"

#define TERRITORY "34172"
#define SYNC_RESPONSES 10000
#define SYNC_ATTACHMENTS 1000
#define ATTACHMENT_SIZE (100 * 1000)
#define INGEST_DEVICES 16
#define INGEST_BATCHES 20 /* per device, of PV_PROTO_MAX_BATCH */
#define EXPORT_RESPONSES 100000

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, pv_err err) {
  fprintf(stderr, "bench_collector: %s: %s (%s)\n", what, pv_strerror(err),
          pv_err_detail());
  exit(1);
}

#define TRY(what, call)                                                                \
  do {                                                                                 \
    pv_err e_ = (call);                                                                \
    if (e_ != PV_OK)                                                                   \
      die(what, e_);                                                                   \
  } while (0)

/* ---- the survey and plausible answers to it ---- */

static pv_survey *survey;
static char *survey_json;
static size_t survey_json_len;

static void load_survey(void) {
  const char *dir = PV_CONTENT_DIR "/surveys/qualite-habiter";
  pv_diags d = {0};
  if (pv_survey_load(dir, NULL, &survey, &d) != PV_OK) {
    pv_diags_print(&d, stderr);
    exit(1);
  }
  pv_diags_free(&d);
  char path[512];
  snprintf(path, sizeof path, "%s/survey.json", dir);
  FILE *f = fopen(path, "rb");
  if (!f)
    die(path, PV_ERR_IO);
  survey_json = malloc(1 << 20);
  survey_json_len = fread(survey_json, 1, 1 << 20, f);
  fclose(f);
}

/* Writes an answer value for q (varied by k) into buf; 0 to skip q. */
static int answer_value(const pv_question *q, size_t k, char *buf, size_t cap) {
  const pv_option *o = q->options;
  size_t n = q->n_options;
  switch (q->type) {
  case PV_Q_SMILEYS:
    return snprintf(buf, cap, "%zu", 1 + k % (size_t)q->points) > 0;
  case PV_Q_SCALE:
    return snprintf(buf, cap, "%zu", k % 11) > 0;
  case PV_Q_YES_NO:
    return snprintf(buf, cap, "\"%s\"", k % 3 ? "yes" : "no") > 0;
  case PV_Q_CHOICE:
    if (!q->multiple)
      return snprintf(buf, cap, "\"%s\"", o[k % n].id) > 0;
    return snprintf(buf, cap, "[\"%s\",\"%s\"]", o[k % n].id, o[(k + 1) % n].id) > 0 &&
           !o[k % n].exclusive && !o[(k + 1) % n].exclusive;
  case PV_Q_PHOTO_CHOICE:
    return snprintf(buf, cap, "[\"%s\"]", o[k % n].id) > 0;
  case PV_Q_RANKING: {
    size_t len = (size_t)snprintf(buf, cap, "[");
    for (size_t i = 0; i < n && len < cap; i++)
      len += (size_t)snprintf(buf + len, cap - len, "%s\"%s\"", i ? "," : "",
                              o[(i + k) % n].id);
    return len + 2 < cap && snprintf(buf + len, cap - len, "]") > 0;
  }
  case PV_Q_MAP:
    return snprintf(buf, cap, "[{\"kind\":\"%s\",\"x\":0.%03zu,\"y\":0.5}]",
                    o[k % n].id, k % 1000) > 0;
  case PV_Q_TEXT:
    return snprintf(buf, cap, "\"%s\"",
                    k % 2 ? "Le hall est sombre le soir ; il faudrait de la lumière"
                          : "المصعد معطّل منذ شهر") > 0;
  default:
    return 0; /* drawing and voice come as attachments */
  }
}

/* Fills *r (answers malloc'd: pv_store_response_free) for response k. */
static void make_response(size_t k, int64_t t0_ms, pv_store_response *r) {
  memset(r, 0, sizeof *r);
  if (pv_uuid_v4(r->uuid) != PV_OK || pv_uuid_v4(r->device_id) != PV_OK)
    die("uuid", PV_ERR_IO);
  snprintf(r->survey_id, sizeof r->survey_id, "%s", survey->id);
  r->survey_version = survey->version;
  snprintf(r->language, sizeof r->language, "%s", k % 3 ? "fr" : "ar");
  pv_time_iso(t0_ms + (int64_t)k * 1000, r->started_at);
  pv_time_iso(t0_ms + (int64_t)k * 1000 + 90000, r->ended_at);
  r->status = k % 10 ? PV_STORE_COMPLETE : PV_STORE_ABANDONED;
  r->answers = calloc(survey->n_questions, sizeof *r->answers);
  for (size_t i = 0; i < survey->n_questions; i++) {
    char buf[1024];
    const pv_question *q = &survey->questions[i];
    if (!answer_value(q, k, buf, sizeof buf))
      continue;
    pv_store_answer *a = &r->answers[r->answer_count++];
    snprintf(a->question_id, sizeof a->question_id, "%s", q->id);
    a->value = strdup(buf);
    a->measure = pv_qtype_measure(q->type);
    pv_time_iso(t0_ms + (int64_t)k * 1000 + 5000 * (int64_t)(i + 1), a->answered_at);
  }
}

/* ---- collector set-up ---- */

static void publish(pv_cdb *db) {
  pv_proto_file f = {.path = "survey.json", .size = survey_json_len};
  TRY("hash", pv_sha256_hex(survey_json, survey_json_len, f.sha256));
  TRY("blob",
      pv_cdb_blob_put(db, f.sha256, "application/json", survey_json, survey_json_len));
  pv_proto_survey s = {.version = survey->version, .files = &f, .n_files = 1};
  snprintf(s.id, sizeof s.id, "%s", survey->id);
  pv_cdb_publish what;
  TRY("publish",
      pv_cdb_survey_publish(db, NULL, &s, "2026-11-01T00:00:00.000Z", &what));
}

/* Opens a fresh collector database with the territory and the survey. */
static pv_cdb *collector_db(const char *dir, const char *pg, const char *name) {
  char path[1024];
  pv_cdb *db = NULL;
  snprintf(path, sizeof path, "%s/%s.db", dir, name);
  if (!pg) {
    unlink(path);
    char side[1100];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
  }
  TRY("open", pv_cdb_open(pg ? NULL : path, pg, &db));
  pv_err e = pv_cdb_territory_add(db, TERRITORY, "Bench", "2026-11-01T00:00:00.000Z");
  if (e != PV_OK && e != PV_ERR_EXISTS)
    die("territory", e);
  publish(db);
  return db;
}

/* Makes an empty PostgreSQL database `name` on the server of conninfo
 * base and writes a conninfo for it to out (libpq: the last dbname wins). */
static void fresh_pg(const char *base, const char *name, char *out, size_t cap) {
  PGconn *c = PQconnectdb(base);
  char sql[256];
  if (PQstatus(c) != CONNECTION_OK) {
    fprintf(stderr, "bench_collector: postgresql: %s", PQerrorMessage(c));
    exit(1);
  }
  snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
  PQclear(PQexec(c, sql));
  snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
  PGresult *r = PQexec(c, sql);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) {
    fprintf(stderr, "bench_collector: postgresql: %s", PQerrorMessage(c));
    exit(1);
  }
  PQclear(r);
  PQfinish(c);
  snprintf(out, cap, "%s dbname=%s", base, name);
}

static void device_token(pv_cdb *db, const char *name,
                         char token[PV_PROTO_TOKEN_LEN + 1], long long *id) {
  char hash[PV_SHA256_HEX + 1];
  TRY("token", pv_token_new(PV_CDB_DEVICE, token));
  TRY("hash", pv_token_hash(token, hash));
  TRY("device", pv_cdb_token_add(db, PV_CDB_DEVICE, TERRITORY, name, hash,
                                 "2026-11-01T00:00:00.000Z", id));
}

/* ---- sync: one device, 10,000 responses, 1,000 attachments ---- */

/* Fills a device store with SYNC_RESPONSES responses, the first
 * SYNC_ATTACHMENTS with a drawing of ATTACHMENT_SIZE random bytes. */
static void fill_device(pv_store *st, const char *mode) {
  printf("%s: filling the device store (%d responses, %d attachments of %d bytes)...\n",
         mode, SYNC_RESPONSES, SYNC_ATTACHMENTS, ATTACHMENT_SIZE);
  fflush(stdout);
  unsigned char *blob = malloc(ATTACHMENT_SIZE);
  uint32_t x = 2463534242u;
  for (size_t k = 0; k < SYNC_RESPONSES; k++) {
    char uuid[PV_UUID_LEN + 1];
    TRY("begin", pv_store_begin(st, survey->id, survey->version, NULL,
                                k % 3 ? "fr" : "ar", uuid));
    pv_store_response r;
    make_response(k, 0, &r);
    for (size_t i = 0; i < r.answer_count; i++)
      TRY("put", pv_store_put_answer(st, uuid, r.answers[i].question_id,
                                     r.answers[i].value, r.answers[i].measure));
    pv_store_response_free(&r);
    if (k < SYNC_ATTACHMENTS) {
      for (size_t i = 0; i < ATTACHMENT_SIZE; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        blob[i] = (unsigned char)x;
      }
      char sha[PV_SHA256_HEX + 1];
      TRY("attachment", pv_store_put_attachment(st, uuid, "dessin", "image/png", blob,
                                                ATTACHMENT_SIZE, sha));
    }
    TRY("finish", pv_store_finish(st, uuid));
  }
  free(blob);
}

/* Opens a fresh device store in /dev/shm when it exists (filling it is
 * setup, not what is measured), else in dir; its path goes to path. */
static pv_store *device_store(const char *dir, const char *name, char *path,
                              size_t cap) {
  struct stat sb;
  const char *dev_dir = stat("/dev/shm", &sb) == 0 ? "/dev/shm" : dir;
  snprintf(path, cap, "%s/pv-bench-%s-%d.db", dev_dir, name, (int)getpid());
  pv_clock clock = pv_clock_system();
  pv_store *st = NULL;
  TRY("device store", pv_store_open(path, &clock, &st));
  return st;
}

static void remove_store(const char *path) {
  char side[1100];
  unlink(path);
  snprintf(side, sizeof side, "%s-wal", path);
  unlink(side);
  snprintf(side, sizeof side, "%s-shm", path);
  unlink(side);
}

static int bench_sync(const char *dir) {
  char dev_path[1024];
  pv_store *st = device_store(dir, "device", dev_path, sizeof dev_path);
  fill_device(st, "sync");

  /* Baseline: the device-side work alone (read a batch, encode it, read
   * and hash its attachments), timed on the oldest batch (it carries 100
   * attachments) and scaled per response and per attachment. */
  double t0 = now_s();
  pv_store_batch b;
  TRY("pending", pv_store_pending(st, PV_PROTO_MAX_BATCH, &b));
  char *body = pv_proto_batch_encode(b.responses, b.count);
  free(body);
  double enc_s = now_s() - t0;
  size_t seen = b.count, n_att = 0;
  t0 = now_s();
  for (size_t i = 0; i < b.count; i++)
    for (size_t a = 0; a < b.responses[i].answer_count; a++)
      if (b.responses[i].answers[a].attachment[0]) {
        pv_store_blob bl;
        char sha[PV_SHA256_HEX + 1];
        TRY("get",
            pv_store_get_attachment(st, b.responses[i].answers[a].attachment, &bl));
        TRY("sha", pv_sha256_hex(bl.bytes, bl.size, sha));
        pv_store_blob_free(&bl);
        n_att++;
      }
  double att_s = now_s() - t0;
  pv_store_batch_free(&b);
  double baseline = enc_s * (double)SYNC_RESPONSES / (double)seen +
                    (n_att ? att_s * (double)SYNC_ATTACHMENTS / (double)n_att : 0);

  pv_cdb *db = collector_db(dir, NULL, "bench-sync");
  char token[PV_PROTO_TOKEN_LEN + 1];
  long long id;
  device_token(db, "bench-device", token, &id);
  pv_cdb_close(db);
  char dbpath[1024];
  snprintf(dbpath, sizeof dbpath, "%s/bench-sync.db", dir);
  pv_server_config sc = {.db_path = dbpath, .rate_per_s = 1e6, .burst = 1000000};
  pv_server *srv = NULL;
  TRY("server", pv_server_start(&sc, &srv));
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", pv_server_port(srv));
  pv_sync_config c = {.url = url, .token = token};

  t0 = now_s();
  pv_sync_report rep;
  size_t acked = 0, attachments = 0;
  int passes = 0;
  do {
    pv_sync_once(&c, st, &rep);
    acked += rep.acked;
    attachments += rep.attachments;
    passes++;
  } while (rep.err == PV_OK && rep.pending_after > 0 && passes < 50);
  double took = now_s() - t0;
  pv_server_stop(srv);

  db = NULL;
  size_t stored = 0;
  TRY("reopen", pv_cdb_open(dbpath, NULL, &db));
  TRY("count", pv_cdb_count(db, TERRITORY, NULL, &stored));
  pv_cdb_close(db);
  printf("sync: %zu responses and %zu attachments (%.1f MB) in %.2f s over loopback, "
         "%d pass(es); server holds %zu (goal < 10 s: %s)\n",
         acked, attachments, (double)ATTACHMENT_SIZE * (double)attachments / 1e6, took,
         passes, stored, took < 10 ? "met" : "MISSED");
  printf("sync: baseline, device-side read+encode+hash alone: %.2f s (%.1fx)\n",
         baseline, took / baseline);
  pv_store_close(st);
  remove_store(dev_path);
  return rep.err == PV_OK && stored == SYNC_RESPONSES ? 0 : 1;
}

/* ---- ingest: 16 devices at once ---- */

typedef struct device {
  char token[PV_PROTO_TOKEN_LEN + 1];
  char *bodies[INGEST_BATCHES];
  const char *url;
  pthread_barrier_t *start;
  int failures;
} device;

static size_t discard(char *p, size_t s, size_t n, void *ud) {
  (void)p, (void)ud;
  return s * n;
}

static void *device_run(void *arg) {
  device *d = arg;
  CURL *h = curl_easy_init();
  char auth[128], url[256];
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", d->token);
  snprintf(url, sizeof url, "%s/v1/responses", d->url);
  struct curl_slist *hdr = curl_slist_append(NULL, auth);
  hdr = curl_slist_append(hdr, "Content-Type: application/json");
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
  pthread_barrier_wait(d->start);
  for (int i = 0; i < INGEST_BATCHES; i++) {
    long status = 0;
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, d->bodies[i]);
    if (curl_easy_perform(h) != CURLE_OK ||
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
        status != 200)
      d->failures++;
  }
  curl_slist_free_all(hdr);
  curl_easy_cleanup(h);
  return NULL;
}

static void ingest_row(const char *dir, const char *pg) {
  const char *backend = pg ? "postgresql" : "sqlite";
  char pg_own[1024];
  if (pg) {
    fresh_pg(pg, "pv_bench_ingest", pg_own, sizeof pg_own);
    pg = pg_own;
  }
  pv_cdb *db = collector_db(dir, pg, "bench-ingest");
  static device devs[INGEST_DEVICES];
  size_t total = (size_t)INGEST_DEVICES * INGEST_BATCHES * PV_PROTO_MAX_BATCH;
  const int64_t t0_ms = 1793000000000LL; /* fixed times: reproducible */
  size_t k = 0;
  for (int d = 0; d < INGEST_DEVICES; d++) {
    char name[32];
    long long id;
    snprintf(name, sizeof name, "device-%d", d);
    device_token(db, name, devs[d].token, &id);
    for (int b = 0; b < INGEST_BATCHES; b++) {
      pv_store_response rs[PV_PROTO_MAX_BATCH];
      for (int i = 0; i < PV_PROTO_MAX_BATCH; i++)
        make_response(k++, t0_ms, &rs[i]);
      devs[d].bodies[b] = pv_proto_batch_encode(rs, PV_PROTO_MAX_BATCH);
      for (int i = 0; i < PV_PROTO_MAX_BATCH; i++)
        pv_store_response_free(&rs[i]);
    }
  }

  /* Baseline: one thread, straight into storage, on a second database. */
  pv_cdb *base = pg ? db : collector_db(dir, NULL, "bench-ingest-base");
  long long base_dev;
  char base_tok[PV_PROTO_TOKEN_LEN + 1];
  device_token(base, "baseline", base_tok, &base_dev);
  double t0 = now_s();
  for (int d = 0; d < INGEST_DEVICES; d++)
    for (int b = 0; b < INGEST_BATCHES; b++) {
      pv_proto_batch batch;
      char why[200];
      /* Distinct uuids from the HTTP run: rewrite the first hex digit. */
      char *body = strdup(devs[d].bodies[b]);
      for (char *p = body; (p = strstr(p, "\"uuid\":\"")); p += 8)
        p[8] = p[8] == 'f' ? '0' : 'f';
      TRY("decode", pv_proto_batch_decode(body, strlen(body), &batch, why, sizeof why));
      pv_cdb_ingest_item items[PV_PROTO_MAX_BATCH];
      char *canon[PV_PROTO_MAX_BATCH];
      for (size_t i = 0; i < batch.count; i++) {
        canon[i] = pv_proto_response_encode(&batch.items[i].r);
        items[i] = (pv_cdb_ingest_item){.r = &batch.items[i].r, .canonical = canon[i]};
        TRY("hash", pv_sha256_hex(canon[i], strlen(canon[i]), items[i].hash));
      }
      char now[PV_STORE_TIME_LEN + 1];
      pv_time_iso(0, now);
      TRY("ingest", pv_cdb_ingest(base, TERRITORY, base_dev, items, batch.count, now));
      for (size_t i = 0; i < batch.count; i++)
        free(canon[i]);
      pv_proto_batch_free(&batch);
      free(body);
    }
  double base_s = now_s() - t0;
  if (base != db)
    pv_cdb_close(base);
  pv_cdb_close(db);

  char dbpath[1024];
  snprintf(dbpath, sizeof dbpath, "%s/bench-ingest.db", dir);
  pv_server_config sc = {.db_path = pg ? NULL : dbpath,
                         .pg_conninfo = pg,
                         .threads = INGEST_DEVICES,
                         .rate_per_s = 1e6,
                         .burst = 1000000};
  pv_server *srv = NULL;
  TRY("server", pv_server_start(&sc, &srv));
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", pv_server_port(srv));
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, INGEST_DEVICES + 1);
  pthread_t th[INGEST_DEVICES];
  for (int d = 0; d < INGEST_DEVICES; d++) {
    devs[d].url = url;
    devs[d].start = &start;
    devs[d].failures = 0;
    pthread_create(&th[d], NULL, device_run, &devs[d]);
  }
  pthread_barrier_wait(&start);
  t0 = now_s();
  int failures = 0;
  for (int d = 0; d < INGEST_DEVICES; d++) {
    pthread_join(th[d], NULL);
    failures += devs[d].failures;
  }
  double took = now_s() - t0;
  pthread_barrier_destroy(&start);
  pv_server_stop(srv);
  for (int d = 0; d < INGEST_DEVICES; d++)
    for (int b = 0; b < INGEST_BATCHES; b++)
      free(devs[d].bodies[b]);

  printf("ingest %-10s: %zu responses from %d devices in %.2f s = %.0f responses/s "
         "(%d failed requests)%s\n",
         backend, total, INGEST_DEVICES, took, (double)total / took, failures,
         pg ? ""
            : ((double)total / took >= 5000 ? " (goal >= 5,000/s: met)"
                                            : " (goal >= 5,000/s: MISSED)"));
  printf("ingest %-10s: baseline, one thread straight into storage: %.0f responses/s\n",
         backend, (double)total / base_s);
}

/* ---- export: 100,000 responses to CSV ---- */

static pv_err count_fn(void *ud, const pv_store_response *r) {
  (void)r;
  ++*(size_t *)ud;
  return PV_OK;
}

/* Runs what in a child; returns its wall time and peak RSS (KiB). */
static int in_child(int (*what)(void *), void *arg, double *secs, long *rss_kib) {
  double t0 = now_s();
  pid_t pid = fork();
  if (pid == 0)
    _exit(what(arg));
  int status = 0;
  struct rusage ru;
  if (pid < 0 || wait4(pid, &status, 0, &ru) != pid)
    return -1;
  *secs = now_s() - t0;
  *rss_kib = ru.ru_maxrss;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

typedef struct export_job {
  const char *dbpath, *pg, *out;
} export_job;

static int job_walk(void *arg) {
  export_job *j = arg;
  pv_cdb *db = NULL;
  size_t n = 0;
  pv_cdb_filter f = {.survey_id = "qualite-habiter"};
  if (pv_cdb_open(j->pg ? NULL : j->dbpath, j->pg, &db) != PV_OK ||
      pv_cdb_export(db, TERRITORY, &f, count_fn, &n) != PV_OK)
    return 1;
  pv_cdb_close(db);
  return n == EXPORT_RESPONSES ? 0 : 2;
}

static int job_csv(void *arg) {
  export_job *j = arg;
  pv_cdb *db = NULL;
  pv_cdb_filter f = {.survey_id = "qualite-habiter"};
  if (pv_cdb_open(j->pg ? NULL : j->dbpath, j->pg, &db) != PV_OK)
    return 1;
  pv_err e = pv_export_to_dir(db, TERRITORY, &f, "csv", j->out);
  if (e != PV_OK)
    fprintf(stderr, "export: %s (%s)\n", pv_strerror(e), pv_err_detail());
  pv_cdb_close(db);
  return e == PV_OK ? 0 : 1;
}

static void export_row(const char *dir, const char *pg) {
  const char *backend = pg ? "postgresql" : "sqlite";
  char pg_own[1024];
  if (pg) {
    fresh_pg(pg, "pv_bench_export", pg_own, sizeof pg_own);
    pg = pg_own;
  }
  pv_cdb *db = collector_db(dir, pg, "bench-export");
  char tok[PV_PROTO_TOKEN_LEN + 1];
  long long dev;
  device_token(db, "export-device", tok, &dev);
  printf("export %-10s: storing %d responses...\n", backend, EXPORT_RESPONSES);
  fflush(stdout);
  for (size_t k = 0; k < EXPORT_RESPONSES; k += PV_PROTO_MAX_BATCH) {
    pv_store_response rs[PV_PROTO_MAX_BATCH];
    pv_cdb_ingest_item items[PV_PROTO_MAX_BATCH];
    char *canon[PV_PROTO_MAX_BATCH];
    for (size_t i = 0; i < PV_PROTO_MAX_BATCH; i++) {
      make_response(k + i, 1793000000000LL, &rs[i]);
      canon[i] = pv_proto_response_encode(&rs[i]);
      items[i] = (pv_cdb_ingest_item){.r = &rs[i], .canonical = canon[i]};
      TRY("hash", pv_sha256_hex(canon[i], strlen(canon[i]), items[i].hash));
    }
    TRY("ingest", pv_cdb_ingest(db, TERRITORY, dev, items, PV_PROTO_MAX_BATCH,
                                "2026-11-23T00:00:00.000Z"));
    for (size_t i = 0; i < PV_PROTO_MAX_BATCH; i++) {
      free(canon[i]);
      pv_store_response_free(&rs[i]);
    }
  }
  pv_cdb_close(db);

  char dbpath[1024], out[1024];
  snprintf(dbpath, sizeof dbpath, "%s/bench-export.db", dir);
  snprintf(out, sizeof out, "%s/bench-export-%s", dir, backend);
  export_job j = {dbpath, pg, out};
  double walk_s = 0, csv_s = 0;
  long walk_rss = 0, csv_rss = 0;
  int rc1 = in_child(job_walk, &j, &walk_s, &walk_rss);
  int rc2 = in_child(job_csv, &j, &csv_s, &csv_rss);
  char csv[1100];
  snprintf(csv, sizeof csv, "%s/qualite-habiter.csv", out);
  struct stat sb;
  long long size = stat(csv, &sb) == 0 ? (long long)sb.st_size : -1;
  printf(
      "export %-10s: %d responses to CSV (%.1f MB) in %.2f s, peak RSS %.1f MiB%s%s\n",
      backend, EXPORT_RESPONSES, (double)size / 1e6, csv_s, (double)csv_rss / 1024.0,
      rc2 ? " (FAILED)" : "",
      csv_s < 3 && csv_rss < 64 * 1024 ? " (goals < 3 s, < 64 MiB: met)"
                                       : " (goals < 3 s, < 64 MiB: MISSED)");
  printf("export %-10s: baseline, walking and decoding the rows: %.2f s, peak RSS %.1f "
         "MiB%s\n",
         backend, walk_s, (double)walk_rss / 1024.0, rc1 ? " (FAILED)" : "");
}

/* ---- animateur: USB export, verify, import; restitution (issue 6) ---- */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Writes total bytes in files of ATTACHMENT_SIZE under dir, each fsynced:
 * the floor an export of that size sets on this disk. */
static double raw_copy(const char *dir, uint64_t total) {
  char path[1200];
  unsigned char *buf = calloc(1, ATTACHMENT_SIZE);
  double t0 = now_s();
  for (uint64_t done = 0, i = 0; done < total; i++) {
    size_t n =
        total - done < ATTACHMENT_SIZE ? (size_t)(total - done) : ATTACHMENT_SIZE;
    snprintf(path, sizeof path, "%s/raw-%llu", dir, (unsigned long long)i);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, n, f) != n || fflush(f) != 0 || fsync(fileno(f)) != 0)
      die(path, PV_ERR_IO);
    fclose(f);
    done += n;
  }
  double took = now_s() - t0;
  free(buf);
  return took;
}

static int bench_animateur(const char *dir) {
  char dev_path[1024];
  pv_store *st = device_store(dir, "anim", dev_path, sizeof dev_path);
  fill_device(st, "usb");

  /* Export to a folder on the disk under test (a stick is slower: the row
   * compares with raw writes of as many bytes on the same disk). */
  char out[1100], raw[1100];
  snprintf(out, sizeof out, "%s/usb", dir);
  snprintf(raw, sizeof raw, "%s/raw", dir);
  mkdir(out, 0700);
  mkdir(raw, 0700);
  pv_usb_report rep;
  double t0 = now_s();
  TRY("export", pv_usb_export(st, out, &rep));
  double export_s = now_s() - t0;
  double raw_s = raw_copy(raw, rep.bytes);
  printf("usb: export of %zu responses, %zu sessions, %zu attachments (%.1f MB) in "
         "%.2f s; baseline, as many bytes written and fsynced in %d-byte files: %.2f s "
         "(%.1fx)\n",
         rep.responses, rep.sessions, rep.attachments, (double)rep.bytes / 1e6,
         export_s, ATTACHMENT_SIZE, raw_s, export_s / raw_s);

  pv_usb_manifest m;
  t0 = now_s();
  TRY("verify", pv_usb_verify(rep.folder, &m));
  double verify_s = now_s() - t0;
  pv_usb_manifest_free(&m);
  pv_cdb *db = collector_db(dir, NULL, "bench-import");
  char now[PV_STORE_TIME_LEN + 1];
  pv_time_iso(0, now);
  pv_import_report ir;
  t0 = now_s();
  TRY("import", pv_import_dir(db, TERRITORY, rep.folder, now, NULL, &ir));
  double import_s = now_s() - t0;
  t0 = now_s();
  TRY("import again", pv_import_dir(db, TERRITORY, rep.folder, now, NULL, &ir));
  double again_s = now_s() - t0;
  size_t stored = 0;
  TRY("count", pv_cdb_count(db, TERRITORY, NULL, &stored));
  pv_cdb_close(db);
  printf("usb: import into SQLite %.2f s (of which verifying the folder %.2f s), %zu "
         "stored; a second import %.2f s, %zu duplicates\n",
         import_s, verify_s, stored, again_s, ir.responses[PV_OUT_DUPLICATE]);

  /* Restitution of all the responses, against walking them alone. */
  double restit_s[5], walk_s[5];
  for (int run = 0; run < 5; run++) {
    pv_restit *r = NULL;
    t0 = now_s();
    TRY("restitution", pv_restit_from_store(st, survey, NULL, 3, &r));
    restit_s[run] = now_s() - t0;
    pv_restit_free(r);
    t0 = now_s();
    char after_t[PV_STORE_TIME_LEN + 1] = "", after_u[PV_UUID_LEN + 1] = "";
    for (;;) {
      pv_store_batch b;
      TRY("walk", pv_store_finished_after(st, NULL, PV_STORE_MAX_BATCH,
                                          after_t[0] ? after_t : NULL,
                                          after_t[0] ? after_u : NULL, &b));
      size_t n = b.count;
      if (n) {
        snprintf(after_t, sizeof after_t, "%s", b.responses[n - 1].started_at);
        snprintf(after_u, sizeof after_u, "%s", b.responses[n - 1].uuid);
      }
      pv_store_batch_free(&b);
      if (!n)
        break;
    }
    walk_s[run] = now_s() - t0;
  }
  qsort(restit_s, 5, sizeof *restit_s, cmp_double);
  qsort(walk_s, 5, sizeof *walk_s, cmp_double);
  printf(
      "restitution: %d responses (%zu questions) in %.0f ms (median of 5); baseline, "
      "the store walk alone: %.0f ms (%.2fx)\n",
      SYNC_RESPONSES, survey->n_questions, restit_s[2] * 1e3, walk_s[2] * 1e3,
      restit_s[2] / walk_s[2]);

  /* The animateur PIN: a deliberately slow check (PBKDF2-SHA-256). */
  double pin_s[5];
  TRY("pin", pv_pin_set(st, "2468"));
  pv_clock clock = pv_clock_system();
  for (int run = 0; run < 5; run++) {
    pv_pin_result pr;
    t0 = now_s();
    TRY("pin check", pv_pin_check(st, &clock, "2468", &pr));
    pin_s[run] = now_s() - t0;
  }
  qsort(pin_s, 5, sizeof *pin_s, cmp_double);
  printf("pin: one check %.0f ms (median of 5; %d PBKDF2-SHA-256 iterations)\n",
         pin_s[2] * 1e3, PV_PIN_ITERATIONS);
  pv_store_close(st);
  remove_store(dev_path);
  return stored == SYNC_RESPONSES ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr,
            "usage: bench_collector sync|ingest|export|animateur DIR [PG_CONNINFO]\n");
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  load_survey();
  const char *pg = argc > 3 && argv[3][0] ? argv[3] : NULL;
  int rc = 0;
  if (strcmp(argv[1], "sync") == 0)
    rc = bench_sync(argv[2]);
  else if (strcmp(argv[1], "ingest") == 0) {
    ingest_row(argv[2], NULL);
    if (pg)
      ingest_row(argv[2], pg);
  } else if (strcmp(argv[1], "export") == 0) {
    export_row(argv[2], NULL);
    if (pg)
      export_row(argv[2], pg);
  } else if (strcmp(argv[1], "animateur") == 0) {
    rc = bench_animateur(argv[2]);
  } else {
    fprintf(stderr, "bench_collector: unknown mode %s\n", argv[1]);
    rc = 2;
  }
  pv_survey_free(survey);
  free(survey_json);
  curl_global_cleanup();
  return rc;
}
