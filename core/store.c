/* store: the kiosk's crash-safe local store, one SQLite file per device.
 *
 * Durability: WAL with synchronous=FULL, so a COMMIT returns only after its
 * WAL frames reached the disk; every call that changes data commits before
 * it returns. Schema changes are the `migrations` table below, each applied
 * in one transaction that also bumps PRAGMA user_version.
 *
 * Safety at open: a file we did not make is never written to. Its header
 * is read with plain read(2) first (SQLite magic, our application_id, a
 * schema version we know); only then does a read-only SQLite connection
 * list its tables and run integrity_check; only then is it opened for
 * writing. A new store is built beside the target and renamed into place,
 * so the target path only ever holds a complete store.
 *
 * Statements are prepared once (sqlite3_prepare_v2, bound parameters
 * only), kept in st->stmts and finalised by pv_store_close. */
#include "core/store.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lang.h"
#include "core/log.h"

/* Commit cost: a commit that appends to the WAL file grows it, and then
 * fdatasync must also journal the new size and blocks (about 1.5-2x the
 * cost of rewriting blocks in place, see bench/bench_store.c). After a
 * checkpoint, commits rewrite the WAL from its start. So checkpoint often
 * (256 pages, 1 MiB: the WAL is reused soon after open) and keep the file
 * at up to 2 MiB instead of truncating it (a big attachment may grow it). */
#define WAL_AUTOCHECKPOINT 256
#define JOURNAL_SIZE_LIMIT (2 << 20)
#define DAY_MS INT64_C(86400000)
#define MAX_RETENTION_DAYS 36600
#define SQLITE_HEADER_LEN 100

static const char sqlite_magic[16] = "SQLite format 3";

/* ---- schema ---------------------------------------------------------- */

/* Migration N (1-based) takes user_version N-1 to N. Never edit a released
 * one: append a new one. Lengths in CHECKs are the bounds of their time. */
static const char *const migrations[] = {
    /* 1: the initial schema. */
    "CREATE TABLE sessions ("
    "  uuid       TEXT PRIMARY KEY NOT NULL CHECK (length(uuid) = 36),"
    "  kind       TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),"
    "  place      TEXT NOT NULL DEFAULT '',"
    "  qpv_code   TEXT NOT NULL DEFAULT '',"
    "  qpv_name   TEXT NOT NULL DEFAULT '',"
    "  animateur  TEXT NOT NULL DEFAULT '' CHECK (length(animateur) <= 8),"
    "  started_at TEXT NOT NULL,"
    "  ended_at   TEXT"
    ");"
    "CREATE TABLE responses ("
    "  uuid           TEXT PRIMARY KEY NOT NULL CHECK (length(uuid) = 36),"
    "  survey_id      TEXT NOT NULL CHECK (length(survey_id) BETWEEN 1 AND 64),"
    "  survey_version INTEGER NOT NULL CHECK (survey_version >= 0),"
    "  session_uuid   TEXT REFERENCES sessions (uuid),"
    "  device_id      TEXT NOT NULL CHECK (length(device_id) = 36),"
    "  language       TEXT NOT NULL CHECK (length(language) BETWEEN 1 AND 35),"
    "  started_at     TEXT NOT NULL,"
    "  ended_at       TEXT,"
    "  status         TEXT NOT NULL DEFAULT 'in_progress'"
    "                 CHECK (status IN ('in_progress', 'complete', 'abandoned')),"
    "  synced_at      TEXT,"
    "  attempts       INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
    "  last_error     TEXT,"
    "  CHECK ((status = 'in_progress') = (ended_at IS NULL)),"
    "  CHECK (synced_at IS NULL OR status <> 'in_progress')"
    ");"
    "CREATE INDEX responses_session ON responses (session_uuid);"
    "CREATE INDEX responses_outbox ON responses (started_at, uuid)"
    "  WHERE synced_at IS NULL AND status <> 'in_progress';"
    "CREATE TABLE answers ("
    "  response_uuid TEXT NOT NULL REFERENCES responses (uuid) ON DELETE CASCADE,"
    "  question_id   TEXT NOT NULL CHECK (length(question_id) BETWEEN 1 AND 64),"
    "  value         TEXT NOT NULL CHECK (json_valid(value)),"
    "  measure       TEXT NOT NULL CHECK (measure IN ('quantitative', 'qualitative')),"
    "  answered_at   TEXT NOT NULL,"
    "  PRIMARY KEY (response_uuid, question_id)"
    ") WITHOUT ROWID;"
    "CREATE TABLE attachments ("
    "  sha256     TEXT PRIMARY KEY NOT NULL CHECK (length(sha256) = 64),"
    "  media_type TEXT NOT NULL,"
    "  size       INTEGER NOT NULL CHECK (size > 0),"
    "  bytes      BLOB NOT NULL,"
    "  CHECK (length(bytes) = size)"
    ");"
    "CREATE TABLE answer_attachments ("
    "  response_uuid TEXT NOT NULL,"
    "  question_id   TEXT NOT NULL,"
    "  sha256        TEXT NOT NULL REFERENCES attachments (sha256),"
    "  PRIMARY KEY (response_uuid, question_id),"
    "  FOREIGN KEY (response_uuid, question_id)"
    "    REFERENCES answers (response_uuid, question_id) ON DELETE CASCADE"
    ") WITHOUT ROWID;"
    "CREATE INDEX answer_attachments_sha256 ON answer_attachments (sha256);"
    /* An attachment lives while a link names it: replacing a voice note, or
     * purging its response, deletes the bytes at once (personal data). */
    "CREATE TRIGGER attachments_gc_delete AFTER DELETE ON answer_attachments"
    "  WHEN NOT EXISTS (SELECT 1 FROM answer_attachments WHERE sha256 = OLD.sha256)"
    "  BEGIN DELETE FROM attachments WHERE sha256 = OLD.sha256; END;"
    "CREATE TRIGGER attachments_gc_update AFTER UPDATE OF sha256 ON answer_attachments"
    "  WHEN OLD.sha256 <> NEW.sha256 AND NOT EXISTS"
    "    (SELECT 1 FROM answer_attachments WHERE sha256 = OLD.sha256)"
    "  BEGIN DELETE FROM attachments WHERE sha256 = OLD.sha256; END;"
    "CREATE TABLE sync_state ("
    "  key   TEXT PRIMARY KEY NOT NULL,"
    "  value TEXT NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE settings ("
    "  key   TEXT PRIMARY KEY NOT NULL,"
    "  value TEXT NOT NULL"
    ") WITHOUT ROWID;",
    /* 2: the sessions outbox. synced_ended is what the server acknowledged
     * of a session: NULL nothing, '' its running form, else its ended_at
     * (a session changes only by ending). */
    "ALTER TABLE sessions ADD COLUMN synced_ended TEXT;"
    "CREATE INDEX sessions_started ON sessions (started_at, uuid);",
    /* 3: recorded prompts. The bytes live in attachments, so an attachment
     * now lives while an answer link OR a prompt names it: the garbage
     * triggers are remade to check both. */
    "CREATE TABLE prompts ("
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
    ") WITHOUT ROWID;"
    "CREATE INDEX prompts_sha256 ON prompts (sha256);"
    "CREATE INDEX prompts_outbox ON prompts (recorded_at) WHERE synced = 0;"
    "DROP TRIGGER attachments_gc_delete;"
    "DROP TRIGGER attachments_gc_update;"
    "CREATE TRIGGER attachments_gc_delete AFTER DELETE ON answer_attachments"
    "  WHEN NOT EXISTS (SELECT 1 FROM answer_attachments WHERE sha256 = OLD.sha256)"
    "  AND NOT EXISTS (SELECT 1 FROM prompts WHERE sha256 = OLD.sha256)"
    "  BEGIN DELETE FROM attachments WHERE sha256 = OLD.sha256; END;"
    "CREATE TRIGGER attachments_gc_update AFTER UPDATE OF sha256 ON answer_attachments"
    "  WHEN OLD.sha256 <> NEW.sha256"
    "  AND NOT EXISTS (SELECT 1 FROM answer_attachments WHERE sha256 = OLD.sha256)"
    "  AND NOT EXISTS (SELECT 1 FROM prompts WHERE sha256 = OLD.sha256)"
    "  BEGIN DELETE FROM attachments WHERE sha256 = OLD.sha256; END;"
    "CREATE TRIGGER prompts_gc_delete AFTER DELETE ON prompts"
    "  WHEN NOT EXISTS (SELECT 1 FROM answer_attachments WHERE sha256 = OLD.sha256)"
    "  AND NOT EXISTS (SELECT 1 FROM prompts WHERE sha256 = OLD.sha256)"
    "  BEGIN DELETE FROM attachments WHERE sha256 = OLD.sha256; END;"
    "CREATE TRIGGER prompts_gc_update AFTER UPDATE OF sha256 ON prompts"
    "  WHEN OLD.sha256 <> NEW.sha256"
    "  AND NOT EXISTS (SELECT 1 FROM answer_attachments WHERE sha256 = OLD.sha256)"
    "  AND NOT EXISTS (SELECT 1 FROM prompts WHERE sha256 = OLD.sha256)"
    "  BEGIN DELETE FROM attachments WHERE sha256 = OLD.sha256; END;",
    /* 4: deletions travel (a pending tombstone: deleted = 1, sha256 NULL,
     * no bytes), so the table is rebuilt without sha256 NOT NULL. DROP
     * TABLE fires no trigger: the bytes stay while the copy names them. The
     * sha256 trigger now also fires when it becomes NULL. */
    "CREATE TABLE prompts_v3 AS SELECT * FROM prompts;"
    "DROP TABLE prompts;"
    "CREATE TABLE prompts ("
    "  survey_id   TEXT NOT NULL CHECK (length(survey_id) BETWEEN 1 AND 64),"
    "  key         TEXT NOT NULL CHECK (length(key) BETWEEN 3 AND 140),"
    "  lang        TEXT NOT NULL CHECK (length(lang) BETWEEN 2 AND 35),"
    "  sha256      TEXT REFERENCES attachments (sha256),"
    "  media_type  TEXT NOT NULL,"
    "  size        INTEGER NOT NULL,"
    "  recorded_at TEXT NOT NULL,"
    "  device_id   TEXT NOT NULL CHECK (length(device_id) = 36),"
    "  synced      INTEGER NOT NULL DEFAULT 0 CHECK (synced IN (0, 1)),"
    "  deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),"
    "  CHECK (CASE WHEN deleted = 1"
    "    THEN sha256 IS NULL AND size = 0 AND synced = 0"
    "    ELSE sha256 IS NOT NULL AND size > 0 END),"
    "  PRIMARY KEY (survey_id, key, lang)"
    ") WITHOUT ROWID;"
    "INSERT INTO prompts (survey_id, key, lang, sha256, media_type, size,"
    "  recorded_at, device_id, synced)"
    "  SELECT survey_id, key, lang, sha256, media_type, size, recorded_at,"
    "  device_id, synced FROM prompts_v3;"
    "DROP TABLE prompts_v3;"
    "CREATE INDEX prompts_sha256 ON prompts (sha256);"
    "CREATE INDEX prompts_outbox ON prompts (recorded_at) WHERE synced = 0;"
    "CREATE TRIGGER prompts_gc_delete AFTER DELETE ON prompts"
    "  WHEN NOT EXISTS (SELECT 1 FROM answer_attachments WHERE sha256 = OLD.sha256)"
    "  AND NOT EXISTS (SELECT 1 FROM prompts WHERE sha256 = OLD.sha256)"
    "  BEGIN DELETE FROM attachments WHERE sha256 = OLD.sha256; END;"
    "CREATE TRIGGER prompts_gc_update AFTER UPDATE OF sha256 ON prompts"
    "  WHEN OLD.sha256 IS NOT NEW.sha256"
    "  AND NOT EXISTS (SELECT 1 FROM answer_attachments WHERE sha256 = OLD.sha256)"
    "  AND NOT EXISTS (SELECT 1 FROM prompts WHERE sha256 = OLD.sha256)"
    "  BEGIN DELETE FROM attachments WHERE sha256 = OLD.sha256; END;",
};

