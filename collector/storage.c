/* storage: pv-collector's storage logic, written once for both backends.
 *
 * Every pv_cdb_* function checks its arguments here, then runs named
 * statements through the connection's driver (storage_internal.h): the
 * SQLite and PostgreSQL backends only supply SQL in their dialect and the
 * library calls, so the rules below (what is a duplicate, what a conflict,
 * who sees which survey) cannot differ between them.
 *
 * Ingest takes the write lock for the whole batch and handles its items in
 * uuid order, so two batches that share uuids (a device resending while an
 * earlier request is still running) wait for each other instead of
 * deadlocking on PostgreSQL. */
#include "collector/storage.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/storage_internal.h"
#include "core/clock.h"
#include "core/diag.h"
#include "core/sha256.h"
#include "core/survey.h"

#define ALL "*"             /* publications.territory for "every territory" */
#define MAX_BLOB (64 << 20) /* bytes of one survey file */
#define MAX_ATTACHMENT PV_PROTO_MAX_ATTACHMENT

static const char *const kind_names[] = {
    [PV_CDB_DEVICE] = "device",
    [PV_CDB_ANALYST] = "analyst",
};

/* ---- driver helpers ---------------------------------------------------- */

/* Runs q up to its first row: *row = 1 with the row readable, or 0. The
 * caller ends the statement, unless this failed (then it is ended). */
static pv_err first(pv_cdb *db, cdb_q q, const cdb_param *p, int n, int *row) {
  pv_err err = db->ops->query(db, q, p, n);
  if (err)
    return err;
  err = db->ops->step(db, row);
  if (err)
    db->ops->end(db);
  return err;
}

/* Runs q, ignoring any rows. */
static pv_err exec(pv_cdb *db, cdb_q q, const cdb_param *p, int n) {
  int row = 0;
  pv_err err = first(db, q, p, n, &row);
  if (!err)
    db->ops->end(db);
  return err;
}

/* Runs q; *found = 1 when it gave a row, and then *value (may be NULL)
 * gets that row's first column as an integer. */
static pv_err probe(pv_cdb *db, cdb_q q, const cdb_param *p, int n, int *found,
                    long long *value) {
  int row = 0;
  pv_err err = first(db, q, p, n, &row);
  if (err)
    return err;
  if (row && value)
    *value = db->ops->num(db, 0);
  db->ops->end(db);
  *found = row;
  return PV_OK;
}

/* Copies column col of the current row into dst (cap bytes). */
static void copy_col(pv_cdb *db, int col, char *dst, size_t cap) {
  snprintf(dst, cap, "%s", db->ops->text(db, col));
}

/* Fills one list item (zeroed) from the current row. */
typedef void (*row_fill_fn)(pv_cdb *db, void *item);

/* Runs q and reads every row into a malloc'd array of elem-byte items,
 * each zeroed then filled by fill: *out (caller frees; NULL when none)
 * and *n. PV_ERR_TOOBIG past max rows ("more than <max> <what>"). The
 * territories', quartiers' and prompts' lists. */
static pv_err read_list(pv_cdb *db, cdb_q q, const cdb_param *p, int np, size_t elem,
                        size_t max, const char *what, row_fill_fn fill, void **out,
                        size_t *n) {
  unsigned char *list = NULL;
  size_t count = 0, cap = 0;
  int row = 0;
  *out = NULL;
  *n = 0;
  pv_err err = db->ops->query(db, q, p, np);
  while (!err && !(err = db->ops->step(db, &row)) && row) {
    if (count == max) {
      err = pv_fail(PV_ERR_TOOBIG, "collector db: more than %zu %s", max, what);
      break;
    }
    if (count == cap) {
      size_t want = cap ? cap * 2 : 32;
      unsigned char *grown = realloc(list, want * elem);
      if (!grown) {
        err = pv_fail(PV_ERR_NOMEM, "collector db: list of %zu %s", want, what);
        break;
      }
      list = grown;
      cap = want;
    }
    memset(list + count * elem, 0, elem);
    fill(db, list + count * elem);
    count++;
  }
  db->ops->end(db);
  if (err) {
    free(list);
    return err;
  }
  *out = list;
  *n = count;
  return PV_OK;
}

/* ---- argument checks --------------------------------------------------- */

/* PV_OK when s holds 1..max bytes. */
static pv_err check_text(const char *what, const char *s, size_t max) {
  if (!s || !*s)
    return pv_fail(PV_ERR_INVALID, "collector db: %s missing", what);
  if (strnlen(s, max + 1) > max)
    return pv_fail(PV_ERR_TOOBIG, "collector db: %s longer than %zu bytes", what, max);
  return PV_OK;
}

/* A territory code: 1..PV_CDB_MAX_CODE of [A-Za-z0-9._-] ("*" is ours). */
static pv_err check_code(const char *code) {
  pv_err err = check_text("territory code", code, PV_CDB_MAX_CODE);
  if (err)
    return err;
  for (const char *p = code; *p; p++)
    if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
                *p))
      return pv_fail(PV_ERR_INVALID,
                     "collector db: territory code \"%.40s\": use letters, digits, "
                     "'.', '_' or '-'",
                     code);
  return PV_OK;
}

/* NULL (every territory) or a code. */
static pv_err check_code_or_all(const char *code) {
  return code ? check_code(code) : PV_OK;
}

static pv_err check_sha(const char *what, const char *s) {
  if (!s || !pv_sha256_valid(s))
    return pv_fail(PV_ERR_INVALID, "collector db: %s is not a SHA-256: %.70s", what,
                   s ? s : "(null)");
  return PV_OK;
}

static pv_err check_id(const char *what, const char *s) {
  if (!s || !pv_proto_id_valid(s))
    return pv_fail(PV_ERR_INVALID, "collector db: %s is not an id: %.70s", what,
                   s ? s : "(null)");
  return PV_OK;
}

static pv_err check_kind(pv_cdb_kind kind) {
  if ((unsigned)kind >= sizeof kind_names / sizeof kind_names[0])
    return pv_fail(PV_ERR_INVALID, "collector db: unknown principal kind %d",
                   (int)kind);
  return PV_OK;
}

/* PV_ERR_NOTFOUND unless territory code exists. */
static pv_err territory_known(pv_cdb *db, const char *code) {
  cdb_param p[] = {P_TEXT(code)};
  int found = 0;
  pv_err err = probe(db, Q_TERRITORY_GET, p, 1, &found, NULL);
  if (!err && !found)
    err = pv_fail(PV_ERR_NOTFOUND, "collector db: no territory %s", code);
  return err;
}

/* ---- connections ------------------------------------------------------- */

pv_err pv_cdb_open(const char *sqlite_path, const char *pg_conninfo, pv_cdb **out) {
  *out = NULL;
  if (!sqlite_path == !pg_conninfo)
    return pv_fail(PV_ERR_INVALID,
                   "collector db: give exactly one of an SQLite file or a PostgreSQL "
                   "conninfo");
  return sqlite_path ? pv_cdb_open_sqlite(sqlite_path, out)
                     : pv_cdb_open_pg(pg_conninfo, out);
}

void pv_cdb_close(pv_cdb *db) {
  if (db)
    db->ops->close(db);
}

const char *pv_cdb_backend(const pv_cdb *db) {
  return db->ops->name;
}

/* Applies one migration per transaction until the schema is the newest;
 * the lock statement keeps concurrent openers from racing. */
pv_err pv_cdb__migrate(pv_cdb *db) {
  for (;;) {
    long long version = 0;
    int found = 0;
    pv_err err = db->ops->begin(db, 1);
    if (err)
      return err;
    if ((err = exec(db, Q_SCHEMA_LOCK, NULL, 0)) ||
        (err = exec(db, Q_SCHEMA_TABLE, NULL, 0)) ||
        (err = probe(db, Q_SCHEMA_VERSION, NULL, 0, &found, &version)))
      goto fail;
    if (version > db->ops->n_migrations) {
      err = pv_fail(PV_ERR_FOREIGN,
                    "collector db: %s: schema version %lld is newer than this "
                    "program's (%d)",
                    db->ops->name, version, db->ops->n_migrations);
      goto fail;
    }
    if (version == db->ops->n_migrations) {
      if ((err = db->ops->commit(db)))
        goto fail;
      return PV_OK;
    }
    cdb_param p[] = {P_INT(version + 1)};
    if ((err = db->ops->script(db, db->ops->migrations[version])) ||
        (err = exec(db, Q_SCHEMA_MARK, p, 1)) || (err = db->ops->commit(db)))
      goto fail;
    continue;
  fail:
    db->ops->rollback(db);
    return err;
  }
}

