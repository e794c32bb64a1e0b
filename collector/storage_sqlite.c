/* storage_sqlite: the collector's embedded backend, one SQLite file.
 *
 * Several connections (one per server thread) share the file: WAL lets
 * readers run beside the one writer, writers take the lock at BEGIN
 * IMMEDIATE and wait up to BUSY_TIMEOUT_MS for it. synchronous=FULL: a
 * batch the server acknowledged is on disk. Statements are prepared on
 * first use and kept per connection. The file is marked with its own
 * application_id, so a kiosk store (or anything else) is refused. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "collector/storage_internal.h"

#define BUSY_TIMEOUT_MS 5000
#define APPLICATION_ID 0x50564343 /* "PVCC": a pv-collector database */

/* Migration N takes the schema from version N-1 to N. Never edit a
 * released one: append. Times are pv_time_iso() text (UTC). */
static const char *const migrations[] = {
    /* 1: the initial schema. */
    "PRAGMA application_id = 1347830595;" /* APPLICATION_ID */
    "CREATE TABLE territories ("
    "  code       TEXT PRIMARY KEY NOT NULL,"
    "  name       TEXT NOT NULL,"
    "  created_at TEXT NOT NULL"
    ");"
    "CREATE TABLE principals ("
    "  id         INTEGER PRIMARY KEY,"
    "  kind       TEXT NOT NULL CHECK (kind IN ('device', 'analyst')),"
    "  territory  TEXT NOT NULL REFERENCES territories (code),"
    "  name       TEXT NOT NULL,"
    "  token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),"
    "  created_at TEXT NOT NULL,"
    "  revoked_at TEXT"
    ");"
    "CREATE UNIQUE INDEX principals_live ON principals (kind, territory, name)"
    "  WHERE revoked_at IS NULL;"
    "CREATE TABLE blobs ("
    "  sha256     TEXT PRIMARY KEY NOT NULL CHECK (length(sha256) = 64),"
    "  media_type TEXT NOT NULL,"
    "  size       INTEGER NOT NULL CHECK (size >= 0),"
    "  bytes      BLOB NOT NULL,"
    "  CHECK (length(bytes) = size)"
    ");"
    "CREATE TABLE survey_versions ("
    "  survey_id    TEXT NOT NULL,"
    "  version      INTEGER NOT NULL CHECK (version >= 1),"
    "  manifest     TEXT NOT NULL,"
    "  published_at TEXT NOT NULL,"
    "  PRIMARY KEY (survey_id, version)"
    ");"
    "CREATE TABLE survey_files ("
    "  survey_id TEXT NOT NULL,"
    "  version   INTEGER NOT NULL,"
    "  path      TEXT NOT NULL,"
    "  sha256    TEXT NOT NULL REFERENCES blobs (sha256),"
    "  size      INTEGER NOT NULL,"
    "  PRIMARY KEY (survey_id, version, path),"
    "  FOREIGN KEY (survey_id, version) REFERENCES survey_versions (survey_id, version)"
    ");"
    "CREATE INDEX survey_files_sha256 ON survey_files (sha256);"
    /* territory '*': every territory, present and future. */
    "CREATE TABLE publications ("
    "  survey_id    TEXT NOT NULL,"
    "  version      INTEGER NOT NULL,"
    "  territory    TEXT NOT NULL,"
    "  published_at TEXT NOT NULL,"
    "  PRIMARY KEY (survey_id, version, territory),"
    "  FOREIGN KEY (survey_id, version) REFERENCES survey_versions (survey_id, version)"
    ");"
    "CREATE INDEX publications_territory ON publications (territory, survey_id);"
    "CREATE TABLE responses ("
    "  uuid           TEXT PRIMARY KEY NOT NULL CHECK (length(uuid) = 36),"
    "  territory      TEXT NOT NULL REFERENCES territories (code),"
    "  device_id      INTEGER NOT NULL REFERENCES principals (id),"
    "  device_uuid    TEXT NOT NULL,"
    "  survey_id      TEXT NOT NULL,"
    "  survey_version INTEGER NOT NULL,"
    "  session_uuid   TEXT,"
    "  language       TEXT NOT NULL,"
    "  started_at     TEXT NOT NULL,"
    "  ended_at       TEXT,"
    "  status         TEXT NOT NULL,"
    "  hash           TEXT NOT NULL CHECK (length(hash) = 64),"
    "  body           TEXT NOT NULL,"
    "  received_at    TEXT NOT NULL"
    ");"
    "CREATE INDEX responses_export ON responses (territory, survey_id, started_at, "
    "uuid);"
    "CREATE TABLE attachments ("
    "  territory  TEXT NOT NULL REFERENCES territories (code),"
    "  sha256     TEXT NOT NULL CHECK (length(sha256) = 64),"
    "  media_type TEXT NOT NULL,"
    "  size       INTEGER NOT NULL CHECK (size > 0),"
    "  bytes      BLOB NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  PRIMARY KEY (territory, sha256),"
    "  CHECK (length(bytes) = size)"
    ");",
    /* 2: animated sessions (issue 6), one row per session uuid; body is
     * its canonical JSON, hash that text's SHA-256. */
    "CREATE TABLE sessions ("
    "  uuid        TEXT PRIMARY KEY NOT NULL CHECK (length(uuid) = 36),"
    "  territory   TEXT NOT NULL REFERENCES territories (code),"
    "  device_id   INTEGER NOT NULL REFERENCES principals (id),"
    "  kind        TEXT NOT NULL,"
    "  place       TEXT NOT NULL,"
    "  qpv_code    TEXT NOT NULL,"
    "  qpv_name    TEXT NOT NULL,"
    "  animateur   TEXT NOT NULL,"
    "  started_at  TEXT NOT NULL,"
    "  ended_at    TEXT,"
    "  hash        TEXT NOT NULL CHECK (length(hash) = 64),"
    "  body        TEXT NOT NULL,"
    "  received_at TEXT NOT NULL,"
    "  updated_at  TEXT NOT NULL"
    ");",
    /* 3: each territory's list of quartiers (QPV), distributed to kiosks. */
    "CREATE TABLE quartiers ("
    "  territory TEXT NOT NULL REFERENCES territories (code),"
    "  code      TEXT NOT NULL CHECK (length(code) = 8),"
    "  name      TEXT NOT NULL,"
    "  added_at  TEXT NOT NULL,"
    "  PRIMARY KEY (territory, code)"
    ");",
    /* 4: recorded prompts (issue 6, item 7): the territory's current
     * recording of each (survey, key, lang), the newest wins (storage.c);
     * the audio is an attachment of the territory. */
    "CREATE TABLE prompts ("
    "  territory   TEXT NOT NULL REFERENCES territories (code),"
    "  survey_id   TEXT NOT NULL,"
    "  prompt_key  TEXT NOT NULL,"
    "  lang        TEXT NOT NULL,"
    "  sha256      TEXT NOT NULL CHECK (length(sha256) = 64),"
    "  media_type  TEXT NOT NULL,"
    "  size        INTEGER NOT NULL CHECK (size > 0),"
    "  recorded_at TEXT NOT NULL,"
    "  device_uuid TEXT NOT NULL,"
    "  device_id   INTEGER NOT NULL REFERENCES principals (id),"
    "  received_at TEXT NOT NULL,"
    "  PRIMARY KEY (territory, survey_id, prompt_key, lang)"
    ");"
    "CREATE INDEX prompts_audio ON prompts (territory, sha256);",
    /* 5: the collector decides (issue 6, item 7 review): the last entry to
     * reach it is current (received_at, its clock); an entry may be a
     * deletion (deleted = 1: no audio; device_id NULL when pv-collector
     * made it), so deletions reach every device. SQLite cannot relax NOT
     * NULL in place: the table is rebuilt. */
    "CREATE TABLE prompts_v5 ("
    "  territory   TEXT NOT NULL REFERENCES territories (code),"
    "  survey_id   TEXT NOT NULL,"
    "  prompt_key  TEXT NOT NULL,"
    "  lang        TEXT NOT NULL,"
    "  deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),"
    "  sha256      TEXT CHECK (length(sha256) = 64),"
    "  media_type  TEXT,"
    "  size        INTEGER CHECK (size > 0),"
    "  recorded_at TEXT NOT NULL,"
    "  device_uuid TEXT NOT NULL,"
    "  device_id   INTEGER REFERENCES principals (id),"
    "  received_at TEXT NOT NULL,"
    "  PRIMARY KEY (territory, survey_id, prompt_key, lang),"
    "  CHECK ((deleted = 1) = (sha256 IS NULL) AND (deleted = 1) = (media_type IS NULL)"
    "    AND (deleted = 1) = (size IS NULL))"
    ");"
    "INSERT INTO prompts_v5 (territory, survey_id, prompt_key, lang, deleted, sha256,"
    " media_type, size, recorded_at, device_uuid, device_id, received_at)"
    " SELECT territory, survey_id, prompt_key, lang, 0, sha256, media_type, size,"
    " recorded_at, device_uuid, device_id, received_at FROM prompts;"
    "DROP TABLE prompts;"
    "ALTER TABLE prompts_v5 RENAME TO prompts;"
    "CREATE INDEX prompts_audio ON prompts (territory, sha256);"
    /* An attachment an answer references (a resident's drawing or voice
     * note) is never a recording: marked once here, then on ingest. */
    "ALTER TABLE attachments ADD COLUMN answered INTEGER NOT NULL DEFAULT 0;"
    "UPDATE attachments SET answered = 1 WHERE (territory, sha256) IN"
    " (SELECT r.territory, json_extract(a.value, '$.attachment')"
    "  FROM responses r, json_each(r.body, '$.answers') a"
    "  WHERE json_extract(a.value, '$.attachment') IS NOT NULL);",
};