_Static_assert(sizeof migrations / sizeof migrations[0] == PV_STORE_SCHEMA_VERSION,
               "one migration per schema version");

/* Every schema object any migration made: anything else is foreign. */
static const char *const known_objects[] = {
    "sessions",
    "responses",
    "responses_session",
    "responses_outbox",
    "answers",
    "attachments",
    "answer_attachments",
    "answer_attachments_sha256",
    "attachments_gc_delete",
    "attachments_gc_update",
    "sync_state",
    "settings",
    "sessions_started",
    "prompts",
    "prompts_sha256",
    "prompts_outbox",
    "prompts_gc_delete",
    "prompts_gc_update",
};

/* ---- statements ------------------------------------------------------ */

enum stmt_id {
  S_BEGIN_WRITE,
  S_BEGIN_READ,
  S_COMMIT,
  S_ROLLBACK,
  S_RESPONSE_INSERT,
  S_RESPONSE_STATE,
  S_RESPONSE_END,
  S_RESPONSE_GET,
  S_ACK,
  S_FAILURE,
  S_ANSWER_ROOM,
  S_ANSWER_UPSERT,
  S_ANSWER_UNLINK,
  S_ANSWERS_OF,
  S_ATTACHMENT_INSERT,
  S_ATTACHMENT_LINK,
  S_ATTACHMENT_GET,
  S_PURGE_RESPONSES,
  S_PURGE_SESSIONS,
  S_PURGE_ATTACHMENTS,
  S_COUNT,
  S_PENDING_AFTER,
  S_FINISHED_AFTER,
  S_UNSYNCED_COUNT,
  S_SESSION_INSERT,
  S_SESSION_STATE,
  S_SESSION_END,
  S_SESSION_GET,
  S_SESSION_LIST,
  S_SESSIONS_PENDING,
  S_SESSION_ACK,
  S_SETTING_GET,
  S_SETTING_SET,
  S_SETTING_DEL,
  S_SYNC_GET,
  S_SYNC_SET,
  S_SYNC_DEL,
  S_PROMPT_GET,
  S_PROMPT_UPSERT,
  S_PROMPT_DELETE,
  S_PROMPT_TOMBSTONE,
  S_PROMPT_LIST,
  S_PROMPTS_PENDING,
  S_PROMPT_ACK,
  S_PROMPT_ACK_DELETE,
  S__COUNT
};

#define SESSION_COLUMNS                                                                \
  "uuid, kind, place, qpv_code, qpv_name, animateur, started_at, ended_at"

#define PROMPT_COLUMNS                                                                 \
  "survey_id, key, lang, sha256, media_type, size, recorded_at, device_id, synced, "   \
  "deleted"

#define RESPONSE_COLUMNS                                                               \
  "uuid, survey_id, survey_version, session_uuid, device_id, language, "               \
  "started_at, ended_at, status, synced_at, attempts"

static const char *const stmt_sql[S__COUNT] = {
    [S_BEGIN_WRITE] = "BEGIN IMMEDIATE",
    [S_BEGIN_READ] = "BEGIN",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_RESPONSE_INSERT] =
        "INSERT INTO responses (uuid, survey_id, survey_version, session_uuid,"
        " device_id, language, started_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [S_RESPONSE_STATE] = "SELECT status FROM responses WHERE uuid = ?1",
    [S_RESPONSE_END] = "UPDATE responses SET status = ?1, ended_at = ?2"
                       " WHERE uuid = ?3 AND status = 'in_progress'",
    [S_RESPONSE_GET] = "SELECT " RESPONSE_COLUMNS " FROM responses WHERE uuid = ?1",
    [S_ACK] = "UPDATE responses SET synced_at = ?1"
              " WHERE uuid = ?2 AND status <> 'in_progress' AND synced_at IS NULL",
    [S_FAILURE] = "UPDATE responses SET attempts = attempts + 1, last_error = ?1"
                  " WHERE uuid = ?2",
    [S_ANSWER_ROOM] = "SELECT count(*) FROM answers"
                      " WHERE response_uuid = ?1 AND question_id <> ?2",
    [S_ANSWER_UPSERT] =
        "INSERT INTO answers (response_uuid, question_id, value, measure, answered_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (response_uuid, question_id)"
        " DO UPDATE SET value = excluded.value, measure = excluded.measure,"
        " answered_at = excluded.answered_at",
    [S_ANSWER_UNLINK] = "DELETE FROM answer_attachments"
                        " WHERE response_uuid = ?1 AND question_id = ?2",
    [S_ANSWERS_OF] =
        "SELECT a.question_id, a.value, a.measure, a.answered_at, l.sha256"
        " FROM answers a LEFT JOIN answer_attachments l"
        " ON l.response_uuid = a.response_uuid AND l.question_id = a.question_id"
        " WHERE a.response_uuid = ?1 ORDER BY a.answered_at, a.question_id",
    [S_ATTACHMENT_INSERT] = "INSERT INTO attachments (sha256, media_type, size, bytes)"
                            " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (sha256) DO NOTHING",
    [S_ATTACHMENT_LINK] =
        "INSERT INTO answer_attachments (response_uuid, question_id, sha256)"
        " VALUES (?1, ?2, ?3) ON CONFLICT (response_uuid, question_id)"
        " DO UPDATE SET sha256 = excluded.sha256",
    [S_ATTACHMENT_GET] =
        "SELECT media_type, size, bytes FROM attachments WHERE sha256 = ?1",
    [S_PURGE_RESPONSES] = "DELETE FROM responses WHERE status <> 'in_progress'"
                          " AND synced_at IS NOT NULL AND synced_at < ?1"
                          " AND ended_at < ?1",
    [S_PURGE_SESSIONS] =
        "DELETE FROM sessions WHERE ended_at IS NOT NULL"
        " AND ended_at < ?1 AND synced_ended = ended_at AND NOT EXISTS"
        " (SELECT 1 FROM responses WHERE session_uuid = sessions.uuid)",
    [S_PURGE_ATTACHMENTS] =
        "DELETE FROM attachments WHERE NOT EXISTS (SELECT 1 FROM"
        " answer_attachments WHERE sha256 = attachments.sha256) AND NOT EXISTS"
        " (SELECT 1 FROM prompts WHERE sha256 = attachments.sha256)",
    [S_COUNT] = "SELECT coalesce(sum(status = 'in_progress'), 0),"
                " coalesce(sum(status = 'complete'), 0),"
                " coalesce(sum(status = 'abandoned'), 0),"
                " coalesce(sum(status <> 'in_progress' AND synced_at IS NULL), 0),"
                " coalesce(sum(synced_at IS NOT NULL), 0)"
                " FROM responses WHERE ?1 IS NULL OR session_uuid = ?1",
    [S_PENDING_AFTER] = "SELECT " RESPONSE_COLUMNS " FROM responses"
                        " WHERE synced_at IS NULL AND status <> 'in_progress'"
                        " AND (?2 IS NULL OR (started_at, uuid) > (?2, ?3))"
                        " ORDER BY started_at, uuid LIMIT ?1",
    [S_FINISHED_AFTER] = "SELECT " RESPONSE_COLUMNS " FROM responses"
                         " WHERE status <> 'in_progress'"
                         " AND (?4 IS NULL OR session_uuid = ?4)"
                         " AND (?2 IS NULL OR (started_at, uuid) > (?2, ?3))"
                         " ORDER BY started_at, uuid LIMIT ?1",
    [S_UNSYNCED_COUNT] = "SELECT count(*) FROM responses WHERE survey_id = ?1"
                         " AND survey_version = ?2 AND synced_at IS NULL",
    [S_SESSION_INSERT] = "INSERT INTO sessions (uuid, kind, place, qpv_code, qpv_name,"
                         " animateur, started_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [S_SESSION_STATE] = "SELECT ended_at IS NOT NULL FROM sessions WHERE uuid = ?1",
    [S_SESSION_END] = "UPDATE sessions SET ended_at = ?1"
                      " WHERE uuid = ?2 AND ended_at IS NULL",
    [S_SESSION_GET] = "SELECT " SESSION_COLUMNS " FROM sessions WHERE uuid = ?1",
    [S_SESSION_LIST] = "SELECT " SESSION_COLUMNS " FROM sessions"
                       " ORDER BY started_at, uuid LIMIT ?1",
    [S_SESSIONS_PENDING] = "SELECT " SESSION_COLUMNS " FROM sessions"
                           " WHERE (synced_ended IS NULL"
                           " OR synced_ended <> coalesce(ended_at, ''))"
                           " AND (?2 IS NULL OR (started_at, uuid) > (?2, ?3))"
                           " ORDER BY started_at, uuid LIMIT ?1",
    /* Only the form this row has or had: running (''), or its ended_at. */
    [S_SESSION_ACK] = "UPDATE sessions SET synced_ended = ?1 WHERE uuid = ?2"
                      " AND (?1 = '' OR ?1 = ended_at)"
                      " AND (synced_ended IS NULL OR synced_ended = '')",
    [S_SETTING_GET] = "SELECT value FROM settings WHERE key = ?1",
    [S_SETTING_SET] = "INSERT INTO settings (key, value) VALUES (?1, ?2)"
                      " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [S_SETTING_DEL] = "DELETE FROM settings WHERE key = ?1",
    [S_SYNC_GET] = "SELECT value FROM sync_state WHERE key = ?1",
    [S_SYNC_SET] = "INSERT INTO sync_state (key, value) VALUES (?1, ?2)"
                   " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [S_SYNC_DEL] = "DELETE FROM sync_state WHERE key = ?1",
    [S_PROMPT_GET] = "SELECT " PROMPT_COLUMNS " FROM prompts"
                     " WHERE survey_id = ?1 AND key = ?2 AND lang = ?3",
    [S_PROMPT_UPSERT] =
        "INSERT INTO prompts (survey_id, key, lang, sha256, media_type, size,"
        " recorded_at, device_id, synced, deleted)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0)"
        " ON CONFLICT (survey_id, key, lang) DO UPDATE SET sha256 = excluded.sha256,"
        " media_type = excluded.media_type, size = excluded.size,"
        " recorded_at = excluded.recorded_at, device_id = excluded.device_id,"
        " synced = excluded.synced, deleted = 0",
    /* A recording becomes a pending deletion; none or a deletion: no change. */
    [S_PROMPT_TOMBSTONE] =
        "UPDATE prompts SET sha256 = NULL, media_type = '', size = 0,"
        " recorded_at = ?4, device_id = ?5, synced = 0, deleted = 1"
        " WHERE survey_id = ?1 AND key = ?2 AND lang = ?3 AND deleted = 0",
    [S_PROMPT_DELETE] = "DELETE FROM prompts WHERE survey_id = ?1 AND key = ?2"
                        " AND lang = ?3",
    [S_PROMPT_LIST] = "SELECT " PROMPT_COLUMNS " FROM prompts"
                      " WHERE deleted = 0 AND (?2 IS NULL OR survey_id = ?2)"
                      " ORDER BY survey_id, key, lang LIMIT ?1",
    [S_PROMPTS_PENDING] = "SELECT " PROMPT_COLUMNS " FROM prompts WHERE synced = 0"
                          " ORDER BY recorded_at, survey_id, key, lang LIMIT ?1",
    [S_PROMPT_ACK] = "UPDATE prompts SET synced = 1 WHERE survey_id = ?1 AND key = ?2"
                     " AND lang = ?3 AND deleted = 0 AND sha256 = ?4",
    [S_PROMPT_ACK_DELETE] = "DELETE FROM prompts WHERE survey_id = ?1 AND key = ?2"
                            " AND lang = ?3 AND deleted = 1 AND recorded_at = ?4",
};