/* ---- territories ------------------------------------------------------- */

pv_err pv_cdb_territory_add(pv_cdb *db, const char *code, const char *name,
                            const char *now) {
  pv_err err;
  if ((err = check_code(code)) ||
      (err = check_text("territory name", name, PV_CDB_MAX_NAME)) ||
      (err = check_text("time", now, PV_STORE_TIME_LEN)))
    return err;
  cdb_param p[] = {P_TEXT(code), P_TEXT(name), P_TEXT(now)};
  err = exec(db, Q_TERRITORY_ADD, p, 3);
  if (err == PV_ERR_EXISTS)
    err = pv_fail(PV_ERR_EXISTS, "collector db: territory %s already exists", code);
  return err;
}

pv_err pv_cdb_territory_get(pv_cdb *db, const char *code, pv_cdb_territory *out) {
  int row = 0;
  pv_err err = check_code(code);
  if (err)
    return err;
  memset(out, 0, sizeof *out);
  cdb_param p[] = {P_TEXT(code)};
  if ((err = first(db, Q_TERRITORY_GET, p, 1, &row)))
    return err;
  if (row) {
    copy_col(db, 0, out->code, sizeof out->code);
    copy_col(db, 1, out->name, sizeof out->name);
  }
  db->ops->end(db);
  return row ? PV_OK : pv_fail(PV_ERR_NOTFOUND, "collector db: no territory %s", code);
}

static void territory_fill(pv_cdb *db, void *item) {
  pv_cdb_territory *t = item;
  copy_col(db, 0, t->code, sizeof t->code);
  copy_col(db, 1, t->name, sizeof t->name);
}

pv_err pv_cdb_territory_list(pv_cdb *db, pv_cdb_territory **out, size_t *n) {
  void *list = NULL;
  pv_err err =
      read_list(db, Q_TERRITORY_LIST, NULL, 0, sizeof **out, PV_CDB_MAX_TERRITORIES,
                "territories", territory_fill, &list, n);
  *out = list;
  return err;
}

/* ---- tokens ------------------------------------------------------------ */

pv_err pv_cdb_token_add(pv_cdb *db, pv_cdb_kind kind, const char *territory,
                        const char *name, const char *token_hash, const char *now,
                        long long *id_out) {
  long long id = 0;
  int live = 0, added = 0;
  pv_err err;
  if ((err = check_kind(kind)) || (err = check_code(territory)) ||
      (err = check_text("name", name, PV_CDB_MAX_NAME)) ||
      (err = check_sha("token hash", token_hash)) ||
      (err = check_text("time", now, PV_STORE_TIME_LEN)))
    return err;
  if ((err = db->ops->begin(db, 1)))
    return err;
  cdb_param p[] = {P_TEXT(kind_names[kind]), P_TEXT(territory), P_TEXT(name),
                   P_TEXT(token_hash), P_TEXT(now)};
  if ((err = territory_known(db, territory)) ||
      (err = probe(db, Q_TOKEN_LIVE, p, 3, &live, NULL)))
    goto out;
  if (live) {
    err = pv_fail(PV_ERR_EXISTS, "collector db: territory %s already has a %s named %s",
                  territory, kind_names[kind], name);
    goto out;
  }
  /* A unique violation here is the token hash (or a racing add). */
  err = probe(db, Q_TOKEN_ADD, p, 5, &added, &id);
  if (err == PV_ERR_EXISTS)
    err = pv_fail(PV_ERR_EXISTS,
                  "collector db: that token is taken (or %s %s was just "
                  "added)",
                  kind_names[kind], name);
  if (!err && !added)
    err = pv_fail(PV_ERR_DB, "collector db: %s: no id for the new %s", db->ops->name,
                  kind_names[kind]);
  if (!err)
    err = db->ops->commit(db);
out:
  if (err)
    db->ops->rollback(db);
  else if (id_out)
    *id_out = id;
  return err;
}

pv_err pv_cdb_token_revoke(pv_cdb *db, pv_cdb_kind kind, const char *territory,
                           const char *name, const char *now) {
  int found = 0;
  pv_err err;
  if ((err = check_kind(kind)) || (err = check_code(territory)) ||
      (err = check_text("name", name, PV_CDB_MAX_NAME)) ||
      (err = check_text("time", now, PV_STORE_TIME_LEN)))
    return err;
  cdb_param p[] = {P_TEXT(kind_names[kind]), P_TEXT(territory), P_TEXT(name),
                   P_TEXT(now)};
  if ((err = probe(db, Q_TOKEN_REVOKE, p, 4, &found, NULL)))
    return err;
  if (!found)
    return pv_fail(PV_ERR_NOTFOUND,
                   "collector db: territory %s has no live %s named %s", territory,
                   kind_names[kind], name);
  return PV_OK;
}

pv_err pv_cdb_token_lookup(pv_cdb *db, const char *token_hash, pv_cdb_principal *out) {
  int row = 0;
  pv_err err = check_sha("token hash", token_hash);
  if (err)
    return err;
  memset(out, 0, sizeof *out);
  cdb_param p[] = {P_TEXT(token_hash)};
  if ((err = first(db, Q_TOKEN_LOOKUP, p, 1, &row)))
    return err;
  if (row) {
    out->id = db->ops->num(db, 0);
    out->kind =
        strcmp(db->ops->text(db, 1), "analyst") == 0 ? PV_CDB_ANALYST : PV_CDB_DEVICE;
    copy_col(db, 2, out->territory, sizeof out->territory);
    copy_col(db, 3, out->name, sizeof out->name);
    out->revoked = db->ops->num(db, 4) != 0;
  }
  db->ops->end(db);
  return row ? PV_OK : pv_fail(PV_ERR_NOTFOUND, "collector db: unknown token");
}

/* ---- blobs ------------------------------------------------------------- */

pv_err pv_cdb_blob_put(pv_cdb *db, const char *sha256, const char *media_type,
                       const void *bytes, size_t len) {
  char actual[PV_SHA256_HEX + 1];
  pv_err err;
  if ((err = check_sha("blob", sha256)) ||
      (err = check_text("media type", media_type, PV_CDB_MAX_MEDIA_TYPE)))
    return err;
  if (len > MAX_BLOB)
    return pv_fail(PV_ERR_TOOBIG, "collector db: blob %s: %zu bytes, over %d", sha256,
                   len, MAX_BLOB);
  if ((err = pv_sha256_hex(bytes ? bytes : "", len, actual)))
    return err;
  if (strcmp(actual, sha256) != 0)
    return pv_fail(PV_ERR_INVALID, "collector db: blob %s: the bytes hash to %s",
                   sha256, actual);
  cdb_param p[] = {P_TEXT(sha256), P_TEXT(media_type), P_INT((long long)len),
                   P_BLOB(bytes, len)};
  return exec(db, Q_BLOB_PUT, p, 4);
}

/* Copies the current row's media type (column 0) and bytes (column 1)
 * into *out. */
static pv_err read_blob(pv_cdb *db, pv_store_blob *out) {
  size_t len = 0;
  const void *bytes = db->ops->bytes(db, 1, &len);
  copy_col(db, 0, out->media_type, sizeof out->media_type);
  out->bytes = malloc(len ? len : 1);
  if (!out->bytes)
    return pv_fail(PV_ERR_NOMEM, "collector db: %zu bytes for a blob", len);
  if (len)
    memcpy(out->bytes, bytes, len);
  out->size = len;
  return PV_OK;
}

