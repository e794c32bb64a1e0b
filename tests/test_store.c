/* test_store: the local store, for real on temporary SQLite files, with a
 * virtual clock: round trips, state rules, JSON checks, the sync outbox,
 * retention, attachments, migrations, and files that must be refused
 * without a byte changed. */
#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/store.h"
#include "tests/check.h"

#define MINUTE_MS INT64_C(60000)
#define DAY_MS INT64_C(86400000)
#define T0 INT64_C(1709287200000) /* 2024-03-01T10:00:00.000Z */

static int64_t now_ms = T0;
static char dir[256];

static void path_in_dir(char *out, size_t cap, const char *name) {
  snprintf(out, cap, "%s/%s", dir, name);
}

static pv_store *open_ok(const char *path) {
  pv_clock clock = pv_clock_virtual(&now_ms);
  pv_store *st = NULL;
  pv_err err = pv_store_open(path, &clock, &st);
  if (err)
    fprintf(stderr, "open %s: %s: %s\n", path, pv_strerror(err), pv_err_detail());
  CHECK_INT(err, PV_OK);
  CHECK(st != NULL);
  return st;
}

static void iso(int64_t ms, char out[25]) {
  pv_time_iso(ms, out);
}

static int exists(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0;
}

/* Runs SQL on path with a plain SQLite connection (no checks of ours). */
static void raw_exec(const char *path, const char *sql, int checkpoint_on_close) {
  sqlite3 *db = NULL;
  CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
  if (!checkpoint_on_close)
    sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
  char *msg = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
  if (rc != SQLITE_OK)
    fprintf(stderr, "raw_exec %s: %s\n", sql, msg ? msg : "?");
  CHECK_INT(rc, SQLITE_OK);
  sqlite3_free(msg);
  sqlite3_close(db);
}

/* Returns the integer a query gives on path (read-only connection). */
static long long raw_int(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  sqlite3_stmt *s = NULL;
  long long v = -1;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW)
    v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return v;
}

/* Begins a response of the sample survey; returns its uuid in out. */
static void begin(pv_store *st, char out[PV_UUID_LEN + 1]) {
  out[0] = '\0';
  CHECK_INT(pv_store_begin(st, "qualite-habiter", 3, NULL, "fr", out), PV_OK);
}

static void fresh_path(char *out, size_t cap, const char *name) {
  path_in_dir(out, cap, name);
  now_ms = T0;
}

/* ---------------------------------------------------------------------- */

static void test_round_trip(void) {
  char path[512], sess[PV_UUID_LEN + 1], r[PV_UUID_LEN + 1], t[25];
  fresh_path(path, sizeof path, "round.db");
  pv_store *st = open_ok(path);
  CHECK(pv_uuid_valid(pv_store_device_id(st)));
  char device[PV_UUID_LEN + 1];
  snprintf(device, sizeof device, "%s", pv_store_device_id(st));

  pv_store_session info = {.kind = "table_de_quartier",
                           .place = "Centre social Les Tilleuls",
                           .qpv_code = "QN07505M",
                           .qpv_name = "Les Tilleuls",
                           .animateur = "MB"};
  CHECK_INT(pv_store_session_begin(st, &info, sess), PV_OK);
  CHECK_INT(pv_store_begin(st, "qualite-habiter", 3, sess, "ar", r), PV_OK);
  CHECK(pv_uuid_valid(r));
  now_ms += MINUTE_MS;
  CHECK_INT(pv_store_put_answer(st, r, "ressenti", "4", PV_QUANTITATIVE), PV_OK);
  now_ms += MINUTE_MS;
  CHECK_INT(
      pv_store_put_answer(st, r, "lieux", "[\"parc\",\"marche\"]", PV_QUANTITATIVE),
      PV_OK);
  now_ms += MINUTE_MS;
  CHECK_INT(
      pv_store_put_answer(st, r, "envie", "\"un jardin partagé\"", PV_QUALITATIVE),
      PV_OK);
  now_ms += MINUTE_MS;
  CHECK_INT(pv_store_finish(st, r), PV_OK);

  for (int pass = 0; pass < 2; pass++) {
    pv_store_response resp;
    CHECK_INT(pv_store_get_response(st, r, &resp), PV_OK);
    CHECK_STR(resp.uuid, r);
    CHECK_STR(resp.survey_id, "qualite-habiter");
    CHECK_INT(resp.survey_version, 3);
    CHECK_STR(resp.session_uuid, sess);
    CHECK_STR(resp.device_id, device);
    CHECK_STR(resp.language, "ar");
    iso(T0, t);
    CHECK_STR(resp.started_at, t);
    iso(T0 + 4 * MINUTE_MS, t);
    CHECK_STR(resp.ended_at, t);
    CHECK_INT(resp.status, PV_STORE_COMPLETE);
    CHECK_STR(resp.synced_at, "");
    CHECK_INT(resp.answer_count, 3);
    if (resp.answer_count == 3) {
      CHECK_STR(resp.answers[0].question_id, "ressenti");
      CHECK_STR(resp.answers[0].value, "4");
      CHECK_INT(resp.answers[0].measure, PV_QUANTITATIVE);
      iso(T0 + MINUTE_MS, t);
      CHECK_STR(resp.answers[0].answered_at, t);
      CHECK_STR(resp.answers[1].question_id, "lieux");
      CHECK_STR(resp.answers[1].value, "[\"parc\",\"marche\"]");
      CHECK_STR(resp.answers[2].question_id, "envie");
      CHECK_STR(resp.answers[2].value, "\"un jardin partagé\"");
      CHECK_INT(resp.answers[2].measure, PV_QUALITATIVE);
      CHECK_STR(resp.answers[2].attachment, "");
    }
    pv_store_response_free(&resp);

    pv_store_session got;
    CHECK_INT(pv_store_session_get(st, sess, &got), PV_OK);
    CHECK_STR(got.kind, "table_de_quartier");
    CHECK_STR(got.place, "Centre social Les Tilleuls");
    CHECK_STR(got.qpv_code, "QN07505M");
    CHECK_STR(got.qpv_name, "Les Tilleuls");
    CHECK_STR(got.animateur, "MB");
    iso(T0, t);
    CHECK_STR(got.started_at, t);
    CHECK_STR(got.ended_at, "");

    /* Second pass: the same after closing and opening again. */
    pv_store_close(st);
    st = open_ok(path);
    CHECK_STR(pv_store_device_id(st), device);
  }
  pv_store_close(st);
  CHECK_INT(raw_int(path, "PRAGMA application_id"), PV_STORE_APPLICATION_ID);
  CHECK_INT(raw_int(path, "PRAGMA user_version"), PV_STORE_SCHEMA_VERSION);
}

static void test_replace_answer(void) {
  char path[512], r[PV_UUID_LEN + 1], t[25];
  fresh_path(path, sizeof path, "replace.db");
  pv_store *st = open_ok(path);
  begin(st, r);
  CHECK_INT(pv_store_put_answer(st, r, "ressenti", "2", PV_QUANTITATIVE), PV_OK);
  CHECK_INT(pv_store_put_answer(st, r, "lieux", "[\"parc\"]", PV_QUANTITATIVE), PV_OK);
  now_ms += 5 * MINUTE_MS; /* going back to the first screen */
  CHECK_INT(pv_store_put_answer(st, r, "ressenti", "5", PV_QUANTITATIVE), PV_OK);
  pv_store_response resp;
  CHECK_INT(pv_store_get_response(st, r, &resp), PV_OK);
  CHECK_INT(resp.answer_count, 2);
  if (resp.answer_count == 2) {
    /* In answering order: the edited answer is now the latest. */
    CHECK_STR(resp.answers[0].question_id, "lieux");
    CHECK_STR(resp.answers[1].question_id, "ressenti");
    CHECK_STR(resp.answers[1].value, "5");
    iso(T0 + 5 * MINUTE_MS, t);
    CHECK_STR(resp.answers[1].answered_at, t);
  }
  pv_store_response_free(&resp);
  pv_store_close(st);
  CHECK_INT(raw_int(path, "SELECT count(*) FROM answers"), 2);
}

enum op { OP_PUT, OP_ATTACH, OP_FINISH, OP_ABANDON };
enum start {
  START_IN_PROGRESS,
  START_COMPLETE,
  START_ABANDONED,
  START_UNKNOWN,
  START_NOT_UUID
};

static const struct {
  enum start start;
  enum op op;
  pv_err want;
  pv_store_status after; /* status once done (when the response exists) */
} state_cases[] = {
    {START_IN_PROGRESS, OP_PUT, PV_OK, PV_STORE_IN_PROGRESS},
    {START_IN_PROGRESS, OP_ATTACH, PV_OK, PV_STORE_IN_PROGRESS},
    {START_IN_PROGRESS, OP_FINISH, PV_OK, PV_STORE_COMPLETE},
    {START_IN_PROGRESS, OP_ABANDON, PV_OK, PV_STORE_ABANDONED},
    {START_COMPLETE, OP_PUT, PV_ERR_STATE, PV_STORE_COMPLETE},
    {START_COMPLETE, OP_ATTACH, PV_ERR_STATE, PV_STORE_COMPLETE},
    {START_COMPLETE, OP_FINISH, PV_ERR_STATE, PV_STORE_COMPLETE},
    {START_COMPLETE, OP_ABANDON, PV_ERR_STATE, PV_STORE_COMPLETE},
    {START_ABANDONED, OP_PUT, PV_ERR_STATE, PV_STORE_ABANDONED},
    {START_ABANDONED, OP_ATTACH, PV_ERR_STATE, PV_STORE_ABANDONED},
    {START_ABANDONED, OP_FINISH, PV_ERR_STATE, PV_STORE_ABANDONED},
    {START_ABANDONED, OP_ABANDON, PV_ERR_STATE, PV_STORE_ABANDONED},
    {START_UNKNOWN, OP_PUT, PV_ERR_NOTFOUND, 0},
    {START_UNKNOWN, OP_ATTACH, PV_ERR_NOTFOUND, 0},
    {START_UNKNOWN, OP_FINISH, PV_ERR_NOTFOUND, 0},
    {START_UNKNOWN, OP_ABANDON, PV_ERR_NOTFOUND, 0},
    {START_NOT_UUID, OP_PUT, PV_ERR_INVALID, 0},
    {START_NOT_UUID, OP_ATTACH, PV_ERR_INVALID, 0},
    {START_NOT_UUID, OP_FINISH, PV_ERR_INVALID, 0},
    {START_NOT_UUID, OP_ABANDON, PV_ERR_INVALID, 0},
};