struct pv_store {
  sqlite3 *db;
  char *path;
  pv_clock clock;
  char device_id[PV_UUID_LEN + 1];
  sqlite3_stmt *stmts[S__COUNT];
};

static const char *const status_names[] = {
    [PV_STORE_IN_PROGRESS] = "in_progress",
    [PV_STORE_COMPLETE] = "complete",
    [PV_STORE_ABANDONED] = "abandoned",
};

static const char *const measure_names[] = {
    [PV_QUANTITATIVE] = "quantitative",
    [PV_QUALITATIVE] = "qualitative",
};

const char *pv_store_status_name(pv_store_status status) {
  PV_ASSERT((unsigned)status < sizeof status_names / sizeof status_names[0]);
  return status_names[status];
}

const char *pv_measure_name(pv_measure measure) {
  PV_ASSERT((unsigned)measure < sizeof measure_names / sizeof measure_names[0]);
  return measure_names[measure];
}

/* ---- errors ---------------------------------------------------------- */

/* SQLite primary result codes and what they mean to callers. */
static const struct {
  int code;
  pv_err err;
} rc_map[] = {
    {SQLITE_NOMEM, PV_ERR_NOMEM},        {SQLITE_FULL, PV_ERR_FULL},
    {SQLITE_BUSY, PV_ERR_BUSY},          {SQLITE_LOCKED, PV_ERR_BUSY},
    {SQLITE_CONSTRAINT, PV_ERR_INVALID}, {SQLITE_MISMATCH, PV_ERR_INVALID},
    {SQLITE_RANGE, PV_ERR_INVALID},      {SQLITE_TOOBIG, PV_ERR_TOOBIG},
    {SQLITE_CORRUPT, PV_ERR_CORRUPT},    {SQLITE_NOTADB, PV_ERR_CORRUPT},
    {SQLITE_IOERR, PV_ERR_IO},           {SQLITE_CANTOPEN, PV_ERR_IO},
    {SQLITE_READONLY, PV_ERR_IO},        {SQLITE_PERM, PV_ERR_IO},
    {SQLITE_NOTFOUND, PV_ERR_NOTFOUND},
};

static pv_err map_rc(int rc) {
  for (size_t i = 0; i < sizeof rc_map / sizeof rc_map[0]; i++)
    if (rc_map[i].code == (rc & 0xff))
      return rc_map[i].err;
  return PV_ERR_DB;
}

/* Returns the pv_err for rc, with "store: path: what: SQLite's message". */
static pv_err db_fail(sqlite3 *db, const char *path, int rc, const char *what) {
  return pv_fail(map_rc(rc), "store: %s: %s: %s", path, what,
                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/* ---- statement helpers ----------------------------------------------- */

/* A bound parameter: text (NULL binds SQL NULL) or an integer. */
typedef struct param {
  const char *text;
  int64_t num;
  int is_num;
} param;

#define TXT(s) ((param){.text = (s)})
#define NUM(n) ((param){.num = (n), .is_num = 1})

/* Sets *out to statement id, prepared on first use and kept until close
 * (borrowed), with params bound; pair with release(). */
static pv_err prepare(pv_store *st, enum stmt_id id, const param *params, int n,
                      sqlite3_stmt **out) {
  int rc;
  *out = NULL;
  if (!st->stmts[id]) {
    rc = sqlite3_prepare_v2(st->db, stmt_sql[id], -1, &st->stmts[id], NULL);
    if (rc != SQLITE_OK)
      return db_fail(st->db, st->path, rc, "prepare");
  }
  sqlite3_stmt *s = st->stmts[id];
  for (int i = 0; i < n; i++) {
    if (params[i].is_num)
      rc = sqlite3_bind_int64(s, i + 1, params[i].num);
    else if (params[i].text)
      rc = sqlite3_bind_text(s, i + 1, params[i].text, -1, SQLITE_STATIC);
    else
      rc = sqlite3_bind_null(s, i + 1);
    if (rc != SQLITE_OK) {
      pv_err err = db_fail(st->db, st->path, rc, "bind");
      sqlite3_clear_bindings(s);
      return err;
    }
  }
  *out = s;
  return PV_OK;
}

/* Resets a statement from prepare() so it holds no lock; NULL is fine. */
static void release(sqlite3_stmt *s) {
  if (s) {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
}

/* Runs statement id (no rows expected); *changes (may be NULL) gets the
 * number of rows it changed. */
static pv_err run(pv_store *st, enum stmt_id id, const char *what, const param *params,
                  int n, int *changes) {
  sqlite3_stmt *s = NULL;
  pv_err err = prepare(st, id, params, n, &s);
  if (err)
    return err;
  int rc = sqlite3_step(s);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    err = db_fail(st->db, st->path, rc, what);
  else if (changes)
    *changes = sqlite3_changes(st->db);
  release(s);
  return err;
}

static pv_err tx_begin(pv_store *st) {
  return run(st, S_BEGIN_WRITE, "begin", NULL, 0, NULL);
}

static pv_err tx_commit(pv_store *st) {
  return run(st, S_COMMIT, "commit", NULL, 0, NULL);
}

/* Rolls back the open transaction, if SQLite has not already done so. */
static void tx_rollback(pv_store *st) {
  if (!sqlite3_get_autocommit(st->db))
    run(st, S_ROLLBACK, "rollback", NULL, 0, NULL);
}

/* Runs one(st, ud, i) for i in 0..n-1 in one transaction: all or none. */
static pv_err each_in_tx(pv_store *st, size_t n,
                         pv_err (*one)(pv_store *st, const void *ud, size_t i),
                         const void *ud) {
  pv_err err = tx_begin(st);
  for (size_t i = 0; !err && i < n; i++)
    err = one(st, ud, i);
  if (!err)
    err = tx_commit(st);
  if (err)
    tx_rollback(st);
  return err;
}

/* Copies column col as text into dst (cap bytes, NUL-terminated; NULL
 * gives ""). */
static void column_copy(sqlite3_stmt *s, int col, char *dst, size_t cap) {
  const unsigned char *text = sqlite3_column_text(s, col);
  snprintf(dst, cap, "%s", text ? (const char *)text : "");
}

/* ---- argument checks ------------------------------------------------- */

/* Returns PV_OK if s holds 1..max bytes (0..max if may_be_empty). */
static pv_err check_text(const char *what, const char *s, size_t max,
                         int may_be_empty) {
  if (!s)
    return pv_fail(PV_ERR_INVALID, "store: %s missing", what);
  size_t len = strnlen(s, max + 1);
  if (len == 0 && !may_be_empty)
    return pv_fail(PV_ERR_INVALID, "store: %s is empty", what);
  if (len > max)
    return pv_fail(PV_ERR_TOOBIG, "store: %s longer than %zu bytes", what, max);
  return PV_OK;
}

static pv_err check_uuid(const char *what, const char *s) {
  if (!s || !pv_uuid_valid(s))
    return pv_fail(PV_ERR_INVALID, "store: %s is not a UUID: %.40s", what,
                   s ? s : "(null)");
  return PV_OK;
}

static void now_iso(const pv_store *st, char out[PV_STORE_TIME_LEN + 1]) {
  pv_time_iso(pv_clock_now(&st->clock), out);
}

/* ---- open-time checks (nothing here writes) --------------------------- */

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Returns the size of path's sibling path+suffix, or -1 when absent. */
static long long sibling_size(const char *path, const char *suffix) {
  char name[PATH_MAX];
  struct stat sb;
  if (snprintf(name, sizeof name, "%s%s", path, suffix) >= (int)sizeof name)
    return -1;
  return stat(name, &sb) == 0 ? (long long)sb.st_size : -1;
}

enum file_kind { FILE_MISSING, FILE_EMPTY, FILE_STORE };

/* Decides from the first 100 bytes, read with read(2), whether path may be
 * handed to SQLite: a missing or empty file (to create), or an SQLite file
 * with our application_id and a schema version we know. */
static pv_err check_header(const char *path, enum file_kind *kind) {
  unsigned char head[SQLITE_HEADER_LEN];
  struct stat sb;
  size_t got = 0;
  pv_err err = PV_OK;
  int fd = -1;

  if (stat(path, &sb) != 0) {
    if (errno != ENOENT)
      return pv_fail(PV_ERR_IO, "store: %s: %s", path, strerror(errno));
    *kind = FILE_MISSING;
  } else if (!S_ISREG(sb.st_mode)) {
    return pv_fail(PV_ERR_FOREIGN, "store: %s: not a regular file", path);
  } else if (sb.st_size == 0) {
    *kind = FILE_EMPTY;
  } else {
    *kind = FILE_STORE;
  }
  /* A WAL with content but no database would be replayed onto the new
   * file we are about to make: leave that to a person. */
  if (*kind != FILE_STORE) {
    if (sibling_size(path, "-wal") > 0)
      return pv_fail(PV_ERR_CORRUPT,
                     "store: %s: a WAL file (%s-wal) is left without its database",
                     path, path);
    return PV_OK;
  }

  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return pv_fail(PV_ERR_IO, "store: %s: %s", path, strerror(errno));
  while (got < sizeof head) {
    ssize_t n = read(fd, head + got, sizeof head - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      err = pv_fail(PV_ERR_IO, "store: %s: %s", path, strerror(errno));
      goto out;
    }
    if (n == 0)
      break;
    got += (size_t)n;
  }
  size_t cmp = got < sizeof sqlite_magic ? got : sizeof sqlite_magic;
  if (memcmp(head, sqlite_magic, cmp) != 0) {
    err = pv_fail(PV_ERR_FOREIGN, "store: %s: not an SQLite database", path);
    goto out;
  }
  if (got < sizeof head) {
    err = pv_fail(PV_ERR_CORRUPT, "store: %s: truncated SQLite header (%zu bytes)",
                  path, got);
    goto out;
  }
  uint32_t app_id = be32(head + 68);
  int32_t version = (int32_t)be32(head + 60);
  if (app_id != PV_STORE_APPLICATION_ID) {
    err = pv_fail(PV_ERR_FOREIGN,
                  "store: %s: SQLite database of another application "
                  "(application_id 0x%08x, not 0x%08x)",
                  path, (unsigned)app_id, (unsigned)PV_STORE_APPLICATION_ID);
    goto out;
  }
  if (version > PV_STORE_SCHEMA_VERSION || version < 0) {
    err = pv_fail(PV_ERR_FOREIGN,
                  "store: %s: schema version %d is newer than this program's (%d)",
                  path, (int)version, PV_STORE_SCHEMA_VERSION);
    goto out;
  }
out:
  close(fd);
  return err;
}

/* Sets *value to the single integer a read-only query returns. */
static pv_err query_int(sqlite3 *db, const char *path, const char *sql, int *value) {
  sqlite3_stmt *s = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
    *value = sqlite3_column_int(s, 0);
    rc = SQLITE_OK;
  }
  pv_err err = rc == SQLITE_OK ? PV_OK : db_fail(db, path, rc, sql);
  sqlite3_finalize(s);
  return err;
}

static int is_known_object(const char *name) {
  for (size_t i = 0; i < sizeof known_objects / sizeof known_objects[0]; i++)
    if (strcmp(name, known_objects[i]) == 0)
      return 1;
  return 0;
}

/* With a read-only connection (SQLite then also sees the WAL): our
 * application_id, a known version, only our tables, integrity_check ok. */
static pv_err check_contents(const char *path) {
  sqlite3 *db = NULL;
  sqlite3_stmt *s = NULL;
  pv_err err = PV_OK;
  int app_id = 0, version = 0, rc;

  rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
  if (rc != SQLITE_OK) {
    err = db_fail(db, path, rc, "open read-only");
    goto out;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, PV_STORE_BUSY_TIMEOUT_MS);
  if ((err = query_int(db, path, "PRAGMA application_id", &app_id)) ||
      (err = query_int(db, path, "PRAGMA user_version", &version)))
    goto out;
  if ((uint32_t)app_id != PV_STORE_APPLICATION_ID) {
    err = pv_fail(PV_ERR_FOREIGN, "store: %s: application_id 0x%08x is not ours", path,
                  (unsigned)app_id);
    goto out;
  }
  if (version > PV_STORE_SCHEMA_VERSION) {
    err = pv_fail(PV_ERR_FOREIGN,
                  "store: %s: schema version %d is newer than this program's (%d)",
                  path, version, PV_STORE_SCHEMA_VERSION);
    goto out;
  }

  rc = sqlite3_prepare_v2(db,
                          "SELECT name FROM sqlite_master"
                          " WHERE substr(name, 1, 7) <> 'sqlite_'",
                          -1, &s, NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(s, 0);
    if (!name || !is_known_object(name)) {
      err = pv_fail(PV_ERR_FOREIGN, "store: %s: unknown table or index %.64s", path,
                    name ? name : "(null)");
      goto out;
    }
    rc = SQLITE_OK;
  }
  if (rc != SQLITE_DONE) {
    err = db_fail(db, path, rc, "reading the schema");
    goto out;
  }
  sqlite3_finalize(s);
  s = NULL;

  rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step(s);
  if (rc != SQLITE_ROW) {
    err = db_fail(db, path, rc, "integrity_check");
    goto out;
  }
  const char *verdict = (const char *)sqlite3_column_text(s, 0);
  if (!verdict || strcmp(verdict, "ok") != 0) {
    char first[200]; /* the first problem, on one line */
    snprintf(first, sizeof first, "%s", verdict ? verdict : "(no answer)");
    for (char *p = first; *p; p++)
      if (*p == '\n')
        *p = ' ';
    err = pv_fail(PV_ERR_CORRUPT, "store: %s: integrity_check failed: %s", path, first);
  }
out:
  sqlite3_finalize(s);
  sqlite3_close(db);
  return err;
}

/* ---- configuration and migrations ------------------------------------ */

/* Runs SQL that binds nothing (pragmas, DDL) on db. */
static pv_err exec_sql(sqlite3 *db, const char *path, const char *sql,
                       const char *what) {
  int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
  return rc == SQLITE_OK ? PV_OK : db_fail(db, path, rc, what);
}

/* Sets the per-connection pragmas; switches the file to WAL (a no-op on
 * our files after their creation). */
static pv_err configure(sqlite3 *db, const char *path) {
  char sql[200];
  int wal = 0;
  sqlite3_stmt *s = NULL;
  pv_err err;

  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, PV_STORE_BUSY_TIMEOUT_MS);
  int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
    const char *mode = (const char *)sqlite3_column_text(s, 0);
    wal = mode && strcmp(mode, "wal") == 0;
    rc = SQLITE_OK;
  }
  err = rc == SQLITE_OK ? PV_OK : db_fail(db, path, rc, "journal_mode");
  sqlite3_finalize(s);
  if (err)
    return err;
  if (!wal)
    return pv_fail(PV_ERR_DB, "store: %s: cannot use WAL journaling here", path);
  snprintf(sql, sizeof sql,
           "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
           " PRAGMA secure_delete = ON; PRAGMA journal_size_limit = %d;"
           " PRAGMA wal_autocheckpoint = %d;",
           JOURNAL_SIZE_LIMIT, WAL_AUTOCHECKPOINT);
  return exec_sql(db, path, sql, "pragmas");
}