pv_err pv_cdb_blob_get(pv_cdb *db, const char *sha256, pv_store_blob *out) {
  int row = 0;
  pv_err err = check_sha("blob", sha256);
  memset(out, 0, sizeof *out);
  if (err)
    return err;
  cdb_param p[] = {P_TEXT(sha256)};
  if ((err = first(db, Q_BLOB_GET, p, 1, &row)))
    return err;
  if (row)
    err = read_blob(db, out);
  db->ops->end(db);
  if (!err && !row)
    err = pv_fail(PV_ERR_NOTFOUND, "collector db: no blob %s", sha256);
  return err;
}

/* ---- surveys ----------------------------------------------------------- */

static int file_cmp(const void *a, const void *b) {
  const pv_proto_file *const *fa = a, *const *fb = b;
  return strcmp((*fa)->path, (*fb)->path);
}

/* Checks s and writes its manifest (the files sorted by path, as compact
 * JSON, caller frees) to *out: the same files give the same text. */
static pv_err manifest_make(const pv_proto_survey *s, char **out) {
  const pv_proto_file **sorted = NULL;
  cJSON *arr = NULL;
  pv_err err;
  *out = NULL;
  if ((err = check_id("survey id", s->id)))
    return err;
  if (s->version < 1)
    return pv_fail(PV_ERR_INVALID, "collector db: survey %s: version %d", s->id,
                   s->version);
  if (s->n_files < 1 || s->n_files > PV_PROTO_MAX_FILES || !s->files)
    return pv_fail(PV_ERR_INVALID, "collector db: survey %s: %zu files (1..%d)", s->id,
                   s->n_files, PV_PROTO_MAX_FILES);
  sorted = malloc(s->n_files * sizeof *sorted);
  arr = cJSON_CreateArray();
  if (!sorted || !arr) {
    err = pv_fail(PV_ERR_NOMEM, "collector db: manifest of %s", s->id);
    goto out;
  }
  for (size_t i = 0; i < s->n_files; i++) {
    const pv_proto_file *f = &s->files[i];
    if (!pv_proto_path_safe(f->path) || !pv_sha256_valid(f->sha256)) {
      err = pv_fail(PV_ERR_INVALID, "collector db: survey %s: bad file \"%.80s\"",
                    s->id, f->path);
      goto out;
    }
    sorted[i] = f;
  }
  qsort(sorted, s->n_files, sizeof *sorted, file_cmp);
  for (size_t i = 0; i < s->n_files; i++) {
    if (i > 0 && strcmp(sorted[i - 1]->path, sorted[i]->path) == 0) {
      err = pv_fail(PV_ERR_INVALID, "collector db: survey %s: %s listed twice", s->id,
                    sorted[i]->path);
      goto out;
    }
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(arr, o)) {
      cJSON_Delete(o);
      err = pv_fail(PV_ERR_NOMEM, "collector db: manifest of %s", s->id);
      goto out;
    }
    if (!cJSON_AddStringToObject(o, "path", sorted[i]->path) ||
        !cJSON_AddStringToObject(o, "sha256", sorted[i]->sha256) ||
        !cJSON_AddNumberToObject(o, "size", (double)sorted[i]->size)) {
      err = pv_fail(PV_ERR_NOMEM, "collector db: manifest of %s", s->id);
      goto out;
    }
  }
  *out = cJSON_PrintUnformatted(arr);
  if (!*out)
    err = pv_fail(PV_ERR_NOMEM, "collector db: manifest of %s", s->id);
out:
  cJSON_Delete(arr);
  free(sorted);
  return err;
}

/* Stores version s (new): its manifest and its files, whose blobs must be
 * there with the sizes given. */
static pv_err version_add(pv_cdb *db, const pv_proto_survey *s, const char *manifest,
                          const char *now) {
  pv_err err;
  cdb_param v[] = {P_TEXT(s->id), P_INT(s->version), P_TEXT(manifest), P_TEXT(now)};
  if ((err = exec(db, Q_VERSION_ADD, v, 4)))
    return err;
  for (size_t i = 0; i < s->n_files; i++) {
    const pv_proto_file *f = &s->files[i];
    long long size = -1;
    int found = 0;
    cdb_param b[] = {P_TEXT(f->sha256)};
    if ((err = probe(db, Q_BLOB_SIZE, b, 1, &found, &size)))
      return err;
    if (!found)
      return pv_fail(PV_ERR_NOTFOUND, "collector db: survey %s: %s: blob %s not stored",
                     s->id, f->path, f->sha256);
    if (size != (long long)f->size)
      return pv_fail(PV_ERR_INVALID,
                     "collector db: survey %s: %s: %zu bytes listed, blob has %lld",
                     s->id, f->path, f->size, size);
    cdb_param p[] = {P_TEXT(s->id), P_INT(s->version), P_TEXT(f->path),
                     P_TEXT(f->sha256), P_INT((long long)f->size)};
    if ((err = exec(db, Q_FILE_ADD, p, 5)))
      return err;
  }
  return PV_OK;
}

pv_err pv_cdb_survey_publish(pv_cdb *db, const char *territory,
                             const pv_proto_survey *s, const char *now,
                             pv_cdb_publish *what) {
  char *manifest = NULL;
  int row = 0, visible = 0, began = 0;
  pv_err err;
  if ((err = check_code_or_all(territory)) ||
      (err = check_text("time", now, PV_STORE_TIME_LEN)) ||
      (err = manifest_make(s, &manifest)))
    goto out;
  if ((err = db->ops->begin(db, 1)))
    goto out;
  began = 1;
  /* Two publishers of one new version: the second waits, then compares. */
  if ((err = exec(db, Q_SCHEMA_LOCK, NULL, 0)) ||
      (territory && (err = territory_known(db, territory))))
    goto out;
  cdb_param v[] = {P_TEXT(s->id), P_INT(s->version)};
  if ((err = first(db, Q_VERSION_GET, v, 2, &row)))
    goto out;
  int same = row && strcmp(db->ops->text(db, 0), manifest) == 0;
  db->ops->end(db);
  if (row && !same) {
    err = pv_fail(PV_ERR_EXISTS,
                  "collector db: survey %s version %d was published with other files; "
                  "give the changed survey a new version",
                  s->id, s->version);
    goto out;
  }
  if (!row && (err = version_add(db, s, manifest, now)))
    goto out;
  /* Visible already: published for this territory or for all (for "all",
   * key is '*' and only the '*' row counts, so future territories get it). */
  const char *key = territory ? territory : ALL;
  cdb_param p[] = {P_TEXT(s->id), P_INT(s->version), P_TEXT(key), P_TEXT(now)};
  if ((err = probe(db, Q_VISIBLE, p, 3, &visible, NULL)))
    goto out;
  if (!visible && (err = exec(db, Q_PUBLICATION_ADD, p, 4)))
    goto out;
  if ((err = db->ops->commit(db)))
    goto out;
  began = 0;
  if (what)
    *what = (!row || !visible) ? PV_CDB_PUBLISHED : PV_CDB_UNCHANGED;
out:
  if (began)
    db->ops->rollback(db);
  free(manifest);
  return err;
}

/* Appends a file row to catalog c: a new survey when id/version change. */
static pv_err catalog_add(pv_proto_catalog *c, size_t *files_cap, const char *id,
                          long long version, const char *path, const char *sha,
                          long long size) {
  pv_proto_survey *s = c->count ? &c->surveys[c->count - 1] : NULL;
  if (!s || strcmp(s->id, id) != 0 || s->version != version) {
    if (c->count == PV_PROTO_MAX_SURVEYS)
      return pv_fail(PV_ERR_TOOBIG, "collector db: more than %d surveys in a catalogue",
                     PV_PROTO_MAX_SURVEYS);
    s = &c->surveys[c->count++];
    memset(s, 0, sizeof *s);
    snprintf(s->id, sizeof s->id, "%s", id);
    s->version = (int)version;
    *files_cap = 0;
  }
  if (s->n_files == PV_PROTO_MAX_FILES)
    return pv_fail(PV_ERR_TOOBIG, "collector db: survey %s: more than %d files", id,
                   PV_PROTO_MAX_FILES);
  if (s->n_files == *files_cap) {
    size_t cap = *files_cap ? *files_cap * 2 : 8;
    pv_proto_file *grown = realloc(s->files, cap * sizeof *grown);
    if (!grown)
      return pv_fail(PV_ERR_NOMEM, "collector db: files of survey %s", id);
    s->files = grown;
    *files_cap = cap;
  }
  pv_proto_file *f = &s->files[s->n_files++];
  memset(f, 0, sizeof *f);
  snprintf(f->path, sizeof f->path, "%s", path);
  snprintf(f->sha256, sizeof f->sha256, "%s", sha);
  f->size = size > 0 ? (size_t)size : 0;
  return PV_OK;
}