static void test_state_rules(void) {
  char path[512], r[PV_UUID_LEN + 1], sha[PV_SHA256_HEX + 1];
  static const unsigned char voice[] = "OggS fake voice note";
  fresh_path(path, sizeof path, "states.db");
  pv_store *st = open_ok(path);
  for (size_t i = 0; i < sizeof state_cases / sizeof state_cases[0]; i++) {
    int exists_before = state_cases[i].start <= START_ABANDONED;
    if (exists_before) {
      begin(st, r);
      CHECK_INT(pv_store_put_answer(st, r, "q1", "1", PV_QUANTITATIVE), PV_OK);
      if (state_cases[i].start == START_COMPLETE)
        CHECK_INT(pv_store_finish(st, r), PV_OK);
      if (state_cases[i].start == START_ABANDONED)
        CHECK_INT(pv_store_abandon(st, r), PV_OK);
    } else if (state_cases[i].start == START_UNKNOWN) {
      CHECK_INT(pv_uuid_v4(r), PV_OK);
    } else {
      snprintf(r, sizeof r, "not-a-uuid");
    }
    pv_err err = PV_OK;
    switch (state_cases[i].op) {
    case OP_PUT:
      err = pv_store_put_answer(st, r, "q2", "2", PV_QUANTITATIVE);
      break;
    case OP_ATTACH:
      err = pv_store_put_attachment(st, r, "q2", "audio/ogg", voice, sizeof voice, sha);
      break;
    case OP_FINISH:
      err = pv_store_finish(st, r);
      break;
    case OP_ABANDON:
      err = pv_store_abandon(st, r);
      break;
    }
    if (err != state_cases[i].want)
      fprintf(stderr, "state case %zu: %s (%s)\n", i, pv_strerror(err),
              pv_err_detail());
    CHECK_INT(err, state_cases[i].want);
    if (!exists_before)
      continue;
    pv_store_response resp;
    CHECK_INT(pv_store_get_response(st, r, &resp), PV_OK);
    CHECK_INT(resp.status, state_cases[i].after);
    /* A refused answer left nothing behind. */
    size_t want_answers =
        (state_cases[i].op == OP_PUT || state_cases[i].op == OP_ATTACH) && !err ? 2 : 1;
    CHECK_INT(resp.answer_count, want_answers);
    CHECK_INT(resp.ended_at[0] != '\0', resp.status != PV_STORE_IN_PROGRESS);
    pv_store_response_free(&resp);
  }
  pv_store_close(st);
}

static const char *const valid_json[] = {
    "0",
    "-1.5e3",
    "\"texte\"",
    "\"\\u00e9t\\u00e9\"",
    "true",
    "null",
    "[1,2]",
    "[]",
    "{}",
    "\"العيش في حيّي\"",
    "{\"choices\":[\"parc\",\"marche\"],\"other\":null}",
    "{\"pins\":[{\"x\":0.25,\"y\":0.5}]}",
};

static const char *const invalid_json[] = {
    "{",       "[1,]",     "{'a':1}",    "tru",         "NaN", "\"open",
    "[1] [2]", "{\"a\":}", "{\"a\":1,}", "texte libre", "1 2", "[",
};

static void test_json(void) {
  char path[512], r[PV_UUID_LEN + 1], qid[16];
  fresh_path(path, sizeof path, "json.db");
  pv_store *st = open_ok(path);
  begin(st, r);
  for (size_t i = 0; i < sizeof valid_json / sizeof valid_json[0]; i++) {
    snprintf(qid, sizeof qid, "v%zu", i);
    CHECK_INT(pv_store_put_answer(st, r, qid, valid_json[i], PV_QUANTITATIVE), PV_OK);
  }
  /* Invalid JSON on a fresh question and over a stored one: refused with
   * SQLite's own reason, nothing stored, the old value kept. */
  for (size_t i = 0; i < sizeof invalid_json / sizeof invalid_json[0]; i++) {
    pv_err err = pv_store_put_answer(st, r, "bad", invalid_json[i], PV_QUALITATIVE);
    CHECK_INT(err, PV_ERR_INVALID);
    CHECK_CONTAINS(pv_err_detail(), "json_valid");
    err = pv_store_put_answer(st, r, "v0", invalid_json[i], PV_QUALITATIVE);
    CHECK_INT(err, PV_ERR_INVALID);
  }
  CHECK_INT(pv_store_put_answer(st, r, "bad", "", PV_QUALITATIVE), PV_ERR_INVALID);
  CHECK_INT(pv_store_put_answer(st, r, "bad", NULL, PV_QUALITATIVE), PV_ERR_INVALID);

  pv_store_response resp;
  CHECK_INT(pv_store_get_response(st, r, &resp), PV_OK);
  CHECK_INT(resp.answer_count, sizeof valid_json / sizeof valid_json[0]);
  for (size_t i = 0; i < resp.answer_count; i++) {
    const pv_store_answer *a = &resp.answers[i];
    size_t k = (size_t)strtoul(a->question_id + 1, NULL, 10);
    CHECK(a->question_id[0] == 'v' && k < sizeof valid_json / sizeof valid_json[0]);
    if (k < sizeof valid_json / sizeof valid_json[0])
      CHECK_STR(a->value, valid_json[k]);
  }
  pv_store_response_free(&resp);
  pv_store_close(st);
}

static void test_bounds(void) {
  char path[512], r[PV_UUID_LEN + 1], qid[PV_STORE_MAX_ID + 8];
  fresh_path(path, sizeof path, "bounds.db");
  pv_store *st = open_ok(path);
  begin(st, r);
  memset(qid, 'q', PV_STORE_MAX_ID + 1);
  qid[PV_STORE_MAX_ID + 1] = '\0';
  CHECK_INT(pv_store_put_answer(st, r, qid, "1", PV_QUANTITATIVE), PV_ERR_TOOBIG);
  qid[PV_STORE_MAX_ID] = '\0';
  CHECK_INT(pv_store_put_answer(st, r, qid, "1", PV_QUANTITATIVE), PV_OK);
  CHECK_INT(pv_store_put_answer(st, r, "", "1", PV_QUANTITATIVE), PV_ERR_INVALID);

  char *big = malloc(PV_STORE_MAX_VALUE + 2);
  memset(big, ' ', PV_STORE_MAX_VALUE + 1);
  big[0] = '"';
  big[PV_STORE_MAX_VALUE - 1] = '"';
  big[PV_STORE_MAX_VALUE] = '\0';
  CHECK_INT(pv_store_put_answer(st, r, "long", big, PV_QUALITATIVE), PV_OK);
  big[PV_STORE_MAX_VALUE] = ' ';
  big[PV_STORE_MAX_VALUE + 1] = '\0';
  CHECK_INT(pv_store_put_answer(st, r, "long", big, PV_QUALITATIVE), PV_ERR_TOOBIG);
  free(big);

  char sid[PV_UUID_LEN + 1];
  CHECK_INT(pv_store_begin(st, "", 1, NULL, "fr", sid), PV_ERR_INVALID);
  CHECK_INT(pv_store_begin(st, "s", 1, NULL, "", sid), PV_ERR_INVALID);
  CHECK_INT(pv_store_begin(st, "s", -1, NULL, "fr", sid), PV_ERR_INVALID);
  CHECK_INT(pv_store_begin(st, "s", 1, "nope", "fr", sid), PV_ERR_INVALID);

  /* The answers cap: the response has 2 questions; fill it up. */
  char many[PV_UUID_LEN + 1];
  begin(st, many);
  for (int i = 0; i < PV_STORE_MAX_ANSWERS; i++) {
    char q[16];
    snprintf(q, sizeof q, "q%d", i);
    CHECK_INT(pv_store_put_answer(st, many, q, "1", PV_QUANTITATIVE), PV_OK);
  }
  CHECK_INT(pv_store_put_answer(st, many, "one-more", "1", PV_QUANTITATIVE),
            PV_ERR_TOOBIG);
  /* Editing an answer of a full response is still fine. */
  CHECK_INT(pv_store_put_answer(st, many, "q0", "2", PV_QUANTITATIVE), PV_OK);
  pv_store_response resp;
  CHECK_INT(pv_store_get_response(st, many, &resp), PV_OK);
  CHECK_INT(resp.answer_count, PV_STORE_MAX_ANSWERS);
  pv_store_response_free(&resp);
  pv_store_close(st);
}

static void test_pending_and_ack(void) {
  char path[512], r[5][PV_UUID_LEN + 1], t[25];
  fresh_path(path, sizeof path, "outbox.db");
  pv_store *st = open_ok(path);
  for (int i = 0; i < 5; i++) {
    begin(st, r[i]);
    char value[16];
    snprintf(value, sizeof value, "%d", i);
    CHECK_INT(pv_store_put_answer(st, r[i], "ressenti", value, PV_QUANTITATIVE), PV_OK);
    now_ms += MINUTE_MS;
  }
  /* 0 complete, 1 abandoned, 2 complete, 3 in progress, 4 complete; ended
   * in another order than started: the outbox goes by start. */
  CHECK_INT(pv_store_finish(st, r[4]), PV_OK);
  CHECK_INT(pv_store_finish(st, r[2]), PV_OK);
  CHECK_INT(pv_store_abandon(st, r[1]), PV_OK);
  CHECK_INT(pv_store_finish(st, r[0]), PV_OK);

  pv_store_batch batch;
  CHECK_INT(pv_store_pending(st, 2, &batch), PV_OK);
  CHECK_INT(batch.count, 2);
  if (batch.count == 2) {
    CHECK_STR(batch.responses[0].uuid, r[0]);
    CHECK_INT(batch.responses[0].status, PV_STORE_COMPLETE);
    CHECK_STR(batch.responses[1].uuid, r[1]);
    CHECK_INT(batch.responses[1].status, PV_STORE_ABANDONED);
    CHECK_INT(batch.responses[1].answer_count, 1);
    if (batch.responses[1].answer_count == 1)
      CHECK_STR(batch.responses[1].answers[0].value, "1");
    CHECK_STR(batch.responses[1].survey_id, "qualite-habiter");
    CHECK_STR(batch.responses[1].device_id, pv_store_device_id(st));
  }
  pv_store_batch_free(&batch);

  CHECK_INT(pv_store_pending(st, 1000, &batch), PV_OK);
  CHECK_INT(batch.count, 4);
  if (batch.count == 4) {
    CHECK_STR(batch.responses[2].uuid, r[2]);
    CHECK_STR(batch.responses[3].uuid, r[4]);
  }
  pv_store_batch_free(&batch);
  CHECK_INT(pv_store_pending(st, 0, &batch), PV_OK);
  CHECK_INT(batch.count, 1);
  pv_store_batch_free(&batch);

  now_ms = T0 + DAY_MS;
  const char *first[] = {r[0], r[1]};
  CHECK_INT(pv_store_ack(st, first, 2), PV_OK);
  now_ms += MINUTE_MS;
  CHECK_INT(pv_store_ack(st, first, 1), PV_OK); /* again: keeps the first time */
  pv_store_response resp;
  CHECK_INT(pv_store_get_response(st, r[0], &resp), PV_OK);
  iso(T0 + DAY_MS, t);
  CHECK_STR(resp.synced_at, t);
  pv_store_response_free(&resp);

  /* All or none: r[3] is in progress, so r[2] stays pending. */
  const char *mixed[] = {r[2], r[3]};
  CHECK_INT(pv_store_ack(st, mixed, 2), PV_ERR_STATE);
  char unknown[PV_UUID_LEN + 1];
  CHECK_INT(pv_uuid_v4(unknown), PV_OK);
  const char *lost[] = {r[2], unknown};
  CHECK_INT(pv_store_ack(st, lost, 2), PV_ERR_NOTFOUND);
  const char *junk[] = {"junk"};
  CHECK_INT(pv_store_ack(st, junk, 1), PV_ERR_INVALID);

  CHECK_INT(pv_store_note_failure(st, r[2], "HTTP 503 from the collector"), PV_OK);
  CHECK_INT(pv_store_note_failure(st, unknown, "x"), PV_ERR_NOTFOUND);
  CHECK_INT(pv_store_pending(st, 10, &batch), PV_OK);
  CHECK_INT(batch.count, 2);
  if (batch.count == 2) {
    CHECK_STR(batch.responses[0].uuid, r[2]);
    CHECK_INT(batch.responses[0].attempts, 1);
    CHECK_STR(batch.responses[1].uuid, r[4]);
  }
  pv_store_batch_free(&batch);

  pv_store_counts counts;
  CHECK_INT(pv_store_count(st, NULL, &counts), PV_OK);
  CHECK_INT(counts.in_progress, 1);
  CHECK_INT(counts.complete, 3);
  CHECK_INT(counts.abandoned, 1);
  CHECK_INT(counts.pending, 2);
  CHECK_INT(counts.synced, 2);
  pv_store_close(st);
}