/* Applies the migrations the file lacks, each in its own transaction that
 * also sets application_id and user_version. */
static pv_err migrate(sqlite3 *db, const char *path) {
  char sql[128];
  pv_err err;
  for (;;) {
    int version = 0;
    if ((err = exec_sql(db, path, "BEGIN IMMEDIATE", "begin migration")))
      return err;
    if ((err = query_int(db, path, "PRAGMA user_version", &version)))
      goto fail;
    if (version == PV_STORE_SCHEMA_VERSION)
      return exec_sql(db, path, "COMMIT", "commit");
    if (version < 0 || version > PV_STORE_SCHEMA_VERSION) {
      err = pv_fail(PV_ERR_FOREIGN, "store: %s: schema version %d is unknown here",
                    path, version);
      goto fail;
    }
    if (version > 0)
      PV_INFO("store: %s: migrating schema %d -> %d", path, version, version + 1);
    if ((err = exec_sql(db, path, migrations[version], "migration")))
      goto fail;
    snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d;",
             (int)PV_STORE_APPLICATION_ID, version + 1);
    if ((err = exec_sql(db, path, sql, "migration version")) ||
        (err = exec_sql(db, path, "COMMIT", "commit migration")))
      goto fail;
  }
fail:
  if (!sqlite3_get_autocommit(db))
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  return err;
}

/* Sets st->device_id from the settings, making one the first time. */
static pv_err load_device_id(pv_store *st) {
  sqlite3_stmt *s = NULL;
  char fresh[PV_UUID_LEN + 1];
  pv_err err = prepare(st, S_SETTING_GET, (param[]){TXT("device_id")}, 1, &s);
  if (err)
    return err;
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW)
    column_copy(s, 0, st->device_id, sizeof st->device_id);
  else if (rc != SQLITE_DONE)
    err = db_fail(st->db, st->path, rc, "device id");
  release(s);
  if (err || rc == SQLITE_ROW) {
    if (!err && !pv_uuid_valid(st->device_id))
      err = pv_fail(PV_ERR_CORRUPT, "store: %s: device_id is not a UUID", st->path);
    return err;
  }
  if ((err = pv_uuid_v4(fresh)) ||
      (err = run(st, S_SETTING_SET, "device id",
                 (param[]){TXT("device_id"), TXT(fresh)}, 2, NULL)))
    return err;
  memcpy(st->device_id, fresh, sizeof fresh);
  return PV_OK;
}

static void finalize_all(pv_store *st) {
  for (int i = 0; i < S__COUNT; i++) {
    sqlite3_finalize(st->stmts[i]);
    st->stmts[i] = NULL;
  }
}

/* Opens the existing file db_path read-write into st: pragmas, migrations,
 * device id. */
static pv_err connect(pv_store *st, const char *db_path) {
  int rc = sqlite3_open_v2(db_path, &st->db, SQLITE_OPEN_READWRITE, NULL);
  if (rc != SQLITE_OK)
    return db_fail(st->db, db_path, rc, "open");
  pv_err err = configure(st->db, db_path);
  if (!err)
    err = migrate(st->db, db_path);
  if (!err)
    err = load_device_id(st);
  return err;
}

static void disconnect(pv_store *st) {
  finalize_all(st);
  sqlite3_close(st->db);
  st->db = NULL;
}

/* Fsyncs the folder holding path, so a rename in it is durable. */
static pv_err sync_parent(const char *path) {
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash)
    snprintf(dir, sizeof dir, ".");
  else if (slash == dir)
    dir[1] = '\0';
  else
    *slash = '\0';
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return pv_fail(PV_ERR_IO, "store: %s: %s", dir, strerror(errno));
  int rc = fsync(fd);
  int saved = errno;
  close(fd);
  return rc == 0 ? PV_OK : pv_fail(PV_ERR_IO, "store: %s: %s", dir, strerror(saved));
}

static void unlink_family(const char *path) {
  static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
  char name[PATH_MAX];
  for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
    if (snprintf(name, sizeof name, "%s%s", path, suffixes[i]) < (int)sizeof name)
      unlink(name);
}

/* Builds a complete store in a temporary file beside path, then renames it
 * into place: path is never a half-made store. If another process got
 * there first (path appeared), its store is kept. */
static pv_err create_store(const char *path, const pv_clock *clock, int replace) {
  char tmp[PATH_MAX];
  pv_store scratch = {.clock = *clock};
  pv_err err = PV_OK;
  int fd = -1;

  if (snprintf(tmp, sizeof tmp, "%s.init-XXXXXX", path) >= (int)sizeof tmp)
    return pv_fail(PV_ERR_TOOBIG, "store: %s: path too long", path);
  fd = mkstemp(tmp);
  if (fd < 0)
    return pv_fail(PV_ERR_IO, "store: %s: %s", tmp, strerror(errno));
  close(fd);
  scratch.path = tmp;
  if ((err = connect(&scratch, tmp)) ||
      (err =
           exec_sql(scratch.db, tmp, "PRAGMA wal_checkpoint(TRUNCATE)", "checkpoint")))
    goto out;
  disconnect(&scratch);
  /* The checkpoint synced the file (synchronous=FULL); the WAL is empty. */
  int rc = replace ? rename(tmp, path)
                   : renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE);
  if (rc != 0 && !replace && (errno == EINVAL || errno == ENOSYS)) {
    rc = link(tmp, path); /* a file system without RENAME_NOREPLACE */
    if (rc == 0)
      unlink(tmp);
  }
  if (rc != 0 && errno != EEXIST) {
    err = pv_fail(PV_ERR_IO, "store: %s: %s", path, strerror(errno));
    goto out;
  }
  if (!(err = sync_parent(path)))
    PV_INFO("store: %s: created", path);
out:
  disconnect(&scratch);
  unlink_family(tmp);
  return err;
}

pv_err pv_store_open(const char *path, const pv_clock *clock, pv_store **out) {
  pv_store *st = NULL;
  enum file_kind kind;
  pv_err err;

  PV_ASSERT(path && clock && out);
  *out = NULL;
  if ((err = check_header(path, &kind)))
    return err;
  if (kind != FILE_STORE && (err = create_store(path, clock, kind == FILE_EMPTY)))
    return err;
  /* Re-read: the file is now ours, or was made by a concurrent opener. */
  if ((err = check_header(path, &kind)))
    return err;
  if (kind != FILE_STORE)
    return pv_fail(PV_ERR_IO, "store: %s: vanished while being created", path);
  if ((err = check_contents(path)))
    return err;

  st = calloc(1, sizeof *st);
  if (!st || !(st->path = strdup(path))) {
    err = pv_fail(PV_ERR_NOMEM, "store: %s: out of memory", path);
    goto out;
  }
  st->clock = *clock;
  err = connect(st, path);
out:
  if (err) {
    pv_store_close(st);
    return err;
  }
  *out = st;
  return PV_OK;
}

void pv_store_close(pv_store *st) {
  if (!st)
    return;
  if (st->db)
    disconnect(st);
  free(st->path);
  free(st);
}

const char *pv_store_device_id(const pv_store *st) {
  return st->device_id;
}

/* ---- responses and answers ------------------------------------------- */

/* Sets *status for a response; PV_ERR_NOTFOUND when there is none. */
static pv_err response_status(pv_store *st, const char *uuid, pv_store_status *status) {
  sqlite3_stmt *s = NULL;
  pv_err err = prepare(st, S_RESPONSE_STATE, (param[]){TXT(uuid)}, 1, &s);
  if (err)
    return err;
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    const char *text = (const char *)sqlite3_column_text(s, 0);
    *status = PV_STORE_IN_PROGRESS;
    for (int i = 0; i < (int)(sizeof status_names / sizeof status_names[0]); i++)
      if (text && strcmp(text, status_names[i]) == 0)
        *status = (pv_store_status)i;
  } else if (rc == SQLITE_DONE) {
    err = pv_fail(PV_ERR_NOTFOUND, "store: no response %s", uuid);
  } else {
    err = db_fail(st->db, st->path, rc, "response status");
  }
  release(s);
  return err;
}