/* Parameters are ?N, the same numbers as the PostgreSQL $N. */
static const char *const sql[Q__COUNT] = {
    [Q_SCHEMA_LOCK] = "SELECT 1",
    [Q_SCHEMA_TABLE] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                       " version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    [Q_SCHEMA_VERSION] = "SELECT coalesce(max(version), 0) FROM schema_migrations",
    [Q_SCHEMA_MARK] = "INSERT INTO schema_migrations (version, applied_at)"
                      " VALUES (?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
    [Q_TERRITORY_ADD] = "INSERT INTO territories (code, name, created_at)"
                        " VALUES (?1, ?2, ?3)",
    [Q_TERRITORY_GET] = "SELECT code, name FROM territories WHERE code = ?1",
    [Q_TERRITORY_LIST] = "SELECT code, name FROM territories ORDER BY code",
    [Q_TOKEN_ADD] = "INSERT INTO principals (kind, territory, name, token_hash,"
                    " created_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
    [Q_TOKEN_LIVE] = "SELECT id FROM principals WHERE kind = ?1 AND territory = ?2"
                     " AND name = ?3 AND revoked_at IS NULL",
    [Q_TOKEN_REVOKE] = "UPDATE principals SET revoked_at = ?4 WHERE kind = ?1"
                       " AND territory = ?2 AND name = ?3 AND revoked_at IS NULL"
                       " RETURNING id",
    [Q_TOKEN_LOOKUP] = "SELECT id, kind, territory, name, revoked_at IS NOT NULL"
                       " FROM principals WHERE token_hash = ?1",
    [Q_BLOB_PUT] = "INSERT INTO blobs (sha256, media_type, size, bytes)"
                   " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (sha256) DO NOTHING",
    [Q_BLOB_GET] = "SELECT media_type, bytes FROM blobs WHERE sha256 = ?1",
    [Q_BLOB_SIZE] = "SELECT size FROM blobs WHERE sha256 = ?1",
    [Q_VERSION_GET] = "SELECT manifest FROM survey_versions"
                      " WHERE survey_id = ?1 AND version = ?2",
    [Q_VERSION_ADD] = "INSERT INTO survey_versions (survey_id, version, manifest,"
                      " published_at) VALUES (?1, ?2, ?3, ?4)",
    [Q_FILE_ADD] = "INSERT INTO survey_files (survey_id, version, path, sha256, size)"
                   " VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_VISIBLE] = "SELECT 1 FROM publications WHERE survey_id = ?1 AND version = ?2"
                  " AND (?3 IS NULL OR territory = ?3 OR territory = '*') LIMIT 1",
    [Q_PUBLICATION_ADD] = "INSERT INTO publications (survey_id, version, territory,"
                          " published_at) VALUES (?1, ?2, ?3, ?4)"
                          " ON CONFLICT DO NOTHING",
    [Q_CATALOG] = "SELECT f.survey_id, f.version, f.path, f.sha256, f.size"
                  " FROM survey_files f JOIN (SELECT survey_id, max(version) AS version"
                  "   FROM publications"
                  "   WHERE ?1 IS NULL OR territory = ?1 OR territory = '*'"
                  "   GROUP BY survey_id) v"
                  " ON f.survey_id = v.survey_id AND f.version = v.version"
                  " ORDER BY f.survey_id, f.path",
    [Q_SURVEY_FILES] = "SELECT path, sha256, size FROM survey_files"
                       " WHERE survey_id = ?1 AND version = ?2 ORDER BY path",
    [Q_SURVEY_HAS_FILE] =
        "SELECT 1 FROM survey_files f JOIN publications p"
        " ON p.survey_id = f.survey_id AND p.version = f.version"
        " WHERE f.sha256 = ?2 AND (?1 IS NULL OR p.territory = ?1 OR p.territory = '*')"
        " LIMIT 1",
    [Q_RESPONSE_ADD] =
        "INSERT INTO responses (uuid, territory, device_id, device_uuid, survey_id,"
        " survey_version, session_uuid, language, started_at, ended_at, status, hash,"
        " body, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
        " ?12, ?13, ?14) ON CONFLICT (uuid) DO NOTHING RETURNING 1",
    [Q_RESPONSE_WHO] = "SELECT territory, hash FROM responses WHERE uuid = ?1",
    [Q_ATTACHMENT_PUT] = "INSERT INTO attachments (territory, sha256, media_type, size,"
                         " bytes, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                         " ON CONFLICT (territory, sha256) DO NOTHING RETURNING 1",
    [Q_ATTACHMENT_HAS] = "SELECT 1 FROM attachments WHERE territory = ?1"
                         " AND sha256 = ?2",
    [Q_ATTACHMENT_GET] = "SELECT media_type, bytes FROM attachments"
                         " WHERE territory = ?1 AND sha256 = ?2",
    /* Ranges on started_at instead of "IS NULL OR" so that the export
     * index serves both the filter and the order ('~' sorts after any
     * time). */
    [Q_EXPORT] =
        "SELECT r.body, s.body FROM responses r LEFT JOIN sessions s"
        " ON s.uuid = r.session_uuid AND s.territory = r.territory"
        " WHERE r.territory = ?1 AND r.survey_id = ?2"
        " AND r.started_at >= coalesce(?3, '') AND r.started_at < coalesce(?4, '~')"
        " AND (?5 IS NULL OR r.session_uuid = ?5)"
        " ORDER BY r.started_at, r.uuid",
    [Q_EXPORT_ALL] =
        "SELECT r.body, s.body FROM responses r LEFT JOIN sessions s"
        " ON s.uuid = r.session_uuid AND s.territory = r.territory"
        " WHERE ?1 IS NULL AND r.survey_id = ?2"
        " AND r.started_at >= coalesce(?3, '') AND r.started_at < coalesce(?4, '~')"
        " AND (?5 IS NULL OR r.session_uuid = ?5)"
        " ORDER BY r.started_at, r.uuid",
    [Q_COUNT] = "SELECT count(*) FROM responses WHERE (?1 IS NULL OR territory = ?1)"
                " AND (?2 IS NULL OR survey_id = ?2)",
    [Q_SESSION_ADD] =
        "INSERT INTO sessions (uuid, territory, device_id, kind, place, qpv_code,"
        " qpv_name, animateur, started_at, ended_at, hash, body, received_at,"
        " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
        " ?13, ?13) ON CONFLICT (uuid) DO NOTHING RETURNING 1",
    [Q_SESSION_WHO] = "SELECT territory, hash, body FROM sessions WHERE uuid = ?1",
    [Q_QUARTIER_ADD] = "INSERT INTO quartiers (territory, code, name, added_at)"
                       " VALUES (?1, ?2, ?3, ?4)",
    [Q_QUARTIER_LIST] = "SELECT code, name FROM quartiers WHERE territory = ?1"
                        " ORDER BY code",
    [Q_SESSION_END] = "UPDATE sessions SET ended_at = ?2, hash = ?3, body = ?4,"
                      " updated_at = ?5 WHERE uuid = ?1 AND ended_at IS NULL"
                      " RETURNING 1",
    [Q_ATTACHMENT_SIZE] = "SELECT size FROM attachments WHERE territory = ?1"
                          " AND sha256 = ?2",
    [Q_PROMPT_GET] = "SELECT deleted, sha256 FROM prompts WHERE territory = ?1"
                     " AND survey_id = ?2 AND prompt_key = ?3 AND lang = ?4",
    [Q_PROMPT_PUT] =
        "INSERT INTO prompts (territory, survey_id, prompt_key, lang, deleted, sha256,"
        " media_type, size, recorded_at, device_uuid, device_id, received_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
        " ON CONFLICT (territory, survey_id, prompt_key, lang) DO UPDATE SET"
        " deleted = excluded.deleted, sha256 = excluded.sha256,"
        " media_type = excluded.media_type, size = excluded.size,"
        " recorded_at = excluded.recorded_at, device_uuid = excluded.device_uuid,"
        " device_id = excluded.device_id, received_at = excluded.received_at",
    [Q_PROMPT_LIST] = "SELECT survey_id, prompt_key, lang, deleted, sha256, media_type,"
                      " size, recorded_at, device_uuid, received_at FROM prompts"
                      " WHERE territory = ?1 ORDER BY survey_id, prompt_key, lang",
    [Q_PROMPT_AUDIO] = "SELECT 1 FROM prompts p JOIN attachments a"
                       " ON a.territory = p.territory AND a.sha256 = p.sha256"
                       " WHERE p.territory = ?1 AND p.sha256 = ?2 AND p.deleted = 0"
                       " AND a.answered = 0 LIMIT 1",
    [Q_PROMPT_COUNT] = "SELECT coalesce(sum(deleted = 0), 0), count(*) FROM prompts"
                       " WHERE territory = ?1",
    [Q_PROMPT_SURVEY] =
        "SELECT b.bytes FROM survey_files f JOIN blobs b ON b.sha256 = f.sha256"
        " WHERE f.survey_id = ?1 AND f.path = 'survey.json' AND f.version IN"
        " (SELECT version FROM publications WHERE survey_id = ?1"
        "  AND (territory = ?2 OR territory = '*'))"
        " ORDER BY f.version DESC LIMIT 32",
    [Q_ATTACHMENT_AUDIO] = "SELECT size, media_type, answered FROM attachments"
                           " WHERE territory = ?1 AND sha256 = ?2",
    [Q_ATTACHMENT_ANSWERED] = "UPDATE attachments SET answered = 1"
                              " WHERE territory = ?1 AND sha256 = ?2 AND answered = 0",
    [Q_DEVICE_ELSEWHERE] =
        "SELECT territory FROM responses WHERE device_uuid = ?1 AND territory <> ?3"
        " UNION ALL SELECT s.territory FROM sessions s JOIN principals p"
        " ON p.id = s.device_id WHERE p.name = ?2 AND s.territory <> ?3 LIMIT 1",
};