static void test_retention(void) {
  char path[512], sess[PV_UUID_LEN + 1], running[PV_UUID_LEN + 1];
  char a[PV_UUID_LEN + 1], b[PV_UUID_LEN + 1], c[PV_UUID_LEN + 1], d[PV_UUID_LEN + 1];
  char shared[PV_SHA256_HEX + 1], own[PV_SHA256_HEX + 1], sha[PV_SHA256_HEX + 1];
  static const unsigned char shared_bytes[] = "voice note said twice";
  static const unsigned char own_bytes[] = "voice note of A only";
  size_t purged = 99;
  pv_store_blob blob;
  pv_store_session got;

  fresh_path(path, sizeof path, "retention.db");
  pv_store *st = open_ok(path);
  pv_store_session info = {.kind = "marche_exploratoire"};
  CHECK_INT(pv_store_session_begin(st, &info, sess), PV_OK);
  CHECK_INT(pv_store_session_begin(st, &info, running), PV_OK);
  CHECK_INT(pv_store_begin(st, "qualite-habiter", 3, sess, "fr", a), PV_OK);
  begin(st, b);
  begin(st, c);
  begin(st, d);
  CHECK_INT(pv_store_put_attachment(st, a, "voix", "audio/ogg", shared_bytes,
                                    sizeof shared_bytes, shared),
            PV_OK);
  CHECK_INT(pv_store_put_attachment(st, a, "voix2", "audio/ogg", own_bytes,
                                    sizeof own_bytes, own),
            PV_OK);
  CHECK_INT(pv_store_put_attachment(st, b, "voix", "audio/ogg", shared_bytes,
                                    sizeof shared_bytes, sha),
            PV_OK);
  CHECK_INT(pv_store_put_answer(st, d, "ressenti", "3", PV_QUANTITATIVE), PV_OK);
  CHECK_INT(pv_store_finish(st, a), PV_OK);
  CHECK_INT(pv_store_finish(st, b), PV_OK);
  CHECK_INT(pv_store_abandon(st, c), PV_OK);
  CHECK_INT(pv_store_session_end(st, sess), PV_OK);

  now_ms = T0 + DAY_MS;
  const char *acked[] = {a, c};
  CHECK_INT(pv_store_ack(st, acked, 2), PV_OK);
  /* The ended session's own acknowledgement (an unacknowledged one is
   * never purged: test_session_outbox). */
  CHECK_INT(pv_store_session_get(st, sess, &got), PV_OK);
  CHECK_INT(pv_store_sessions_ack(st, &got, 1), PV_OK);

  now_ms = T0 + 10 * DAY_MS;
  CHECK_INT(pv_store_purge(st, 30, &purged), PV_OK);
  CHECK_INT(purged, 0);

  /* Day 31.5: a and c are acknowledged and older than 30 days: gone. b was
   * never acknowledged: kept, with the attachment it shares with a. */
  now_ms = T0 + 31 * DAY_MS + DAY_MS / 2;
  CHECK_INT(pv_store_purge(st, 30, &purged), PV_OK);
  CHECK_INT(purged, 2);
  pv_store_response resp;
  CHECK_INT(pv_store_get_response(st, a, &resp), PV_ERR_NOTFOUND);
  CHECK_INT(pv_store_get_response(st, c, &resp), PV_ERR_NOTFOUND);
  CHECK_INT(pv_store_get_response(st, b, &resp), PV_OK);
  CHECK_INT(resp.answer_count, 1);
  pv_store_response_free(&resp);
  CHECK_INT(pv_store_get_attachment(st, shared, &blob), PV_OK);
  pv_store_blob_free(&blob);
  CHECK_INT(pv_store_get_attachment(st, own, &blob), PV_ERR_NOTFOUND);
  CHECK_INT(pv_store_session_get(st, sess, &got), PV_ERR_NOTFOUND);
  CHECK_INT(pv_store_session_get(st, running, &got), PV_OK);

  /* b acknowledged now: kept for 30 more days after that. */
  const char *later[] = {b};
  CHECK_INT(pv_store_ack(st, later, 1), PV_OK);
  now_ms = T0 + 40 * DAY_MS;
  CHECK_INT(pv_store_purge(st, 30, &purged), PV_OK);
  CHECK_INT(purged, 0);
  now_ms = T0 + 62 * DAY_MS;
  CHECK_INT(pv_store_purge(st, 30, &purged), PV_OK);
  CHECK_INT(purged, 1);
  CHECK_INT(pv_store_get_attachment(st, shared, &blob), PV_ERR_NOTFOUND);

  /* Never acknowledged, never finished: kept forever. */
  now_ms = T0 + 10000 * DAY_MS;
  CHECK_INT(pv_store_purge(st, 0, &purged), PV_OK);
  CHECK_INT(purged, 0);
  CHECK_INT(pv_store_get_response(st, d, &resp), PV_OK);
  CHECK_INT(resp.answer_count, 1);
  pv_store_response_free(&resp);
  CHECK_INT(pv_store_purge(st, -1, &purged), PV_ERR_INVALID);
  pv_store_close(st);
  CHECK_INT(raw_int(path, "SELECT count(*) FROM attachments"), 0);
  CHECK_INT(raw_int(path, "SELECT count(*) FROM answer_attachments"), 0);
  CHECK_INT(raw_int(path, "SELECT count(*) FROM answers"), 1);
}

static void test_attachments(void) {
  char path[512], r1[PV_UUID_LEN + 1], r2[PV_UUID_LEN + 1];
  char sha[PV_SHA256_HEX + 1], sha2[PV_SHA256_HEX + 1], want[PV_SHA256_HEX + 1];
  unsigned char voice[3000], other[2000];
  pv_store_blob blob;
  for (size_t i = 0; i < sizeof voice; i++)
    voice[i] = (unsigned char)(i * 7 + 3);
  memset(other, 0xAB, sizeof other);
  CHECK_INT(pv_sha256_hex(voice, sizeof voice, want), PV_OK);

  fresh_path(path, sizeof path, "attach.db");
  pv_store *st = open_ok(path);
  begin(st, r1);
  begin(st, r2);
  CHECK_INT(pv_store_put_attachment(st, r1, "voix", "audio/ogg; codecs=opus", voice,
                                    sizeof voice, sha),
            PV_OK);
  CHECK_STR(sha, want);
  CHECK_INT(
      pv_store_put_attachment(st, r2, "voix", "audio/ogg", voice, sizeof voice, sha2),
      PV_OK);
  CHECK_STR(sha2, want);
  CHECK_INT(raw_int(path, "SELECT count(*) FROM attachments"), 1);

  CHECK_INT(pv_store_get_attachment(st, sha, &blob), PV_OK);
  CHECK_INT(blob.size, sizeof voice);
  CHECK(blob.bytes && memcmp(blob.bytes, voice, sizeof voice) == 0);
  CHECK_STR(blob.media_type, "audio/ogg; codecs=opus");
  pv_store_blob_free(&blob);

  pv_store_response resp;
  CHECK_INT(pv_store_get_response(st, r1, &resp), PV_OK);
  CHECK_INT(resp.answer_count, 1);
  if (resp.answer_count == 1) {
    CHECK_STR(resp.answers[0].attachment, want);
    CHECK_CONTAINS(resp.answers[0].value, want);
    CHECK_CONTAINS(resp.answers[0].value, "\"size\":3000");
    CHECK_INT(resp.answers[0].measure, PV_QUALITATIVE);
  }
  pv_store_response_free(&resp);

  /* Recording again on r1 replaces the link; the first bytes stay for r2. */
  CHECK_INT(
      pv_store_put_attachment(st, r1, "voix", "audio/ogg", other, sizeof other, sha2),
      PV_OK);
  CHECK_INT(raw_int(path, "SELECT count(*) FROM attachments"), 2);
  /* r2 answers with words instead: the first bytes are referenced no more. */
  CHECK_INT(pv_store_put_answer(st, r2, "voix", "\"pas de voix\"", PV_QUALITATIVE),
            PV_OK);
  CHECK_INT(raw_int(path, "SELECT count(*) FROM attachments"), 1);
  CHECK_INT(pv_store_get_attachment(st, want, &blob), PV_ERR_NOTFOUND);
  CHECK_INT(pv_store_get_attachment(st, "zz", &blob), PV_ERR_INVALID);

  /* Bounds: nothing, too much, exactly the cap, a bad media type. */
  CHECK_INT(pv_store_put_attachment(st, r1, "p", "image/jpeg", other, 0, sha),
            PV_ERR_INVALID);
  CHECK_INT(pv_store_put_attachment(st, r1, "p", "jpeg", other, 10, sha),
            PV_ERR_INVALID);
  unsigned char *big = malloc(PV_STORE_MAX_ATTACHMENT + 1);
  CHECK(big != NULL);
  memset(big, 0x11, PV_STORE_MAX_ATTACHMENT + 1);
  CHECK_INT(pv_store_put_attachment(st, r1, "p", "image/jpeg", big,
                                    PV_STORE_MAX_ATTACHMENT + 1, sha),
            PV_ERR_TOOBIG);
  CHECK_CONTAINS(pv_err_detail(), "attachment");
  CHECK_INT(pv_store_put_attachment(st, r1, "p", "image/jpeg", big,
                                    PV_STORE_MAX_ATTACHMENT, sha),
            PV_OK);
  CHECK_INT(pv_store_get_attachment(st, sha, &blob), PV_OK);
  CHECK_INT(blob.size, PV_STORE_MAX_ATTACHMENT);
  CHECK(blob.bytes && memcmp(blob.bytes, big, PV_STORE_MAX_ATTACHMENT) == 0);
  pv_store_blob_free(&blob);
  free(big);
  pv_store_close(st);
}