/* Returns PV_OK if the response exists and is still in progress. */
static pv_err expect_in_progress(pv_store *st, const char *uuid) {
  pv_store_status status = PV_STORE_IN_PROGRESS;
  pv_err err = response_status(st, uuid, &status);
  if (!err && status != PV_STORE_IN_PROGRESS)
    err = pv_fail(PV_ERR_STATE, "store: response %s is %s: no more answers", uuid,
                  status_names[status]);
  return err;
}

/* Returns PV_ERR_TOOBIG if answering question_id would pass the cap. */
static pv_err expect_room(pv_store *st, const char *uuid, const char *question_id) {
  sqlite3_stmt *s = NULL;
  pv_err err =
      prepare(st, S_ANSWER_ROOM, (param[]){TXT(uuid), TXT(question_id)}, 2, &s);
  if (err)
    return err;
  int rc = sqlite3_step(s);
  if (rc != SQLITE_ROW)
    err = db_fail(st->db, st->path, rc, "counting answers");
  else if (sqlite3_column_int64(s, 0) >= PV_STORE_MAX_ANSWERS)
    err = pv_fail(PV_ERR_TOOBIG, "store: response %s has %d answers already", uuid,
                  PV_STORE_MAX_ANSWERS);
  release(s);
  return err;
}

pv_err pv_store_begin(pv_store *st, const char *survey_id, int survey_version,
                      const char *session_uuid, const char *language,
                      char uuid_out[PV_UUID_LEN + 1]) {
  char uuid[PV_UUID_LEN + 1], now[PV_STORE_TIME_LEN + 1];
  pv_err err;

  PV_ASSERT(st && uuid_out);
  if ((err = check_text("survey id", survey_id, PV_STORE_MAX_ID, 0)) ||
      (err = check_text("language", language, PV_STORE_MAX_LANG, 0)) ||
      (session_uuid && (err = check_uuid("session", session_uuid))))
    return err;
  if (survey_version < 0)
    return pv_fail(PV_ERR_INVALID, "store: survey version %d", survey_version);
  if ((err = pv_uuid_v4(uuid)))
    return err;
  now_iso(st, now);

  if ((err = tx_begin(st)))
    return err;
  if (session_uuid) {
    sqlite3_stmt *s = NULL;
    if ((err = prepare(st, S_SESSION_STATE, (param[]){TXT(session_uuid)}, 1, &s)))
      goto out;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE)
      err = pv_fail(PV_ERR_NOTFOUND, "store: no session %s", session_uuid);
    else if (rc != SQLITE_ROW)
      err = db_fail(st->db, st->path, rc, "session state");
    else if (sqlite3_column_int(s, 0))
      err = pv_fail(PV_ERR_STATE, "store: session %s has ended", session_uuid);
    release(s);
    if (err)
      goto out;
  }
  if ((err = run(st, S_RESPONSE_INSERT, "begin response",
                 (param[]){TXT(uuid), TXT(survey_id), NUM(survey_version),
                           TXT(session_uuid), TXT(st->device_id), TXT(language),
                           TXT(now)},
                 7, NULL)) ||
      (err = tx_commit(st)))
    goto out;
  memcpy(uuid_out, uuid, sizeof uuid);
out:
  if (err)
    tx_rollback(st);
  return err;
}

/* Writes answer value under (uuid, question_id) in the open transaction,
 * after the state and cap checks. */
static pv_err write_answer(pv_store *st, const char *uuid, const char *question_id,
                           const char *value, pv_measure measure) {
  char now[PV_STORE_TIME_LEN + 1];
  pv_err err;
  now_iso(st, now);
  if ((err = expect_in_progress(st, uuid)) ||
      (err = expect_room(st, uuid, question_id)))
    return err;
  return run(st, S_ANSWER_UPSERT, "put answer",
             (param[]){TXT(uuid), TXT(question_id), TXT(value),
                       TXT(measure_names[measure]), TXT(now)},
             5, NULL);
}

pv_err pv_store_put_answer(pv_store *st, const char *response_uuid,
                           const char *question_id, const char *value_json,
                           pv_measure measure) {
  pv_err err;
  PV_ASSERT(st);
  PV_ASSERT((unsigned)measure < sizeof measure_names / sizeof measure_names[0]);
  if ((err = check_uuid("response", response_uuid)) ||
      (err = check_text("question id", question_id, PV_STORE_MAX_ID, 0)) ||
      (err = check_text("answer value", value_json, PV_STORE_MAX_VALUE, 0)))
    return err;
  if ((err = tx_begin(st)))
    return err;
  /* The JSON check is the schema's CHECK (json_valid(value)): SQLite's
   * verdict and message, and the transaction rolls back whole. A plain
   * value replaces an attachment answered there before. */
  if ((err = write_answer(st, response_uuid, question_id, value_json, measure)) ||
      (err = run(st, S_ANSWER_UNLINK, "unlink attachment",
                 (param[]){TXT(response_uuid), TXT(question_id)}, 2, NULL)) ||
      (err = tx_commit(st)))
    tx_rollback(st);
  return err;
}

/* Returns 1 if s looks like a media type: printable ASCII with a '/'. */
static int media_type_ok(const char *s) {
  for (const char *p = s; *p; p++)
    if (*p < 0x20 || *p > 0x7e)
      return 0;
  return strchr(s, '/') != NULL;
}

/* Returns the JSON answer naming an attachment (caller frees), or NULL. */
static char *attachment_value(const char *sha, const char *media_type, size_t len) {
  cJSON *obj = cJSON_CreateObject();
  char *text = NULL;
  if (obj && cJSON_AddStringToObject(obj, "attachment", sha) &&
      cJSON_AddStringToObject(obj, "media_type", media_type) &&
      cJSON_AddNumberToObject(obj, "size", (double)len))
    text = cJSON_PrintUnformatted(obj);
  cJSON_Delete(obj);
  return text;
}

pv_err pv_store_put_attachment(pv_store *st, const char *response_uuid,
                               const char *question_id, const char *media_type,
                               const void *bytes, size_t len,
                               char sha_out[PV_SHA256_HEX + 1]) {
  char sha[PV_SHA256_HEX + 1];
  char *value = NULL;
  sqlite3_stmt *s = NULL;
  pv_err err;

  PV_ASSERT(st && sha_out && (bytes || len == 0));
  if ((err = check_uuid("response", response_uuid)) ||
      (err = check_text("question id", question_id, PV_STORE_MAX_ID, 0)) ||
      (err = check_text("media type", media_type, PV_STORE_MAX_MEDIA_TYPE, 0)))
    return err;
  if (!media_type_ok(media_type))
    return pv_fail(PV_ERR_INVALID, "store: bad media type %.40s", media_type);
  if (len == 0)
    return pv_fail(PV_ERR_INVALID, "store: empty attachment");
  if (len > PV_STORE_MAX_ATTACHMENT)
    return pv_fail(PV_ERR_TOOBIG, "store: attachment of %zu bytes (at most %d)", len,
                   PV_STORE_MAX_ATTACHMENT);
  if ((err = pv_sha256_hex(bytes, len, sha)))
    return err;
  if (!(value = attachment_value(sha, media_type, len)))
    return pv_fail(PV_ERR_NOMEM, "store: out of memory");

  if ((err = tx_begin(st)))
    goto out;
  if ((err = expect_in_progress(st, response_uuid)))
    goto out;
  if ((err = prepare(st, S_ATTACHMENT_INSERT,
                     (param[]){TXT(sha), TXT(media_type), NUM((int64_t)len)}, 3, &s)))
    goto out;
  int rc = sqlite3_bind_blob64(s, 4, bytes, len, SQLITE_STATIC);
  if (rc == SQLITE_OK)
    rc = sqlite3_step(s);
  if (rc != SQLITE_DONE) {
    err = db_fail(st->db, st->path, rc, "store attachment");
    goto out;
  }
  if ((err = write_answer(st, response_uuid, question_id, value, PV_QUALITATIVE)) ||
      (err = run(st, S_ATTACHMENT_LINK, "link attachment",
                 (param[]){TXT(response_uuid), TXT(question_id), TXT(sha)}, 3, NULL)) ||
      (err = tx_commit(st)))
    goto out;
  memcpy(sha_out, sha, sizeof sha);
out:
  release(s);
  if (err)
    tx_rollback(st);
  free(value);
  return err;
}

pv_err pv_store_get_attachment(pv_store *st, const char *sha256, pv_store_blob *out) {
  sqlite3_stmt *s = NULL;
  pv_err err;
  PV_ASSERT(st && out);
  memset(out, 0, sizeof *out);
  if (!sha256 || !pv_sha256_valid(sha256))
    return pv_fail(PV_ERR_INVALID, "store: not a sha256: %.70s", sha256 ? sha256 : "");
  if ((err = prepare(st, S_ATTACHMENT_GET, (param[]){TXT(sha256)}, 1, &s)))
    return err;
  int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) {
    err = pv_fail(PV_ERR_NOTFOUND, "store: no attachment %s", sha256);
    goto out;
  }
  if (rc != SQLITE_ROW) {
    err = db_fail(st->db, st->path, rc, "get attachment");
    goto out;
  }
  column_copy(s, 0, out->media_type, sizeof out->media_type);
  const void *blob = sqlite3_column_blob(s, 2);
  size_t size = (size_t)sqlite3_column_bytes(s, 2);
  if (!blob || size == 0 || size > PV_STORE_MAX_ATTACHMENT ||
      (int64_t)size != sqlite3_column_int64(s, 1)) {
    err = pv_fail(PV_ERR_CORRUPT, "store: %s: attachment %s has a bad size", st->path,
                  sha256);
    goto out;
  }
  if (!(out->bytes = malloc(size))) {
    err = pv_fail(PV_ERR_NOMEM, "store: out of memory");
    goto out;
  }
  memcpy(out->bytes, blob, size);
  out->size = size;
out:
  release(s);
  return err;
}

void pv_store_blob_free(pv_store_blob *blob) {
  if (!blob)
    return;
  free(blob->bytes);
  blob->bytes = NULL;
  blob->size = 0;
}

/* Ends an in-progress response with status. */
static pv_err end_response(pv_store *st, const char *uuid, pv_store_status status) {
  char now[PV_STORE_TIME_LEN + 1];
  int changes = 0;
  pv_err err;
  PV_ASSERT(st);
  if ((err = check_uuid("response", uuid)))
    return err;
  now_iso(st, now);
  if ((err =
           run(st, S_RESPONSE_END, "end response",
               (param[]){TXT(status_names[status]), TXT(now), TXT(uuid)}, 3, &changes)))
    return err;
  return changes ? PV_OK : expect_in_progress(st, uuid);
}

pv_err pv_store_finish(pv_store *st, const char *response_uuid) {
  return end_response(st, response_uuid, PV_STORE_COMPLETE);
}

pv_err pv_store_abandon(pv_store *st, const char *response_uuid) {
  return end_response(st, response_uuid, PV_STORE_ABANDONED);
}

/* Fills r (answers left empty) from a row of RESPONSE_COLUMNS. */
static void read_response_row(sqlite3_stmt *s, pv_store_response *r) {
  char status[16];
  memset(r, 0, sizeof *r);
  column_copy(s, 0, r->uuid, sizeof r->uuid);
  column_copy(s, 1, r->survey_id, sizeof r->survey_id);
  r->survey_version = sqlite3_column_int(s, 2);
  column_copy(s, 3, r->session_uuid, sizeof r->session_uuid);
  column_copy(s, 4, r->device_id, sizeof r->device_id);
  column_copy(s, 5, r->language, sizeof r->language);
  column_copy(s, 6, r->started_at, sizeof r->started_at);
  column_copy(s, 7, r->ended_at, sizeof r->ended_at);
  column_copy(s, 8, status, sizeof status);
  for (int i = 0; i < (int)(sizeof status_names / sizeof status_names[0]); i++)
    if (strcmp(status, status_names[i]) == 0)
      r->status = (pv_store_status)i;
  column_copy(s, 9, r->synced_at, sizeof r->synced_at);
  r->attempts = sqlite3_column_int(s, 10);
}