pv_err pv_cdb_survey_catalog(pv_cdb *db, const char *territory, pv_proto_catalog *out) {
  size_t files_cap = 0;
  int row = 0;
  pv_err err = check_code_or_all(territory);
  memset(out, 0, sizeof *out);
  if (err)
    return err;
  out->surveys = calloc(PV_PROTO_MAX_SURVEYS, sizeof *out->surveys);
  if (!out->surveys)
    return pv_fail(PV_ERR_NOMEM, "collector db: catalogue");
  cdb_param p[] = {P_TEXT(territory)};
  if ((err = db->ops->query(db, Q_CATALOG, p, 1)))
    goto out;
  while (!(err = db->ops->step(db, &row)) && row) {
    err = catalog_add(out, &files_cap, db->ops->text(db, 0), db->ops->num(db, 1),
                      db->ops->text(db, 2), db->ops->text(db, 3), db->ops->num(db, 4));
    if (err)
      break;
  }
  db->ops->end(db);
out:
  if (err)
    pv_proto_catalog_free(out);
  return err;
}

pv_err pv_cdb_survey_get(pv_cdb *db, const char *territory, const char *id, int version,
                         pv_proto_survey *out) {
  size_t cap = 0;
  int found = 0, row = 0;
  pv_err err;
  memset(out, 0, sizeof *out);
  if ((err = check_code_or_all(territory)) || (err = check_id("survey id", id)))
    return err;
  cdb_param v[] = {P_TEXT(id), P_INT(version), P_TEXT(territory)};
  if ((err = probe(db, Q_VISIBLE, v, 3, &found, NULL)))
    return err;
  if (!found)
    return pv_fail(PV_ERR_NOTFOUND,
                   "collector db: survey %s version %d is not published"
                   " for territory %s",
                   id, version, territory ? territory : "(any)");
  pv_proto_catalog one = {.surveys = out, .count = 0}; /* out, as a catalogue of one */
  if ((err = db->ops->query(db, Q_SURVEY_FILES, v, 2)))
    return err;
  while (!(err = db->ops->step(db, &row)) && row)
    if ((err = catalog_add(&one, &cap, id, version, db->ops->text(db, 0),
                           db->ops->text(db, 1), db->ops->num(db, 2))))
      break;
  db->ops->end(db);
  if (!err && one.count == 0) {
    snprintf(out->id, sizeof out->id, "%s", id);
    out->version = version;
  }
  if (err) {
    free(out->files);
    memset(out, 0, sizeof *out);
  }
  return err;
}

pv_err pv_cdb_survey_has_file(pv_cdb *db, const char *territory, const char *sha256,
                              int *has) {
  pv_err err;
  *has = 0;
  if ((err = check_code_or_all(territory)) || (err = check_sha("file", sha256)))
    return err;
  cdb_param p[] = {P_TEXT(territory), P_TEXT(sha256)};
  return probe(db, Q_SURVEY_HAS_FILE, p, 2, has, NULL);
}

/* ---- ingest ------------------------------------------------------------ */

/* What every item of one ingest shares. */
typedef struct ingest_ctx {
  const char *territory;
  long long device_id;
  const char *now;
  /* The last survey version checked in a batch (batches repeat one). */
  char seen_id[PV_STORE_MAX_ID + 1];
  int seen_version;
  int seen_visible;
  void *cache; /* the kind's own, for one batch (prompts: their surveys) */
} ingest_ctx;

/* A kind of item a batch ingests: item_size bytes each, checked before
 * the transaction, stored in cmp order (then position, so a record twice
 * in one batch is stored once, then judged against itself) by one. */
typedef struct ingest_kind {
  const char *what;
  size_t item_size;
  pv_err (*check)(const void *item);
  int (*cmp)(const void *a, const void *b);
  pv_err (*one)(pv_cdb *db, ingest_ctx *c, void *item);
  void (*done)(ingest_ctx *c); /* frees c->cache; NULL: nothing */
} ingest_kind;

/* qsort_r comparator of item pointers; ud is the kind. */
static int order_cmp(const void *a, const void *b, void *ud) {
  const ingest_kind *k = ud;
  const char *x = *(const char *const *)a, *y = *(const char *const *)b;
  int c = k->cmp(x, y);
  return c ? c : (x < y ? -1 : x > y);
}

/* Checks every item, then decides and stores them in ONE transaction in
 * k's order, each writing its outcome; nothing is stored on failure.
 * cache (may be NULL) is the kind's, freed by k->done. */
static pv_err ingest(pv_cdb *db, const ingest_kind *k, const char *territory,
                     long long device_id, void *items, size_t n, const char *now,
                     void *cache) {
  ingest_ctx c = {.territory = territory,
                  .device_id = device_id,
                  .now = now,
                  .seen_version = -1,
                  .cache = cache};
  char **order = NULL;
  int began = 0;
  pv_err err;
  if ((err = check_code(territory)) ||
      (err = check_text("time", now, PV_STORE_TIME_LEN)))
    return err;
  if (n == 0)
    return PV_OK;
  for (size_t i = 0; i < n; i++)
    if ((err = k->check((char *)items + i * k->item_size)))
      return err;
  order = malloc(n * sizeof *order);
  if (!order)
    return pv_fail(PV_ERR_NOMEM, "collector db: ingest of %zu %s", n, k->what);
  for (size_t i = 0; i < n; i++)
    order[i] = (char *)items + i * k->item_size;
  qsort_r(order, n, sizeof *order, order_cmp, (void *)k);
  if ((err = db->ops->begin(db, 1)))
    goto out;
  began = 1;
  for (size_t i = 0; i < n; i++)
    if ((err = k->one(db, &c, order[i])))
      goto out;
  if (!(err = db->ops->commit(db)))
    began = 0;
out:
  if (began)
    db->ops->rollback(db);
  if (k->done)
    k->done(&c);
  free(order);
  return err;
}

static pv_err check_item(const void *item) {
  const pv_cdb_ingest_item *it = item;
  const pv_store_response *r = it->r;
  if (!r || !it->canonical)
    return pv_fail(PV_ERR_INVALID, "collector db: ingest item without response");
  if (!pv_uuid_valid(r->uuid))
    return pv_fail(PV_ERR_INVALID, "collector db: response uuid %.40s", r->uuid);
  if (!pv_sha256_valid(it->hash))
    return pv_fail(PV_ERR_INVALID, "collector db: response %s: hash %.70s", r->uuid,
                   it->hash);
  return check_id("survey id", r->survey_id);
}