static void test_sessions(void) {
  char path[512], s[PV_UUID_LEN + 1], r[PV_UUID_LEN + 1], missing[PV_UUID_LEN + 1];
  fresh_path(path, sizeof path, "sessions.db");
  pv_store *st = open_ok(path);
  pv_store_session info = {.kind = "kiosk", .place = "Hall de la mairie annexe"};
  CHECK_INT(pv_store_session_begin(st, &info, s), PV_OK);
  CHECK_INT(pv_store_begin(st, "qualite-habiter", 3, s, "tr", r), PV_OK);
  CHECK_INT(pv_store_finish(st, r), PV_OK);
  now_ms += MINUTE_MS; /* so the finished walk's order is known */
  begin(st, r);        /* outside the session */
  pv_store_counts counts;
  CHECK_INT(pv_store_count(st, s, &counts), PV_OK);
  CHECK_INT(counts.complete, 1);
  CHECK_INT(counts.in_progress, 0);
  CHECK_INT(pv_store_count(st, NULL, &counts), PV_OK);
  CHECK_INT(counts.in_progress, 1);

  now_ms += 60 * MINUTE_MS;
  CHECK_INT(pv_store_session_end(st, s), PV_OK);
  CHECK_INT(pv_store_session_end(st, s), PV_ERR_STATE);
  CHECK_INT(pv_store_begin(st, "qualite-habiter", 3, s, "tr", r), PV_ERR_STATE);
  CHECK_INT(pv_uuid_v4(missing), PV_OK);
  CHECK_INT(pv_store_begin(st, "qualite-habiter", 3, missing, "tr", r),
            PV_ERR_NOTFOUND);
  CHECK_INT(pv_store_session_end(st, missing), PV_ERR_NOTFOUND);
  pv_store_session got;
  char t[25];
  CHECK_INT(pv_store_session_get(st, s, &got), PV_OK);
  iso(T0 + 61 * MINUTE_MS, t);
  CHECK_STR(got.ended_at, t);
  CHECK_STR(got.place, "Hall de la mairie annexe");

  /* The finished walk: one session's, or everything, synced or not. */
  char other[PV_UUID_LEN + 1];
  CHECK_INT(pv_store_abandon(st, r), PV_OK); /* the response outside the session */
  pv_store_batch page;
  CHECK_INT(pv_store_finished_after(st, s, 10, NULL, NULL, &page), PV_OK);
  CHECK_INT(page.count, 1);
  CHECK_STR(page.responses[0].session_uuid, s);
  CHECK_STR(page.responses[0].language, "tr");
  strncpy(other, page.responses[0].uuid, sizeof other);
  CHECK_INT(pv_store_ack(st, (const char *const[]){other}, 1), PV_OK);
  pv_store_batch_free(&page);
  CHECK_INT(pv_store_finished_after(st, NULL, 1, NULL, NULL, &page), PV_OK);
  CHECK_INT(page.count, 1);
  CHECK_STR(page.responses[0].uuid, other); /* acknowledged, still listed */
  pv_store_response first = page.responses[0];
  CHECK_INT(page.responses[0].status, PV_STORE_COMPLETE);
  pv_store_batch next;
  CHECK_INT(pv_store_finished_after(st, NULL, 10, first.started_at, first.uuid, &next),
            PV_OK);
  CHECK_INT(next.count, 1);
  CHECK_STR(next.responses[0].uuid, r);
  CHECK_INT(next.responses[0].status, PV_STORE_ABANDONED);
  CHECK_STR(next.responses[0].session_uuid, "");
  pv_store_batch_free(&next);
  pv_store_batch_free(&page);
  CHECK_INT(pv_store_finished_after(st, missing, 10, NULL, NULL, &page), PV_OK);
  CHECK_INT(page.count, 0);
  pv_store_batch_free(&page);
  CHECK_INT(pv_store_finished_after(st, "not-a-uuid", 10, NULL, NULL, &page),
            PV_ERR_INVALID);

  pv_store_session bad = {.kind = ""};
  CHECK_INT(pv_store_session_begin(st, &bad, s), PV_ERR_INVALID);
  pv_store_session fete = {.kind = "fete"}; /* not one of the four kinds */
  CHECK_INT(pv_store_session_begin(st, &fete, s), PV_ERR_INVALID);
  for (size_t i = 0; pv_store_session_kind(i); i++) {
    pv_store_session each = {0};
    snprintf(each.kind, sizeof each.kind, "%s", pv_store_session_kind(i));
    CHECK_INT(pv_store_session_begin(st, &each, s), PV_OK);
  }
  /* Initials come in a fixed array: one without its NUL is refused. */
  pv_store_session unterminated = {.kind = "kiosk"};
  memset(unterminated.animateur, 'A', sizeof unterminated.animateur);
  CHECK_INT(pv_store_session_begin(st, &unterminated, s), PV_ERR_TOOBIG);
  pv_store_close(st);
}

/* Pending sessions as a set of "uuid/ended_at" checks. */
static size_t pending_sessions(pv_store *st, pv_store_session *first) {
  pv_store_session *list = NULL;
  size_t n = 99;
  CHECK_INT(pv_store_sessions_pending(st, 10, &list, &n), PV_OK);
  if (n && first)
    *first = list[0];
  free(list);
  return n;
}

static void test_session_outbox(void) {
  char path[512], s1[PV_UUID_LEN + 1], s2[PV_UUID_LEN + 1], t[25];
  pv_store_session sent, got, *list = NULL;
  size_t n = 0;
  fresh_path(path, sizeof path, "session-outbox.db");
  pv_store *st = open_ok(path);
  CHECK_INT(pv_store_session_list(st, &list, &n), PV_OK);
  CHECK_INT(n, 0);
  free(list);
  CHECK_INT(pending_sessions(st, NULL), 0);

  pv_store_session info = {.kind = "table_de_quartier",
                           .place = "Maison pour tous Léo Lagrange",
                           .qpv_code = "QN03401M",
                           .qpv_name = "Mosson",
                           .animateur = "MB"};
  CHECK_INT(pv_store_session_begin(st, &info, s1), PV_OK);
  now_ms += MINUTE_MS;
  pv_store_session kiosk = {.kind = "kiosk"};
  CHECK_INT(pv_store_session_begin(st, &kiosk, s2), PV_OK);

  /* Sent when it begins: both pending, oldest first. */
  CHECK_INT(pending_sessions(st, &sent), 2);
  CHECK_STR(sent.uuid, s1);
  CHECK_STR(sent.ended_at, "");
  CHECK_STR(sent.qpv_code, "QN03401M");
  CHECK_INT(pv_store_sessions_ack(st, &sent, 1), PV_OK);
  CHECK_INT(pending_sessions(st, &got), 1);
  CHECK_STR(got.uuid, s2);

  /* Ended after its running form was sent: pending again; the late
   * acknowledgement of the running form does not clear it. */
  now_ms += 90 * MINUTE_MS;
  CHECK_INT(pv_store_session_end(st, s1), PV_OK);
  CHECK_INT(pending_sessions(st, NULL), 2);
  CHECK_INT(pv_store_sessions_ack(st, &sent, 1), PV_OK);
  CHECK_INT(pending_sessions(st, &got), 2);
  CHECK_STR(got.uuid, s1);
  iso(now_ms, t);
  CHECK_STR(got.ended_at, t);
  /* Retention keeps an ended, empty session until its end is acknowledged. */
  now_ms += 400 * DAY_MS;
  CHECK_INT(pv_store_purge(st, 30, NULL), PV_OK);
  CHECK_INT(pv_store_session_get(st, s1, &got), PV_OK);
  CHECK_INT(pv_store_sessions_ack(st, &got, 1), PV_OK);
  CHECK_INT(pending_sessions(st, &got), 1);
  CHECK_STR(got.uuid, s2);
  /* Acknowledging twice, or an older form after the newer one, is fine. */
  CHECK_INT(pv_store_sessions_ack(st, &sent, 1), PV_OK);
  CHECK_INT(pending_sessions(st, NULL), 1);

  /* Errors: all or nothing. */
  pv_store_session ghost = sent;
  CHECK_INT(pv_uuid_v4(ghost.uuid), PV_OK);
  pv_store_session two[2];
  CHECK_INT(pv_store_session_get(st, s2, &two[0]), PV_OK);
  two[1] = ghost;
  CHECK_INT(pv_store_sessions_ack(st, two, 2), PV_ERR_NOTFOUND);
  CHECK_INT(pending_sessions(st, NULL), 1);
  pv_store_session early = two[0];
  snprintf(early.ended_at, sizeof early.ended_at, "%s", t);
  CHECK_INT(pv_store_sessions_ack(st, &early, 1), PV_ERR_STATE);
  pv_store_session bad = two[0];
  snprintf(bad.uuid, sizeof bad.uuid, "not-a-uuid");
  CHECK_INT(pv_store_sessions_ack(st, &bad, 1), PV_ERR_INVALID);
  CHECK_INT(pv_store_sessions_ack(st, NULL, 0), PV_OK);

  /* Every session kept, by started_at; and now purge may take s1. */
  CHECK_INT(pv_store_session_list(st, &list, &n), PV_OK);
  CHECK_INT(n, 2);
  if (n == 2) {
    CHECK_STR(list[0].uuid, s1);
    CHECK_STR(list[0].animateur, "MB");
    CHECK_STR(list[1].uuid, s2);
  }
  free(list);
  CHECK_INT(pv_store_purge(st, 30, NULL), PV_OK);
  CHECK_INT(pv_store_session_get(st, s1, &got), PV_ERR_NOTFOUND);
  CHECK_INT(pv_store_session_get(st, s2, &got), PV_OK);
  pv_store_close(st);
}

static void test_settings(void) {
  char path[512], *v = NULL;
  fresh_path(path, sizeof path, "settings.db");
  pv_store *st = open_ok(path);
  static const struct {
    pv_err (*get)(pv_store *, const char *, char **);
    pv_err (*set)(pv_store *, const char *, const char *);
  } kv[] = {{pv_store_setting_get, pv_store_setting_set},
            {pv_store_sync_get, pv_store_sync_set}};
  for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
    CHECK_INT(kv[i].get(st, "collector_url", &v), PV_ERR_NOTFOUND);
    CHECK(v == NULL);
    CHECK_INT(kv[i].set(st, "collector_url", "https://pv.example.org"), PV_OK);
    CHECK_INT(kv[i].get(st, "collector_url", &v), PV_OK);
    CHECK_STR(v, "https://pv.example.org");
    free(v);
    CHECK_INT(kv[i].set(st, "collector_url", ""), PV_OK);
    CHECK_INT(kv[i].get(st, "collector_url", &v), PV_OK);
    CHECK_STR(v, "");
    free(v);
    CHECK_INT(kv[i].set(st, "collector_url", NULL), PV_OK);
    CHECK_INT(kv[i].get(st, "collector_url", &v), PV_ERR_NOTFOUND);
    CHECK_INT(kv[i].set(st, "", "x"), PV_ERR_INVALID);
  }
  CHECK_INT(pv_store_setting_set(st, "device_id", "x"), PV_ERR_INVALID);
  CHECK_INT(pv_store_setting_get(st, "device_id", &v), PV_OK);
  CHECK_STR(v, pv_store_device_id(st));
  free(v);
  /* Settings and sync state are apart. */
  CHECK_INT(pv_store_sync_set(st, "cursor", "42"), PV_OK);
  CHECK_INT(pv_store_setting_get(st, "cursor", &v), PV_ERR_NOTFOUND);
  pv_store_close(st);
}

/* Takes a schema-3 store back to schema 2's objects (then set user_version). */
static const char undo_migration_3[] =
    "DROP TRIGGER prompts_gc_delete; DROP TRIGGER prompts_gc_update;"
    " DROP TRIGGER attachments_gc_delete; DROP TRIGGER attachments_gc_update;"
    " DROP TABLE prompts;"
    " CREATE TRIGGER attachments_gc_delete AFTER DELETE ON answer_attachments"
    "  WHEN NOT EXISTS (SELECT 1 FROM answer_attachments WHERE sha256 = OLD.sha256)"
    "  BEGIN DELETE FROM attachments WHERE sha256 = OLD.sha256; END;"
    " CREATE TRIGGER attachments_gc_update AFTER UPDATE OF sha256 ON answer_attachments"
    "  WHEN OLD.sha256 <> NEW.sha256 AND NOT EXISTS"
    "    (SELECT 1 FROM answer_attachments WHERE sha256 = OLD.sha256)"
    "  BEGIN DELETE FROM attachments WHERE sha256 = OLD.sha256; END;";

