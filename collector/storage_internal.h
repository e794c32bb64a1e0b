/* storage_internal: the seam between collector/storage.c and its two
 * backends (storage_sqlite.c, storage_pg.c). Private to collector/.
 *
 * All of the storage logic (checks, publish rules, ingest outcomes,
 * export) lives once in storage.c and talks to the database through a
 * small driver: transactions, and named statements (enum cdb_q) whose SQL
 * each backend writes in its own dialect, run with bound parameters and
 * read row by row. So both backends behave the same by construction, and
 * each keeps only its SQL, its migrations and its library calls.
 *
 * A connection runs one statement at a time: read a statement's rows
 * (step) and end it before running the next. */
#ifndef PV_COLLECTOR_STORAGE_INTERNAL_H
#define PV_COLLECTOR_STORAGE_INTERNAL_H

#include <stddef.h>

#include "collector/storage.h"

#define CDB_MAX_PARAMS 16       /* bound parameters of one statement */
#define CDB_LOCK_KEY 0x50564344 /* "PVCD": PostgreSQL advisory lock for migrations */

/* Every statement the logic runs; each backend has the SQL for each,
 * with the same parameters ($1.. / ?1..) and the same result columns. */
typedef enum cdb_q {
  Q_SCHEMA_LOCK,     /* serialises migrators and publishers (no rows) */
  Q_SCHEMA_TABLE,    /* creates the migrations table if absent */
  Q_SCHEMA_VERSION,  /* -> max applied version, 0 when none */
  Q_SCHEMA_MARK,     /* $1 version */
  Q_TERRITORY_ADD,   /* $1 code, $2 name, $3 now */
  Q_TERRITORY_GET,   /* $1 code -> code, name */
  Q_TERRITORY_LIST,  /* -> code, name, by code */
  Q_TOKEN_ADD,       /* $1 kind, $2 territory, $3 name, $4 hash, $5 now -> id */
  Q_TOKEN_LIVE,      /* $1 kind, $2 territory, $3 name -> id */
  Q_TOKEN_REVOKE,    /* $1 kind, $2 territory, $3 name, $4 now -> id */
  Q_TOKEN_LOOKUP,    /* $1 hash -> id, kind, territory, name, revoked */
  Q_BLOB_PUT,        /* $1 sha, $2 media type, $3 size, $4 bytes */
  Q_BLOB_GET,        /* $1 sha -> media type, bytes (binary result) */
  Q_BLOB_SIZE,       /* $1 sha -> size */
  Q_VERSION_GET,     /* $1 id, $2 version -> manifest */
  Q_VERSION_ADD,     /* $1 id, $2 version, $3 manifest, $4 now */
  Q_FILE_ADD,        /* $1 id, $2 version, $3 path, $4 sha, $5 size */
  Q_VISIBLE,         /* $1 id, $2 version, $3 territory or '*' -> 1 */
  Q_PUBLICATION_ADD, /* $1 id, $2 version, $3 territory or '*', $4 now */
  Q_CATALOG,         /* $1 territory -> id, version, path, sha, size */
  Q_SURVEY_FILES,    /* $1 id, $2 version -> path, sha, size */
  Q_SURVEY_HAS_FILE, /* $1 territory, $2 sha -> 1 */
  Q_RESPONSE_ADD,    /* see storage.c ingest_one -> 1 when inserted */
  Q_RESPONSE_WHO,    /* $1 uuid -> territory, hash */
  Q_ATTACHMENT_PUT,  /* $1 territory, $2 sha, $3 type, $4 size, $5 bytes, $6 now -> 1 */
  Q_ATTACHMENT_HAS,  /* $1 territory, $2 sha -> 1 */
  Q_ATTACHMENT_GET,  /* $1 territory, $2 sha -> media type, bytes (binary result) */
  Q_EXPORT,          /* $1 territory, $2 survey, $3 from, $4 to, $5 session
                      -> body, the session's body or NULL */
  Q_EXPORT_ALL,      /* the same for every territory ($1 NULL, unused) */
  Q_COUNT,           /* $1 territory|NULL, $2 survey|NULL -> count */
  Q_SESSION_ADD,     /* see storage.c session_one -> 1 when inserted */
  Q_SESSION_WHO,     /* $1 uuid -> territory, hash, body */
  Q_SESSION_END,     /* $1 uuid, $2 ended_at, $3 hash, $4 body, $5 now -> 1 */
  Q_QUARTIER_ADD,    /* $1 territory, $2 code, $3 name, $4 now */
  Q_QUARTIER_LIST,   /* $1 territory -> code, name, by code */
  Q_ATTACHMENT_SIZE, /* $1 territory, $2 sha -> size */
  Q_PROMPT_GET,      /* $1 territory, $2 survey, $3 key, $4 lang
                      -> deleted (0/1), sha256 ("" for a tombstone) */
  Q_PROMPT_PUT,      /* $1 territory, $2 survey, $3 key, $4 lang, $5 deleted,
                      $6 sha|NULL, $7 type|NULL, $8 size|NULL, $9 recorded_at,
                      $10 device uuid, $11 device id|NULL, $12 now:
                      insert or replace */
  Q_PROMPT_LIST,     /* $1 territory -> survey, key, lang, deleted, sha, type,
                      size, recorded_at, device uuid, received_at; by survey,
                      key, lang */
  Q_PROMPT_AUDIO,    /* $1 territory, $2 sha -> 1 when a current recording
                      (not a tombstone) names it and no answer does */
  Q_PROMPT_COUNT,    /* $1 territory -> current recordings, all entries */
  Q_PROMPT_SURVEY,   /* $1 survey, $2 territory -> survey.json bytes (binary
                      result) of each version published for the territory,
                      newest first, at most 32 */
  Q_ATTACHMENT_AUDIO,    /* $1 territory, $2 sha -> size, media type, answered
                          (1 when an answer of a response names it) */
  Q_ATTACHMENT_ANSWERED, /* $1 territory, $2 sha: an answer names it */
  Q_DEVICE_ELSEWHERE,    /* $1 device uuid, $2 principal name|NULL, $3 territory
                          -> another territory holding that device's data */
  Q__COUNT
} cdb_q;