/* Decides and stores one item inside the batch's transaction. */
static pv_err ingest_one(pv_cdb *db, ingest_ctx *c, void *item) {
  pv_cdb_ingest_item *it = item;
  const pv_store_response *r = it->r;
  const char *territory = c->territory, *now = c->now;
  long long device_id = c->device_id;
  int found = 0, row = 0;
  pv_err err;

  if (strcmp(c->seen_id, r->survey_id) != 0 || c->seen_version != r->survey_version) {
    cdb_param v[] = {P_TEXT(r->survey_id), P_INT(r->survey_version), P_TEXT(territory)};
    if ((err = probe(db, Q_VISIBLE, v, 3, &c->seen_visible, NULL)))
      return err;
    snprintf(c->seen_id, sizeof c->seen_id, "%s", r->survey_id);
    c->seen_version = r->survey_version;
  }
  if (!c->seen_visible) {
    it->outcome = PV_OUT_UNKNOWN_SURVEY;
    return PV_OK;
  }
  for (size_t i = 0; i < r->answer_count; i++) {
    if (!r->answers[i].attachment[0])
      continue;
    cdb_param a[] = {P_TEXT(territory), P_TEXT(r->answers[i].attachment)};
    if ((err = probe(db, Q_ATTACHMENT_HAS, a, 2, &found, NULL)))
      return err;
    if (!found) {
      it->outcome = PV_OUT_MISSING_ATTACHMENT;
      return PV_OK;
    }
  }
  cdb_param p[] = {
      P_TEXT(r->uuid),
      P_TEXT(territory),
      P_INT(device_id),
      P_TEXT(r->device_id),
      P_TEXT(r->survey_id),
      P_INT(r->survey_version),
      P_TEXT(r->session_uuid[0] ? r->session_uuid : NULL),
      P_TEXT(r->language),
      P_TEXT(r->started_at),
      P_TEXT(r->ended_at[0] ? r->ended_at : NULL),
      P_TEXT(pv_store_status_name(r->status)),
      P_TEXT(it->hash),
      P_TEXT(it->canonical),
      P_TEXT(now),
  };
  if ((err = probe(db, Q_RESPONSE_ADD, p, 14, &found, NULL)))
    return err;
  if (found) {
    /* Its attachments are residents' now: never a recorded prompt. */
    for (size_t i = 0; i < r->answer_count; i++) {
      cdb_param a[] = {P_TEXT(territory), P_TEXT(r->answers[i].attachment)};
      if (r->answers[i].attachment[0] && (err = exec(db, Q_ATTACHMENT_ANSWERED, a, 2)))
        return err;
    }
    it->outcome = PV_OUT_STORED;
    return PV_OK;
  }
  cdb_param u[] = {P_TEXT(r->uuid)};
  if ((err = first(db, Q_RESPONSE_WHO, u, 1, &row)))
    return err;
  int same = row && strcmp(db->ops->text(db, 0), territory) == 0 &&
             strcmp(db->ops->text(db, 1), it->hash) == 0;
  db->ops->end(db);
  if (!row)
    return pv_fail(PV_ERR_DB,
                   "collector db: %s: response %s neither inserted nor found",
                   db->ops->name, r->uuid);
  it->outcome = same ? PV_OUT_DUPLICATE : PV_OUT_CONFLICT;
  return PV_OK;
}

static int item_cmp(const void *a, const void *b) {
  return strcmp(((const pv_cdb_ingest_item *)a)->r->uuid,
                ((const pv_cdb_ingest_item *)b)->r->uuid);
}

static const ingest_kind response_kind = {
    "responses", sizeof(pv_cdb_ingest_item), check_item, item_cmp, ingest_one, NULL};

pv_err pv_cdb_ingest(pv_cdb *db, const char *territory, long long device_id,
                     pv_cdb_ingest_item *items, size_t n, const char *now) {
  return ingest(db, &response_kind, territory, device_id, items, n, now, NULL);
}

/* ---- sessions ---------------------------------------------------------- */

static pv_err check_session_item(const void *item) {
  const pv_cdb_session_item *it = item;
  if (!it->s || !it->canonical)
    return pv_fail(PV_ERR_INVALID, "collector db: session item without session");
  if (!pv_uuid_valid(it->s->uuid))
    return pv_fail(PV_ERR_INVALID, "collector db: session uuid %.40s", it->s->uuid);
  if (!pv_sha256_valid(it->hash))
    return pv_fail(PV_ERR_INVALID, "collector db: session %s: hash %.70s", it->s->uuid,
                   it->hash);
  if (!pv_proto_session_kind_valid(it->s->kind))
    return pv_fail(PV_ERR_INVALID, "collector db: session %s: kind %.70s", it->s->uuid,
                   it->s->kind);
  return PV_OK;
}

/* 1 when a and b are the same session but for ended_at. */
static int same_but_end(const pv_store_session *a, const pv_store_session *b) {
  return strcmp(a->uuid, b->uuid) == 0 && strcmp(a->kind, b->kind) == 0 &&
         strcmp(a->place, b->place) == 0 && strcmp(a->qpv_code, b->qpv_code) == 0 &&
         strcmp(a->qpv_name, b->qpv_name) == 0 &&
         strcmp(a->animateur, b->animateur) == 0 &&
         strcmp(a->started_at, b->started_at) == 0;
}

/* Decides and stores one session inside the batch's transaction. */
static pv_err session_one(pv_cdb *db, ingest_ctx *c, void *item) {
  pv_cdb_session_item *it = item;
  const pv_store_session *s = it->s;
  const char *territory = c->territory, *now = c->now;
  long long device_id = c->device_id;
  char reason[PV_PROTO_MAX_REASON + 1];
  pv_store_session stored;
  int found = 0, row = 0, other = 0, same = 0;
  pv_err err;
  cdb_param p[] = {
      P_TEXT(s->uuid),       P_TEXT(territory),
      P_INT(device_id),      P_TEXT(s->kind),
      P_TEXT(s->place),      P_TEXT(s->qpv_code),
      P_TEXT(s->qpv_name),   P_TEXT(s->animateur),
      P_TEXT(s->started_at), P_TEXT(s->ended_at[0] ? s->ended_at : NULL),
      P_TEXT(it->hash),      P_TEXT(it->canonical),
      P_TEXT(now),
  };
  if ((err = probe(db, Q_SESSION_ADD, p, 13, &found, NULL)))
    return err;
  if (found) {
    it->outcome = PV_OUT_STORED;
    return PV_OK;
  }
  cdb_param u[] = {P_TEXT(s->uuid)};
  if ((err = first(db, Q_SESSION_WHO, u, 1, &row)))
    return err;
  if (row) {
    const char *body = db->ops->text(db, 2);
    other = strcmp(db->ops->text(db, 0), territory) != 0;
    same = strcmp(db->ops->text(db, 1), it->hash) == 0;
    if (!other && !same &&
        pv_proto_session_decode(body, strlen(body), &stored, reason, sizeof reason)) {
      db->ops->end(db);
      return pv_fail(PV_ERR_CORRUPT, "collector db: stored session %s: %s", s->uuid,
                     reason);
    }
  }
  db->ops->end(db);
  if (!row)
    return pv_fail(PV_ERR_DB, "collector db: %s: session %s neither inserted nor found",
                   db->ops->name, s->uuid);
  if (other || same) {
    it->outcome = other ? PV_OUT_CONFLICT : PV_OUT_DUPLICATE;
    return PV_OK;
  }
  if (!same_but_end(&stored, s) || (stored.ended_at[0] && s->ended_at[0])) {
    it->outcome = PV_OUT_CONFLICT; /* other content, or another end */
    return PV_OK;
  }
  if (stored.ended_at[0]) { /* its running form, sent before it ended */
    it->outcome = PV_OUT_DUPLICATE;
    return PV_OK;
  }
  cdb_param e[] = {P_TEXT(s->uuid), P_TEXT(s->ended_at), P_TEXT(it->hash),
                   P_TEXT(it->canonical), P_TEXT(now)};
  if ((err = probe(db, Q_SESSION_END, e, 5, &found, NULL)))
    return err;
  it->outcome = found ? PV_OUT_STORED : PV_OUT_CONFLICT;
  return PV_OK;
}

static int session_cmp(const void *a, const void *b) {
  return strcmp(((const pv_cdb_session_item *)a)->s->uuid,
                ((const pv_cdb_session_item *)b)->s->uuid);
}

static const ingest_kind session_kind = {
    "sessions",         sizeof(pv_cdb_session_item),
    check_session_item, session_cmp,
    session_one,        NULL};

pv_err pv_cdb_session_ingest(pv_cdb *db, const char *territory, long long device_id,
                             pv_cdb_session_item *items, size_t n, const char *now) {
  return ingest(db, &session_kind, territory, device_id, items, n, now, NULL);
}