static void test_migrations(void) {
  char path[512], r[PV_UUID_LEN + 1];
  fresh_path(path, sizeof path, "migrate.db");
  pv_store *st = open_ok(path);
  begin(st, r);
  CHECK_INT(pv_store_put_answer(st, r, "ressenti", "4", PV_QUANTITATIVE), PV_OK);
  pv_store_close(st);
  long long objects = raw_int(path, "SELECT count(*) FROM sqlite_master");
  CHECK(objects > 10);
  for (int i = 0; i < 3; i++) {
    st = open_ok(path);
    pv_store_response resp;
    CHECK_INT(pv_store_get_response(st, r, &resp), PV_OK);
    CHECK_INT(resp.answer_count, 1);
    pv_store_response_free(&resp);
    pv_store_close(st);
    CHECK_INT(raw_int(path, "PRAGMA user_version"), PV_STORE_SCHEMA_VERSION);
    CHECK_INT(raw_int(path, "SELECT count(*) FROM sqlite_master"), objects);
  }

  /* A schema-1 store (before the sessions outbox) with a running and an
   * ended session: migration 2 keeps them, both pending. */
  char path1[512], s_run[PV_UUID_LEN + 1], s_end[PV_UUID_LEN + 1];
  path_in_dir(path1, sizeof path1, "version1.db");
  st = open_ok(path1);
  pv_store_session info = {.kind = "atelier", .place = "Centre social"};
  CHECK_INT(pv_store_session_begin(st, &info, s_run), PV_OK);
  CHECK_INT(pv_store_session_begin(st, &info, s_end), PV_OK);
  CHECK_INT(pv_store_session_end(st, s_end), PV_OK);
  pv_store_close(st);
  char undo[2048];
  snprintf(undo, sizeof undo,
           "%s DROP INDEX sessions_started;"
           " ALTER TABLE sessions DROP COLUMN synced_ended; PRAGMA user_version = 1;",
           undo_migration_3);
  raw_exec(path1, undo, 1);
  CHECK_INT(raw_int(path1, "PRAGMA user_version"), 1);
  st = open_ok(path1);
  CHECK_INT(raw_int(path1, "PRAGMA user_version"), PV_STORE_SCHEMA_VERSION);
  CHECK_INT(raw_int(path1, "SELECT count(*) FROM sqlite_master"), objects);
  CHECK_INT(pending_sessions(st, NULL), 2);
  pv_store_session got;
  CHECK_INT(pv_store_session_get(st, s_end, &got), PV_OK);
  CHECK_STR(got.place, "Centre social");
  CHECK(got.ended_at[0] != '\0');
  pv_store_close(st);

  /* A file of ours at version 0 (no tables yet) is brought up to date. */
  char path0[512];
  path_in_dir(path0, sizeof path0, "version0.db");
  char sql[128];
  snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA journal_mode = WAL;",
           PV_STORE_APPLICATION_ID);
  raw_exec(path0, sql, 1);
  st = open_ok(path0);
  pv_store_close(st);
  CHECK_INT(raw_int(path0, "PRAGMA user_version"), PV_STORE_SCHEMA_VERSION);
  CHECK_INT(raw_int(path0, "SELECT count(*) FROM sqlite_master"), objects);

  /* A missing file is created, an empty one initialised. */
  char empty[512];
  path_in_dir(empty, sizeof empty, "empty.db");
  pv_test_write(empty, "", 0);
  st = open_ok(empty);
  pv_store_close(st);
  CHECK_INT(raw_int(empty, "PRAGMA user_version"), PV_STORE_SCHEMA_VERSION);
}

/* ---- files that must be refused, untouched ----------------------------- */

static void make_text(const char *path) {
  static const char text[] = "Liste des participants\nnom;prénom\n";
  pv_test_write(path, text, sizeof text - 1);
}

static void make_truncated(const char *path) {
  pv_test_write(path, "SQLite for", 10);
}

static void make_other_app(const char *path) {
  raw_exec(path,
           "PRAGMA application_id = 42; CREATE TABLE t (x); INSERT INTO t VALUES (1);",
           1);
}

static void make_no_app_id(const char *path) {
  raw_exec(path, "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT);", 1);
}

static void make_foreign_wal(const char *path) {
  raw_exec(path,
           "PRAGMA journal_mode = WAL; PRAGMA application_id = 7;"
           " CREATE TABLE notes (x); INSERT INTO notes VALUES ('hello');",
           1);
}

/* Makes a store of ours with some data, then closes it. */
static void make_store(const char *path) {
  pv_store *st = open_ok(path);
  char r[PV_UUID_LEN + 1], sha[PV_SHA256_HEX + 1];
  unsigned char bytes[20000];
  for (size_t i = 0; i < sizeof bytes; i++)
    bytes[i] = (unsigned char)(i % 251);
  begin(st, r);
  for (int i = 0; i < 40; i++) {
    char q[16];
    snprintf(q, sizeof q, "q%02d", i);
    CHECK_INT(pv_store_put_answer(st, r, q, "\"une réponse assez longue pour remplir\"",
                                  PV_QUALITATIVE),
              PV_OK);
  }
  CHECK_INT(
      pv_store_put_attachment(st, r, "voix", "audio/ogg", bytes, sizeof bytes, sha),
      PV_OK);
  pv_store_close(st);
}

static void make_unknown_table(const char *path) {
  make_store(path);
  raw_exec(path, "CREATE TABLE extra (x);", 1);
}

static void make_newer(const char *path) {
  make_store(path);
  raw_exec(path, "PRAGMA user_version = 99;", 1);
}

/* The newer version is only in the WAL: the header still says ours. */
static void make_newer_in_wal(const char *path) {
  make_store(path);
  char sql[64];
  snprintf(sql, sizeof sql, "PRAGMA user_version = %d;", PV_STORE_SCHEMA_VERSION + 1);
  raw_exec(path, sql, 0);
}

/* Overwrites 64 bytes at offset in path. */
static void scribble(const char *path, long offset) {
  FILE *f = fopen(path, "r+b");
  CHECK(f != NULL);
  if (!f)
    return;
  unsigned char junk[64];
  memset(junk, 0xA5, sizeof junk);
  fseek(f, offset, SEEK_SET);
  fwrite(junk, 1, sizeof junk, f);
  fclose(f);
}

static void make_corrupt_page(const char *path) {
  make_store(path);
  /* Page 2 is the first table's root: its b-tree header becomes junk. */
  scribble(path, 4096);
}

static void make_bad_page_size(const char *path) {
  make_store(path);
  FILE *f = fopen(path, "r+b");
  CHECK(f != NULL);
  if (!f)
    return;
  fseek(f, 16, SEEK_SET);
  fputc(0x03, f); /* page size 0x0300: not a power of two */
  fclose(f);
}

static void make_directory(const char *path) {
  CHECK_INT(mkdir(path, 0755), 0);
}

static void make_stray_wal(const char *path) {
  char wal[600];
  snprintf(wal, sizeof wal, "%s-wal", path);
  pv_test_write(wal, "not empty", 9);
}

static const struct {
  const char *name;
  void (*make)(const char *path);
  pv_err want;
  const char *reason;
  int ours; /* our own file (SQLite may add -wal/-shm beside it) */
} refused_cases[] = {
    {"text.db", make_text, PV_ERR_FOREIGN, "not an SQLite database", 0},
    {"truncated.db", make_truncated, PV_ERR_CORRUPT, "truncated SQLite header", 0},
    {"other-app.db", make_other_app, PV_ERR_FOREIGN, "another application", 0},
    {"firefox.db", make_no_app_id, PV_ERR_FOREIGN, "application_id 0x00000000", 0},
    {"foreign-wal.db", make_foreign_wal, PV_ERR_FOREIGN, "another application", 0},
    {"extra-table.db", make_unknown_table, PV_ERR_FOREIGN,
     "unknown table or index extra", 1},
    {"newer.db", make_newer, PV_ERR_FOREIGN, "schema version 99 is newer", 1},
    {"newer-wal.db", make_newer_in_wal, PV_ERR_FOREIGN, "schema version 5 is newer", 1},
    {"corrupt.db", make_corrupt_page, PV_ERR_CORRUPT, "integrity_check failed", 1},
    {"page-size.db", make_bad_page_size, PV_ERR_CORRUPT, "not a database", 1},
    {"folder.db", make_directory, PV_ERR_FOREIGN, "not a regular file", 0},
    {"stray.db", make_stray_wal, PV_ERR_CORRUPT, "left without its database", 0},
};

static void test_refused_files(void) {
  char path[512], side[600];
  for (size_t i = 0; i < sizeof refused_cases / sizeof refused_cases[0]; i++) {
    fresh_path(path, sizeof path, refused_cases[i].name);
    refused_cases[i].make(path);
    size_t before_len, after_len, wal_before_len, wal_after_len;
    snprintf(side, sizeof side, "%s-wal", path);
    unsigned char *before = (unsigned char *)pv_test_read(path, &before_len);
    unsigned char *wal_before = (unsigned char *)pv_test_read(side, &wal_before_len);
    int had_shm = 0;
    snprintf(side, sizeof side, "%s-shm", path);
    had_shm = exists(side);

    pv_clock clock = pv_clock_virtual(&now_ms);
    pv_store *st = (pv_store *)&clock; /* must be reset to NULL */
    pv_err err = pv_store_open(path, &clock, &st);
    if (err != refused_cases[i].want)
      fprintf(stderr, "%s: %s: %s\n", refused_cases[i].name, pv_strerror(err),
              pv_err_detail());
    CHECK_INT(err, refused_cases[i].want);
    printf("refused %-16s %s: %s\n", refused_cases[i].name, pv_strerror(err),
           pv_err_detail());
    CHECK(st == NULL);
    CHECK_CONTAINS(pv_err_detail(), path);
    CHECK_CONTAINS(pv_err_detail(), refused_cases[i].reason);
    pv_store_close(st);

    /* Not a byte changed, and for foreign files nothing added beside. */
    unsigned char *after = (unsigned char *)pv_test_read(path, &after_len);
    CHECK_INT(after_len, before_len);
    CHECK((!before && !after) ||
          (before && after && memcmp(before, after, before_len) == 0));
    snprintf(side, sizeof side, "%s-wal", path);
    unsigned char *wal_after = (unsigned char *)pv_test_read(side, &wal_after_len);
    CHECK_INT(wal_after_len, wal_before_len);
    CHECK(!wal_before_len ||
          (wal_after && memcmp(wal_before, wal_after, wal_before_len) == 0));
    if (!refused_cases[i].ours) {
      CHECK_INT(exists(side), wal_before != NULL);
      snprintf(side, sizeof side, "%s-shm", path);
      CHECK_INT(exists(side), had_shm);
    }
    free(before);
    free(after);
    free(wal_before);
    free(wal_after);
  }
  /* The stray WAL case made no database. */
  path_in_dir(path, sizeof path, "stray.db");
  CHECK(!exists(path));
}

/* ---- SQLite's errors, mapped --------------------------------------------- */

