/* test_cstore: collector/storage.h, one suite run on both backends.
 *
 * The same sections run on SQLite (a temporary file) and on PostgreSQL (a
 * fresh database on the server of the ctest fixture "pg"), in order, on
 * one database each: migrations, territories, tokens, blobs, publish,
 * attachments, ingest, export, then 16 threads ingesting at once on their
 * own connections, each uuid sent by two of them (and before that, all
 * 16 opening one empty database at the same moment: one migrates it). Responses are
 * built by hand and encoded with pv_proto_response_encode, as the server does.
 *
 * PV_CSTORE_BENCH=N makes each of the 16 threads send N responses of its
 * own (plus N resent from a neighbour) and prints responses/s. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "collector/storage.h"
#include "core/sha256.h"
#include "sync/protocol.h"
#include "tests/check.h"

#define T1 "34172"
#define T2 "75056"
#define NOW "2026-11-23T12:00:00.000Z"
#define DEVICE_UUID "6f1c0000-0000-4000-8000-000000000001"
#define S1 "11111111-1111-4111-8111-111111111111"
#define S2 "22222222-2222-4222-8222-222222222222"
#define THREADS 16
#define BATCH 100
#define DEFAULT_PER_THREAD 200

typedef struct ctx {
  int pg;            /* 0: SQLite, 1: PostgreSQL */
  char target[1024]; /* SQLite path or conninfo */
  char spare[1024];  /* a second database for the migration checks */
  char fresh[1024];  /* an empty one that 16 threads open at once */
  char v1[1024];     /* one taken back to schema 1, then migrated */
  pv_cdb *db;
  long long dev1, dev2; /* device principals of T1 and T2 */
} ctx;

static pv_err reopen(const ctx *c, const char *target, pv_cdb **out) {
  return pv_cdb_open(c->pg ? NULL : target, c->pg ? target : NULL, out);
}

/* Runs sql on the backend's database target outside pv_cdb; 0 when ok. */
static int raw_exec(const ctx *c, const char *target, const char *sql) {
  int ok;
  if (c->pg) {
    PGconn *conn = PQconnectdb(target);
    PGresult *res = PQexec(conn, sql);
    ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
         PQresultStatus(res) == PGRES_TUPLES_OK;
    if (!ok)
      fprintf(stderr, "raw_exec: %s", PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
  } else {
    sqlite3 *db = NULL;
    ok = sqlite3_open(target, &db) == SQLITE_OK &&
         sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_close(db);
  }
  return ok ? 0 : -1;
}

static void hash_of(const char *text, char out[PV_SHA256_HEX + 1]) {
  PV_ASSERT(pv_sha256_hex(text, strlen(text), out) == PV_OK);
}

/* A deterministic UUID v4 from two numbers. */
static void uuid_of(unsigned a, unsigned b, char out[PV_UUID_LEN + 1]) {
  snprintf(out, PV_UUID_LEN + 1, "%08x-%04x-4000-8000-%012x", a, b & 0xffff, a ^ b);
}

/* ---- responses by hand ------------------------------------------------- */

/* A response with up to three answers; values point at static text. */
typedef struct resp {
  pv_store_response r;
  pv_store_answer answers[3];
} resp;

static void resp_make(resp *x, const char *uuid, const char *survey, int version,
                      const char *started_at, const char *session, const char *language,
                      const char *attachment) {
  memset(x, 0, sizeof *x);
  pv_store_response *r = &x->r;
  snprintf(r->uuid, sizeof r->uuid, "%s", uuid);
  snprintf(r->survey_id, sizeof r->survey_id, "%s", survey);
  r->survey_version = version;
  snprintf(r->session_uuid, sizeof r->session_uuid, "%s", session ? session : "");
  snprintf(r->device_id, sizeof r->device_id, "%s", DEVICE_UUID);
  snprintf(r->language, sizeof r->language, "%s", language);
  snprintf(r->started_at, sizeof r->started_at, "%.24s", started_at);
  snprintf(r->ended_at, sizeof r->ended_at, "%.24s", started_at);
  r->status = PV_STORE_COMPLETE;
  r->answers = x->answers;
  static const struct {
    const char *q, *value;
    pv_measure m;
  } fixed[] = {
      {"logement", "4", PV_QUANTITATIVE},
      {"commentaire", "\"Le parc est fermé \\\"le soir\\\" ; الحديقة مغلقة\"",
       PV_QUALITATIVE},
  };
  for (size_t i = 0; i < 2; i++) {
    pv_store_answer *a = &x->answers[r->answer_count++];
    snprintf(a->question_id, sizeof a->question_id, "%s", fixed[i].q);
    a->value = (char *)fixed[i].value;
    a->measure = fixed[i].m;
    snprintf(a->answered_at, sizeof a->answered_at, "%.24s", started_at);
  }
  if (attachment && *attachment) {
    static char value[128];
    snprintf(value, sizeof value, "{\"attachment\":\"%s\"}", attachment);
    pv_store_answer *a = &x->answers[r->answer_count++];
    snprintf(a->question_id, sizeof a->question_id, "dessin");
    a->value = value;
    a->measure = PV_QUALITATIVE;
    snprintf(a->answered_at, sizeof a->answered_at, "%.24s", started_at);
    snprintf(a->attachment, sizeof a->attachment, "%s", attachment);
  }
}

/* Fills an ingest item for x as the server would; *canonical is the
 * caller's to free. */
static void item_make(pv_cdb_ingest_item *it, const resp *x, char **canonical) {
  memset(it, 0, sizeof *it);
  *canonical = pv_proto_response_encode(&x->r);
  PV_ASSERT(*canonical);
  it->r = &x->r;
  it->canonical = *canonical;
  hash_of(*canonical, it->hash);
  it->outcome = PV_OUT__COUNT;
}

/* Ingests one response for territory as device; returns its outcome, or
 * PV_OUT__COUNT when the call failed. */
static pv_proto_outcome ingest1(pv_cdb *db, const char *territory, long long device,
                                const resp *x) {
  pv_cdb_ingest_item it;
  char *canonical = NULL;
  item_make(&it, x, &canonical);
  pv_err err = pv_cdb_ingest(db, territory, device, &it, 1, NOW);
  free(canonical);
  if (err) {
    fprintf(stderr, "ingest: %s: %s\n", pv_strerror(err), pv_err_detail());
    return PV_OUT__COUNT;
  }
  return it.outcome;
}

/* ---- sections ---------------------------------------------------------- */

static void t_migrations(ctx *c) {
  pv_cdb *again = NULL, *other = NULL;
  /* Opening an up-to-date database again changes nothing. */
  CHECK_INT(reopen(c, c->target, &again), PV_OK);
  if (again)
    CHECK_STR(pv_cdb_backend(again), c->pg ? "postgresql" : "sqlite");
  pv_cdb_close(again);

  /* A database from a newer program is refused, and left alone. */
  CHECK_INT(reopen(c, c->spare, &other), PV_OK);
  pv_cdb_close(other);
  CHECK_INT(raw_exec(c, c->spare,
                     "INSERT INTO schema_migrations (version, applied_at)"
                     " VALUES (99, '2030-01-01T00:00:00.000Z')"),
            0);
  other = NULL;
  CHECK_INT(reopen(c, c->spare, &other), PV_ERR_FOREIGN);
  CHECK_CONTAINS(pv_err_detail(), "newer");
  CHECK(other == NULL);
  pv_cdb_close(other);

  if (!c->pg) {
    /* Not ours: a kiosk store (another application_id), not SQLite. */
    char path[1100];
    snprintf(path, sizeof path, "%s.kiosk", c->target);
    CHECK_INT(raw_exec(c, path,
                       "PRAGMA application_id = 1347833688;"
                       " CREATE TABLE t (x)"),
              0);
    CHECK_INT(pv_cdb_open_sqlite(path, &other), PV_ERR_FOREIGN);
    snprintf(path, sizeof path, "%s.text", c->target);
    static const char text[] = "not a database: some text longer than the hundred "
                               "bytes of an SQLite header, so SQLite reads it all.\n";
    pv_test_write(path, text, sizeof text - 1);
    CHECK_INT(pv_cdb_open_sqlite(path, &other), PV_ERR_FOREIGN);
  }
  /* Exactly one of the two targets. */
  CHECK_INT(pv_cdb_open(NULL, NULL, &other), PV_ERR_INVALID);
  CHECK_INT(pv_cdb_open("a", "b", &other), PV_ERR_INVALID);
}

static void t_territories(ctx *c) {
  static const struct {
    const char *code, *name;
    pv_err want;
  } cases[] = {
      {T1, "Montpellier Méditerranée Métropole", PV_OK},
      {T2, "Paris", PV_OK},
      {T1, "Encore", PV_ERR_EXISTS},
      {"occ-montpellier", "Occitanie", PV_OK},
      {"a b", "Espace", PV_ERR_INVALID},
      {"*", "Tout", PV_ERR_INVALID},
      {"", "Vide", PV_ERR_INVALID},
      {"x23456789012345678901234567890123", "Trop long", PV_ERR_TOOBIG},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    pv_err err = pv_cdb_territory_add(c->db, cases[i].code, cases[i].name, NOW);
    if (err != cases[i].want)
      fprintf(stderr, "territory case %zu: %s\n", i, pv_err_detail());
    CHECK_INT(err, cases[i].want);
  }
  pv_cdb_territory t;
  CHECK_INT(pv_cdb_territory_get(c->db, T1, &t), PV_OK);
  CHECK_STR(t.code, T1);
  CHECK_STR(t.name, "Montpellier Méditerranée Métropole");
  CHECK_INT(pv_cdb_territory_get(c->db, "99999", &t), PV_ERR_NOTFOUND);

  /* The list: the three added, by code (byte order on both backends). */
  pv_cdb_territory *list = NULL;
  size_t n = 0;
  CHECK_INT(pv_cdb_territory_list(c->db, &list, &n), PV_OK);
  CHECK_INT(n, 3);
  if (n == 3) {
    CHECK_STR(list[0].code, T1);
    CHECK_STR(list[1].code, T2);
    CHECK_STR(list[2].code, "occ-montpellier");
    CHECK_STR(list[0].name, "Montpellier Méditerranée Métropole");
  }
  free(list);
}

static void t_tokens(ctx *c) {
  enum op { ADD, REVOKE, LOOKUP };
  static const struct {
    enum op op;
    pv_cdb_kind kind;
    const char *territory, *name, *token; /* token: hashed by the test */
    pv_err want;
    int revoked; /* LOOKUP: expected */
  } steps[] = {
      {ADD, PV_CDB_DEVICE, T1, "centre-social-hall", "tok-1", PV_OK, 0},
      {ADD, PV_CDB_DEVICE, T1, "centre-social-hall", "tok-2", PV_ERR_EXISTS, 0},
      {ADD, PV_CDB_ANALYST, T1, "centre-social-hall", "tok-3", PV_OK, 0},
      {ADD, PV_CDB_DEVICE, T2, "centre-social-hall", "tok-4", PV_OK, 0},
      {ADD, PV_CDB_DEVICE, "99999", "nowhere", "tok-5", PV_ERR_NOTFOUND, 0},
      {ADD, PV_CDB_DEVICE, T1, "other-name", "tok-1", PV_ERR_EXISTS, 0},
      {LOOKUP, PV_CDB_DEVICE, T1, "centre-social-hall", "tok-1", PV_OK, 0},
      {LOOKUP, PV_CDB_ANALYST, T1, "centre-social-hall", "tok-3", PV_OK, 0},
      {LOOKUP, PV_CDB_DEVICE, NULL, NULL, "tok-unknown", PV_ERR_NOTFOUND, 0},
      {REVOKE, PV_CDB_DEVICE, T1, "centre-social-hall", NULL, PV_OK, 0},
      {LOOKUP, PV_CDB_DEVICE, T1, "centre-social-hall", "tok-1", PV_OK, 1},
      {LOOKUP, PV_CDB_ANALYST, T1, "centre-social-hall", "tok-3", PV_OK, 0},
      {REVOKE, PV_CDB_DEVICE, T1, "centre-social-hall", NULL, PV_ERR_NOTFOUND, 0},
      {REVOKE, PV_CDB_DEVICE, T1, "never-added", NULL, PV_ERR_NOTFOUND, 0},
      {ADD, PV_CDB_DEVICE, T1, "centre-social-hall", "tok-6", PV_OK, 0},
      {LOOKUP, PV_CDB_DEVICE, T1, "centre-social-hall", "tok-6", PV_OK, 0},
      {LOOKUP, PV_CDB_DEVICE, T1, "centre-social-hall", "tok-1", PV_OK, 1},
  };
  long long first_id = -1;
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    char hash[PV_SHA256_HEX + 1] = "";
    long long id = -1;
    pv_cdb_principal p;
    pv_err err = PV_OK;
    if (steps[i].token)
      hash_of(steps[i].token, hash);
    switch (steps[i].op) {
    case ADD:
      err = pv_cdb_token_add(c->db, steps[i].kind, steps[i].territory, steps[i].name,
                             hash, NOW, &id);
      if (!err && first_id < 0)
        first_id = id;
      if (!err && i > 0)
        CHECK(id != first_id);
      break;
    case REVOKE:
      err = pv_cdb_token_revoke(c->db, steps[i].kind, steps[i].territory, steps[i].name,
                                NOW);
      break;
    case LOOKUP:
      err = pv_cdb_token_lookup(c->db, hash, &p);
      if (!err) {
        CHECK_INT(p.kind, steps[i].kind);
        CHECK_STR(p.territory, steps[i].territory);
        CHECK_STR(p.name, steps[i].name);
        CHECK_INT(p.revoked, steps[i].revoked);
        CHECK(p.id > 0);
      }
      break;
    }
    if (err != steps[i].want)
      fprintf(stderr, "token step %zu: %s\n", i, pv_err_detail());
    CHECK_INT(err, steps[i].want);
  }
  /* The devices the later sections ingest as. */
  char hash[PV_SHA256_HEX + 1];
  pv_cdb_principal p;
  hash_of("tok-6", hash);
  CHECK_INT(pv_cdb_token_lookup(c->db, hash, &p), PV_OK);
  c->dev1 = p.id;
  hash_of("tok-4", hash);
  CHECK_INT(pv_cdb_token_lookup(c->db, hash, &p), PV_OK);
  c->dev2 = p.id;
}