pv_err pv_cdb_session_get(pv_cdb *db, const char *territory, const char *uuid,
                          pv_store_session *out) {
  char reason[PV_PROTO_MAX_REASON + 1];
  int row = 0;
  pv_err err;
  memset(out, 0, sizeof *out);
  if ((err = check_code_or_all(territory)))
    return err;
  if (!uuid || !pv_uuid_valid(uuid))
    return pv_fail(PV_ERR_INVALID, "collector db: session uuid %.40s",
                   uuid ? uuid : "(null)");
  cdb_param u[] = {P_TEXT(uuid)};
  if ((err = first(db, Q_SESSION_WHO, u, 1, &row)))
    return err;
  if (row && (!territory || strcmp(db->ops->text(db, 0), territory) == 0)) {
    const char *body = db->ops->text(db, 2);
    if (pv_proto_session_decode(body, strlen(body), out, reason, sizeof reason))
      err =
          pv_fail(PV_ERR_CORRUPT, "collector db: stored session %s: %s", uuid, reason);
  } else {
    err = pv_fail(PV_ERR_NOTFOUND, "collector db: no session %s", uuid);
  }
  db->ops->end(db);
  return err;
}

/* ---- quartiers --------------------------------------------------------- */

pv_err pv_cdb_quartier_add(pv_cdb *db, const char *territory, const char *code,
                           const char *name, const char *now) {
  pv_err err;
  if ((err = check_code(territory)) ||
      (err = check_text("time", now, PV_STORE_TIME_LEN)))
    return err;
  if (!pv_quartier_code_valid(code))
    return pv_fail(PV_ERR_INVALID,
                   "collector db: quartier code \"%.40s\": expected a QPV code such as "
                   "QN03401M",
                   code ? code : "(null)");
  if (!pv_quartier_name_valid(name))
    return pv_fail(PV_ERR_INVALID,
                   "collector db: quartier name: expected 1 to %d bytes of text",
                   PV_QUARTIER_MAX_NAME);
  if ((err = territory_known(db, territory)))
    return err;
  cdb_param p[] = {P_TEXT(territory), P_TEXT(code), P_TEXT(name), P_TEXT(now)};
  err = exec(db, Q_QUARTIER_ADD, p, 4);
  if (err == PV_ERR_EXISTS)
    err = pv_fail(PV_ERR_EXISTS, "collector db: territory %s already lists %s",
                  territory, code);
  return err;
}

static void quartier_fill(pv_cdb *db, void *item) {
  pv_quartier *q = item;
  copy_col(db, 0, q->code, sizeof q->code);
  copy_col(db, 1, q->name, sizeof q->name);
}

pv_err pv_cdb_quartier_list(pv_cdb *db, const char *territory, pv_quartier **out,
                            size_t *n) {
  void *list = NULL;
  pv_err err;
  *out = NULL;
  *n = 0;
  if ((err = check_code(territory)))
    return err;
  cdb_param p[] = {P_TEXT(territory)};
  err = read_list(db, Q_QUARTIER_LIST, p, 1, sizeof **out, PV_QUARTIERS_MAX,
                  "quartiers in a territory", quartier_fill, &list, n);
  *out = list;
  return err;
}

/* ---- recorded prompts -------------------------------------------------- */

#define PROMPT_VERSIONS 32 /* published versions a key is looked up in */

static const char *const reason_ahead = "the device's clock is ahead";
static const char *const reason_survey =
    "the survey is not published for this territory";
static const char *const reason_key =
    "key: no such question or option in the published survey";
static const char *const reason_missing =
    "the recording's audio was not uploaded as an attachment";
static const char *const reason_size = "size differs from the uploaded attachment's";
static const char *const reason_audio = "not a recording";
static const char *const reason_cap =
    "this territory has too many recordings; delete some with pv-collector prompt "
    "delete";

/* The published versions of the survey the batch's items name (items come
 * sorted by survey: one load per survey), parsed. */
typedef struct prompt_surveys {
  char id[PV_STORE_MAX_ID + 1];
  pv_survey *v[PROMPT_VERSIONS];
  size_t n;
} prompt_surveys;

/* Frees what ps holds and empties it. */
static void prompt_surveys_clear(prompt_surveys *ps) {
  for (size_t i = 0; i < ps->n; i++)
    pv_survey_free(ps->v[i]);
  memset(ps, 0, sizeof *ps);
}

/* prompt_kind's done: frees the batch's surveys. */
static void prompt_done(ingest_ctx *c) {
  prompt_surveys_clear(c->cache);
}

/* Loads into ps the versions of survey id published for territory (a
 * stored survey.json that no longer parses is skipped). */
static pv_err prompt_surveys_load(pv_cdb *db, const char *territory, const char *id,
                                  prompt_surveys *ps) {
  int row = 0;
  prompt_surveys_clear(ps);
  snprintf(ps->id, sizeof ps->id, "%s", id);
  cdb_param p[] = {P_TEXT(id), P_TEXT(territory)};
  pv_err err = db->ops->query(db, Q_PROMPT_SURVEY, p, 2);
  while (!err && !(err = db->ops->step(db, &row)) && row && ps->n < PROMPT_VERSIONS) {
    size_t len = 0;
    const void *bytes = db->ops->bytes(db, 0, &len);
    pv_diags diags = {0};
    pv_survey *sv = NULL;
    if (bytes && pv_survey_parse(id, NULL, bytes, len, NULL, &sv, &diags) == PV_OK)
      ps->v[ps->n++] = sv;
    pv_diags_free(&diags);
  }
  db->ops->end(db);
  return err;
}

/* 1 when key ("q:Q" or "o:Q:O") names a question, or an option or scale
 * end of one, in survey s. */
static int prompt_key_in(const pv_survey *s, const char *key) {
  char qid[PV_STORE_MAX_PROMPT_KEY + 1];
  const char *opt = NULL;
  snprintf(qid, sizeof qid, "%s", key + 2);
  if (key[0] == 'o') {
    char *colon = strchr(qid, ':');
    if (!colon)
      return 0;
    *colon = '\0';
    opt = colon + 1;
  }
  const pv_question *q = pv_survey_question(s, qid);
  if (!q)
    return 0;
  if (!opt)
    return 1;
  for (size_t i = 0; i < q->n_options; i++)
    if (q->options[i].id && strcmp(q->options[i].id, opt) == 0)
      return 1;
  return (q->low.id && strcmp(q->low.id, opt) == 0) ||
         (q->high.id && strcmp(q->high.id, opt) == 0);
}

/* PV_OK when the item is well formed (the wire's rules; a caller's bug
 * otherwise). */
static pv_err check_prompt(const void *item) {
  const pv_store_prompt *p = ((const pv_cdb_prompt_item *)item)->p;
  if (!p || !pv_proto_id_valid(p->survey_id) || !pv_store_prompt_key_valid(p->key) ||
      !pv_proto_lang_valid(p->lang) || !pv_proto_time_valid(p->recorded_at) ||
      !pv_uuid_valid(p->device_id) ||
      (!p->deleted &&
       (!pv_sha256_valid(p->sha256) || strncmp(p->media_type, "audio/", 6) != 0 ||
        p->size == 0 || p->size > MAX_ATTACHMENT)))
    return pv_fail(PV_ERR_INVALID, "collector db: a recorded prompt breaks a rule");
  return PV_OK;
}

/* Writes the current entry of p's (survey, key, lang): p itself, or a
 * tombstone when p->deleted; device_id 0 is the collector's own. */
static pv_err prompt_put(pv_cdb *db, const char *territory, const pv_store_prompt *p,
                         long long device_id, const char *now) {
  int del = p->deleted != 0;
  cdb_param w[] = {P_TEXT(territory),
                   P_TEXT(p->survey_id),
                   P_TEXT(p->key),
                   P_TEXT(p->lang),
                   P_INT(del),
                   P_TEXT(del ? NULL : p->sha256),
                   P_TEXT(del ? NULL : p->media_type),
                   del ? P_TEXT(NULL) : P_INT((long long)p->size),
                   P_TEXT(p->recorded_at),
                   P_TEXT(p->device_id),
                   device_id ? P_INT(device_id) : P_TEXT(NULL),
                   P_TEXT(now)};
  return exec(db, Q_PROMPT_PUT, w, 12);
}