static void test_busy(void) {
  char path[512], r[PV_UUID_LEN + 1];
  fresh_path(path, sizeof path, "busy.db");
  pv_store *st = open_ok(path);
  begin(st, r);
  sqlite3 *other = NULL;
  CHECK_INT(sqlite3_open(path, &other), SQLITE_OK);
  CHECK_INT(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
  CHECK_INT(pv_store_put_answer(st, r, "q", "1", PV_QUANTITATIVE), PV_ERR_BUSY);
  CHECK_CONTAINS(pv_err_detail(), "locked");
  CHECK_INT(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(other);
  CHECK_INT(pv_store_put_answer(st, r, "q", "1", PV_QUANTITATIVE), PV_OK);

  /* Two handles on one file, as the kiosk and `pv-kiosk sync --once`: the
   * second sees what the first committed, and acknowledges it. */
  pv_store *sync = open_ok(path);
  CHECK_INT(pv_store_finish(st, r), PV_OK);
  pv_store_batch batch;
  CHECK_INT(pv_store_pending(sync, 10, &batch), PV_OK);
  CHECK_INT(batch.count, 1);
  if (batch.count == 1)
    CHECK_STR(batch.responses[0].uuid, r);
  pv_store_batch_free(&batch);
  const char *acked[] = {r};
  CHECK_INT(pv_store_ack(sync, acked, 1), PV_OK);
  pv_store_counts counts;
  CHECK_INT(pv_store_count(st, NULL, &counts), PV_OK);
  CHECK_INT(counts.synced, 1);
  CHECK_STR(pv_store_device_id(sync), pv_store_device_id(st));
  pv_store_close(sync);
  pv_store_close(st);
}

/* A pass-through SQLite VFS whose writes fail with SQLITE_FULL on demand:
 * a full disk without filling one. */
static sqlite3_vfs *real_vfs;
static sqlite3_vfs full_vfs;
static int disk_full;

typedef struct shim_file {
  sqlite3_file base;
  sqlite3_file *real; /* allocated right after this struct */
} shim_file;

#define REAL(f) (((shim_file *)(f))->real)

static int shim_close(sqlite3_file *f) {
  return REAL(f)->pMethods->xClose(REAL(f));
}
static int shim_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off) {
  return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}
static int shim_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off) {
  if (disk_full)
    return SQLITE_FULL;
  return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}