/* Puts a blob of len bytes made from seed; writes its hash. */
static pv_err put_pattern(pv_cdb *db, unsigned seed, size_t len, const char *type,
                          char sha[PV_SHA256_HEX + 1]) {
  unsigned char *b = malloc(len ? len : 1);
  PV_ASSERT(b);
  for (size_t i = 0; i < len; i++)
    b[i] = (unsigned char)(i * 7 + seed);
  PV_ASSERT(pv_sha256_hex(b, len, sha) == PV_OK);
  pv_err err = pv_cdb_blob_put(db, sha, type, b, len);
  free(b);
  return err;
}

static void t_blobs(ctx *c) {
  static const size_t sizes[] = {0, 1, 256, 1 << 20};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    char sha[PV_SHA256_HEX + 1];
    pv_store_blob b;
    CHECK_INT(put_pattern(c->db, (unsigned)i, sizes[i], "image/jpeg", sha), PV_OK);
    CHECK_INT(put_pattern(c->db, (unsigned)i, sizes[i], "image/jpeg", sha), PV_OK);
    CHECK_INT(pv_cdb_blob_get(c->db, sha, &b), PV_OK);
    CHECK_INT(b.size, sizes[i]);
    CHECK_STR(b.media_type, "image/jpeg");
    int same = b.bytes != NULL;
    for (size_t k = 0; same && k < b.size; k++)
      same = b.bytes[k] == (unsigned char)(k * 7 + i);
    CHECK(same);
    pv_store_blob_free(&b);
  }
  char wrong[PV_SHA256_HEX + 1];
  pv_store_blob b;
  hash_of("something else", wrong);
  CHECK_INT(pv_cdb_blob_put(c->db, wrong, "text/plain", "abc", 3), PV_ERR_INVALID);
  CHECK_INT(pv_cdb_blob_get(c->db, wrong, &b), PV_ERR_NOTFOUND);
  CHECK_INT(pv_cdb_blob_get(c->db, "../../etc/passwd", &b), PV_ERR_INVALID);
}

/* ---- publish ----------------------------------------------------------- */

/* A survey version's files: survey.json and one media file, made from
 * text (the same text gives the same files). */
typedef struct files {
  pv_proto_file f[2];
} files;

static void files_make(pv_cdb *db, files *fs, const char *id, int version,
                       const char *variant) {
  char json[200], media[200];
  snprintf(json, sizeof json, "{\"id\":\"%s\",\"version\":%d}", id, version);
  snprintf(media, sizeof media, "image of %s %d %s", id, version, variant);
  const char *texts[2] = {json, media};
  const char *paths[2] = {"survey.json", "media/plan.jpg"};
  for (int i = 0; i < 2; i++) {
    memset(&fs->f[i], 0, sizeof fs->f[i]);
    snprintf(fs->f[i].path, sizeof fs->f[i].path, "%s", paths[i]);
    hash_of(texts[i], fs->f[i].sha256);
    fs->f[i].size = strlen(texts[i]);
    if (db)
      PV_ASSERT(pv_cdb_blob_put(db, fs->f[i].sha256,
                                i ? "image/jpeg" : "application/json", texts[i],
                                strlen(texts[i])) == PV_OK);
  }
}

static pv_err publish(pv_cdb *db, const char *territory, const char *id, int version,
                      const char *variant, int put_blobs, pv_cdb_publish *what) {
  files fs;
  files_make(put_blobs ? db : NULL, &fs, id, version, variant);
  pv_proto_survey s = {.version = version, .files = fs.f, .n_files = 2};
  snprintf(s.id, sizeof s.id, "%s", id);
  return pv_cdb_survey_publish(db, territory, &s, NOW, what);
}

/* The catalogue of territory as "id@v,id@v". */
static void catalog_text(pv_cdb *db, const char *territory, char *out, size_t len) {
  pv_proto_catalog cat;
  size_t used = 0;
  out[0] = '\0';
  if (pv_cdb_survey_catalog(db, territory, &cat) != PV_OK) {
    snprintf(out, len, "error: %s", pv_err_detail());
    return;
  }
  for (size_t i = 0; i < cat.count; i++) {
    used += (size_t)snprintf(out + used, len - used, "%s%s@%d", i ? "," : "",
                             cat.surveys[i].id, cat.surveys[i].version);
    CHECK_INT(cat.surveys[i].n_files, 2);
    if (cat.surveys[i].n_files == 2) {
      CHECK_STR(cat.surveys[i].files[0].path, "media/plan.jpg");
      CHECK_STR(cat.surveys[i].files[1].path, "survey.json");
    }
  }
  pv_proto_catalog_free(&cat);
}