/* Loads r's answers (at most PV_STORE_MAX_ANSWERS) into r->answers. */
static pv_err load_answers(pv_store *st, pv_store_response *r) {
  sqlite3_stmt *s = NULL;
  size_t cap = 0;
  int rc;
  pv_err err = prepare(st, S_ANSWERS_OF, (param[]){TXT(r->uuid)}, 1, &s);
  if (err)
    return err;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    if (r->answer_count == PV_STORE_MAX_ANSWERS) {
      err = pv_fail(PV_ERR_TOOBIG, "store: response %s has too many answers", r->uuid);
      goto out;
    }
    if (r->answer_count == cap) {
      size_t more = cap ? cap * 2 : 16;
      pv_store_answer *grown = realloc(r->answers, more * sizeof *grown);
      if (!grown) {
        err = pv_fail(PV_ERR_NOMEM, "store: out of memory");
        goto out;
      }
      r->answers = grown;
      cap = more;
    }
    pv_store_answer *a = &r->answers[r->answer_count];
    memset(a, 0, sizeof *a);
    const char *value = (const char *)sqlite3_column_text(s, 1);
    if (!value || !(a->value = strdup(value))) {
      err = pv_fail(PV_ERR_NOMEM, "store: out of memory");
      goto out;
    }
    r->answer_count++;
    column_copy(s, 0, a->question_id, sizeof a->question_id);
    const char *measure = (const char *)sqlite3_column_text(s, 2);
    a->measure = measure && strcmp(measure, "qualitative") == 0 ? PV_QUALITATIVE
                                                                : PV_QUANTITATIVE;
    column_copy(s, 3, a->answered_at, sizeof a->answered_at);
    column_copy(s, 4, a->attachment, sizeof a->attachment);
  }
  if (rc != SQLITE_DONE)
    err = db_fail(st->db, st->path, rc, "reading answers");
out:
  release(s);
  return err;
}

pv_err pv_store_get_response(pv_store *st, const char *uuid, pv_store_response *out) {
  sqlite3_stmt *s = NULL;
  pv_err err;
  PV_ASSERT(st && out);
  memset(out, 0, sizeof *out);
  if ((err = check_uuid("response", uuid)))
    return err;
  if ((err = run(st, S_BEGIN_READ, "begin", NULL, 0, NULL)))
    return err;
  if ((err = prepare(st, S_RESPONSE_GET, (param[]){TXT(uuid)}, 1, &s)))
    goto out;
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW)
    read_response_row(s, out);
  else if (rc == SQLITE_DONE)
    err = pv_fail(PV_ERR_NOTFOUND, "store: no response %s", uuid);
  else
    err = db_fail(st->db, st->path, rc, "get response");
  release(s);
  if (!err)
    err = load_answers(st, out);
  if (!err)
    err = tx_commit(st);
out:
  if (err) {
    tx_rollback(st);
    pv_store_response_free(out);
  }
  return err;
}

void pv_store_response_free(pv_store_response *r) {
  if (!r)
    return;
  for (size_t i = 0; i < r->answer_count; i++)
    free(r->answers[i].value);
  free(r->answers);
  r->answers = NULL;
  r->answer_count = 0;
}

/* A batch size asked for, clamped to 1..PV_STORE_MAX_BATCH. */
static size_t batch_size(size_t max) {
  return max < 1 ? 1 : max > PV_STORE_MAX_BATCH ? PV_STORE_MAX_BATCH : max;
}

pv_err pv_store_pending(pv_store *st, size_t max, pv_store_batch *out) {
  return pv_store_pending_after(st, max, NULL, NULL, out);
}

/* One page of responses in (started_at, uuid) order by statement which
 * (S_PENDING_AFTER or S_FINISHED_AFTER), with their answers. */
static pv_err responses_after(pv_store *st, int which, const char *session_uuid,
                              size_t max, const char *after_started_at,
                              const char *after_uuid, pv_store_batch *out) {
  sqlite3_stmt *s = NULL;
  pv_err err;
  int rc = SQLITE_DONE;
  PV_ASSERT(st && out);
  memset(out, 0, sizeof *out);
  max = batch_size(max);
  if (!(out->responses = calloc(max, sizeof *out->responses)))
    return pv_fail(PV_ERR_NOMEM, "store: out of memory");
  /* One read transaction: the batch is one snapshot. */
  if ((err = run(st, S_BEGIN_READ, "begin", NULL, 0, NULL)))
    goto out;
  if (!after_started_at || !after_uuid)
    after_started_at = after_uuid = NULL;
  if ((err = prepare(st, which,
                     (param[]){NUM((int64_t)max), TXT(after_started_at),
                               TXT(after_uuid), TXT(session_uuid)},
                     which == S_FINISHED_AFTER ? 4 : 3, &s)))
    goto out;
  while (out->count < max && (rc = sqlite3_step(s)) == SQLITE_ROW)
    read_response_row(s, &out->responses[out->count++]);
  if (out->count < max && rc != SQLITE_DONE)
    err = db_fail(st->db, st->path, rc, "responses after");
  release(s);
  for (size_t i = 0; !err && i < out->count; i++)
    err = load_answers(st, &out->responses[i]);
  if (!err)
    err = tx_commit(st);
out:
  if (err) {
    tx_rollback(st);
    pv_store_batch_free(out);
  }
  return err;
}

pv_err pv_store_pending_after(pv_store *st, size_t max, const char *after_started_at,
                              const char *after_uuid, pv_store_batch *out) {
  return responses_after(st, S_PENDING_AFTER, NULL, max, after_started_at, after_uuid,
                         out);
}

pv_err pv_store_finished_after(pv_store *st, const char *session_uuid, size_t max,
                               const char *after_started_at, const char *after_uuid,
                               pv_store_batch *out) {
  pv_err err;
  if (session_uuid && (err = check_uuid("session", session_uuid)))
    return err;
  return responses_after(st, S_FINISHED_AFTER, session_uuid, max, after_started_at,
                         after_uuid, out);
}

void pv_store_batch_free(pv_store_batch *batch) {
  if (!batch)
    return;
  for (size_t i = 0; i < batch->count; i++)
    pv_store_response_free(&batch->responses[i]);
  free(batch->responses);
  batch->responses = NULL;
  batch->count = 0;
}

typedef struct ack_ctx {
  const char *const *uuids;
  const char *now;
} ack_ctx;

static pv_err ack_one(pv_store *st, const void *ud, size_t i) {
  const ack_ctx *a = ud;
  int changes = 0;
  pv_store_status status;
  pv_err err;
  if ((err = run(st, S_ACK, "ack", (param[]){TXT(a->now), TXT(a->uuids[i])}, 2,
                 &changes)) ||
      changes)
    return err;
  /* Unknown, unfinished, or acknowledged before (fine: keep that time). */
  if ((err = response_status(st, a->uuids[i], &status)))
    return err;
  if (status == PV_STORE_IN_PROGRESS)
    return pv_fail(PV_ERR_STATE, "store: response %s is still in progress",
                   a->uuids[i]);
  return PV_OK;
}

pv_err pv_store_ack(pv_store *st, const char *const *uuids, size_t n) {
  char now[PV_STORE_TIME_LEN + 1];
  pv_err err;
  PV_ASSERT(st && (uuids || n == 0));
  for (size_t i = 0; i < n; i++)
    if ((err = check_uuid("acknowledged response", uuids[i])))
      return err;
  now_iso(st, now);
  return each_in_tx(st, n, ack_one, &(ack_ctx){uuids, now});
}

pv_err pv_store_note_failure(pv_store *st, const char *uuid, const char *error) {
  char text[PV_STORE_MAX_TEXT + 1];
  int changes = 0;
  pv_err err;
  PV_ASSERT(st);
  if ((err = check_uuid("response", uuid)))
    return err;
  snprintf(text, sizeof text, "%s", error ? error : "");
  if ((err = run(st, S_FAILURE, "note failure", (param[]){TXT(text), TXT(uuid)}, 2,
                 &changes)))
    return err;
  return changes ? PV_OK : pv_fail(PV_ERR_NOTFOUND, "store: no response %s", uuid);
}

pv_err pv_store_purge(pv_store *st, int days, size_t *purged) {
  char cutoff[PV_STORE_TIME_LEN + 1];
  int changes = 0;
  pv_err err;
  PV_ASSERT(st);
  if (days < 0 || days > MAX_RETENTION_DAYS)
    return pv_fail(PV_ERR_INVALID, "store: retention of %d days", days);
  /* ISO texts of one fixed width compare like the times they name. */
  pv_time_iso(pv_clock_now(&st->clock) - days * DAY_MS, cutoff);
  if ((err = tx_begin(st)))
    return err;
  if ((err = run(st, S_PURGE_RESPONSES, "purge responses", (param[]){TXT(cutoff)}, 1,
                 &changes)) ||
      (err = run(st, S_PURGE_SESSIONS, "purge sessions", (param[]){TXT(cutoff)}, 1,
                 NULL)) ||
      (err = run(st, S_PURGE_ATTACHMENTS, "purge attachments", NULL, 0, NULL)) ||
      (err = tx_commit(st))) {
    tx_rollback(st);
    return err;
  }
  if (changes)
    PV_INFO("store: %s: purged %d acknowledged responses older than %s", st->path,
            changes, cutoff);
  if (purged)
    *purged = (size_t)changes;
  return PV_OK;
}

pv_err pv_store_count(pv_store *st, const char *session_uuid, pv_store_counts *out) {
  sqlite3_stmt *s = NULL;
  pv_err err;
  PV_ASSERT(st && out);
  memset(out, 0, sizeof *out);
  if (session_uuid && (err = check_uuid("session", session_uuid)))
    return err;
  if ((err = prepare(st, S_COUNT, (param[]){TXT(session_uuid)}, 1, &s)))
    return err;
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    out->in_progress = (size_t)sqlite3_column_int64(s, 0);
    out->complete = (size_t)sqlite3_column_int64(s, 1);
    out->abandoned = (size_t)sqlite3_column_int64(s, 2);
    out->pending = (size_t)sqlite3_column_int64(s, 3);
    out->synced = (size_t)sqlite3_column_int64(s, 4);
  } else {
    err = db_fail(st->db, st->path, rc, "count");
  }
  release(s);
  return err;
}

pv_err pv_store_unsynced_count(pv_store *st, const char *survey_id, int version,
                               size_t *n) {
  sqlite3_stmt *s = NULL;
  pv_err err;
  PV_ASSERT(st && survey_id && n);
  *n = 0;
  if ((err = prepare(st, S_UNSYNCED_COUNT, (param[]){TXT(survey_id), NUM(version)}, 2,
                     &s)))
    return err;
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW)
    *n = (size_t)sqlite3_column_int64(s, 0);
  else
    err = db_fail(st->db, st->path, rc, "unsynced count");
  release(s);
  return err;
}

/* ---- sessions -------------------------------------------------------- */

static const char *const session_kinds[] = {"kiosk", "table_de_quartier",
                                            "marche_exploratoire", "atelier", NULL};

const char *pv_store_session_kind(size_t i) {
  return i < sizeof session_kinds / sizeof session_kinds[0] ? session_kinds[i] : NULL;
}

int pv_store_session_kind_valid(const char *kind) {
  for (size_t i = 0; kind && session_kinds[i]; i++)
    if (strcmp(kind, session_kinds[i]) == 0)
      return 1;
  return 0;
}