typedef enum cdb_type { CDB_NULL, CDB_TEXT, CDB_INT, CDB_BLOB } cdb_type;

/* One bound parameter; build them with the macros below. */
typedef struct cdb_param {
  cdb_type type;
  const char *text;
  long long num;
  const void *bytes;
  size_t len;
} cdb_param;

/* Text (NULL binds SQL NULL), integer, bytes. */
#define P_TEXT(s) ((cdb_param){.type = (s) ? CDB_TEXT : CDB_NULL, .text = (s)})
#define P_INT(n) ((cdb_param){.type = CDB_INT, .num = (n)})
#define P_BLOB(p, n) ((cdb_param){.type = CDB_BLOB, .bytes = (p), .len = (n)})

/* A backend. Every function works on the connection db (the backend's
 * own struct starts with a pv_cdb). Errors are already pv_fail'ed with
 * "collector db: <backend>: ..." and map unique violations to
 * PV_ERR_EXISTS, lock timeouts and deadlocks to PV_ERR_BUSY, the rest to
 * PV_ERR_DB. */
typedef struct pv_cdb_ops {
  const char *name; /* "sqlite" or "postgresql" */
  /* Migration N (1-based) is scripts[N-1]: several statements, no params. */
  const char *const *migrations;
  int n_migrations;
  void (*close)(pv_cdb *db);
  /* Starts a transaction; write != 0 takes the write lock at once
   * (SQLite BEGIN IMMEDIATE), so it never fails half-way on a lock. */
  pv_err (*begin)(pv_cdb *db, int write);
  pv_err (*commit)(pv_cdb *db);
  /* Rolls back the open transaction, if any; never fails. */
  void (*rollback)(pv_cdb *db);
  /* Runs a script of statements without parameters (migrations). */
  pv_err (*script)(pv_cdb *db, const char *sql);
  /* Starts statement q with n parameters; read with step, then end. On
   * failure the statement is already ended. */
  pv_err (*query)(pv_cdb *db, cdb_q q, const cdb_param *params, int n);
  /* Moves to the next row: *row = 1 and columns readable, or 0 at the end. */
  pv_err (*step)(pv_cdb *db, int *row);
  /* Ends the current statement (early or not); fine when none. */
  void (*end)(pv_cdb *db);
  /* Columns of the current row (0-based). text: "" for NULL, valid until
   * the next step or end; bytes: *len set, may be NULL when empty. */
  const char *(*text)(pv_cdb *db, int col);
  long long (*num)(pv_cdb *db, int col);
  const void *(*bytes)(pv_cdb *db, int col, size_t *len);
} pv_cdb_ops;

struct pv_cdb {
  const pv_cdb_ops *ops;
};

/* Brings a freshly connected db to the newest schema (storage.c), one
 * transaction per migration; PV_ERR_FOREIGN for a newer schema. */
pv_err pv_cdb__migrate(pv_cdb *db);

#endif