/* Judges p's audio: *why NULL when it is a recording of the territory
 * (an "audio/..." attachment of p->size bytes no answer references), else
 * the refusal, with *out its outcome. */
static pv_err prompt_audio_check(pv_cdb *db, const char *territory,
                                 const pv_store_prompt *p, pv_proto_outcome *out,
                                 const char **why) {
  int row = 0;
  cdb_param a[] = {P_TEXT(territory), P_TEXT(p->sha256)};
  pv_err err = first(db, Q_ATTACHMENT_AUDIO, a, 2, &row);
  if (err)
    return err;
  *out = PV_OUT_INVALID;
  *why = NULL;
  if (!row) {
    *out = PV_OUT_MISSING_ATTACHMENT;
    *why = reason_missing;
  } else if (db->ops->num(db, 0) != (long long)p->size) {
    *why = reason_size;
  } else if (strncmp(db->ops->text(db, 1), "audio/", 6) != 0 || db->ops->num(db, 2)) {
    *why = reason_audio;
  }
  db->ops->end(db);
  return PV_OK;
}

/* Decides and stores one recording or deletion inside the batch's
 * transaction (the rules: storage.h, pv_cdb_prompt_ingest). */
static pv_err prompt_one(pv_cdb *db, ingest_ctx *c, void *item) {
  pv_cdb_prompt_item *it = item;
  const pv_store_prompt *p = it->p;
  prompt_surveys *ps = c->cache;
  int64_t now_ms = 0, at_ms = 0;
  long long live = 0, total = 0;
  int row = 0, held = 0, held_deleted = 0, known = 0;
  char held_sha[PV_SHA256_HEX + 1] = "";
  pv_err err;
  it->outcome = PV_OUT_INVALID;
  it->reason = "";
  if (pv_time_parse(c->now, &now_ms) != 0 || pv_time_parse(p->recorded_at, &at_ms) != 0)
    return pv_fail(PV_ERR_INVALID, "collector db: prompt times %.30s, %.30s", c->now,
                   p->recorded_at);
  if (at_ms > now_ms + PV_CDB_PROMPT_AHEAD_MS) {
    it->reason = reason_ahead;
    return PV_OK;
  }
  if (strcmp(ps->id, p->survey_id) != 0 &&
      (err = prompt_surveys_load(db, c->territory, p->survey_id, ps)))
    return err;
  if (ps->n == 0) {
    it->outcome = PV_OUT_UNKNOWN_SURVEY;
    it->reason = reason_survey;
    return PV_OK;
  }
  for (size_t i = 0; i < ps->n && !known; i++)
    known = prompt_key_in(ps->v[i], p->key);
  if (!known) {
    it->reason = reason_key;
    return PV_OK;
  }
  if (!p->deleted) {
    const char *why = NULL;
    if ((err = prompt_audio_check(db, c->territory, p, &it->outcome, &why)))
      return err;
    if (why) {
      it->reason = why;
      return PV_OK;
    }
  }
  cdb_param k[] = {P_TEXT(c->territory), P_TEXT(p->survey_id), P_TEXT(p->key),
                   P_TEXT(p->lang)};
  if ((err = first(db, Q_PROMPT_GET, k, 4, &held)))
    return err;
  if (held) {
    held_deleted = db->ops->num(db, 0) != 0;
    copy_col(db, 1, held_sha, sizeof held_sha);
  }
  db->ops->end(db);
  /* Nothing held counts as deleted: a deletion of it changes nothing. */
  if (p->deleted ? !held || held_deleted
                 : held && !held_deleted && strcmp(held_sha, p->sha256) == 0) {
    it->outcome = PV_OUT_DUPLICATE;
    return PV_OK;
  }
  cdb_param t[] = {P_TEXT(c->territory)};
  if ((err = first(db, Q_PROMPT_COUNT, t, 1, &row)))
    return err;
  if (row) {
    live = db->ops->num(db, 0);
    total = db->ops->num(db, 1);
  }
  db->ops->end(db);
  /* A new recording where none is current, or a new entry: the caps. */
  if ((!p->deleted && (!held || held_deleted) && live >= PV_CDB_MAX_PROMPTS) ||
      (!held && total >= PV_PROTO_MAX_PROMPT_LIST)) {
    it->outcome = PV_OUT_INVALID;
    it->reason = reason_cap;
    return PV_OK;
  }
  if ((err = prompt_put(db, c->territory, p, c->device_id, c->now)))
    return err;
  it->outcome = PV_OUT_STORED;
  return PV_OK;
}

/* Orders items by survey, key, lang, so concurrent batches lock rows in
 * one order (and one survey's items come together). */
static int prompt_cmp(const void *a, const void *b) {
  return pv_proto_prompt_cmp(((const pv_cdb_prompt_item *)a)->p,
                             ((const pv_cdb_prompt_item *)b)->p);
}

static const ingest_kind prompt_kind = {"prompts",    sizeof(pv_cdb_prompt_item),
                                        check_prompt, prompt_cmp,
                                        prompt_one,   prompt_done};

pv_err pv_cdb_prompt_ingest(pv_cdb *db, const char *territory, long long device_id,
                            pv_cdb_prompt_item *items, size_t n, const char *now) {
  prompt_surveys ps = {0};
  for (size_t i = 0; i < n; i++) {
    items[i].outcome = PV_OUT_INVALID;
    items[i].reason = "";
  }
  return ingest(db, &prompt_kind, territory, device_id, items, n, now, &ps);
}

pv_err pv_cdb_prompt_delete(pv_cdb *db, const char *territory, const char *survey_id,
                            const char *key, const char *lang, const char *now) {
  pv_store_prompt p = {.deleted = 1};
  int row = 0, live = 0;
  pv_err err;
  if ((err = check_code(territory)) || (err = check_id("survey id", survey_id)) ||
      (err = check_text("time", now, PV_STORE_TIME_LEN)))
    return err;
  if (!key || !pv_store_prompt_key_valid(key) || !lang || !pv_proto_lang_valid(lang) ||
      !pv_proto_time_valid(now))
    return pv_fail(PV_ERR_INVALID,
                   "collector db: a prompt key is \"q:<question>\" or "
                   "\"o:<question>:<option>\", a language a tag such as \"ary\"");
  snprintf(p.survey_id, sizeof p.survey_id, "%s", survey_id);
  snprintf(p.key, sizeof p.key, "%s", key);
  snprintf(p.lang, sizeof p.lang, "%s", lang);
  snprintf(p.recorded_at, sizeof p.recorded_at, "%s", now);
  snprintf(p.device_id, sizeof p.device_id, "%s", PV_CDB_COLLECTOR_DEVICE);
  if ((err = db->ops->begin(db, 1)))
    return err;
  cdb_param k[] = {P_TEXT(territory), P_TEXT(survey_id), P_TEXT(key), P_TEXT(lang)};
  if ((err = first(db, Q_PROMPT_GET, k, 4, &row)))
    goto out;
  live = row && db->ops->num(db, 0) == 0;
  db->ops->end(db);
  if (!live) {
    err = pv_fail(PV_ERR_NOTFOUND,
                  "collector db: territory %s has no recording of %s %s in %s",
                  territory, survey_id, key, lang);
    goto out;
  }
  if (!(err = prompt_put(db, territory, &p, 0, now)))
    err = db->ops->commit(db);
out:
  if (err)
    db->ops->rollback(db);
  return err;
}

static void prompt_fill(pv_cdb *db, void *item) {
  pv_proto_prompt_entry *e = item;
  pv_store_prompt *q = &e->p;
  copy_col(db, 0, q->survey_id, sizeof q->survey_id);
  copy_col(db, 1, q->key, sizeof q->key);
  copy_col(db, 2, q->lang, sizeof q->lang);
  q->deleted = db->ops->num(db, 3) != 0;
  if (!q->deleted) {
    copy_col(db, 4, q->sha256, sizeof q->sha256);
    copy_col(db, 5, q->media_type, sizeof q->media_type);
    q->size = (size_t)db->ops->num(db, 6);
  }
  copy_col(db, 7, q->recorded_at, sizeof q->recorded_at);
  copy_col(db, 8, q->device_id, sizeof q->device_id);
  copy_col(db, 9, e->received_at, sizeof e->received_at);
  q->synced = 1;
}