pv_err pv_store_session_begin(pv_store *st, const pv_store_session *info,
                              char uuid_out[PV_UUID_LEN + 1]) {
  char uuid[PV_UUID_LEN + 1], now[PV_STORE_TIME_LEN + 1];
  pv_err err;
  PV_ASSERT(st && info && uuid_out);
  /* The struct's arrays bound the lengths; strnlen finds an unterminated one. */
  if ((err = check_text("session kind", info->kind, PV_STORE_MAX_ID, 0)) ||
      (err = check_text("place", info->place, PV_STORE_MAX_TEXT, 1)) ||
      (err = check_text("qpv code", info->qpv_code, PV_STORE_MAX_ID, 1)) ||
      (err = check_text("qpv name", info->qpv_name, PV_STORE_MAX_TEXT, 1)) ||
      (err = check_text("animateur initials", info->animateur, PV_STORE_MAX_INITIALS,
                        1)) ||
      (err = pv_uuid_v4(uuid)))
    return err;
  if (!pv_store_session_kind_valid(info->kind))
    return pv_fail(PV_ERR_INVALID, "store: unknown session kind %.64s", info->kind);
  now_iso(st, now);
  if ((err = run(st, S_SESSION_INSERT, "begin session",
                 (param[]){TXT(uuid), TXT(info->kind), TXT(info->place),
                           TXT(info->qpv_code), TXT(info->qpv_name),
                           TXT(info->animateur), TXT(now)},
                 7, NULL)))
    return err;
  memcpy(uuid_out, uuid, sizeof uuid);
  return PV_OK;
}

pv_err pv_store_session_end(pv_store *st, const char *uuid) {
  char now[PV_STORE_TIME_LEN + 1];
  int changes = 0;
  pv_store_session session;
  pv_err err;
  PV_ASSERT(st);
  if ((err = check_uuid("session", uuid)))
    return err;
  now_iso(st, now);
  if ((err = run(st, S_SESSION_END, "end session", (param[]){TXT(now), TXT(uuid)}, 2,
                 &changes)))
    return err;
  if (changes)
    return PV_OK;
  if ((err = pv_store_session_get(st, uuid, &session)))
    return err;
  return pv_fail(PV_ERR_STATE, "store: session %s has ended", uuid);
}

/* Copies a row of SESSION_COLUMNS into *out. */
static void read_session_row(sqlite3_stmt *s, void *row) {
  pv_store_session *out = row;
  column_copy(s, 0, out->uuid, sizeof out->uuid);
  column_copy(s, 1, out->kind, sizeof out->kind);
  column_copy(s, 2, out->place, sizeof out->place);
  column_copy(s, 3, out->qpv_code, sizeof out->qpv_code);
  column_copy(s, 4, out->qpv_name, sizeof out->qpv_name);
  column_copy(s, 5, out->animateur, sizeof out->animateur);
  column_copy(s, 6, out->started_at, sizeof out->started_at);
  column_copy(s, 7, out->ended_at, sizeof out->ended_at);
}

pv_err pv_store_session_get(pv_store *st, const char *uuid, pv_store_session *out) {
  sqlite3_stmt *s = NULL;
  pv_err err;
  PV_ASSERT(st && out);
  memset(out, 0, sizeof *out);
  if ((err = check_uuid("session", uuid)))
    return err;
  if ((err = prepare(st, S_SESSION_GET, (param[]){TXT(uuid)}, 1, &s)))
    return err;
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    read_session_row(s, out);
  } else if (rc == SQLITE_DONE) {
    err = pv_fail(PV_ERR_NOTFOUND, "store: no session %s", uuid);
  } else {
    err = db_fail(st->db, st->path, rc, "get session");
  }
  release(s);
  return err;
}

/* Runs statement id (params: the row limit first, then more) into a
 * malloc'd *out of *n rows of elem bytes, each zeroed then filled by fill;
 * PV_ERR_TOOBIG when it gives more than cap. what names the rows. */
static pv_err read_rows(pv_store *st, enum stmt_id id, const param *params, int np,
                        size_t cap, size_t elem, void (*fill)(sqlite3_stmt *, void *),
                        const char *what, void **out, size_t *n) {
  sqlite3_stmt *s = NULL;
  char *rows = NULL;
  size_t count = 0, room = 0;
  int rc;
  pv_err err;
  *out = NULL;
  *n = 0;
  if ((err = prepare(st, id, params, np, &s)))
    return err;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    if (count == cap) {
      err = pv_fail(PV_ERR_TOOBIG, "store: %s: more than %zu %s", st->path, cap, what);
      goto out;
    }
    if (count == room) {
      size_t want = room ? room * 2 : 16;
      char *grown = realloc(rows, want * elem);
      if (!grown) {
        err = pv_fail(PV_ERR_NOMEM, "store: list of %zu %s", want, what);
        goto out;
      }
      rows = grown;
      room = want;
    }
    memset(rows + count * elem, 0, elem);
    fill(s, rows + count++ * elem);
  }
  if (rc != SQLITE_DONE) {
    err = db_fail(st->db, st->path, rc, what);
    goto out;
  }
  *out = rows;
  *n = count;
  rows = NULL;
out:
  release(s);
  free(rows);
  return err;
}

/* Runs sessions statement id (params: the row limit first) into *out. */
static pv_err session_rows(pv_store *st, enum stmt_id id, const param *params, int np,
                           size_t cap, pv_store_session **out, size_t *n) {
  void *rows = NULL;
  pv_err err = read_rows(st, id, params, np, cap, sizeof **out, read_session_row,
                         "sessions", &rows, n);
  *out = rows;
  return err;
}

pv_err pv_store_session_list(pv_store *st, pv_store_session **out, size_t *n) {
  PV_ASSERT(st && out && n);
  return session_rows(st, S_SESSION_LIST, (param[]){NUM(PV_STORE_MAX_SESSIONS + 1)}, 1,
                      PV_STORE_MAX_SESSIONS, out, n);
}

pv_err pv_store_sessions_pending(pv_store *st, size_t max, pv_store_session **out,
                                 size_t *n) {
  return pv_store_sessions_pending_after(st, max, NULL, out, n);
}

pv_err pv_store_sessions_pending_after(pv_store *st, size_t max,
                                       const pv_store_session *after,
                                       pv_store_session **out, size_t *n) {
  PV_ASSERT(st && out && n);
  max = batch_size(max);
  return session_rows(st, S_SESSIONS_PENDING,
                      (param[]){NUM((int64_t)max),
                                TXT(after ? after->started_at : NULL),
                                TXT(after ? after->uuid : NULL)},
                      3, max, out, n);
}

static pv_err session_ack_one(pv_store *st, const void *ud, size_t i) {
  const pv_store_session *s = (const pv_store_session *)ud + i;
  pv_store_session here;
  int changes = 0;
  pv_err err;
  if ((err = run(st, S_SESSION_ACK, "ack session",
                 (param[]){TXT(s->ended_at), TXT(s->uuid)}, 2, &changes)) ||
      changes)
    return err;
  /* Unknown, acknowledged before (fine), or an ended form never had. */
  if ((err = pv_store_session_get(st, s->uuid, &here)))
    return err;
  if (s->ended_at[0] && !here.ended_at[0])
    return pv_fail(PV_ERR_STATE, "store: session %s is still running", s->uuid);
  return PV_OK;
}

pv_err pv_store_sessions_ack(pv_store *st, const pv_store_session *s, size_t n) {
  pv_err err;
  PV_ASSERT(st && (s || n == 0));
  for (size_t i = 0; i < n; i++)
    if ((err = check_uuid("acknowledged session", s[i].uuid)))
      return err;
  return each_in_tx(st, n, session_ack_one, s);
}

/* ---- settings and sync state ------------------------------------------ */

typedef struct kv_table {
  enum stmt_id get, set, del;
  const char *what;
} kv_table;

static const kv_table settings_table = {S_SETTING_GET, S_SETTING_SET, S_SETTING_DEL,
                                        "setting"};
static const kv_table sync_table = {S_SYNC_GET, S_SYNC_SET, S_SYNC_DEL, "sync state"};

static pv_err kv_get(pv_store *st, const kv_table *t, const char *key,
                     char **value_out) {
  sqlite3_stmt *s = NULL;
  pv_err err;
  PV_ASSERT(st && value_out);
  *value_out = NULL;
  if ((err = check_text(t->what, key, PV_STORE_MAX_KEY, 0)))
    return err;
  if ((err = prepare(st, t->get, (param[]){TXT(key)}, 1, &s)))
    return err;
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    const char *value = (const char *)sqlite3_column_text(s, 0);
    if (!value || !(*value_out = strdup(value)))
      err = pv_fail(PV_ERR_NOMEM, "store: out of memory");
  } else if (rc == SQLITE_DONE) {
    err = pv_fail(PV_ERR_NOTFOUND, "store: no %s %s", t->what, key);
  } else {
    err = db_fail(st->db, st->path, rc, t->what);
  }
  release(s);
  return err;
}

static pv_err kv_set(pv_store *st, const kv_table *t, const char *key,
                     const char *value) {
  pv_err err;
  PV_ASSERT(st);
  if ((err = check_text(t->what, key, PV_STORE_MAX_KEY, 0)) ||
      (value && (err = check_text(key, value, PV_STORE_MAX_SETTING, 1))))
    return err;
  if (value)
    return run(st, t->set, t->what, (param[]){TXT(key), TXT(value)}, 2, NULL);
  return run(st, t->del, t->what, (param[]){TXT(key)}, 1, NULL);
}

pv_err pv_store_setting_get(pv_store *st, const char *key, char **value_out) {
  return kv_get(st, &settings_table, key, value_out);
}

pv_err pv_store_setting_set(pv_store *st, const char *key, const char *value) {
  if (key && strcmp(key, "device_id") == 0)
    return pv_fail(PV_ERR_INVALID, "store: device_id belongs to the store");
  return kv_set(st, &settings_table, key, value);
}

pv_err pv_store_sync_get(pv_store *st, const char *key, char **value_out) {
  return kv_get(st, &sync_table, key, value_out);
}

pv_err pv_store_sync_set(pv_store *st, const char *key, const char *value) {
  return kv_set(st, &sync_table, key, value);
}

/* ---- recorded prompts -------------------------------------------------- */

/* Returns 1 when the n bytes at s are an id: a-z first, then a-z, 0-9, '-',
 * '_', 1..PV_STORE_MAX_ID bytes (the wire's pv_proto_id_valid). */
static int id_ok(const char *s, size_t n) {
  if (n == 0 || n > PV_STORE_MAX_ID || !(s[0] >= 'a' && s[0] <= 'z'))
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return 0;
  }
  return 1;
}

int pv_store_prompt_key_valid(const char *key) {
  if (!key || strnlen(key, PV_STORE_MAX_PROMPT_KEY + 1) > PV_STORE_MAX_PROMPT_KEY ||
      (key[0] != 'q' && key[0] != 'o') || key[1] != ':')
    return 0;
  const char *ids = key + 2;
  if (key[0] == 'q')
    return id_ok(ids, strlen(ids));
  const char *colon = strchr(ids, ':');
  return colon && id_ok(ids, (size_t)(colon - ids)) &&
         id_ok(colon + 1, strlen(colon + 1));
}

/* Returns PV_OK when (survey_id, key, lang) can name a recording. */
static pv_err check_prompt_names(const char *survey_id, const char *key,
                                 const char *lang) {
  if (!survey_id || !id_ok(survey_id, strnlen(survey_id, PV_STORE_MAX_ID + 1)))
    return pv_fail(PV_ERR_INVALID, "store: prompt: bad survey id %.70s",
                   survey_id ? survey_id : "(null)");
  if (!pv_store_prompt_key_valid(key))
    return pv_fail(PV_ERR_INVALID, "store: prompt: bad key %.150s",
                   key ? key : "(null)");
  if (!lang || !pv_lang_tag_valid(lang))
    return pv_fail(PV_ERR_INVALID, "store: prompt: bad language tag %.40s",
                   lang ? lang : "(null)");
  return PV_OK;
}

