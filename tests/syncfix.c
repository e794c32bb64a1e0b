/* syncfix: see syncfix.h. */
#include "tests/syncfix.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collector/storage.h"
#include "collector/token.h"
#include "core/sha256.h"
#include "core/survey.h"
#include "tests/check.h"

#define NOW "2026-11-23T10:00:00.000Z"
#define DEVICE_NAME "borne-hall"

static void must(pv_err err, const char *what) {
  if (err != PV_OK) {
    fprintf(stderr, "syncfix: %s: %s: %s\n", what, pv_strerror(err), pv_err_detail());
    abort();
  }
}

static int64_t tick(void *ud) {
  int64_t *ms = ud;
  return *ms += 1000;
}

pv_clock fx_ticking_clock(int64_t *ms) {
  return (pv_clock){.now_ms = tick, .ud = ms};
}

/* ---- publishing --------------------------------------------------------- */

static const struct {
  const char *ext, *type;
} media_types[] = {
    {".json", "application/json"}, {".png", "image/png"}, {".jpg", "image/jpeg"},
    {".svg", "image/svg+xml"},     {".wav", "audio/wav"}, {".ogg", "audio/ogg"},
};

/* nftw has no user pointer: the walk fills this. */
static struct {
  const char *root;
  pv_cdb *db;
  pv_proto_file files[PV_PROTO_MAX_FILES];
  size_t n;
  pv_err err;
} walk;

static int add_file(const char *path, const struct stat *sb, int flag,
                    struct FTW *ftw) {
  (void)ftw;
  if (flag != FTW_F || !S_ISREG(sb->st_mode) || walk.err ||
      walk.n == PV_PROTO_MAX_FILES)
    return 0;
  const char *rel = path + strlen(walk.root) + 1;
  if (rel[0] == '.')
    return 0;
  FILE *f = fopen(path, "rb");
  unsigned char *bytes = malloc((size_t)sb->st_size + 1);
  size_t len = f && bytes ? fread(bytes, 1, (size_t)sb->st_size, f) : 0;
  if (f)
    fclose(f);
  const char *type = "application/octet-stream";
  const char *dot = strrchr(rel, '.');
  for (size_t i = 0; dot && i < sizeof media_types / sizeof *media_types; i++)
    if (strcmp(dot, media_types[i].ext) == 0)
      type = media_types[i].type;
  pv_proto_file *pf = &walk.files[walk.n++];
  snprintf(pf->path, sizeof pf->path, "%s", rel);
  pf->size = len;
  walk.err = pv_sha256_hex(bytes, len, pf->sha256);
  if (!walk.err)
    walk.err = pv_cdb_blob_put(walk.db, pf->sha256, type, bytes, len);
  free(bytes);
  return 0;
}

pv_err fx_publish(const char *dbpath, const char *dir) {
  pv_survey *sv = NULL;
  pv_diags d = {0};
  pv_cdb *db = NULL;
  pv_cdb_publish what;
  must(pv_survey_load(dir, NULL, &sv, &d), dir);
  pv_diags_free(&d);
  must(pv_cdb_open_sqlite(dbpath, &db), "open collector db");
  memset(&walk, 0, sizeof walk);
  walk.root = dir;
  walk.db = db;
  nftw(dir, add_file, 16, FTW_PHYS);
  pv_err err = walk.err;
  if (!err) {
    pv_proto_survey s = {
        .version = sv->version, .files = walk.files, .n_files = walk.n};
    snprintf(s.id, sizeof s.id, "%s", sv->id);
    err = pv_cdb_survey_publish(db, NULL, &s, NOW, &what);
  }
  pv_cdb_close(db);
  pv_survey_free(sv);
  return err;
}

void fx_collector_setup(const char *dbpath, char token[PV_PROTO_TOKEN_LEN + 1]) {
  static const char *const samples[] = {"qualite-habiter", "tranquillite",
                                        "lien-social"};
  char hash[PV_SHA256_HEX + 1], dir[1024];
  pv_cdb *db = NULL;
  long long id;
  must(pv_cdb_open_sqlite(dbpath, &db), "open collector db");
  must(pv_cdb_territory_add(db, FX_TERRITORY, "Montpellier", NOW), "territory add");
  must(pv_token_new(PV_CDB_DEVICE, token), "token");
  must(pv_token_hash(token, hash), "token hash");
  must(pv_cdb_token_add(db, PV_CDB_DEVICE, FX_TERRITORY, DEVICE_NAME, hash, NOW, &id),
       "device add");
  pv_cdb_close(db);
  for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
    snprintf(dir, sizeof dir, "%s/%s", FX_SURVEYS, samples[i]);
    must(fx_publish(dbpath, dir), dir);
  }
}

void fx_revoke(const char *dbpath) {
  pv_cdb *db = NULL;
  must(pv_cdb_open_sqlite(dbpath, &db), "open collector db");
  must(pv_cdb_token_revoke(db, PV_CDB_DEVICE, FX_TERRITORY, DEVICE_NAME, NOW),
       "revoke");
  pv_cdb_close(db);
}

size_t fx_server_count(const char *dbpath) {
  pv_cdb *db = NULL;
  size_t n = 0;
  must(pv_cdb_open_sqlite(dbpath, &db), "open collector db");
  must(pv_cdb_count(db, FX_TERRITORY, NULL, &n), "count");
  pv_cdb_close(db);
  return n;
}

/* ---- the device --------------------------------------------------------- */