static void t_publish(ctx *c) {
  static const struct {
    const char *territory, *id;
    int version;
    const char *variant;
    int put_blobs;
    pv_err want;
    pv_cdb_publish what;
  } steps[] = {
      {NULL, "alpha", 1, "a", 1, PV_OK, PV_CDB_PUBLISHED},
      {NULL, "alpha", 1, "a", 1, PV_OK, PV_CDB_UNCHANGED},
      {NULL, "alpha", 1, "changed", 1, PV_ERR_EXISTS, 0},
      {T1, "alpha", 1, "changed", 1, PV_ERR_EXISTS, 0},
      {T1, "alpha", 1, "a", 1, PV_OK, PV_CDB_UNCHANGED}, /* all covers T1 */
      {T2, "beta", 1, "b", 1, PV_OK, PV_CDB_PUBLISHED},
      {T2, "beta", 1, "b", 1, PV_OK, PV_CDB_UNCHANGED},
      {T1, "beta", 1, "b", 1, PV_OK, PV_CDB_PUBLISHED}, /* newly visible to T1 */
      {T1, "gamma", 1, "g", 1, PV_OK, PV_CDB_PUBLISHED},
      {T2, "gamma", 2, "g", 1, PV_OK, PV_CDB_PUBLISHED},
      {T2, "alpha", 2, "a", 1, PV_OK, PV_CDB_PUBLISHED},
      {T2, "delta", 1, "d", 1, PV_OK, PV_CDB_PUBLISHED},
      {NULL, "delta", 1, "d", 1, PV_OK, PV_CDB_PUBLISHED}, /* now for all */
      {"99999", "alpha", 1, "a", 1, PV_ERR_NOTFOUND, 0},
      {T1, "epsilon", 1, "no blobs", 0, PV_ERR_NOTFOUND, 0},
      {T1, "Bad Id", 1, "x", 0, PV_ERR_INVALID, 0},
      {T1, "zeta", 0, "x", 0, PV_ERR_INVALID, 0},
  };
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    pv_cdb_publish what = (pv_cdb_publish)-1;
    pv_err err = publish(c->db, steps[i].territory, steps[i].id, steps[i].version,
                         steps[i].variant, steps[i].put_blobs, &what);
    if (err != steps[i].want)
      fprintf(stderr, "publish step %zu: %s\n", i, pv_err_detail());
    CHECK_INT(err, steps[i].want);
    if (!err)
      CHECK_INT(what, steps[i].what);
  }
  /* A failed publish left nothing behind: epsilon is nowhere. */
  static const struct {
    const char *territory, *want;
  } catalogs[] = {
      {T1, "alpha@1,beta@1,delta@1,gamma@1"},
      {T2, "alpha@2,beta@1,delta@1,gamma@2"},
      {"occ-montpellier", "alpha@1,delta@1"},
      {NULL, "alpha@2,beta@1,delta@1,gamma@2"},
  };
  for (size_t i = 0; i < sizeof catalogs / sizeof catalogs[0]; i++) {
    char text[400];
    catalog_text(c->db, catalogs[i].territory, text, sizeof text);
    CHECK_STR(text, catalogs[i].want);
  }
  static const struct {
    const char *territory, *id;
    int version;
    pv_err want;
  } gets[] = {
      {T1, "alpha", 1, PV_OK},           {T2, "alpha", 1, PV_OK},
      {T1, "alpha", 2, PV_ERR_NOTFOUND}, {T2, "gamma", 2, PV_OK},
      {T1, "gamma", 2, PV_ERR_NOTFOUND}, {T1, "epsilon", 1, PV_ERR_NOTFOUND},
      {NULL, "gamma", 2, PV_OK},
  };
  for (size_t i = 0; i < sizeof gets / sizeof gets[0]; i++) {
    pv_proto_survey s;
    CHECK_INT(
        pv_cdb_survey_get(c->db, gets[i].territory, gets[i].id, gets[i].version, &s),
        gets[i].want);
    if (gets[i].want == PV_OK) {
      files fs;
      files_make(NULL, &fs, gets[i].id, gets[i].version,
                 strcmp(gets[i].id, "alpha") == 0 ? "a" : "g");
      CHECK_STR(s.id, gets[i].id);
      CHECK_INT(s.version, gets[i].version);
      CHECK_INT(s.n_files, 2);
      if (s.n_files == 2) {
        CHECK_STR(s.files[0].sha256, fs.f[1].sha256); /* media/ sorts first */
        CHECK_INT(s.files[0].size, fs.f[1].size);
        CHECK_STR(s.files[1].path, "survey.json");
      }
    }
    free(s.files);
  }
  /* A file is served only to territories that see a version holding it. */
  files g2;
  files_make(NULL, &g2, "gamma", 2, "g");
  static const struct {
    const char *territory;
    int has;
  } has[] = {{T2, 1}, {T1, 0}, {"occ-montpellier", 0}, {NULL, 1}};
  for (size_t i = 0; i < sizeof has / sizeof has[0]; i++) {
    int h = -1;
    CHECK_INT(pv_cdb_survey_has_file(c->db, has[i].territory, g2.f[1].sha256, &h),
              PV_OK);
    CHECK_INT(h, has[i].has);
  }
}

/* ---- attachments -------------------------------------------------------- */

#define DRAWING "a drawing of the park"
#define VOICE "a voice note from T2"

static void t_attachments(ctx *c) {
  char drawing[PV_SHA256_HEX + 1], voice[PV_SHA256_HEX + 1];
  int created = -1, has = -1;
  pv_store_blob b;
  hash_of(DRAWING, drawing);
  hash_of(VOICE, voice);
  CHECK_INT(pv_cdb_attachment_put(c->db, T1, drawing, "image/png", DRAWING,
                                  strlen(DRAWING), NOW, &created),
            PV_OK);
  CHECK_INT(created, 1);
  CHECK_INT(pv_cdb_attachment_put(c->db, T1, drawing, "image/png", DRAWING,
                                  strlen(DRAWING), NOW, &created),
            PV_OK);
  CHECK_INT(created, 0);
  CHECK_INT(pv_cdb_attachment_put(c->db, T2, voice, "audio/ogg", VOICE, strlen(VOICE),
                                  NOW, &created),
            PV_OK);
  CHECK_INT(created, 1);
  static const struct {
    const char *territory;
    int voice; /* 0: the drawing */
    int has;
  } cases[] = {{T1, 0, 1}, {T2, 0, 0}, {T2, 1, 1}, {T1, 1, 0}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *sha = cases[i].voice ? voice : drawing;
    CHECK_INT(pv_cdb_attachment_has(c->db, cases[i].territory, sha, &has), PV_OK);
    CHECK_INT(has, cases[i].has);
    pv_err err = pv_cdb_attachment_get(c->db, cases[i].territory, sha, &b);
    CHECK_INT(err, cases[i].has ? PV_OK : PV_ERR_NOTFOUND);
    if (!err) {
      const char *want = cases[i].voice ? VOICE : DRAWING;
      CHECK_INT(b.size, strlen(want));
      CHECK(b.bytes && memcmp(b.bytes, want, b.size) == 0);
      CHECK_STR(b.media_type, cases[i].voice ? "audio/ogg" : "image/png");
    }
    pv_store_blob_free(&b);
  }
  CHECK_INT(
      pv_cdb_attachment_put(c->db, T1, drawing, "image/png", "", 0, NOW, &created),
      PV_ERR_INVALID);
  CHECK_INT(pv_cdb_attachment_has(c->db, T1, "not-a-hash", &has), PV_ERR_INVALID);
}

/* ---- ingest ------------------------------------------------------------- */

static void t_ingest(ctx *c) {
  char drawing[PV_SHA256_HEX + 1], voice[PV_SHA256_HEX + 1], none[PV_SHA256_HEX + 1];
  hash_of(DRAWING, drawing);
  hash_of(VOICE, voice);
  hash_of("never uploaded", none);
  enum { NO_ATT, ATT_DRAWING, ATT_VOICE, ATT_NONE };
  const char *atts[] = {"", drawing, voice, none};
  static const struct {
    const char *what;
    int t2; /* ingest as T2's device, else T1's */
    unsigned uuid;
    const char *survey;
    int version;
    const char *language;
    int att;
    pv_proto_outcome want;
  } cases[] = {
      {"new", 0, 1, "alpha", 1, "fr", NO_ATT, PV_OUT_STORED},
      {"identical resend", 0, 1, "alpha", 1, "fr", NO_ATT, PV_OUT_DUPLICATE},
      {"same uuid, other content", 0, 1, "alpha", 1, "ar", NO_ATT, PV_OUT_CONFLICT},
      {"another territory's uuid", 1, 1, "alpha", 1, "fr", NO_ATT, PV_OUT_CONFLICT},
      {"unknown survey", 0, 2, "nope", 1, "fr", NO_ATT, PV_OUT_UNKNOWN_SURVEY},
      {"unknown version", 0, 3, "alpha", 9, "fr", NO_ATT, PV_OUT_UNKNOWN_SURVEY},
      {"another territory's version", 0, 4, "gamma", 2, "fr", NO_ATT,
       PV_OUT_UNKNOWN_SURVEY},
      {"that version at home", 1, 4, "gamma", 2, "fr", NO_ATT, PV_OUT_STORED},
      {"attachment not uploaded", 0, 5, "alpha", 1, "fr", ATT_NONE,
       PV_OUT_MISSING_ATTACHMENT},
      {"another territory's attachment", 0, 6, "alpha", 1, "fr", ATT_VOICE,
       PV_OUT_MISSING_ATTACHMENT},
      {"with its attachment", 0, 7, "alpha", 1, "fr", ATT_DRAWING, PV_OUT_STORED},
      {"unknown survey retried once published", 0, 2, "alpha", 1, "fr", NO_ATT,
       PV_OUT_STORED},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char uuid[PV_UUID_LEN + 1];
    resp x;
    uuid_of(0x1000 + cases[i].uuid, 1, uuid);
    resp_make(&x, uuid, cases[i].survey, cases[i].version, "2026-11-20T10:00:00.000Z",
              NULL, cases[i].language, atts[cases[i].att]);
    pv_proto_outcome got =
        ingest1(c->db, cases[i].t2 ? T2 : T1, cases[i].t2 ? c->dev2 : c->dev1, &x);
    if (got != cases[i].want)
      fprintf(stderr, "ingest case %zu (%s): got %d\n", i, cases[i].what, (int)got);
    CHECK_INT(got, cases[i].want);
  }
  size_t n = 0;
  CHECK_INT(pv_cdb_count(c->db, T1, NULL, &n), PV_OK);
  CHECK_INT(n, 3); /* uuids 1, 7, 2 */
  CHECK_INT(pv_cdb_count(c->db, T2, NULL, &n), PV_OK);
  CHECK_INT(n, 1);

  /* One batch, outcomes in the caller's order: new, a uuid twice in the
   * same batch, an unknown survey, a duplicate of an earlier batch. */
  resp xs[5];
  pv_cdb_ingest_item items[5];
  char *canon[5];
  static const struct {
    unsigned uuid;
    const char *survey;
    pv_proto_outcome want;
  } batch[] = {
      {20, "alpha", PV_OUT_STORED},    {21, "beta", PV_OUT_STORED},
      {20, "alpha", PV_OUT_DUPLICATE}, {22, "nope", PV_OUT_UNKNOWN_SURVEY},
      {1, "alpha", PV_OUT_DUPLICATE},
  };
  for (size_t i = 0; i < 5; i++) {
    char uuid[PV_UUID_LEN + 1];
    uuid_of(0x1000 + batch[i].uuid, 1, uuid);
    resp_make(&xs[i], uuid, batch[i].survey, 1, "2026-11-20T10:00:00.000Z", NULL, "fr",
              "");
    item_make(&items[i], &xs[i], &canon[i]);
  }
  CHECK_INT(pv_cdb_ingest(c->db, T1, c->dev1, items, 5, NOW), PV_OK);
  for (size_t i = 0; i < 5; i++) {
    CHECK_INT(items[i].outcome, batch[i].want);
    free(canon[i]);
  }
  CHECK_INT(pv_cdb_count(c->db, T1, NULL, &n), PV_OK);
  CHECK_INT(n, 5);
  CHECK_INT(pv_cdb_count(c->db, T1, "beta", &n), PV_OK);
  CHECK_INT(n, 1);
  CHECK_INT(pv_cdb_ingest(c->db, T1, c->dev1, items, 0, NOW), PV_OK);
}