pv_err pv_cdb_prompt_list(pv_cdb *db, const char *territory,
                          pv_proto_prompt_entry **out, size_t *n) {
  void *list = NULL;
  pv_err err;
  *out = NULL;
  *n = 0;
  if ((err = check_code(territory)))
    return err;
  cdb_param p[] = {P_TEXT(territory)};
  err = read_list(db, Q_PROMPT_LIST, p, 1, sizeof **out, PV_PROTO_MAX_PROMPT_LIST,
                  "recorded prompts in a territory", prompt_fill, &list, n);
  *out = list;
  return err;
}

pv_err pv_cdb_prompt_audio(pv_cdb *db, const char *territory, const char *sha256,
                           int *named) {
  pv_err err;
  *named = 0;
  if ((err = check_code(territory)) || (err = check_sha("prompt audio", sha256)))
    return err;
  cdb_param p[] = {P_TEXT(territory), P_TEXT(sha256)};
  return probe(db, Q_PROMPT_AUDIO, p, 2, named, NULL);
}

/* ---- attachments ------------------------------------------------------- */

pv_err pv_cdb_attachment_put(pv_cdb *db, const char *territory, const char *sha256,
                             const char *media_type, const void *bytes, size_t len,
                             const char *now, int *created) {
  int found = 0;
  pv_err err;
  if (created)
    *created = 0;
  if ((err = check_code(territory)) || (err = check_sha("attachment", sha256)) ||
      (err = check_text("media type", media_type, PV_CDB_MAX_MEDIA_TYPE)) ||
      (err = check_text("time", now, PV_STORE_TIME_LEN)))
    return err;
  if (len == 0 || len > MAX_ATTACHMENT)
    return pv_fail(len ? PV_ERR_TOOBIG : PV_ERR_INVALID,
                   "collector db: attachment %s: %zu bytes (1..%d)", sha256, len,
                   MAX_ATTACHMENT);
  cdb_param p[] = {P_TEXT(territory),     P_TEXT(sha256),     P_TEXT(media_type),
                   P_INT((long long)len), P_BLOB(bytes, len), P_TEXT(now)};
  if ((err = probe(db, Q_ATTACHMENT_PUT, p, 6, &found, NULL)))
    return err;
  if (created)
    *created = found;
  return PV_OK;
}

pv_err pv_cdb_attachment_has(pv_cdb *db, const char *territory, const char *sha256,
                             int *has) {
  pv_err err;
  *has = 0;
  if ((err = check_code(territory)) || (err = check_sha("attachment", sha256)))
    return err;
  cdb_param p[] = {P_TEXT(territory), P_TEXT(sha256)};
  return probe(db, Q_ATTACHMENT_HAS, p, 2, has, NULL);
}

pv_err pv_cdb_attachment_get(pv_cdb *db, const char *territory, const char *sha256,
                             pv_store_blob *out) {
  int row = 0;
  pv_err err;
  memset(out, 0, sizeof *out);
  if ((err = check_code(territory)) || (err = check_sha("attachment", sha256)))
    return err;
  cdb_param p[] = {P_TEXT(territory), P_TEXT(sha256)};
  if ((err = first(db, Q_ATTACHMENT_GET, p, 2, &row)))
    return err;
  if (row)
    err = read_blob(db, out);
  db->ops->end(db);
  if (!err && !row)
    err = pv_fail(PV_ERR_NOTFOUND, "collector db: no attachment %s in territory %s",
                  sha256, territory);
  return err;
}

/* ---- export ------------------------------------------------------------ */

/* "" counts as no filter. */
static const char *opt(const char *s) {
  return s && *s ? s : NULL;
}

/* pv_cdb_export through pv_cdb_export_rows: the session left out. */
typedef struct plain_walk {
  pv_cdb_response_fn fn;
  void *ud;
} plain_walk;

static pv_err plain_row(void *ud, const pv_store_response *r,
                        const pv_store_session *s) {
  const plain_walk *w = ud;
  (void)s;
  return w->fn(w->ud, r);
}

pv_err pv_cdb_export(pv_cdb *db, const char *territory, const pv_cdb_filter *f,
                     pv_cdb_response_fn fn, void *ud) {
  plain_walk w = {fn, ud};
  return pv_cdb_export_rows(db, territory, f, plain_row, &w);
}

pv_err pv_cdb_export_rows(pv_cdb *db, const char *territory, const pv_cdb_filter *f,
                          pv_cdb_row_fn fn, void *ud) {
  char reason[PV_PROTO_MAX_REASON + 1];
  int row = 0;
  pv_err err;
  if (!f)
    return pv_fail(PV_ERR_INVALID, "collector db: export without a filter");
  if ((err = check_code_or_all(territory)) ||
      (err = check_id("survey id", f->survey_id)))
    return err;
  if ((err = db->ops->begin(db, 0)))
    return err;
  cdb_param p[] = {P_TEXT(territory), P_TEXT(f->survey_id), P_TEXT(opt(f->from)),
                   P_TEXT(opt(f->to)), P_TEXT(opt(f->session))};
  if ((err = db->ops->query(db, territory ? Q_EXPORT : Q_EXPORT_ALL, p, 5)))
    goto out;
  while (!(err = db->ops->step(db, &row)) && row) {
    pv_store_response r;
    const char *body = db->ops->text(db, 0);
    if (pv_proto_response_decode(body, strlen(body), &r, reason, sizeof reason)) {
      err = pv_fail(PV_ERR_CORRUPT,
                    "collector db: a stored response does not decode: %s", reason);
      break;
    }
    pv_store_session session;
    const char *sbody = db->ops->text(db, 1);
    int has_session = sbody[0] != '\0';
    if (has_session && pv_proto_session_decode(sbody, strlen(sbody), &session, reason,
                                               sizeof reason)) {
      pv_store_response_free(&r);
      err = pv_fail(PV_ERR_CORRUPT,
                    "collector db: a stored session does not decode: %s", reason);
      break;
    }
    err = fn(ud, &r, has_session ? &session : NULL);
    pv_store_response_free(&r);
    if (err)
      break;
  }
  db->ops->end(db);
out:
  if (!err)
    err = db->ops->commit(db);
  if (err)
    db->ops->rollback(db);
  return err;
}

pv_err pv_cdb_count(pv_cdb *db, const char *territory, const char *survey_id,
                    size_t *n) {
  long long count = 0;
  int found = 0;
  pv_err err;
  *n = 0;
  if ((err = check_code_or_all(territory)) ||
      (survey_id && (err = check_id("survey id", survey_id))))
    return err;
  cdb_param p[] = {P_TEXT(territory), P_TEXT(survey_id)};
  if ((err = probe(db, Q_COUNT, p, 2, &found, &count)))
    return err;
  *n = count > 0 ? (size_t)count : 0;
  return PV_OK;
}

/* ---- devices ----------------------------------------------------------- */

pv_err pv_cdb_device_elsewhere(pv_cdb *db, const char *device_uuid, const char *name,
                               const char *territory, char other[PV_CDB_MAX_CODE + 1]) {
  int row = 0;
  pv_err err;
  other[0] = '\0';
  if ((err = check_code(territory)))
    return err;
  if (!device_uuid || !pv_uuid_valid(device_uuid))
    return pv_fail(PV_ERR_INVALID, "collector db: device uuid %.40s",
                   device_uuid ? device_uuid : "(null)");
  if (name && (err = check_text("device name", name, PV_CDB_MAX_NAME)))
    return err;
  cdb_param p[] = {P_TEXT(device_uuid), P_TEXT(name), P_TEXT(territory)};
  if ((err = first(db, Q_DEVICE_ELSEWHERE, p, 3, &row)))
    return err;
  if (row)
    copy_col(db, 0, other, PV_CDB_MAX_CODE + 1);
  db->ops->end(db);
  return PV_OK;
}