void fx_fill(pv_store *st, size_t n, size_t att_every, fx_uuid *uuids) {
  static const struct {
    const char *id;
    int version;
  } surveys[] = {{"qualite-habiter", 0}, {"tranquillite", 0}, {"lien-social", 0}};
  static int versions[3]; /* read once from the samples */
  char dir[1024], value[256], sha[PV_SHA256_HEX + 1];
  for (size_t k = 0; k < 3; k++) {
    if (versions[k])
      continue;
    pv_survey *sv = NULL;
    pv_diags d = {0};
    snprintf(dir, sizeof dir, "%s/%s", FX_SURVEYS, surveys[k].id);
    must(pv_survey_load(dir, NULL, &sv, &d), dir);
    versions[k] = sv->version;
    pv_survey_free(sv);
    pv_diags_free(&d);
  }
  for (size_t i = 0; i < n; i++) {
    size_t k = i % 3;
    must(pv_store_begin(st, surveys[k].id, versions[k], NULL, i % 4 ? "fr" : "ar",
                        uuids[i]),
         "begin");
    snprintf(value, sizeof value, "%zu", i % 5 + 1);
    must(pv_store_put_answer(st, uuids[i], "note", value, PV_QUANTITATIVE), "answer");
    snprintf(value, sizeof value, "\"réponse %zu — ردّ %zu\"", i, i);
    must(pv_store_put_answer(st, uuids[i], "mot", value, PV_QUALITATIVE), "answer");
    if (att_every && i % att_every == 0) {
      unsigned char bytes[3000];
      for (size_t b = 0; b < sizeof bytes; b++)
        bytes[b] = (unsigned char)(b * 31 + i * 7);
      memcpy(bytes, uuids[i], PV_UUID_LEN); /* unique per response */
      must(pv_store_put_attachment(st, uuids[i], "voix", "audio/ogg", bytes,
                                   1000 + i % 2000, sha),
           "attachment");
    }
    must(pv_store_finish(st, uuids[i]), "finish");
  }
}

typedef struct entry {
  fx_uuid uuid;
  char hash[PV_SHA256_HEX + 1];
} entry;

static int by_uuid(const void *a, const void *b) {
  return strcmp(((const entry *)a)->uuid, ((const entry *)b)->uuid);
}

typedef struct collect {
  entry *e;
  size_t n, cap;
} collect;

static pv_err hash_of(const pv_store_response *r, char out[PV_SHA256_HEX + 1]) {
  char *text = pv_proto_response_encode(r);
  if (!text)
    return PV_ERR_NOMEM;
  pv_err err = pv_sha256_hex(text, strlen(text), out);
  free(text);
  return err;
}

static pv_err on_response(void *ud, const pv_store_response *r) {
  collect *c = ud;
  if (c->n == c->cap) {
    c->cap = c->cap ? c->cap * 2 : 1024;
    c->e = realloc(c->e, c->cap * sizeof *c->e);
    if (!c->e)
      abort();
  }
  entry *e = &c->e[c->n++];
  snprintf(e->uuid, sizeof e->uuid, "%s", r->uuid);
  return hash_of(r, e->hash);
}

int fx_compare(const char *dbpath, pv_store *st, const fx_uuid *uuids, size_t n,
               int all) {
  static const char *const ids[] = {"qualite-habiter", "tranquillite", "lien-social"};
  collect c = {0};
  pv_cdb *db = NULL;
  int problems = 0;
  size_t synced = 0;
  must(pv_cdb_open_sqlite(dbpath, &db), "open collector db");
  for (size_t k = 0; k < 3; k++) {
    pv_cdb_filter f = {.survey_id = ids[k]};
    must(pv_cdb_export(db, FX_TERRITORY, &f, on_response, &c), "export");
  }
  size_t count = 0;
  must(pv_cdb_count(db, FX_TERRITORY, NULL, &count), "count");
  pv_cdb_close(db);
  if (count != c.n) {
    fprintf(stderr, "compare: server counts %zu, exports %zu\n", count, c.n);
    problems++;
  }
  if (c.n)
    qsort(c.e, c.n, sizeof *c.e, by_uuid);
  for (size_t i = 1; i < c.n; i++)
    if (strcmp(c.e[i].uuid, c.e[i - 1].uuid) == 0 && problems++ < 20)
      fprintf(stderr, "compare: %s twice on the server\n", c.e[i].uuid);
  entry *dev = calloc(n ? n : 1, sizeof *dev);
  for (size_t i = 0; i < n; i++) {
    pv_store_response r;
    must(pv_store_get_response(st, uuids[i], &r), "get response");
    snprintf(dev[i].uuid, sizeof dev[i].uuid, "%s", r.uuid);
    must(hash_of(&r, dev[i].hash), "hash");
    entry key = dev[i];
    entry *on = c.n ? bsearch(&key, c.e, c.n, sizeof *c.e, by_uuid) : NULL;
    int is_synced = r.synced_at[0] != '\0';
    synced += (size_t)is_synced;
    if ((is_synced || all) && !on && problems++ < 20)
      fprintf(stderr, "compare: %s %s but not on the server\n", r.uuid,
              is_synced ? "marked synced" : "pending");
    if (on && strcmp(on->hash, dev[i].hash) != 0 && problems++ < 20)
      fprintf(stderr, "compare: %s differs on the server\n", r.uuid);
    if (all && !is_synced && problems++ < 20)
      fprintf(stderr, "compare: %s not acknowledged on the device\n", r.uuid);
    pv_store_response_free(&r);
  }
  qsort(dev, n, sizeof *dev, by_uuid);
  for (size_t i = 0; i < c.n; i++)
    if (!bsearch(&c.e[i], dev, n, sizeof *dev, by_uuid) && problems++ < 20)
      fprintf(stderr, "compare: %s on the server is not the device's\n", c.e[i].uuid);
  if (problems)
    fprintf(stderr, "compare: %d problems (server %zu, device %zu, synced %zu)\n",
            problems, c.n, n, synced);
  free(dev);
  free(c.e);
  return problems;
}