/* ---- export ------------------------------------------------------------- */

typedef struct walk {
  char uuids[16][PV_UUID_LEN + 1];
  size_t n;
  size_t stop_after; /* 0: never */
} walk;

static pv_err collect(void *ud, const pv_store_response *r) {
  walk *w = ud;
  if (w->n < 16)
    snprintf(w->uuids[w->n], sizeof w->uuids[0], "%s", r->uuid);
  w->n++;
  CHECK_STR(r->survey_id, "delta");
  CHECK_INT(r->answer_count, 2);
  if (r->answer_count == 2)
    CHECK_STR(r->answers[1].value,
              "\"Le parc est fermé \\\"le soir\\\" ; الحديقة مغلقة\"");
  return w->stop_after && w->n == w->stop_after ? PV_ERR_STATE : PV_OK;
}

/* The order "1,2,3" of the uuids a walk saw, by their number. */
static void walk_text(const walk *w, char *out, size_t len) {
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = 0; i < w->n && i < 16; i++)
    used +=
        (size_t)snprintf(out + used, len - used, "%s%c", i ? "," : "", w->uuids[i][7]);
}

static void t_export(ctx *c) {
  /* uuid number (its 8th hex digit in the text), territory, start, session. */
  static const struct {
    unsigned n;
    int t2;
    const char *started_at, *session;
  } rows[] = {
      {1, 0, "2026-11-02T09:00:00.000Z", S1},
      {2, 0, "2026-11-01T09:00:00.000Z", NULL},
      {4, 0, "2026-11-03T09:00:00.000Z", S2},
      {3, 0, "2026-11-03T09:00:00.000Z", S1},
      {5, 0, "2026-10-31T23:59:59.999Z", S2},
      {6, 1, "2026-11-02T09:00:00.000Z", S1},
      {7, 0, "2026-11-04T00:00:00.000Z", NULL},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    char uuid[PV_UUID_LEN + 1];
    resp x;
    uuid_of(0x2000000 + rows[i].n, 2, uuid);
    resp_make(&x, uuid, "delta", 1, rows[i].started_at, rows[i].session, "ar", "");
    CHECK_INT(ingest1(c->db, rows[i].t2 ? T2 : T1, rows[i].t2 ? c->dev2 : c->dev1, &x),
              PV_OUT_STORED);
  }
  static const struct {
    const char *territory, *from, *to, *session, *want;
  } cases[] = {
      {T1, NULL, NULL, NULL, "5,2,1,3,4,7"},
      {T1, "", "", "", "5,2,1,3,4,7"},
      {T1, "2026-11-01", NULL, NULL, "2,1,3,4,7"},
      {T1, NULL, "2026-11-03", NULL, "5,2,1"},
      {T1, "2026-11-02", "2026-11-04", NULL, "1,3,4"},
      {T1, NULL, NULL, S1, "1,3"},
      {T1, "2026-11-03", NULL, S2, "4"},
      {T2, NULL, NULL, NULL, "6"},
      {NULL, NULL, NULL, NULL, "5,2,1,6,3,4,7"},
      {NULL, NULL, NULL, S1, "1,6,3"},
      {"occ-montpellier", NULL, NULL, NULL, ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    walk w = {.n = 0};
    char text[64];
    pv_cdb_filter f = {.survey_id = "delta",
                       .from = cases[i].from,
                       .to = cases[i].to,
                       .session = cases[i].session};
    CHECK_INT(pv_cdb_export(c->db, cases[i].territory, &f, collect, &w), PV_OK);
    walk_text(&w, text, sizeof text);
    if (strcmp(text, cases[i].want) != 0)
      fprintf(stderr, "export case %zu\n", i);
    CHECK_STR(text, cases[i].want);
  }
  /* The callback stops the walk; the connection is usable after. */
  walk w = {.stop_after = 2};
  pv_cdb_filter f = {.survey_id = "delta"};
  CHECK_INT(pv_cdb_export(c->db, T1, &f, collect, &w), PV_ERR_STATE);
  CHECK_INT(w.n, 2);
  size_t n = 0;
  CHECK_INT(pv_cdb_count(c->db, T1, "delta", &n), PV_OK);
  CHECK_INT(n, 6);
  CHECK_INT(pv_cdb_count(c->db, NULL, "delta", &n), PV_OK);
  CHECK_INT(n, 7);
  CHECK_INT(pv_cdb_count(c->db, NULL, NULL, &n), PV_OK);
  CHECK_INT(n, 13);
  pv_cdb_filter bad = {.survey_id = NULL};
  CHECK_INT(pv_cdb_export(c->db, T1, &bad, collect, &w), PV_ERR_INVALID);
}

/* ---- sessions ------------------------------------------------------------- */

/* Ingests session s for territory as device; its outcome or PV_OUT__COUNT. */
static pv_proto_outcome session1(pv_cdb *db, const char *territory, long long device,
                                 const pv_store_session *s) {
  pv_cdb_session_item it = {.s = s, .outcome = PV_OUT__COUNT};
  char *canonical = pv_proto_session_encode(s);
  PV_ASSERT(canonical);
  it.canonical = canonical;
  hash_of(canonical, it.hash);
  pv_err err = pv_cdb_session_ingest(db, territory, device, &it, 1, NOW);
  free(canonical);
  if (err) {
    fprintf(stderr, "session ingest: %s: %s\n", pv_strerror(err), pv_err_detail());
    return PV_OUT__COUNT;
  }
  return it.outcome;
}

typedef struct swalk {
  size_t n, with_session;
  char kinds[64];
} swalk;

static pv_err collect_rows(void *ud, const pv_store_response *r,
                           const pv_store_session *s) {
  swalk *w = ud;
  size_t used = strlen(w->kinds);
  (void)r;
  w->n++;
  w->with_session += s != NULL;
  snprintf(w->kinds + used, sizeof w->kinds - used, "%s%s", used ? "," : "",
           s ? s->kind : "-");
  return PV_OK;
}

#define SA "a0000000-0000-4000-8000-00000000000a"
#define SB_ "b0000000-0000-4000-8000-00000000000b"
#define SC "c0000000-0000-4000-8000-00000000000c"
#define SD "d0000000-0000-4000-8000-00000000000d"
#define E1 "2026-11-02T11:00:00.000Z"
#define E2 "2026-11-02T12:00:00.000Z"

static void t_sessions(ctx *c) {
  const pv_store_session base = {.kind = "table_de_quartier",
                                 .place = "Maison pour tous Léo Lagrange",
                                 .qpv_code = "QN03401M",
                                 .qpv_name = "Mosson",
                                 .animateur = "MB",
                                 .started_at = "2026-11-02T09:00:00.000Z"};
  /* uuid, ended_at, place ("" keeps base's), T2's device, want. */
  static const struct {
    const char *uuid, *ended, *place;
    int t2;
    pv_proto_outcome want;
  } cases[] = {
      {SA, "", "", 0, PV_OUT_STORED},           /* begun */
      {SA, "", "", 0, PV_OUT_DUPLICATE},        /* resent */
      {SA, E1, "", 0, PV_OUT_STORED},           /* ended: updated */
      {SA, E1, "", 0, PV_OUT_DUPLICATE},        /* resent */
      {SA, "", "", 0, PV_OUT_DUPLICATE},        /* its running form, late */
      {SA, E2, "", 0, PV_OUT_CONFLICT},         /* another end */
      {SA, "", "Ailleurs", 0, PV_OUT_CONFLICT}, /* other content */
      {SA, E1, "Ailleurs", 0, PV_OUT_CONFLICT}, /* other content, ended */
      {SA, E1, "", 1, PV_OUT_CONFLICT},         /* another territory's uuid */
      {SB_, E1, "", 0, PV_OUT_STORED},          /* first seen ended */
      {SB_, "", "", 0, PV_OUT_DUPLICATE},       /* then its running form */
      {SC, "", "", 1, PV_OUT_STORED},           /* T2's */
      {SC, "", "", 0, PV_OUT_CONFLICT},         /* ... not T1's */
      {SC, "", "Ailleurs", 1, PV_OUT_CONFLICT}, /* running, other content */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    pv_store_session s = base;
    snprintf(s.uuid, sizeof s.uuid, "%s", cases[i].uuid);
    snprintf(s.ended_at, sizeof s.ended_at, "%s", cases[i].ended);
    if (cases[i].place[0])
      snprintf(s.place, sizeof s.place, "%s", cases[i].place);
    pv_proto_outcome got =
        session1(c->db, cases[i].t2 ? T2 : T1, cases[i].t2 ? c->dev2 : c->dev1, &s);
    if (got != cases[i].want)
      pv_test_fail(__FILE__, __LINE__, "session case %zu: %s, expected %s", i,
                   pv_proto_outcome_name(got), pv_proto_outcome_name(cases[i].want));
  }
  pv_store_session got;
  CHECK_INT(pv_cdb_session_get(c->db, T1, SA, &got), PV_OK);
  CHECK_STR(got.ended_at, E1);
  CHECK_STR(got.place, base.place);
  CHECK_STR(got.animateur, "MB");
  CHECK_INT(pv_cdb_session_get(c->db, T2, SA, &got), PV_ERR_NOTFOUND);
  CHECK_INT(pv_cdb_session_get(c->db, NULL, SC, &got), PV_OK);
  CHECK_INT(pv_cdb_session_get(c->db, T1, SD, &got), PV_ERR_NOTFOUND);

  /* One batch, uuid-sorted: its begin and its end together; both stored. */
  pv_store_session two[2] = {base, base};
  pv_cdb_session_item items[2];
  char *canon[2];
  snprintf(two[0].uuid, sizeof two[0].uuid, "%s", SD);
  snprintf(two[1].uuid, sizeof two[1].uuid, "%s", SD);
  snprintf(two[1].ended_at, sizeof two[1].ended_at, "%s", E2);
  for (int i = 0; i < 2; i++) {
    canon[i] = pv_proto_session_encode(&two[i]);
    items[i] = (pv_cdb_session_item){.s = &two[i], .canonical = canon[i]};
    hash_of(canon[i], items[i].hash);
  }
  CHECK_INT(pv_cdb_session_ingest(c->db, T1, c->dev1, items, 2, NOW), PV_OK);
  CHECK_INT(items[0].outcome, PV_OUT_STORED);
  CHECK_INT(items[1].outcome, PV_OUT_STORED);
  CHECK_INT(pv_cdb_session_get(c->db, T1, SD, &got), PV_OK);
  CHECK_STR(got.ended_at, E2);
  /* Refused before any statement: a bad item, an unknown kind. */
  items[0].hash[0] = 'X';
  CHECK_INT(pv_cdb_session_ingest(c->db, T1, c->dev1, items, 2, NOW), PV_ERR_INVALID);
  hash_of(canon[0], items[0].hash);
  snprintf(two[0].kind, sizeof two[0].kind, "fete");
  CHECK_INT(pv_cdb_session_ingest(c->db, T1, c->dev1, items, 1, NOW), PV_ERR_INVALID);
  CHECK_INT(pv_cdb_session_ingest(c->db, T1, c->dev1, items, 0, NOW), PV_OK);
  free(canon[0]);
  free(canon[1]);

  /* Export rows carry the session, of the response's own territory only:
   * t_export stored S1's responses 1 and 3 in T1 and 6 in T2. */
  pv_store_session s1 = base;
  snprintf(s1.uuid, sizeof s1.uuid, "%s", S1);
  snprintf(s1.kind, sizeof s1.kind, "marche_exploratoire");
  CHECK_INT(session1(c->db, T1, c->dev1, &s1), PV_OUT_STORED);
  static const struct {
    const char *territory, *session, *kinds;
  } walks[] = {
      {T1, S1, "marche_exploratoire,marche_exploratoire"},
      {T1, NULL, "-,-,marche_exploratoire,marche_exploratoire,-,-"}, /* 5,2,1,3,4,7 */
      {T2, NULL, "-"},
      {NULL, S1, "marche_exploratoire,-,marche_exploratoire"}, /* 1,6,3 */
  };
  for (size_t i = 0; i < sizeof walks / sizeof walks[0]; i++) {
    swalk w = {.n = 0};
    pv_cdb_filter f = {.survey_id = "delta", .session = walks[i].session};
    CHECK_INT(pv_cdb_export_rows(c->db, walks[i].territory, &f, collect_rows, &w),
              PV_OK);
    if (strcmp(w.kinds, walks[i].kinds) != 0)
      fprintf(stderr, "export rows case %zu\n", i);
    CHECK_STR(w.kinds, walks[i].kinds);
  }

  /* A database of schema 1 (no sessions, quartiers, prompts) is migrated on
   * open. */
  pv_cdb *old = NULL;
  CHECK_INT(reopen(c, c->v1, &old), PV_OK);
  pv_cdb_close(old);
  old = NULL;
  CHECK_INT(raw_exec(c, c->v1,
                     "DROP TABLE prompts; DROP TABLE quartiers; DROP TABLE sessions;"
                     " ALTER TABLE attachments DROP COLUMN answered;"
                     " DELETE FROM schema_migrations WHERE version >= 2"),
            0);
  CHECK(raw_exec(c, c->v1, "SELECT count(*) FROM sessions") != 0);
  CHECK_INT(reopen(c, c->v1, &old), PV_OK);
  pv_cdb_close(old);
  CHECK_INT(raw_exec(c, c->v1, "SELECT count(*) FROM sessions"), 0);
  CHECK_INT(raw_exec(c, c->v1, "SELECT count(*) FROM quartiers"), 0);
  CHECK_INT(raw_exec(c, c->v1, "SELECT count(*) FROM prompts"), 0);
}

static void t_quartiers(ctx *c) {
  static const struct {
    const char *territory, *code, *name;
    pv_err want;
  } cases[] = {
      {T1, "QN03401M", "Mosson", PV_OK},
      {T1, "QN03402M", "Cévennes", PV_OK},
      {T2, "QN07501M", "Belleville", PV_OK},
      {T2, "QN03401M", "Même code, autre territoire", PV_OK},
      {T1, "QN03401M", "Encore", PV_ERR_EXISTS},
      {T1, "QN0340M", "Code court", PV_ERR_INVALID},
      {T1, "QN03403M", "", PV_ERR_INVALID},
      {T1, "QN03403M", "a\tb", PV_ERR_INVALID},
      {"99999", "QN03403M", "Nulle part", PV_ERR_NOTFOUND},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    pv_err err = pv_cdb_quartier_add(c->db, cases[i].territory, cases[i].code,
                                     cases[i].name, NOW);
    if (err != cases[i].want)
      pv_test_fail(__FILE__, __LINE__, "quartier case %zu: %s (%s)", i,
                   pv_strerror(err), pv_err_detail());
  }
  pv_quartier *q = NULL;
  size_t n = 0;
  CHECK_INT(pv_cdb_quartier_list(c->db, T1, &q, &n), PV_OK);
  CHECK_INT(n, 2);
  if (n == 2) {
    CHECK_STR(q[0].code, "QN03401M");
    CHECK_STR(q[0].name, "Mosson");
    CHECK_STR(q[1].name, "Cévennes");
  }
  free(q);
  CHECK_INT(pv_cdb_quartier_list(c->db, "occ-montpellier", &q, &n), PV_OK);
  CHECK_INT(n, 0);
  CHECK(q == NULL);
  CHECK_INT(pv_cdb_quartier_list(c->db, "a b", &q, &n), PV_ERR_INVALID);
}

/* ---- 16 devices at once -------------------------------------------------- */

typedef struct worker {
  const ctx *c;
  pthread_barrier_t *start, *ready; /* ready: connected, the clock starts */
  pv_err fresh_err; /* opening the fresh database, all threads at once */
  int index;
  size_t per_thread;
  long long device;
  size_t outcomes[PV_OUT__COUNT + 1];
  pv_err err;
  char detail[300];
} worker;

/* Responses of slice s: uuids (s, 0..per_thread-1). */
static void *work(void *arg) {
  worker *w = arg;
  pv_cdb *db = NULL;
  resp *xs = calloc(BATCH, sizeof *xs);
  pv_cdb_ingest_item *items = calloc(BATCH, sizeof *items);
  char **canon = calloc(BATCH, sizeof *canon);
  PV_ASSERT(xs && items && canon);
  /* Everyone migrates the same empty database at the same moment. */
  pthread_barrier_wait(w->start);
  if (!(w->fresh_err = reopen(w->c, w->c->fresh, &db)))
    pv_cdb_close(db);
  else
    fprintf(stderr, "worker %d: fresh: %s\n", w->index, pv_err_detail());
  db = NULL;
  w->err = reopen(w->c, w->c->target, &db);
  pthread_barrier_wait(w->ready);
  if (w->err)
    goto out;
  /* Its own slice and its neighbour's, batch by batch, interleaved; the
   * neighbour's in reverse order, so that two batches holding the same
   * uuids list them in opposite orders. */
  for (size_t b = 0; b < 2 * (w->per_thread / BATCH); b++) {
    unsigned slice = (unsigned)((w->index + (int)(b % 2)) % THREADS);
    size_t base = (b / 2) * BATCH;
    for (size_t i = 0; i < BATCH; i++) {
      char uuid[PV_UUID_LEN + 1], at[32];
      size_t k = base + (b % 2 ? BATCH - 1 - i : i);
      uuid_of(0x30000000u + slice, (unsigned)k, uuid);
      snprintf(at, sizeof at, "2026-11-%02uT%02zu:%02zu:%02zu.000Z", 1 + slice,
               k / 3600 % 24, k / 60 % 60, k % 60);
      resp_make(&xs[i], uuid, "alpha", 1, at, NULL, "fr", "");
      item_make(&items[i], &xs[i], &canon[i]);
    }
    w->err = pv_cdb_ingest(db, T1, w->device, items, BATCH, NOW);
    for (size_t i = 0; i < BATCH; i++) {
      if (!w->err)
        w->outcomes[items[i].outcome]++;
      free(canon[i]);
    }
    if (w->err)
      break;
  }
out:
  if (w->err)
    snprintf(w->detail, sizeof w->detail, "%s", pv_err_detail());
  pv_cdb_close(db);
  free(xs);
  free(items);
  free(canon);
  return NULL;
}

static void t_concurrent(ctx *c) {
  const char *env = getenv("PV_CSTORE_BENCH");
  size_t per = env ? (size_t)strtoul(env, NULL, 10) : DEFAULT_PER_THREAD;
  per = per < BATCH ? BATCH : per / BATCH * BATCH;
  worker ws[THREADS];
  pthread_t th[THREADS];
  pthread_barrier_t start, ready;
  size_t before = 0, after = 0, totals[PV_OUT__COUNT + 1] = {0};
  struct timespec t0, t1;

  CHECK_INT(pv_cdb_count(c->db, T1, "alpha", &before), PV_OK);
  for (int i = 0; i < THREADS; i++) {
    char name[32], hash[PV_SHA256_HEX + 1];
    memset(&ws[i], 0, sizeof ws[i]);
    ws[i].c = c;
    ws[i].index = i;
    ws[i].per_thread = per;
    snprintf(name, sizeof name, "kiosk-%02d", i);
    hash_of(name, hash);
    CHECK_INT(
        pv_cdb_token_add(c->db, PV_CDB_DEVICE, T1, name, hash, NOW, &ws[i].device),
        PV_OK);
  }
  PV_ASSERT(pthread_barrier_init(&start, NULL, THREADS) == 0);
  PV_ASSERT(pthread_barrier_init(&ready, NULL, THREADS + 1) == 0);
  for (int i = 0; i < THREADS; i++) {
    ws[i].start = &start;
    ws[i].ready = &ready;
    PV_ASSERT(pthread_create(&th[i], NULL, work, &ws[i]) == 0);
  }
  pthread_barrier_wait(&ready);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < THREADS; i++)
    pthread_join(th[i], NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  pthread_barrier_destroy(&start);
  pthread_barrier_destroy(&ready);
  for (int i = 0; i < THREADS; i++) {
    if (ws[i].err)
      fprintf(stderr, "worker %d: %s: %s\n", i, pv_strerror(ws[i].err), ws[i].detail);
    CHECK_INT(ws[i].err, PV_OK);
    CHECK_INT(ws[i].fresh_err, PV_OK);
    for (int k = 0; k <= PV_OUT__COUNT; k++)
      totals[k] += ws[i].outcomes[k];
  }
  /* Each uuid went to two devices: stored once, a duplicate once. */
  CHECK_INT(totals[PV_OUT_STORED], THREADS * per);
  CHECK_INT(totals[PV_OUT_DUPLICATE], THREADS * per);
  CHECK_INT(totals[PV_OUT_CONFLICT], 0);
  CHECK_INT(pv_cdb_count(c->db, T1, "alpha", &after), PV_OK);
  CHECK_INT(after - before, THREADS * per);
  double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("%s: %d threads ingested %zu responses (each sent twice) in %.2f s: "
         "%.0f responses/s, %.0f requests' items/s\n",
         pv_cdb_backend(c->db), THREADS, THREADS * per, s, (double)(THREADS * per) / s,
         (double)(2 * THREADS * per) / s);
}

/* ---- PostgreSQL restarts ------------------------------------------------ */

/* The server drops the connection (a restart, an admin): the call that
 * finds out fails, the next one reconnects. */
static void t_reconnect(ctx *c) {
  static const char kill_others[] =
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
      " WHERE datname = current_database() AND pid <> pg_backend_pid()";
  walk w = {.n = 0};
  pv_cdb_filter f = {.survey_id = "delta"};
  size_t n = 0;
  if (!c->pg)
    return;
  CHECK_INT(raw_exec(c, c->target, kill_others), 0);
  CHECK(pv_cdb_count(c->db, T1, "delta", &n) != PV_OK);
  CHECK_INT(pv_cdb_count(c->db, T1, "delta", &n), PV_OK);
  CHECK_INT(n, 6);
  CHECK_INT(raw_exec(c, c->target, kill_others), 0);
  CHECK(pv_cdb_export(c->db, T1, &f, collect, &w) != PV_OK);
  CHECK_INT(pv_cdb_export(c->db, T1, &f, collect, &w), PV_OK);
  CHECK_INT(w.n, 6);
}

/* ---- the suite ---------------------------------------------------------- */

/* ---- recorded prompts --------------------------------------------------- */

#define PROMPT_A "RIFF recording A"
#define PROMPT_B "RIFF recording B, longer"
#define PROMPT_C "RIFF recording C, never uploaded"
#define AT0 "2026-11-23T10:00:00.000Z"
#define P_DRAWING "PNG a resident's drawing"
#define P_VOICE "OggS a resident's voice note"

/* survey.json of "voix": version 1 asks "ancienne", version 2 "nouvelle";
 * both "logement" (options oui, non) and "reparation" (a scale). */
#define PIC "\"image\":\"pictograms/house.svg\""
#define VOIX_JSON(v, q)                                                                \
  "{\"format\":1,\"id\":\"voix\",\"version\":" #v ",\"languages\":[\"fr\"],"           \
  "\"title\":{\"fr\":\"Voix\"}," PIC ",\"questions\":["                                \
  "{\"id\":\"logement\",\"type\":\"choice\",\"label\":{\"fr\":\"Logement ?\"}," PIC    \
  ",\"choices\":[{\"id\":\"oui\",\"label\":{\"fr\":\"Oui\"}," PIC "},"                 \
  "{\"id\":\"non\",\"label\":{\"fr\":\"Non\"}," PIC "}]},"                             \
  "{\"id\":\"reparation\",\"type\":\"scale\",\"label\":{\"fr\":\"Réparé ?\"}," PIC     \
  ",\"low\":{\"label\":{\"fr\":\"Jamais\"}," PIC "},"                                  \
  "\"high\":{\"label\":{\"fr\":\"Vite\"}," PIC "}},"                                   \
  "{\"id\":\"" q "\",\"type\":\"text\",\"label\":{\"fr\":\"Autre ?\"}," PIC "}]}"

/* Publishes version of "voix" (its survey.json only) for territory. */
static void voix_publish(pv_cdb *db, const char *territory, int version,
                         const char *json) {
  pv_proto_file f = {.path = "survey.json", .size = strlen(json)};
  pv_cdb_publish what;
  hash_of(json, f.sha256);
  CHECK_INT(pv_cdb_blob_put(db, f.sha256, "application/json", json, strlen(json)),
            PV_OK);
  pv_proto_survey s = {.id = "voix", .version = version, .files = &f, .n_files = 1};
  CHECK_INT(pv_cdb_survey_publish(db, territory, &s, NOW, &what), PV_OK);
}

/* One prompt to ingest: a recording of sha, or a deletion (sha NULL). */
typedef struct pcase {
  const char *what, *territory, *survey, *key, *lang, *sha;
  size_t size;
  const char *at, *now;
  int want;
  const char *reason; /* a part of the reason, or NULL */
} pcase;

static pv_store_prompt pcase_prompt(const pcase *k) {
  pv_store_prompt p = {.size = k->size, .deleted = k->sha == NULL};
  snprintf(p.survey_id, sizeof p.survey_id, "%s", k->survey);
  snprintf(p.key, sizeof p.key, "%s", k->key);
  snprintf(p.lang, sizeof p.lang, "%s", k->lang);
  if (k->sha) {
    snprintf(p.sha256, sizeof p.sha256, "%s", k->sha);
    snprintf(p.media_type, sizeof p.media_type, "audio/wav");
  }
  snprintf(p.recorded_at, sizeof p.recorded_at, "%s", k->at);
  snprintf(p.device_id, sizeof p.device_id, DEVICE_UUID);
  return p;
}

/* Ingests k alone and checks its outcome and reason. */
static void pcase_run(ctx *c, const pcase *k) {
  pv_store_prompt p = pcase_prompt(k);
  pv_cdb_prompt_item it = {.p = &p};
  long long dev = strcmp(k->territory, T1) == 0 ? c->dev1 : c->dev2;
  pv_err err = pv_cdb_prompt_ingest(c->db, k->territory, dev, &it, 1, k->now);
  int got = err ? -1 : (int)it.outcome;
  if (got != k->want || (k->reason && !strstr(it.reason, k->reason)))
    fprintf(stderr, "prompt case \"%s\": %d \"%s\" %s\n", k->what, got, it.reason,
            err ? pv_err_detail() : "");
  CHECK_INT(got, k->want);
  if (k->reason)
    CHECK_CONTAINS(it.reason, k->reason);
  else if (k->want == PV_OUT_STORED || k->want == PV_OUT_DUPLICATE)
    CHECK_STR(it.reason, "");
}

/* The entry of territory's list with key and lang, or NULL; *list is
 * reloaded (caller frees). */
static const pv_proto_prompt_entry *pentry(ctx *c, const char *territory,
                                           const char *key, const char *lang,
                                           pv_proto_prompt_entry **list, size_t *n) {
  free(*list);
  *list = NULL;
  CHECK_INT(pv_cdb_prompt_list(c->db, territory, list, n), PV_OK);
  for (size_t i = 0; i < *n; i++)
    if (strcmp((*list)[i].p.key, key) == 0 && strcmp((*list)[i].p.lang, lang) == 0)
      return &(*list)[i];
  return NULL;
}

/* A schema-4 recording (before deletions travelled) is a current
 * recording after migration 5, its received_at kept; a voice note an
 * answer already referenced is marked as residents'. */
static void prompts_migrated(ctx *c, const char *sha) {
  pv_cdb *old = NULL;
  long long dev = 0;
  int created = 0;
  char hash[PV_SHA256_HEX + 1], voice[PV_SHA256_HEX + 1], sql[1200];
  hash_of("a v4 device token", hash);
  hash_of(P_VOICE, voice);
  CHECK_INT(reopen(c, c->v1, &old), PV_OK);
  if (!old)
    return;
  CHECK_INT(pv_cdb_territory_add(old, T1, "Montpellier", NOW), PV_OK);
  CHECK_INT(pv_cdb_token_add(old, PV_CDB_DEVICE, T1, "kiosk", hash, NOW, &dev), PV_OK);
  pv_cdb_publish what;
  CHECK_INT(publish(old, NULL, "alpha", 1, "a", 1, &what), PV_OK);
  voix_publish(old, T1, 1, VOIX_JSON(1, "ancienne"));
  CHECK_INT(pv_cdb_attachment_put(old, T1, voice, "audio/ogg", P_VOICE, strlen(P_VOICE),
                                  NOW, &created),
            PV_OK);
  CHECK_INT(pv_cdb_attachment_put(old, T1, sha, "audio/wav", PROMPT_A, strlen(PROMPT_A),
                                  NOW, &created),
            PV_OK);
  resp x;
  char *canon = NULL, ru[PV_UUID_LEN + 1];
  pv_cdb_ingest_item ri;
  uuid_of(0x7071, 1, ru);
  resp_make(&x, ru, "alpha", 1, "2026-11-20T09:00:00.000Z", NULL, "fr", voice);
  item_make(&ri, &x, &canon);
  CHECK_INT(pv_cdb_ingest(old, T1, dev, &ri, 1, NOW), PV_OK);
  CHECK_INT(ri.outcome, PV_OUT_STORED);
  free(canon);
  pv_cdb_close(old);
  snprintf(sql, sizeof sql,
           "ALTER TABLE attachments DROP COLUMN answered;"
           " DROP TABLE prompts; CREATE TABLE prompts (territory TEXT NOT NULL,"
           " survey_id TEXT NOT NULL, prompt_key TEXT NOT NULL, lang TEXT NOT NULL,"
           " sha256 TEXT NOT NULL, media_type TEXT NOT NULL, size INTEGER NOT NULL,"
           " recorded_at TEXT NOT NULL, device_uuid TEXT NOT NULL,"
           " device_id INTEGER NOT NULL, received_at TEXT NOT NULL,"
           " PRIMARY KEY (territory, survey_id, prompt_key, lang));"
           " INSERT INTO prompts VALUES ('" T1 "', 'voix', 'q:logement', 'ary', '%s',"
           " 'audio/wav', 16, '2026-11-20T10:00:00.000Z', '" DEVICE_UUID "', %lld,"
           " '2026-11-20T10:00:01.000Z');"
           " DELETE FROM schema_migrations WHERE version >= 5",
           sha, dev);
  CHECK_INT(raw_exec(c, c->v1, sql), 0);
  CHECK_INT(reopen(c, c->v1, &old), PV_OK);
  if (!old)
    return;
  pv_proto_prompt_entry *list = NULL;
  size_t n = 0;
  CHECK_INT(pv_cdb_prompt_list(old, T1, &list, &n), PV_OK);
  CHECK_INT(n, 1);
  if (n == 1) {
    CHECK_INT(list[0].p.deleted, 0);
    CHECK_STR(list[0].p.sha256, sha);
    CHECK_INT(list[0].p.size, 16);
    CHECK_STR(list[0].received_at, "2026-11-20T10:00:01.000Z");
  }
  free(list);
  /* The new form is there: a tombstone made at the collector. */
  CHECK_INT(pv_cdb_prompt_delete(old, T1, "voix", "q:logement", "ary", NOW), PV_OK);
  /* The voice note, answered before migration 5, is not a recording. */
  pcase k = {"voice note, migrated",
             T1,
             "voix",
             "q:logement",
             "fr",
             voice,
             strlen(P_VOICE),
             AT0,
             NOW,
             PV_OUT_INVALID,
             "not a recording"};
  pv_store_prompt p = pcase_prompt(&k);
  pv_cdb_prompt_item it = {.p = &p};
  CHECK_INT(pv_cdb_prompt_ingest(old, T1, dev, &it, 1, NOW), PV_OK);
  CHECK_INT(it.outcome, PV_OUT_INVALID);
  CHECK_STR(it.reason, "not a recording");
  pv_cdb_close(old);
}

static void t_prompts(ctx *c) {
  char a[PV_SHA256_HEX + 1], b[PV_SHA256_HEX + 1], cc[PV_SHA256_HEX + 1];
  char draw[PV_SHA256_HEX + 1], voice[PV_SHA256_HEX + 1];
  hash_of(PROMPT_A, a);
  hash_of(PROMPT_B, b);
  hash_of(PROMPT_C, cc);
  hash_of(P_DRAWING, draw);
  hash_of(P_VOICE, voice);
  int created = 0;
  static const struct {
    const char *territory, *text, *type;
  } puts_[] = {
      {T1, PROMPT_A, "audio/wav"}, {T1, PROMPT_B, "audio/wav"},
      {T2, PROMPT_A, "audio/wav"}, {T1, P_DRAWING, "image/png"},
      {T1, P_VOICE, "audio/ogg"},
  };
  for (size_t i = 0; i < sizeof puts_ / sizeof puts_[0]; i++) {
    char h[PV_SHA256_HEX + 1];
    hash_of(puts_[i].text, h);
    CHECK_INT(pv_cdb_attachment_put(c->db, puts_[i].territory, h, puts_[i].type,
                                    puts_[i].text, strlen(puts_[i].text), NOW,
                                    &created),
              PV_OK);
  }
  /* A resident's voice note: an answer of a response references it. */
  resp x;
  char *canon = NULL, ru[PV_UUID_LEN + 1];
  pv_cdb_ingest_item ri;
  uuid_of(0x7070, 1, ru);
  resp_make(&x, ru, "alpha", 1, "2026-11-23T09:00:00.000Z", NULL, "fr", voice);
  item_make(&ri, &x, &canon);
  CHECK_INT(pv_cdb_ingest(c->db, T1, c->dev1, &ri, 1, NOW), PV_OK);
  CHECK_INT(ri.outcome, PV_OUT_STORED);
  free(canon);
  voix_publish(c->db, T1, 1, VOIX_JSON(1, "ancienne"));
  voix_publish(c->db, T2, 1, VOIX_JSON(1, "ancienne"));
  voix_publish(c->db, T1, 2, VOIX_JSON(2, "nouvelle"));

  const size_t la = strlen(PROMPT_A), lb = strlen(PROMPT_B);
  static const char K[] = "q:logement", V[] = "voix";
#define N1 "2026-11-23T12:01:00.000Z"
#define N2 "2026-11-23T12:02:00.000Z"
#define N3 "2026-11-23T12:03:00.000Z"
#define N4 "2026-11-23T12:04:00.000Z"
  const pcase cases[] = {
      {"new", T1, V, K, "ary", a, la, AT0, N1, PV_OUT_STORED, NULL},
      {"the same again", T1, V, K, "ary", a, la, "2026-11-23T11:00:00.000Z", N2,
       PV_OUT_DUPLICATE, NULL},
      /* The collector decides: an earlier device clock still wins when it
       * arrives last. */
      {"older clock, arrives later", T1, V, K, "ary", b, lb, "2026-11-22T09:00:00.000Z",
       N2, PV_OUT_STORED, NULL},
      {"clock 10 minutes ahead", T1, V, K, "ary", a, la, "2026-11-23T12:12:00.000Z", N2,
       PV_OUT_STORED, NULL},
      {"clock more than 10 minutes ahead", T1, V, K, "ary", b, lb,
       "2026-11-23T12:12:00.001Z", N2, PV_OUT_INVALID, "the device's clock is ahead"},
      {"2099", T1, V, K, "ary", b, lb, "2099-01-01T00:00:00.000Z", N2, PV_OUT_INVALID,
       "clock is ahead"},
      {"back to B", T1, V, K, "ary", b, lb, AT0, N3, PV_OUT_STORED, NULL},
      {"an option", T1, V, "o:logement:oui", "ary", a, la, AT0, N1, PV_OUT_STORED,
       NULL},
      {"a scale end", T1, V, "o:reparation:low", "fr", a, la, AT0, N1, PV_OUT_STORED,
       NULL},
      {"a question of version 1 only", T1, V, "q:ancienne", "fr", a, la, AT0, N1,
       PV_OUT_STORED, NULL},
      {"a question of version 2", T1, V, "q:nouvelle", "fr", a, la, AT0, N1,
       PV_OUT_STORED, NULL},
      {"version 2 not published there", T2, V, "q:nouvelle", "fr", a, la, AT0, N1,
       PV_OUT_INVALID, "no such question or option"},
      {"no such question", T1, V, "q:nope", "ary", a, la, AT0, N1, PV_OUT_INVALID,
       "no such question or option"},
      {"no such option", T1, V, "o:logement:peut-etre", "ary", a, la, AT0, N1,
       PV_OUT_INVALID, "no such question or option"},
      {"an option of a scale", T1, V, "o:reparation:oui", "ary", a, la, AT0, N1,
       PV_OUT_INVALID, "no such question or option"},
      {"unpublished survey", T1, "inventee", K, "ary", a, la, AT0, N1,
       PV_OUT_UNKNOWN_SURVEY, "not published"},
      {"published elsewhere only", T2, "gamma", K, "ary", a, la, AT0, N1,
       PV_OUT_UNKNOWN_SURVEY, NULL},
      {"a drawing's sha", T1, V, K, "fr", draw, strlen(P_DRAWING), AT0, N1,
       PV_OUT_INVALID, "not a recording"},
      {"a resident's voice note", T1, V, K, "fr", voice, strlen(P_VOICE), AT0, N1,
       PV_OUT_INVALID, "not a recording"},
      {"audio not uploaded", T1, V, K, "fr", cc, strlen(PROMPT_C), AT0, N1,
       PV_OUT_MISSING_ATTACHMENT, "not uploaded"},
      {"size not the attachment's", T1, V, K, "fr", a, 3, AT0, N1, PV_OUT_INVALID,
       "size differs"},
      {"another territory's audio", T2, V, K, "ary", b, lb, AT0, N1,
       PV_OUT_MISSING_ATTACHMENT, NULL},
      {"another territory", T2, V, K, "ary", a, la, AT0, N1, PV_OUT_STORED, NULL},
      /* Deletions. */
      {"delete", T1, V, K, "ary", NULL, 0, AT0, N4, PV_OUT_STORED, NULL},
      {"delete again", T1, V, K, "ary", NULL, 0, AT0, N4, PV_OUT_DUPLICATE, NULL},
      {"delete what was never recorded", T1, V, "o:logement:non", "ary", NULL, 0, AT0,
       N4, PV_OUT_DUPLICATE, NULL},
      {"delete in an unpublished survey", T1, "inventee", K, "ary", NULL, 0, AT0, N4,
       PV_OUT_UNKNOWN_SURVEY, NULL},
      {"delete, clock ahead", T1, V, "q:ancienne", "fr", NULL, 0,
       "2026-11-24T00:00:00.000Z", N4, PV_OUT_INVALID, "clock is ahead"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    pcase_run(c, &cases[i]);

  pv_proto_prompt_entry *list = NULL;
  size_t n = 0;
  const pv_proto_prompt_entry *e = pentry(c, T1, K, "ary", &list, &n);
  CHECK_INT(n, 5); /* q:logement (deleted), o:logement:oui, o:reparation:low, 2 q: */
  CHECK(e != NULL);
  if (e) { /* the tombstone: no audio, the deleting device, the collector's time */
    CHECK_INT(e->p.deleted, 1);
    CHECK_STR(e->p.sha256, "");
    CHECK_STR(e->p.media_type, "");
    CHECK_INT(e->p.size, 0);
    CHECK_STR(e->p.recorded_at, AT0);
    CHECK_STR(e->p.device_id, DEVICE_UUID);
    CHECK_STR(e->received_at, N4);
    CHECK_INT(e->p.synced, 1);
  }
  if (n == 5) { /* by survey, key, lang: "o:..." before "q:..." */
    CHECK_STR(list[0].p.key, "o:logement:oui");
    CHECK_STR(list[1].p.key, "o:reparation:low");
    CHECK_STR(list[4].p.key, "q:nouvelle");
  }
  e = pentry(c, T1, "o:logement:oui", "ary", &list, &n);
  if (e) {
    CHECK_INT(e->p.deleted, 0);
    CHECK_STR(e->p.sha256, a);
    CHECK_INT(e->p.size, la);
    CHECK_STR(e->p.media_type, "audio/wav");
    CHECK_STR(e->p.survey_id, "voix");
    CHECK_STR(e->received_at, N1);
  }
  /* What a device may download: current recordings' audio only. */
  int named = -1;
  CHECK_INT(pv_cdb_prompt_audio(c->db, T1, a, &named), PV_OK);
  CHECK_INT(named, 1);
  CHECK_INT(pv_cdb_prompt_audio(c->db, T1, b, &named), PV_OK); /* deleted now */
  CHECK_INT(named, 0);
  CHECK_INT(pv_cdb_prompt_audio(c->db, T1, draw, &named), PV_OK);
  CHECK_INT(named, 0);
  CHECK_INT(pv_cdb_prompt_audio(c->db, T1, "nope", &named), PV_ERR_INVALID);
  /* A recording an answer names later (a device racing a resident's
   * upload) is no longer a device's to download. */
  static const char race[] = "RIFF a voice note named as a prompt first";
  char rs[PV_SHA256_HEX + 1];
  hash_of(race, rs);
  CHECK_INT(pv_cdb_attachment_put(c->db, T1, rs, "audio/wav", race, strlen(race), NOW,
                                  &created),
            PV_OK);
  pcase_run(c, &(pcase){"named first", T1, V, "o:logement:non", "fr", rs, strlen(race),
                        AT0, N1, PV_OUT_STORED, NULL});
  CHECK_INT(pv_cdb_prompt_audio(c->db, T1, rs, &named), PV_OK);
  CHECK_INT(named, 1);
  uuid_of(0x7070, 2, ru);
  resp_make(&x, ru, "alpha", 1, "2026-11-23T09:00:00.000Z", NULL, "fr", rs);
  item_make(&ri, &x, &canon);
  CHECK_INT(pv_cdb_ingest(c->db, T1, c->dev1, &ri, 1, NOW), PV_OK);
  CHECK_INT(ri.outcome, PV_OUT_STORED);
  free(canon);
  CHECK_INT(pv_cdb_prompt_audio(c->db, T1, rs, &named), PV_OK);
  CHECK_INT(named, 0);

  /* A recording after the deletion is current again. */
  const pcase again = {"record after delete", T1,  V, K, "ary", b, lb, AT0, N4,
                       PV_OUT_STORED,         NULL};
  pcase_run(c, &again);
  e = pentry(c, T1, K, "ary", &list, &n);
  CHECK(e && !e->p.deleted && strcmp(e->p.sha256, b) == 0);

  /* pv-collector prompt delete: a tombstone from the collector itself. */
  CHECK_INT(pv_cdb_prompt_delete(c->db, T1, V, K, "ary", N4), PV_OK);
  e = pentry(c, T1, K, "ary", &list, &n);
  CHECK(e && e->p.deleted);
  if (e) {
    CHECK_STR(e->p.device_id, PV_CDB_COLLECTOR_DEVICE);
    CHECK_STR(e->p.recorded_at, N4);
    CHECK_STR(e->received_at, N4);
  }
  CHECK_INT(pv_cdb_prompt_delete(c->db, T1, V, K, "ary", N4), PV_ERR_NOTFOUND);
  CHECK_INT(pv_cdb_prompt_delete(c->db, T1, V, "o:logement:non", "ary", N4),
            PV_ERR_NOTFOUND);
  CHECK_INT(pv_cdb_prompt_delete(c->db, T1, V, "logement", "ary", N4), PV_ERR_INVALID);
  CHECK_INT(pv_cdb_prompt_delete(c->db, "99999", V, K, "ary", N4), PV_ERR_NOTFOUND);
  free(list);
  CHECK_INT(pv_cdb_prompt_list(c->db, "occ-montpellier", &list, &n), PV_OK);
  CHECK_INT(n, 0);

  /* Two of one text in one batch: the later in the batch is current,
   * whatever their clocks. */
  pcase two[2] = {
      {"first", T1, V, "q:reparation", "fr", a, la, "2026-11-23T11:59:00.000Z", N4, 0,
       NULL},
      {"second", T1, V, "q:reparation", "fr", b, lb, "2026-11-23T08:00:00.000Z", N4, 0,
       NULL},
  };
  pv_store_prompt tp[2] = {pcase_prompt(&two[0]), pcase_prompt(&two[1])};
  pv_cdb_prompt_item items[2] = {{.p = &tp[0]}, {.p = &tp[1]}};
  CHECK_INT(pv_cdb_prompt_ingest(c->db, T1, c->dev1, items, 2, N4), PV_OK);
  CHECK_INT(items[0].outcome, PV_OUT_STORED);
  CHECK_INT(items[1].outcome, PV_OUT_STORED);
  e = pentry(c, T1, "q:reparation", "fr", &list, &n);
  CHECK(e && strcmp(e->p.sha256, b) == 0);
  free(list);
  list = NULL;
  /* A record that breaks a rule is the caller's bug: refused whole. */
  tp[0].key[0] = 'x';
  CHECK_INT(pv_cdb_prompt_ingest(c->db, T1, c->dev1, items, 1, N4), PV_ERR_INVALID);

  /* The cap: PV_CDB_MAX_PROMPTS current recordings per territory (T2, one
   * language tag each); a replacement or a deletion is still taken. */
  pv_store_prompt *many = calloc(BATCH, sizeof *many);
  pv_cdb_prompt_item *mi = calloc(BATCH, sizeof *mi);
  CHECK(many && mi);
  size_t stored = 0;
  for (int round = 0; many && mi && round < PV_CDB_MAX_PROMPTS / BATCH; round++) {
    for (int i = 0; i < BATCH; i++) {
      int k = round * BATCH + i;
      char lang[4] = {(char)('a' + k / 676), (char)('a' + k / 26 % 26),
                      (char)('a' + k % 26), 0};
      pcase one = {"cap", T2, V, K, lang, a, la, AT0, N1, 0, NULL};
      many[i] = pcase_prompt(&one);
      mi[i] = (pv_cdb_prompt_item){.p = &many[i]};
    }
    CHECK_INT(pv_cdb_prompt_ingest(c->db, T2, c->dev2, mi, BATCH, N1), PV_OK);
    for (int i = 0; i < BATCH; i++)
      stored += mi[i].outcome == PV_OUT_STORED;
  }
  free(many);
  free(mi);
  CHECK_INT(stored, PV_CDB_MAX_PROMPTS - 1); /* "aaa".."cxx"; "ary" was there */
  static const pcase after_cap[] = {
      {"one too many", T2, "voix", "q:logement", "zzz", NULL, 0, AT0, N2,
       PV_OUT_DUPLICATE, NULL}, /* a deletion of nothing: fine */
  };
  pcase_run(c, &after_cap[0]);
  pcase over = {"over the cap",
                T2,
                V,
                "q:logement",
                "zzz",
                a,
                la,
                AT0,
                N2,
                PV_OUT_INVALID,
                "too many recordings; delete some"};
  pcase_run(c, &over);
  char at_cap[4] = {(char)('a' + 1998 / 676), (char)('a' + 1998 / 26 % 26),
                    (char)('a' + 1998 % 26), 0};
  pcase del = {"a deletion at the cap", T2,  V, K, at_cap, NULL, 0, AT0, N2,
               PV_OUT_STORED,           NULL};
  pcase_run(c, &del);
  over.want = PV_OUT_STORED;
  over.reason = NULL;
  over.what = "room again";
  pcase_run(c, &over);
  pcase_run(c, &(pcase){"full again", T2, V, "q:logement", "zzy", a, la, AT0, N2,
                        PV_OUT_INVALID, "too many recordings"});
  CHECK_INT(
      pv_cdb_attachment_put(c->db, T2, b, "audio/wav", PROMPT_B, lb, NOW, &created),
      PV_OK);
  pcase_run(c, &(pcase){"a replacement at the cap", T2, V, K, "aaa", b, lb, AT0, N3,
                        PV_OUT_STORED, NULL});
  CHECK_INT(pv_cdb_prompt_list(c->db, T2, &list, &n), PV_OK);
  CHECK_INT(n, PV_CDB_MAX_PROMPTS + 1); /* the live ones and one deletion */
  free(list);
  prompts_migrated(c, a);
}

static const struct {
  const char *name;
  void (*run)(ctx *c);
} sections[] = {
    {"migrations", t_migrations}, {"territories", t_territories},
    {"tokens", t_tokens},         {"blobs", t_blobs},
    {"publish", t_publish},       {"attachments", t_attachments},
    {"ingest", t_ingest},         {"export", t_export},
    {"sessions", t_sessions},     {"quartiers", t_quartiers},
    {"prompts", t_prompts},       {"reconnect", t_reconnect},
    {"concurrent", t_concurrent},
};

static void suite(ctx *c) {
  pv_err err = reopen(c, c->target, &c->db);
  if (err) {
    pv_test_fail(__FILE__, __LINE__, "open %s: %s: %s", c->pg ? "postgresql" : "sqlite",
                 pv_strerror(err), pv_err_detail());
    return;
  }
  for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
    int failed = pv_test_failed;
    sections[i].run(c);
    printf("%s %s: %s\n", pv_cdb_backend(c->db), sections[i].name,
           pv_test_failed == failed ? "ok" : "FAILED");
  }
  pv_cdb_close(c->db);
  c->db = NULL;
}

int main(void) {
  static ctx c;
  char dir[256];
  snprintf(dir, sizeof dir, "%s", pv_test_tmpdir());

  memset(&c, 0, sizeof c);
  snprintf(c.target, sizeof c.target, "%s/collector.db", dir);
  snprintf(c.spare, sizeof c.spare, "%s/spare.db", dir);
  snprintf(c.fresh, sizeof c.fresh, "%s/fresh.db", dir);
  snprintf(c.v1, sizeof c.v1, "%s/v1.db", dir);
  suite(&c);

  memset(&c, 0, sizeof c);
  c.pg = 1;
  if (pv_test_pg_conninfo(c.target, sizeof c.target, "pv_test_cstore") == 0 &&
      pv_test_pg_conninfo(c.spare, sizeof c.spare, "pv_test_cstore_spare") == 0 &&
      pv_test_pg_conninfo(c.fresh, sizeof c.fresh, "pv_test_cstore_fresh") == 0 &&
      pv_test_pg_conninfo(c.v1, sizeof c.v1, "pv_test_cstore_v1") == 0)
    suite(&c);

  pv_test_rmtree(dir);
  return pv_test_done();
}