static int shim_truncate(sqlite3_file *f, sqlite3_int64 size) {
  return REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int shim_sync(sqlite3_file *f, int flags) {
  return REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int shim_file_size(sqlite3_file *f, sqlite3_int64 *size) {
  return REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int shim_lock(sqlite3_file *f, int lock) {
  return REAL(f)->pMethods->xLock(REAL(f), lock);
}
static int shim_unlock(sqlite3_file *f, int lock) {
  return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}
static int shim_reserved(sqlite3_file *f, int *out) {
  return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int shim_control(sqlite3_file *f, int op, void *arg) {
  return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int shim_sector(sqlite3_file *f) {
  return REAL(f)->pMethods->xSectorSize(REAL(f));
}
static int shim_device(sqlite3_file *f) {
  return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int shim_shm_map(sqlite3_file *f, int page, int size, int extend,
                        void volatile **out) {
  return REAL(f)->pMethods->xShmMap(REAL(f), page, size, extend, out);
}
static int shim_shm_lock(sqlite3_file *f, int offset, int n, int flags) {
  return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}
static void shim_shm_barrier(sqlite3_file *f) {
  REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int shim_shm_unmap(sqlite3_file *f, int del) {
  return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}
static int shim_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **out) {
  return REAL(f)->pMethods->xFetch(REAL(f), off, n, out);
}
static int shim_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p) {
  return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods shim_methods = {
    3,
    shim_close,
    shim_read,
    shim_write,
    shim_truncate,
    shim_sync,
    shim_file_size,
    shim_lock,
    shim_unlock,
    shim_reserved,
    shim_control,
    shim_sector,
    shim_device,
    shim_shm_map,
    shim_shm_lock,
    shim_shm_barrier,
    shim_shm_unmap,
    shim_fetch,
    shim_unfetch,
};

static int shim_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
                     int *out_flags) {
  (void)vfs;
  shim_file *sf = (shim_file *)f;
  sf->real = (sqlite3_file *)(sf + 1);
  sf->base.pMethods = NULL;
  int rc = real_vfs->xOpen(real_vfs, name, sf->real, flags, out_flags);
  if (sf->real->pMethods)
    sf->base.pMethods = &shim_methods;
  return rc;
}

static void full_vfs_install(void) {
  real_vfs = sqlite3_vfs_find(NULL);
  full_vfs = *real_vfs;
  full_vfs.zName = "pv-test-full";
  full_vfs.szOsFile = (int)sizeof(shim_file) + real_vfs->szOsFile;
  full_vfs.xOpen = shim_open;
  full_vfs.pNext = NULL;
  CHECK_INT(sqlite3_vfs_register(&full_vfs, 1), SQLITE_OK);
}

static void full_vfs_remove(void) {
  sqlite3_vfs_unregister(&full_vfs);
  sqlite3_vfs_register(real_vfs, 1);
}

static void test_full(void) {
  char path[512], r[PV_UUID_LEN + 1], sha[PV_SHA256_HEX + 1];
  static const unsigned char voice[5000];
  full_vfs_install();
  fresh_path(path, sizeof path, "full.db");
  pv_store *st = open_ok(path);
  begin(st, r);
  CHECK_INT(pv_store_put_answer(st, r, "q", "1", PV_QUANTITATIVE), PV_OK);

  disk_full = 1;
  CHECK_INT(pv_store_put_answer(st, r, "q2", "2", PV_QUANTITATIVE), PV_ERR_FULL);
  CHECK_CONTAINS(pv_err_detail(), "full");
  CHECK_INT(
      pv_store_put_attachment(st, r, "voix", "audio/ogg", voice, sizeof voice, sha),
      PV_ERR_FULL);
  CHECK_INT(pv_store_finish(st, r), PV_ERR_FULL);
  disk_full = 0;

  /* Nothing half-stored, and the store works again once there is room. */
  pv_store_response resp;
  CHECK_INT(pv_store_get_response(st, r, &resp), PV_OK);
  CHECK_INT(resp.answer_count, 1);
  CHECK_INT(resp.status, PV_STORE_IN_PROGRESS);
  pv_store_response_free(&resp);
  CHECK_INT(
      pv_store_put_attachment(st, r, "voix", "audio/ogg", voice, sizeof voice, sha),
      PV_OK);
  CHECK_INT(pv_store_finish(st, r), PV_OK);
  pv_store_close(st);
  full_vfs_remove();
  st = open_ok(path);
  CHECK_INT(pv_store_get_response(st, r, &resp), PV_OK);
  CHECK_INT(resp.answer_count, 2);
  pv_store_response_free(&resp);
  pv_store_close(st);
}

/* ---- recorded prompts ---------------------------------------------------- */

static pv_store_prompt prompt_of(const char *survey, const char *key,
                                 const char *lang) {
  pv_store_prompt p;
  memset(&p, 0, sizeof p);
  snprintf(p.survey_id, sizeof p.survey_id, "%s", survey);
  snprintf(p.key, sizeof p.key, "%s", key);
  snprintf(p.lang, sizeof p.lang, "%s", lang);
  return p;
}

/* Fills buf with n bytes that depend on seed: distinct recordings. */
static void fake_wav(unsigned char *buf, size_t n, int seed) {
  for (size_t i = 0; i < n; i++)
    buf[i] = (unsigned char)((i * 7 + (size_t)seed * 13) % 256);
}

static const struct {
  const char *key;
  int valid;
} prompt_keys[] = {
    {"q:ressenti", 1}, {"o:transport:bus", 1}, {"o:q-1:opt_2", 1}, {"q:", 0},
    {"q:Ressenti", 0}, {"x:ressenti", 0},      {"o:transport", 0}, {"o:transport:", 0},
    {"o::bus", 0},     {"o:a:b:c", 0},         {"q:1abc", 0},      {"ressenti", 0},
    {"", 0},           {"q:a b", 0},
};

static size_t count_prompts(pv_store *st, const char *survey) {
  pv_store_prompt *list = NULL;
  size_t n = 0;
  CHECK_INT(pv_store_prompt_list(st, survey, &list, &n), PV_OK);
  free(list);
  return n;
}

static size_t pending_prompts(pv_store *st, pv_store_prompt *first) {
  pv_store_prompt *list = NULL;
  size_t n = 0;
  CHECK_INT(pv_store_prompts_pending(st, 100, &list, &n), PV_OK);
  if (first && n)
    *first = list[0];
  free(list);
  return n;
}

static void test_prompts(void) {
  char path[512];
  unsigned char a[3000], b[2000], c[1000];
  fake_wav(a, sizeof a, 1);
  fake_wav(b, sizeof b, 2);
  fake_wav(c, sizeof c, 3);
  for (size_t i = 0; i < sizeof prompt_keys / sizeof prompt_keys[0]; i++)
    CHECK_INT(pv_store_prompt_key_valid(prompt_keys[i].key), prompt_keys[i].valid);
  CHECK_INT(pv_store_prompt_key_valid(NULL), 0);

  fresh_path(path, sizeof path, "prompts.db");
  pv_store *st = open_ok(path);
  CHECK_INT(count_prompts(st, NULL), 0);

  /* Record: stamped here and now, queued. */
  pv_store_prompt p = prompt_of("quartier", "q:ressenti", "ary"), got;
  CHECK_INT(pv_store_prompt_record(st, &p, "audio/wav", a, sizeof a, &got), PV_OK);
  char t0[25];
  iso(now_ms, t0);
  CHECK_STR(got.recorded_at, t0);
  CHECK_STR(got.device_id, pv_store_device_id(st));
  CHECK_INT(got.size, sizeof a);
  CHECK_INT(got.synced, 0);
  char sha_a[PV_SHA256_HEX + 1];
  CHECK_INT(pv_sha256_hex(a, sizeof a, sha_a), PV_OK);
  CHECK_STR(got.sha256, sha_a);
  pv_store_blob blob;
  CHECK_INT(pv_store_get_attachment(st, sha_a, &blob), PV_OK);
  CHECK_INT(blob.size, sizeof a);
  CHECK(memcmp(blob.bytes, a, sizeof a) == 0);
  CHECK_STR(blob.media_type, "audio/wav");
  pv_store_blob_free(&blob);

  /* Bad names and bytes: nothing stored. */
  pv_store_prompt bad = prompt_of("quartier", "q:Bad", "ary");
  CHECK_INT(pv_store_prompt_record(st, &bad, "audio/wav", a, sizeof a, NULL),
            PV_ERR_INVALID);
  bad = prompt_of("Quartier!", "q:ressenti", "ary");
  CHECK_INT(pv_store_prompt_record(st, &bad, "audio/wav", a, sizeof a, NULL),
            PV_ERR_INVALID);
  bad = prompt_of("quartier", "q:ressenti", "Darija");
  CHECK_INT(pv_store_prompt_record(st, &bad, "audio/wav", a, sizeof a, NULL),
            PV_ERR_INVALID);
  CHECK_INT(pv_store_prompt_record(st, &p, "audio/wav", a, 0, NULL), PV_ERR_INVALID);
  CHECK_INT(pv_store_prompt_record(st, &p, "wav", a, sizeof a, NULL), PV_ERR_INVALID);
  CHECK_INT(count_prompts(st, NULL), 1);

  /* More recordings: a choice, another language, another survey. */
  now_ms += MINUTE_MS;
  pv_store_prompt p2 = prompt_of("quartier", "o:transport:bus", "ary");
  CHECK_INT(pv_store_prompt_record(st, &p2, "audio/wav", b, sizeof b, NULL), PV_OK);
  pv_store_prompt p3 = prompt_of("quartier", "q:ressenti", "tr");
  CHECK_INT(pv_store_prompt_record(st, &p3, "audio/wav", b, sizeof b, NULL), PV_OK);
  pv_store_prompt p4 = prompt_of("autre", "q:ressenti", "ary");
  CHECK_INT(pv_store_prompt_record(st, &p4, "audio/wav", c, sizeof c, NULL), PV_OK);
  CHECK_INT(count_prompts(st, NULL), 4);
  CHECK_INT(count_prompts(st, "quartier"), 3);
  CHECK_INT(count_prompts(st, "nulle-part"), 0);
  pv_store_prompt *list = NULL;
  size_t n = 0;
  CHECK_INT(pv_store_prompt_list(st, NULL, &list, &n), PV_OK);
  CHECK_INT(n, 4);
  if (n == 4) { /* by survey, key, language */
    CHECK_STR(list[0].survey_id, "autre");
    CHECK_STR(list[1].key, "o:transport:bus");
    CHECK_STR(list[2].lang, "ary");
    CHECK_STR(list[3].lang, "tr");
  }
  free(list);

  /* Outbox: oldest first; ack by (survey, key, lang, sha256). */
  pv_store_prompt first;
  CHECK_INT(pending_prompts(st, &first), 4);
  CHECK_STR(first.key, "q:ressenti");
  CHECK_STR(first.lang, "ary");
  CHECK_STR(first.survey_id, "quartier");
  pv_store_prompt sent[4];
  CHECK_INT(pv_store_prompts_pending(st, 100, &list, &n), PV_OK);
  CHECK_INT(n, 4);
  memcpy(sent, list, 4 * sizeof *list);
  free(list);
  CHECK_INT(pv_store_prompts_pending(st, 2, &list, &n), PV_OK);
  CHECK_INT(n, 2);
  free(list);
  /* Replaced after it was sent: that one stays pending. */
  now_ms += MINUTE_MS;
  CHECK_INT(pv_store_prompt_record(st, &p, "audio/wav", c, sizeof c, &got), PV_OK);
  CHECK_INT(pv_store_prompts_ack(st, sent, 4), PV_OK);
  CHECK_INT(pending_prompts(st, &first), 1);
  CHECK_STR(first.key, "q:ressenti");
  CHECK_STR(first.lang, "ary");
  char sha_c[PV_SHA256_HEX + 1];
  CHECK_INT(pv_sha256_hex(c, sizeof c, sha_c), PV_OK);
  CHECK_STR(first.sha256, sha_c);
  /* Replacing dropped a's bytes: nothing names them now. */
  CHECK_INT(pv_store_get_attachment(st, sha_a, &blob), PV_ERR_NOTFOUND);
  CHECK_INT(pv_store_prompts_ack(st, &first, 1), PV_OK);
  CHECK_INT(pending_prompts(st, NULL), 0);
  CHECK_INT(pv_store_prompts_ack(st, &first, 1), PV_OK); /* twice: fine */

  /* Receive: the collector's current recording replaces a synced one here,
   * whatever its clock said (a day behind ours here). */
  pv_store_prompt in = prompt_of("quartier", "q:ressenti", "ary");
  iso(now_ms - DAY_MS, in.recorded_at);
  snprintf(in.device_id, sizeof in.device_id, "%s",
           "0b5e4a3c-1d2e-4f60-8a7b-9c8d7e6f5a4b");
  snprintf(in.media_type, sizeof in.media_type, "%s", "audio/wav");
  CHECK_INT(pv_sha256_hex(a, sizeof a, in.sha256), PV_OK);
  CHECK_INT(pv_store_prompts_ack(st, &first, 1), PV_OK); /* c is synced here now */
  int kept = -1;
  CHECK_INT(pv_store_prompt_receive(st, &in, a, sizeof a, &kept), PV_OK);
  CHECK_INT(kept, 1);
  CHECK_INT(pv_store_prompt_list(st, "quartier", &list, &n), PV_OK);
  CHECK_INT(n, 3);
  if (n == 3) {
    CHECK_STR(list[1].sha256, sha_a);
    CHECK_STR(list[1].device_id, in.device_id);
    CHECK_STR(list[1].recorded_at, in.recorded_at);
    CHECK_INT(list[1].synced, 1);
    CHECK_INT(list[1].deleted, 0);
  }
  free(list);
  CHECK_INT(pending_prompts(st, NULL), 0);
  CHECK_INT(pv_store_get_attachment(st, sha_c, &blob), PV_OK); /* p4 still names c */
  pv_store_blob_free(&blob);

  /* The same recording again changes nothing; a hash mismatch or a bad
   * time is refused. */
  kept = -1;
  CHECK_INT(pv_store_prompt_receive(st, &in, a, sizeof a, &kept), PV_OK);
  CHECK_INT(kept, 0);
  pv_store_prompt liar = in;
  iso(now_ms + DAY_MS, liar.recorded_at);
  CHECK_INT(pv_store_prompt_receive(st, &liar, b, sizeof b, &kept), PV_ERR_INVALID);
  CHECK_CONTAINS(pv_err_detail(), "hash");
  pv_store_prompt badtime = in;
  snprintf(badtime.recorded_at, sizeof badtime.recorded_at, "%s", "hier");
  CHECK_INT(pv_store_prompt_receive(st, &badtime, a, sizeof a, &kept), PV_ERR_INVALID);
  CHECK_INT(pv_store_prompt_list(st, "quartier", &list, &n), PV_OK);
  if (n == 3)
    CHECK_STR(list[1].sha256, sha_a);
  free(list);
  /* A new (survey, key, lang) from elsewhere arrives synced. */
  pv_store_prompt fresh = prompt_of("quartier", "q:ressenti", "zdj");
  iso(T0, fresh.recorded_at);
  snprintf(fresh.device_id, sizeof fresh.device_id, "%s", in.device_id);
  snprintf(fresh.media_type, sizeof fresh.media_type, "%s", "audio/wav");
  CHECK_INT(pv_sha256_hex(b, sizeof b, fresh.sha256), PV_OK);
  CHECK_INT(pv_store_prompt_receive(st, &fresh, b, sizeof b, &kept), PV_OK);
  CHECK_INT(kept, 1);
  CHECK_INT(count_prompts(st, "quartier"), 4);
  CHECK_INT(pending_prompts(st, NULL), 0);

  /* A pending take here is kept against any listed entry, even one
   * "recorded" a day later by its clock: it will upload and be current. */
  now_ms += MINUTE_MS;
  pv_store_prompt take;
  CHECK_INT(pv_store_prompt_record(st, &p3, "audio/wav", c, sizeof c, &take), PV_OK);
  pv_store_prompt later = fresh;
  snprintf(later.lang, sizeof later.lang, "%s", "tr");
  iso(now_ms + DAY_MS, later.recorded_at);
  CHECK_INT(pv_sha256_hex(a, sizeof a, later.sha256), PV_OK);
  kept = -1;
  CHECK_INT(pv_store_prompt_receive(st, &later, a, sizeof a, &kept), PV_OK);
  CHECK_INT(kept, 0);
  pv_store_prompt tomb = later;
  tomb.deleted = 1;
  tomb.sha256[0] = tomb.media_type[0] = '\0';
  tomb.size = 0;
  kept = -1;
  CHECK_INT(pv_store_prompt_receive(st, &tomb, NULL, 0, &kept), PV_OK);
  CHECK_INT(kept, 0);
  pv_store_prompt now_here;
  CHECK_INT(pv_store_prompt_get(st, "quartier", "q:ressenti", "tr", &now_here), PV_OK);
  CHECK_STR(now_here.sha256, sha_c);
  CHECK_INT(now_here.synced, 0);
  CHECK_INT(pending_prompts(st, NULL), 1);
  CHECK_INT(pv_store_prompts_ack(st, &take, 1), PV_OK);

  /* A listed deletion drops the synced recording here, its bytes with it
   * when nothing else names them; one of nothing changes nothing. */
  tomb = prompt_of("quartier", "o:transport:bus", "ary");
  tomb.deleted = 1;
  kept = -1;
  CHECK_INT(pv_store_prompt_receive(st, &tomb, NULL, 0, &kept), PV_OK);
  CHECK_INT(kept, 1);
  CHECK_INT(pv_store_prompt_get(st, "quartier", "o:transport:bus", "ary", &now_here),
            PV_ERR_NOTFOUND);
  CHECK_INT(pv_store_prompt_receive(st, &tomb, NULL, 0, &kept), PV_OK);
  CHECK_INT(kept, 0);
  CHECK_INT(count_prompts(st, "quartier"), 3);
  CHECK_INT(pending_prompts(st, NULL), 0);

  /* Delete: a pending deletion (tombstone) that the list never shows and
   * the outbox sends; the bytes go when nothing names them. */
  now_ms += MINUTE_MS;
  CHECK_INT(pv_store_prompt_delete(st, "autre", "q:ressenti", "ary"), PV_OK);
  CHECK_INT(pv_store_prompt_delete(st, "autre", "q:ressenti", "ary"), PV_ERR_NOTFOUND);
  CHECK_INT(pv_store_prompt_delete(st, "autre", "q:", "ary"), PV_ERR_INVALID);
  CHECK_INT(pv_store_prompt_delete(st, "autre", "q:jamais", "ary"), PV_ERR_NOTFOUND);
  CHECK_INT(pv_store_get_attachment(st, sha_c, &blob), PV_OK); /* the tr take */
  pv_store_blob_free(&blob);
  CHECK_INT(count_prompts(st, NULL), 3);
  CHECK_INT(count_prompts(st, "autre"), 0);
  pv_store_prompt gone;
  CHECK_INT(pv_store_prompt_get(st, "autre", "q:ressenti", "ary", &gone), PV_OK);
  CHECK_INT(gone.deleted, 1);
  CHECK_STR(gone.sha256, "");
  CHECK_INT(gone.size, 0);
  CHECK_INT(gone.synced, 0);
  char t_del[25];
  iso(now_ms, t_del);
  CHECK_STR(gone.recorded_at, t_del);
  CHECK_INT(pending_prompts(st, &first), 1);
  CHECK_INT(first.deleted, 1);
  CHECK_STR(first.survey_id, "autre");
  /* A listed recording does not bring it back while it is pending. */
  pv_store_prompt back = in;
  snprintf(back.survey_id, sizeof back.survey_id, "%s", "autre");
  CHECK_INT(pv_store_prompt_receive(st, &back, a, sizeof a, &kept), PV_OK);
  CHECK_INT(kept, 0);
  CHECK_INT(count_prompts(st, "autre"), 0);
  /* Acknowledged (by its time): dropped; another time matches nothing. */
  pv_store_prompt wrong = first;
  iso(now_ms - MINUTE_MS, wrong.recorded_at);
  CHECK_INT(pv_store_prompts_ack(st, &wrong, 1), PV_OK);
  CHECK_INT(pending_prompts(st, NULL), 1);
  CHECK_INT(pv_store_prompts_ack(st, &first, 1), PV_OK);
  CHECK_INT(pending_prompts(st, NULL), 0);
  CHECK_INT(pv_store_prompt_get(st, "autre", "q:ressenti", "ary", &gone),
            PV_ERR_NOTFOUND);
  CHECK_INT(pv_store_get_attachment(st, sha_c, &blob), PV_OK);
  pv_store_blob_free(&blob);
  /* Recorded again after a deletion: the recording replaces the tombstone. */
  CHECK_INT(pv_store_prompt_record(st, &p4, "audio/wav", c, sizeof c, NULL), PV_OK);
  CHECK_INT(pv_store_prompt_delete(st, "autre", "q:ressenti", "ary"), PV_OK);
  CHECK_INT(pv_store_prompt_record(st, &p4, "audio/wav", b, sizeof b, &got), PV_OK);
  CHECK_INT(pending_prompts(st, &first), 1);
  CHECK_INT(first.deleted, 0);
  CHECK_STR(first.sha256, got.sha256);
  CHECK_INT(pv_store_prompts_ack(st, &first, 1), PV_OK);
  CHECK_INT(count_prompts(st, NULL), 4);
  /* The tr take is deleted: c's bytes go with it. */
  CHECK_INT(pv_store_prompt_delete(st, "quartier", "q:ressenti", "tr"), PV_OK);
  CHECK_INT(pv_store_get_attachment(st, sha_c, &blob), PV_ERR_NOTFOUND);
  CHECK_INT(count_prompts(st, NULL), 3);

  /* Purge never drops a blob a prompt names, even one a purged voice note
   * shared. */
  char r[PV_UUID_LEN + 1], sha[PV_SHA256_HEX + 1];
  begin(st, r);
  CHECK_INT(pv_store_put_attachment(st, r, "voix", "audio/wav", a, sizeof a, sha),
            PV_OK);
  CHECK_STR(sha, sha_a);
  CHECK_INT(pv_store_put_answer(st, r, "voix", "1", PV_QUANTITATIVE), PV_OK);
  CHECK_INT(pv_store_get_attachment(st, sha_a, &blob), PV_OK); /* the prompt keeps it */
  pv_store_blob_free(&blob);
  CHECK_INT(pv_store_finish(st, r), PV_OK);
  const char *ids[] = {r};
  CHECK_INT(pv_store_ack(st, ids, 1), PV_OK);
  now_ms += 100 * DAY_MS;
  size_t purged = 0;
  CHECK_INT(pv_store_purge(st, 30, &purged), PV_OK);
  CHECK_INT(purged, 1);
  CHECK_INT(pv_store_get_attachment(st, sha_a, &blob), PV_OK);
  pv_store_blob_free(&blob);
  pv_store_close(st);
  /* A plain SQL sweep of orphans agrees: every blob left is named. */
  CHECK_INT(raw_int(path, "SELECT count(*) FROM attachments WHERE sha256 NOT IN"
                          " (SELECT sha256 FROM prompts WHERE sha256 IS NOT NULL)"),
            0);
  st = open_ok(path);
  CHECK_INT(count_prompts(st, NULL), 3);
  CHECK_INT(pending_prompts(st, NULL), 1); /* the tr deletion */
  pv_store_close(st);
}

/* A schema-2 store (before prompts) with a voice note: migration 3 adds
 * the prompts and keeps the answer and its bytes. */
static void test_prompts_migration(void) {
  char path[512], fresh[512], r[PV_UUID_LEN + 1], sha[PV_SHA256_HEX + 1];
  unsigned char a[500];
  fake_wav(a, sizeof a, 4);
  fresh_path(fresh, sizeof fresh, "fresh3.db");
  pv_store *st = open_ok(fresh);
  pv_store_close(st);
  long long objects = raw_int(fresh, "SELECT count(*) FROM sqlite_master");

  fresh_path(path, sizeof path, "version2.db");
  st = open_ok(path);
  begin(st, r);
  CHECK_INT(pv_store_put_attachment(st, r, "voix", "audio/wav", a, sizeof a, sha),
            PV_OK);
  pv_store_close(st);
  char sql[2048];
  snprintf(sql, sizeof sql, "%s PRAGMA user_version = 2;", undo_migration_3);
  raw_exec(path, sql, 1);
  CHECK_INT(raw_int(path, "PRAGMA user_version"), 2);
  CHECK_INT(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'prompts'"),
            0);
  st = open_ok(path);
  CHECK_INT(raw_int(path, "PRAGMA user_version"), PV_STORE_SCHEMA_VERSION);
  CHECK_INT(raw_int(path, "SELECT count(*) FROM sqlite_master"), objects);
  pv_store_response resp;
  CHECK_INT(pv_store_get_response(st, r, &resp), PV_OK);
  CHECK_INT(resp.answer_count, 1);
  if (resp.answer_count == 1)
    CHECK_STR(resp.answers[0].attachment, sha);
  pv_store_response_free(&resp);
  /* The same bytes become a prompt, then the voice note is replaced: the
   * remade trigger keeps them for the prompt. */
  pv_store_prompt p = prompt_of("quartier", "q:ressenti", "rom");
  CHECK_INT(pv_store_prompt_record(st, &p, "audio/wav", a, sizeof a, NULL), PV_OK);
  CHECK_INT(pv_store_put_answer(st, r, "voix", "null", PV_QUALITATIVE), PV_OK);
  pv_store_blob blob;
  CHECK_INT(pv_store_get_attachment(st, sha, &blob), PV_OK);
  pv_store_blob_free(&blob);
  CHECK_INT(pv_store_prompt_delete(st, "quartier", "q:ressenti", "rom"), PV_OK);
  CHECK_INT(pv_store_get_attachment(st, sha, &blob), PV_ERR_NOTFOUND);
  pv_store_close(st);
}

/* Takes a schema-4 store's prompts back to schema 3's table (recordings
 * only; then set user_version). */
static const char undo_migration_4[] =
    "CREATE TABLE prompts_v4 AS SELECT * FROM prompts WHERE deleted = 0;"
    " DROP TABLE prompts;"
    " CREATE TABLE prompts ("
    "  survey_id   TEXT NOT NULL CHECK (length(survey_id) BETWEEN 1 AND 64),"
    "  key         TEXT NOT NULL CHECK (length(key) BETWEEN 3 AND 140),"
    "  lang        TEXT NOT NULL CHECK (length(lang) BETWEEN 2 AND 35),"
    "  sha256      TEXT NOT NULL REFERENCES attachments (sha256),"
    "  media_type  TEXT NOT NULL,"
    "  size        INTEGER NOT NULL CHECK (size > 0),"
    "  recorded_at TEXT NOT NULL,"
    "  device_id   TEXT NOT NULL CHECK (length(device_id) = 36),"
    "  synced      INTEGER NOT NULL DEFAULT 0 CHECK (synced IN (0, 1)),"
    "  PRIMARY KEY (survey_id, key, lang)"
    " ) WITHOUT ROWID;"
    " INSERT INTO prompts SELECT survey_id, key, lang, sha256, media_type, size,"
    "  recorded_at, device_id, synced FROM prompts_v4;"
    " DROP TABLE prompts_v4;"
    " CREATE INDEX prompts_sha256 ON prompts (sha256);"
    " CREATE INDEX prompts_outbox ON prompts (recorded_at) WHERE synced = 0;"
    " CREATE TRIGGER prompts_gc_delete AFTER DELETE ON prompts"
    "  WHEN NOT EXISTS (SELECT 1 FROM answer_attachments WHERE sha256 = OLD.sha256)"
    "  AND NOT EXISTS (SELECT 1 FROM prompts WHERE sha256 = OLD.sha256)"
    "  BEGIN DELETE FROM attachments WHERE sha256 = OLD.sha256; END;"
    " CREATE TRIGGER prompts_gc_update AFTER UPDATE OF sha256 ON prompts"
    "  WHEN OLD.sha256 <> NEW.sha256"
    "  AND NOT EXISTS (SELECT 1 FROM answer_attachments WHERE sha256 = OLD.sha256)"
    "  AND NOT EXISTS (SELECT 1 FROM prompts WHERE sha256 = OLD.sha256)"
    "  BEGIN DELETE FROM attachments WHERE sha256 = OLD.sha256; END;"
    " PRAGMA user_version = 3;";

/* A schema-3 store with a pending and a synced recording: migration 4
 * keeps both as they were, bytes included, and deletions then work. */
static void test_prompts_migration_4(void) {
  char path[512], fresh[512];
  unsigned char a[700], b[800];
  fake_wav(a, sizeof a, 5);
  fake_wav(b, sizeof b, 6);
  fresh_path(fresh, sizeof fresh, "fresh4.db");
  pv_store *st = open_ok(fresh);
  pv_store_close(st);
  long long objects = raw_int(fresh, "SELECT count(*) FROM sqlite_master");

  fresh_path(path, sizeof path, "version3.db");
  st = open_ok(path);
  pv_store_prompt pa = prompt_of("quartier", "q:ressenti", "ary"), got_a;
  pv_store_prompt pb = prompt_of("quartier", "q:ressenti", "tr"), got_b;
  CHECK_INT(pv_store_prompt_record(st, &pa, "audio/wav", a, sizeof a, &got_a), PV_OK);
  CHECK_INT(pv_store_prompt_record(st, &pb, "audio/wav", b, sizeof b, &got_b), PV_OK);
  CHECK_INT(pv_store_prompts_ack(st, &got_b, 1), PV_OK);
  pv_store_close(st);
  raw_exec(path, undo_migration_4, 1);
  CHECK_INT(raw_int(path, "PRAGMA user_version"), 3);
  CHECK_INT(raw_int(path, "SELECT count(*) FROM pragma_table_info('prompts')"
                          " WHERE name = 'deleted'"),
            0);
  st = open_ok(path);
  CHECK_INT(raw_int(path, "PRAGMA user_version"), PV_STORE_SCHEMA_VERSION);
  CHECK_INT(raw_int(path, "SELECT count(*) FROM sqlite_master"), objects);
  CHECK_INT(count_prompts(st, NULL), 2);
  pv_store_prompt first;
  CHECK_INT(pending_prompts(st, &first), 1);
  CHECK_STR(first.sha256, got_a.sha256);
  CHECK_INT(first.deleted, 0);
  pv_store_blob blob;
  CHECK_INT(pv_store_get_attachment(st, got_b.sha256, &blob), PV_OK);
  CHECK_INT(blob.size, sizeof b);
  pv_store_blob_free(&blob);
  /* The remade sha256 trigger drops the bytes when it turns NULL. */
  CHECK_INT(pv_store_prompt_delete(st, "quartier", "q:ressenti", "tr"), PV_OK);
  CHECK_INT(pv_store_get_attachment(st, got_b.sha256, &blob), PV_ERR_NOTFOUND);
  CHECK_INT(pending_prompts(st, NULL), 2);

  /* The sync thread's connection sees a take the UI's connection just
   * kept: receive decides inside its write transaction, so the take stays. */
  pv_store *ui = open_ok(path);
  pv_store_prompt pc = prompt_of("quartier", "q:ressenti", "zdj"), got_c;
  CHECK_INT(pv_store_prompt_record(ui, &pc, "audio/wav", a, sizeof a, &got_c), PV_OK);
  pv_store_prompt remote = got_b;
  snprintf(remote.lang, sizeof remote.lang, "%s", "zdj");
  int kept = -1;
  CHECK_INT(pv_store_prompt_receive(st, &remote, b, sizeof b, &kept), PV_OK);
  CHECK_INT(kept, 0);
  pv_store_prompt now;
  CHECK_INT(pv_store_prompt_get(ui, "quartier", "q:ressenti", "zdj", &now), PV_OK);
  CHECK_STR(now.sha256, got_c.sha256);
  CHECK_INT(now.synced, 0);
  pv_store_close(ui);
  pv_store_close(st);
}

int main(void) {
  snprintf(dir, sizeof dir, "%s", pv_test_tmpdir());
  test_round_trip();
  test_replace_answer();
  test_state_rules();
  test_json();
  test_bounds();
  test_pending_and_ack();
  test_retention();
  test_attachments();
  test_sessions();
  test_session_outbox();
  test_settings();
  test_migrations();
  test_refused_files();
  test_busy();
  test_full();
  test_prompts();
  test_prompts_migration();
  test_prompts_migration_4();
  pv_test_rmtree(dir);
  return pv_test_done();
}