/* Returns PV_OK for a recording's media type and length. */
static pv_err check_prompt_bytes(const char *media_type, const void *bytes,
                                 size_t len) {
  pv_err err = check_text("media type", media_type, PV_STORE_MAX_MEDIA_TYPE, 0);
  if (err)
    return err;
  if (!media_type_ok(media_type))
    return pv_fail(PV_ERR_INVALID, "store: bad media type %.40s", media_type);
  if (!bytes || len == 0)
    return pv_fail(PV_ERR_INVALID, "store: empty recording");
  if (len > PV_STORE_MAX_ATTACHMENT)
    return pv_fail(PV_ERR_TOOBIG, "store: recording of %zu bytes (at most %d)", len,
                   PV_STORE_MAX_ATTACHMENT);
  return PV_OK;
}

/* Copies a row of PROMPT_COLUMNS into *out. */
static void read_prompt_row(sqlite3_stmt *s, void *row) {
  pv_store_prompt *out = row;
  memset(out, 0, sizeof *out);
  column_copy(s, 0, out->survey_id, sizeof out->survey_id);
  column_copy(s, 1, out->key, sizeof out->key);
  column_copy(s, 2, out->lang, sizeof out->lang);
  column_copy(s, 3, out->sha256, sizeof out->sha256);
  column_copy(s, 4, out->media_type, sizeof out->media_type);
  out->size = (size_t)sqlite3_column_int64(s, 5);
  column_copy(s, 6, out->recorded_at, sizeof out->recorded_at);
  column_copy(s, 7, out->device_id, sizeof out->device_id);
  out->synced = sqlite3_column_int(s, 8) != 0;
  out->deleted = sqlite3_column_int(s, 9) != 0;
}

/* Sets *found and, when 1, *out to the entry of (survey, key, lang). */
static pv_err prompt_get(pv_store *st, const char *survey_id, const char *key,
                         const char *lang, pv_store_prompt *out, int *found) {
  sqlite3_stmt *s = NULL;
  pv_err err =
      prepare(st, S_PROMPT_GET, (param[]){TXT(survey_id), TXT(key), TXT(lang)}, 3, &s);
  *found = 0;
  if (err)
    return err;
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    read_prompt_row(s, out);
    *found = 1;
  } else if (rc != SQLITE_DONE) {
    err = db_fail(st->db, st->path, rc, "get prompt");
  }
  release(s);
  return err;
}

/* Inside the caller's transaction: keeps the bytes by row->sha256 and
 * writes row (a recording) over any entry of its (survey, key, lang). */
static pv_err put_prompt(pv_store *st, const pv_store_prompt *row, const void *bytes) {
  sqlite3_stmt *s = NULL;
  pv_err err = prepare(
      st, S_ATTACHMENT_INSERT,
      (param[]){TXT(row->sha256), TXT(row->media_type), NUM((int64_t)row->size)}, 3,
      &s);
  if (err)
    return err;
  int rc = sqlite3_bind_blob64(s, 4, bytes, row->size, SQLITE_STATIC);
  if (rc == SQLITE_OK)
    rc = sqlite3_step(s);
  release(s);
  if (rc != SQLITE_DONE)
    return db_fail(st->db, st->path, rc, "store recording");
  return run(st, S_PROMPT_UPSERT, "put prompt",
             (param[]){TXT(row->survey_id), TXT(row->key), TXT(row->lang),
                       TXT(row->sha256), TXT(row->media_type), NUM((int64_t)row->size),
                       TXT(row->recorded_at), TXT(row->device_id), NUM(row->synced)},
             9, NULL);
}

pv_err pv_store_prompt_record(pv_store *st, const pv_store_prompt *p,
                              const char *media_type, const void *bytes, size_t len,
                              pv_store_prompt *out) {
  pv_store_prompt row;
  pv_err err;
  PV_ASSERT(st && p);
  if ((err = check_prompt_names(p->survey_id, p->key, p->lang)) ||
      (err = check_prompt_bytes(media_type, bytes, len)))
    return err;
  memset(&row, 0, sizeof row);
  snprintf(row.survey_id, sizeof row.survey_id, "%s", p->survey_id);
  snprintf(row.key, sizeof row.key, "%s", p->key);
  snprintf(row.lang, sizeof row.lang, "%s", p->lang);
  snprintf(row.media_type, sizeof row.media_type, "%s", media_type);
  snprintf(row.device_id, sizeof row.device_id, "%s", st->device_id);
  row.size = len;
  now_iso(st, row.recorded_at);
  if ((err = pv_sha256_hex(bytes, len, row.sha256)) || (err = tx_begin(st)))
    return err;
  if ((err = put_prompt(st, &row, bytes)) || (err = tx_commit(st)))
    tx_rollback(st);
  else if (out)
    *out = row;
  return err;
}

/* Returns PV_OK when p (a recording, not a tombstone) and its len bytes
 * agree and can be stored. */
static pv_err check_received(const pv_store_prompt *p, const void *bytes, size_t len) {
  char sha[PV_SHA256_HEX + 1];
  int64_t ms;
  pv_err err;
  if ((err = check_prompt_bytes(p->media_type, bytes, len)))
    return err;
  if (pv_time_parse(p->recorded_at, &ms) != 0)
    return pv_fail(PV_ERR_INVALID, "store: prompt: bad recorded_at %.40s",
                   p->recorded_at);
  if ((err = check_uuid("prompt's device", p->device_id)))
    return err;
  if (!pv_sha256_valid(p->sha256))
    return pv_fail(PV_ERR_INVALID, "store: prompt: not a sha256: %.70s", p->sha256);
  if ((err = pv_sha256_hex(bytes, len, sha)))
    return err;
  if (strcmp(sha, p->sha256) != 0)
    return pv_fail(PV_ERR_INVALID,
                   "store: prompt %s %s %s: the bytes hash to %s, not %s", p->survey_id,
                   p->key, p->lang, sha, p->sha256);
  return PV_OK;
}

pv_err pv_store_prompt_receive(pv_store *st, const pv_store_prompt *p,
                               const void *bytes, size_t len, int *kept) {
  pv_store_prompt row, here;
  int found = 0, changed = 0;
  pv_err err;
  PV_ASSERT(st && p);
  if (kept)
    *kept = 0;
  if ((err = check_prompt_names(p->survey_id, p->key, p->lang)) ||
      (!p->deleted && (err = check_received(p, bytes, len))))
    return err;
  row = *p;
  row.size = len;
  row.synced = 1;
  row.deleted = 0;
  /* The decision and the write in one write transaction: a take kept on
   * another connection meanwhile is seen here, never overwritten. */
  if ((err = tx_begin(st)))
    return err;
  if ((err = prompt_get(st, p->survey_id, p->key, p->lang, &here, &found)))
    goto out;
  if (found && !here.synced) /* pending here: it will upload and be current */
    goto out;
  if (p->deleted) {
    if (found &&
        (err = run(st, S_PROMPT_DELETE, "delete prompt",
                   (param[]){TXT(p->survey_id), TXT(p->key), TXT(p->lang)}, 3, NULL)))
      goto out;
    changed = found;
  } else if (!found || strcmp(here.sha256, p->sha256) != 0) {
    if ((err = put_prompt(st, &row, bytes)))
      goto out;
    changed = 1;
  }
out:
  if (!err)
    err = tx_commit(st);
  if (err) {
    tx_rollback(st);
    return err;
  }
  if (kept)
    *kept = changed;
  return PV_OK;
}

pv_err pv_store_prompt_delete(pv_store *st, const char *survey_id, const char *key,
                              const char *lang) {
  char now[PV_STORE_TIME_LEN + 1];
  int changes = 0;
  pv_err err;
  PV_ASSERT(st);
  if ((err = check_prompt_names(survey_id, key, lang)))
    return err;
  now_iso(st, now);
  if ((err = run(
           st, S_PROMPT_TOMBSTONE, "delete prompt",
           (param[]){TXT(survey_id), TXT(key), TXT(lang), TXT(now), TXT(st->device_id)},
           5, &changes)))
    return err;
  return changes ? PV_OK
                 : pv_fail(PV_ERR_NOTFOUND, "store: no recording of %s %s in %s",
                           survey_id, key, lang);
}

pv_err pv_store_prompt_get(pv_store *st, const char *survey_id, const char *key,
                           const char *lang, pv_store_prompt *out) {
  int found = 0;
  pv_err err;
  PV_ASSERT(st && out);
  if ((err = check_prompt_names(survey_id, key, lang)) ||
      (err = prompt_get(st, survey_id, key, lang, out, &found)))
    return err;
  return found ? PV_OK
               : pv_fail(PV_ERR_NOTFOUND, "store: no recording of %s %s in %s",
                         survey_id, key, lang);
}

/* Runs prompts statement id (params: the row limit, then more) into a
 * malloc'd *out of at most limit rows. */
static pv_err prompt_rows(pv_store *st, enum stmt_id id, const param *params, int np,
                          size_t limit, pv_store_prompt **out, size_t *n) {
  void *rows = NULL;
  pv_err err = read_rows(st, id, params, np, limit, sizeof **out, read_prompt_row,
                         "prompts", &rows, n);
  *out = rows;
  return err;
}

pv_err pv_store_prompt_list(pv_store *st, const char *survey_id, pv_store_prompt **out,
                            size_t *n) {
  pv_err err;
  PV_ASSERT(st && out && n);
  *out = NULL;
  *n = 0;
  if (survey_id && (err = check_text("survey id", survey_id, PV_STORE_MAX_ID, 0)))
    return err;
  if ((err = prompt_rows(st, S_PROMPT_LIST,
                         (param[]){NUM(PV_STORE_MAX_PROMPTS + 1), TXT(survey_id)}, 2,
                         PV_STORE_MAX_PROMPTS + 1, out, n)))
    return err;
  if (*n > PV_STORE_MAX_PROMPTS) {
    PV_WARN("store: %s: more than %d recorded prompts, the rest are left out", st->path,
            PV_STORE_MAX_PROMPTS);
    *n = PV_STORE_MAX_PROMPTS;
  }
  return PV_OK;
}

pv_err pv_store_prompts_pending(pv_store *st, size_t max, pv_store_prompt **out,
                                size_t *n) {
  PV_ASSERT(st && out && n);
  max = batch_size(max);
  return prompt_rows(st, S_PROMPTS_PENDING, (param[]){NUM((int64_t)max)}, 1, max, out,
                     n);
}

/* A recording replaced or deleted since it was sent matches nothing; an
 * acknowledged deletion is dropped (the collector keeps the tombstone). */
static pv_err prompt_ack_one(pv_store *st, const void *ud, size_t i) {
  const pv_store_prompt *p = (const pv_store_prompt *)ud + i;
  if (p->deleted)
    return run(
        st, S_PROMPT_ACK_DELETE, "ack prompt deletion",
        (param[]){TXT(p->survey_id), TXT(p->key), TXT(p->lang), TXT(p->recorded_at)}, 4,
        NULL);
  return run(st, S_PROMPT_ACK, "ack prompt",
             (param[]){TXT(p->survey_id), TXT(p->key), TXT(p->lang), TXT(p->sha256)}, 4,
             NULL);
}

pv_err pv_store_prompts_ack(pv_store *st, const pv_store_prompt *p, size_t n) {
  pv_err err;
  PV_ASSERT(st && (p || n == 0));
  for (size_t i = 0; i < n; i++) {
    if ((err = check_prompt_names(p[i].survey_id, p[i].key, p[i].lang)))
      return err;
    if (p[i].deleted && (err = check_text("acknowledged deletion's time",
                                          p[i].recorded_at, PV_STORE_TIME_LEN, 0)))
      return err;
    if (!p[i].deleted && !pv_sha256_valid(p[i].sha256))
      return pv_fail(PV_ERR_INVALID, "store: acknowledged prompt: not a sha256");
  }
  return each_in_tx(st, n, prompt_ack_one, p);
}