enum tx { TX_WRITE, TX_READ, TX_COMMIT, TX_ROLLBACK, TX__COUNT };
static const char *const tx_sql[TX__COUNT] = {"BEGIN IMMEDIATE", "BEGIN", "COMMIT",
                                              "ROLLBACK"};

typedef struct cdb_sqlite {
  pv_cdb base;
  sqlite3 *db;
  char *path;
  sqlite3_stmt *stmts[Q__COUNT];
  sqlite3_stmt *tx[TX__COUNT];
  sqlite3_stmt *cur; /* the running statement, or NULL */
} cdb_sqlite;

static cdb_sqlite *of(pv_cdb *db) {
  return (cdb_sqlite *)db;
}

/* Returns the pv_err for the connection's last error, with SQLite's
 * message. */
static pv_err fail(cdb_sqlite *s, const char *what) {
  int ext = s->db ? sqlite3_extended_errcode(s->db) : SQLITE_NOMEM;
  pv_err err = PV_ERR_DB;
  if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
    err = PV_ERR_EXISTS;
  else if ((ext & 0xff) == SQLITE_BUSY || (ext & 0xff) == SQLITE_LOCKED)
    err = PV_ERR_BUSY;
  else if ((ext & 0xff) == SQLITE_NOTADB)
    err = PV_ERR_FOREIGN;
  return pv_fail(err, "collector db: sqlite: %s: %s: %s", s->path, what,
                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
}

/* Runs a cached statement of sqls (slot *slot) that returns no rows. */
static pv_err run_cached(cdb_sqlite *s, sqlite3_stmt **slot, const char *text) {
  if (!*slot && sqlite3_prepare_v2(s->db, text, -1, slot, NULL) != SQLITE_OK)
    return fail(s, text);
  int rc = sqlite3_step(*slot);
  pv_err err = rc == SQLITE_DONE || rc == SQLITE_ROW ? PV_OK : fail(s, text);
  sqlite3_reset(*slot);
  return err;
}

static pv_err sq_begin(pv_cdb *db, int write) {
  enum tx t = write ? TX_WRITE : TX_READ;
  return run_cached(of(db), &of(db)->tx[t], tx_sql[t]);
}

static pv_err sq_commit(pv_cdb *db) {
  return run_cached(of(db), &of(db)->tx[TX_COMMIT], tx_sql[TX_COMMIT]);
}

static void sq_end(pv_cdb *db) {
  cdb_sqlite *s = of(db);
  if (s->cur) {
    sqlite3_reset(s->cur);
    sqlite3_clear_bindings(s->cur);
    s->cur = NULL;
  }
}

static void sq_rollback(pv_cdb *db) {
  cdb_sqlite *s = of(db);
  sq_end(db);
  if (s->db && !sqlite3_get_autocommit(s->db))
    run_cached(s, &s->tx[TX_ROLLBACK], tx_sql[TX_ROLLBACK]);
}

static pv_err sq_script(pv_cdb *db, const char *text) {
  cdb_sqlite *s = of(db);
  char *msg = NULL;
  if (sqlite3_exec(s->db, text, NULL, NULL, &msg) == SQLITE_OK)
    return PV_OK;
  pv_err err = pv_fail(PV_ERR_DB, "collector db: sqlite: %s: migration: %s", s->path,
                       msg ? msg : "failed");
  sqlite3_free(msg);
  return err;
}

static pv_err sq_query(pv_cdb *db, cdb_q q, const cdb_param *params, int n) {
  cdb_sqlite *s = of(db);
  PV_ASSERT((unsigned)q < Q__COUNT && n <= CDB_MAX_PARAMS && !s->cur);
  if (!s->stmts[q] && sqlite3_prepare_v2(s->db, sql[q], -1, &s->stmts[q], NULL))
    return fail(s, "prepare");
  sqlite3_stmt *st = s->stmts[q];
  s->cur = st;
  for (int i = 0; i < n; i++) {
    const cdb_param *p = &params[i];
    int rc;
    switch (p->type) {
    case CDB_TEXT:
      rc = sqlite3_bind_text(st, i + 1, p->text, -1, SQLITE_STATIC);
      break;
    case CDB_INT:
      rc = sqlite3_bind_int64(st, i + 1, p->num);
      break;
    case CDB_BLOB:
      rc = p->len ? sqlite3_bind_blob64(st, i + 1, p->bytes, p->len, SQLITE_STATIC)
                  : sqlite3_bind_zeroblob(st, i + 1, 0);
      break;
    default:
      rc = sqlite3_bind_null(st, i + 1);
      break;
    }
    if (rc != SQLITE_OK) {
      pv_err err = fail(s, "bind");
      sq_end(db);
      return err;
    }
  }
  return PV_OK;
}

static pv_err sq_step(pv_cdb *db, int *row) {
  cdb_sqlite *s = of(db);
  int rc = sqlite3_step(s->cur);
  *row = rc == SQLITE_ROW;
  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    return PV_OK;
  return fail(s, "step");
}

static const char *sq_text(pv_cdb *db, int col) {
  const unsigned char *t = sqlite3_column_text(of(db)->cur, col);
  return t ? (const char *)t : "";
}

static long long sq_num(pv_cdb *db, int col) {
  return sqlite3_column_int64(of(db)->cur, col);
}

static const void *sq_bytes(pv_cdb *db, int col, size_t *len) {
  const void *b = sqlite3_column_blob(of(db)->cur, col);
  *len = (size_t)sqlite3_column_bytes(of(db)->cur, col);
  return b;
}

static void sq_close(pv_cdb *db) {
  cdb_sqlite *s = of(db);
  sq_rollback(db);
  for (int i = 0; i < Q__COUNT; i++)
    sqlite3_finalize(s->stmts[i]);
  for (int i = 0; i < TX__COUNT; i++)
    sqlite3_finalize(s->tx[i]);
  sqlite3_close(s->db);
  free(s->path);
  free(s);
}

static const pv_cdb_ops sqlite_ops = {
    .name = "sqlite",
    .migrations = migrations,
    .n_migrations = (int)(sizeof migrations / sizeof migrations[0]),
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .script = sq_script,
    .query = sq_query,
    .step = sq_step,
    .end = sq_end,
    .text = sq_text,
    .num = sq_num,
    .bytes = sq_bytes,
};

/* PV_ERR_FOREIGN unless the file is new (id 0) or ours. */
static pv_err check_application(cdb_sqlite *s) {
  sqlite3_stmt *st = NULL;
  pv_err err = PV_OK;
  if (sqlite3_prepare_v2(s->db, "PRAGMA application_id", -1, &st, NULL) != SQLITE_OK ||
      sqlite3_step(st) != SQLITE_ROW) {
    err = fail(s, "application_id");
    goto out;
  }
  long long id = sqlite3_column_int64(st, 0);
  if (id != 0 && id != APPLICATION_ID)
    err = pv_fail(PV_ERR_FOREIGN,
                  "collector db: sqlite: %s: not a pv-collector database "
                  "(application_id 0x%08llx)",
                  s->path, id);
out:
  sqlite3_finalize(st);
  return err;
}

pv_err pv_cdb_open_sqlite(const char *path, pv_cdb **out) {
  cdb_sqlite *s = NULL;
  pv_err err = PV_OK;
  *out = NULL;
  if (!path || !*path)
    return pv_fail(PV_ERR_INVALID, "collector db: sqlite: no file given");
  s = calloc(1, sizeof *s);
  if (!s || !(s->path = strdup(path))) {
    free(s);
    return pv_fail(PV_ERR_NOMEM, "collector db: sqlite: %s", path);
  }
  s->base.ops = &sqlite_ops;
  if (sqlite3_open_v2(path, &s->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      NULL) != SQLITE_OK) {
    err = fail(s, "open");
    goto out;
  }
  sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
  if ((err = check_application(s)))
    goto out;
  if (sqlite3_exec(s->db,
                   "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                   " PRAGMA foreign_keys = ON",
                   NULL, NULL, NULL) != SQLITE_OK) {
    err = fail(s, "pragmas");
    goto out;
  }
  err = pv_cdb__migrate(&s->base);
out:
  if (err) {
    sq_close(&s->base);
    return err;
  }
  *out = &s->base;
  return PV_OK;
}
