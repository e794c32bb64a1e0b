/* storage: pv-collector's database, behind one interface with two
 * implementations: SQLite (storage_sqlite.c, the embedded default) and
 * PostgreSQL (storage_pg.c, libpq). Same behaviour, same tests
 * (tests/test_cstore.c runs its suite on both). Each owns its migrations.
 *
 * A pv_cdb is ONE connection, used by one thread at a time; the server
 * opens one per worker thread. Failures return pv_err with a detail
 * (pv_err_detail) that names the backend and what it said: PV_ERR_DB, or
 * PV_ERR_BUSY when a lock wait timed out (retry later). Times are
 * pv_time_iso() text (UTC) passed in by the caller, so tests inject them.
 * Where a territory may be NULL it means "every territory" (admin CLI). */
#ifndef PV_COLLECTOR_STORAGE_H
#define PV_COLLECTOR_STORAGE_H

#include <stddef.h>

#include "core/err.h"
#include "core/quartiers.h"
#include "core/store.h"
#include "sync/protocol.h"

#define PV_CDB_MAX_CODE 32  /* territory code, e.g. "75056" or "occ-montpellier" */
#define PV_CDB_MAX_NAME 120 /* territory, device, analyst names */
#define PV_CDB_MAX_MEDIA_TYPE PV_STORE_MAX_MEDIA_TYPE
#define PV_CDB_MAX_TERRITORIES 4096 /* listed at once (France has ~1,600 QPV) */

typedef struct pv_cdb pv_cdb;

typedef enum pv_cdb_kind { PV_CDB_DEVICE, PV_CDB_ANALYST } pv_cdb_kind;

/* A token's holder, as authentication finds it. */
typedef struct pv_cdb_principal {
  long long id;
  pv_cdb_kind kind;
  char territory[PV_CDB_MAX_CODE + 1];
  char name[PV_CDB_MAX_NAME + 1];
  int revoked;
} pv_cdb_principal;

typedef struct pv_cdb_territory {
  char code[PV_CDB_MAX_CODE + 1];
  char name[PV_CDB_MAX_NAME + 1];
} pv_cdb_territory;

/* What publishing one survey version did. */
typedef enum pv_cdb_publish {
  PV_CDB_PUBLISHED, /* new version, or newly visible to this territory */
  PV_CDB_UNCHANGED, /* already published with the same files */
} pv_cdb_publish;

/* One response to ingest: decoded, its canonical JSON and that text's
 * SHA-256 hex; outcome is written by pv_cdb_ingest. */
typedef struct pv_cdb_ingest_item {
  const pv_store_response *r;
  const char *canonical;
  char hash[PV_SHA256_HEX + 1];
  pv_proto_outcome outcome; /* out */
} pv_cdb_ingest_item;

/* One session to ingest: decoded, its canonical JSON
 * (pv_proto_session_encode) and that text's SHA-256 hex; outcome is
 * written by pv_cdb_session_ingest. */
typedef struct pv_cdb_session_item {
  const pv_store_session *s;
  const char *canonical;
  char hash[PV_SHA256_HEX + 1];
  pv_proto_outcome outcome; /* out */
} pv_cdb_session_item;

/* Filters of an export; NULL or "" means no filter. from/to compare with
 * started_at as text (inclusive from, exclusive to); both are
 * pv_time_iso() prefixes such as "2026-11-01". */
typedef struct pv_cdb_filter {
  const char *survey_id; /* required */
  const char *from, *to, *session;
} pv_cdb_filter;

/* Called once per exported response, ordered by started_at then uuid;
 * a non-zero return stops the walk and becomes pv_cdb_export's result. */
typedef pv_err (*pv_cdb_response_fn)(void *ud, const pv_store_response *r);
/* The same with the response's session: NULL when it has none or the
 * session has not arrived (yet). */
typedef pv_err (*pv_cdb_row_fn)(void *ud, const pv_store_response *r,
                                const pv_store_session *s);

/* Opening applies pending migrations (one transaction each) and refuses a
 * database from a newer version (PV_ERR_FOREIGN). */
pv_err pv_cdb_open_sqlite(const char *path, pv_cdb **out);
pv_err pv_cdb_open_pg(const char *conninfo, pv_cdb **out);
/* Opens whichever is given: sqlite_path or pg_conninfo (exactly one). */
pv_err pv_cdb_open(const char *sqlite_path, const char *pg_conninfo, pv_cdb **out);
void pv_cdb_close(pv_cdb *db);
/* "sqlite" or "postgresql"; static. */
const char *pv_cdb_backend(const pv_cdb *db);

/* Territories. add: PV_ERR_EXISTS when the code is taken. */
pv_err pv_cdb_territory_add(pv_cdb *db, const char *code, const char *name,
                            const char *now);
pv_err pv_cdb_territory_get(pv_cdb *db, const char *code, pv_cdb_territory *out);
/* Fills *out (malloc'd, caller frees; NULL when none) with every territory
 * by code, at most PV_CDB_MAX_TERRITORIES, and *n with their number. */
pv_err pv_cdb_territory_list(pv_cdb *db, pv_cdb_territory **out, size_t *n);

/* Tokens: only their SHA-256 (hex) is stored. add: PV_ERR_NOTFOUND for an
 * unknown territory, PV_ERR_EXISTS when the territory already has a live
 * holder of that kind and name. revoke: the live holder of that kind and
 * name (PV_ERR_NOTFOUND if none); a revoked name may be added again.
 * lookup: PV_ERR_NOTFOUND for an unknown hash; revoked ones are returned
 * with revoked = 1. */
pv_err pv_cdb_token_add(pv_cdb *db, pv_cdb_kind kind, const char *territory,
                        const char *name, const char *token_hash, const char *now,
                        long long *id_out);
pv_err pv_cdb_token_revoke(pv_cdb *db, pv_cdb_kind kind, const char *territory,
                           const char *name, const char *now);
pv_err pv_cdb_token_lookup(pv_cdb *db, const char *token_hash, pv_cdb_principal *out);

/* Blobs: survey files and media, content-addressed, shared by all. put is
 * idempotent and checks the bytes' hash (PV_ERR_INVALID); get fills *out
 * (free with pv_store_blob_free). */
pv_err pv_cdb_blob_put(pv_cdb *db, const char *sha256, const char *media_type,
                       const void *bytes, size_t len);
pv_err pv_cdb_blob_get(pv_cdb *db, const char *sha256, pv_store_blob *out);

/* Publishes survey s (its files' blobs already put) for territory, or for
 * every territory, present and future, when territory is NULL.
 * PV_ERR_EXISTS when that id and version were published with other files:
 * a changed survey needs a new version. PV_ERR_NOTFOUND for an unknown
 * territory or a file whose blob is not stored. */
pv_err pv_cdb_survey_publish(pv_cdb *db, const char *territory,
                             const pv_proto_survey *s, const char *now,
                             pv_cdb_publish *what);
/* The newest published version of each survey visible to territory
 * (NULL: to any), by id. *out is the caller's (pv_proto_catalog_free). */
pv_err pv_cdb_survey_catalog(pv_cdb *db, const char *territory, pv_proto_catalog *out);
/* Fills *out with one version's files, sorted by path, if it is visible
 * to territory (NULL: to any; PV_ERR_NOTFOUND otherwise); out->files is
 * malloc'd (free it). */
pv_err pv_cdb_survey_get(pv_cdb *db, const char *territory, const char *id, int version,
                         pv_proto_survey *out);
/* 1 when blob sha256 is a file of a survey visible to territory (NULL:
 * to any). */
pv_err pv_cdb_survey_has_file(pv_cdb *db, const char *territory, const char *sha256,
                              int *has);

/* Stores n responses for a device of territory in ONE transaction and
 * sets each item's outcome: STORED, DUPLICATE (same uuid and hash),
 * CONFLICT (same uuid, other hash, or a uuid stored for another
 * territory), UNKNOWN_SURVEY (id+version not visible to territory),
 * MISSING_ATTACHMENT (an answer's attachment not in this territory).
 * Only a storage failure returns non-OK, and then nothing is stored. */
pv_err pv_cdb_ingest(pv_cdb *db, const char *territory, long long device_id,
                     pv_cdb_ingest_item *items, size_t n, const char *now);

/* Stores n sessions for a device of territory in ONE transaction, in uuid
 * order, and sets each item's outcome: STORED (new, or a stored running
 * session now received ended, every other field equal: updated),
 * DUPLICATE (same uuid and hash, or the running form of a session stored
 * ended: a late resend), CONFLICT (anything else, or a uuid stored for
 * another territory). Only a storage failure returns non-OK, and then
 * nothing is stored. */
pv_err pv_cdb_session_ingest(pv_cdb *db, const char *territory, long long device_id,
                             pv_cdb_session_item *items, size_t n, const char *now);

/* Fills *out with a stored session of territory (NULL: any);
 * PV_ERR_NOTFOUND when absent. */
pv_err pv_cdb_session_get(pv_cdb *db, const char *territory, const char *uuid,
                          pv_store_session *out);

/* Quartiers (QPV) of a territory, which kiosks offer for a session. add:
 * PV_ERR_NOTFOUND for an unknown territory, PV_ERR_INVALID for a code that
 * is not a QPV code or a name that is not 1..200 bytes of text,
 * PV_ERR_EXISTS when the territory already lists that code. list: *out
 * (malloc'd, caller frees; NULL when none) by code, at most
 * PV_QUARTIERS_MAX. */
pv_err pv_cdb_quartier_add(pv_cdb *db, const char *territory, const char *code,
                           const char *name, const char *now);
pv_err pv_cdb_quartier_list(pv_cdb *db, const char *territory, pv_quartier **out,
                            size_t *n);

/* Recorded prompts (issue 6, item 7): one current entry per territory,
 * survey, key and language, a recording or a deletion (a tombstone, so
 * that deletions reach every device). The collector decides: the last
 * recording or deletion to REACH it is current (it stamps received_at
 * with its own clock); devices' recorded_at orders nothing. */
#define PV_CDB_MAX_PROMPTS 2000 /* current recordings (not deletions) per territory */
#define PV_CDB_PROMPT_AHEAD_MS (10 * 60 * 1000) /* recorded_at past now refused */

/* An item to ingest; outcome and reason are written by
 * pv_cdb_prompt_ingest. */
typedef struct pv_cdb_prompt_item {
  const pv_store_prompt *p;
  pv_proto_outcome outcome; /* out */
  const char *reason;       /* out: static text, "" for stored and duplicate */
} pv_cdb_prompt_item;

/* Stores n recordings or deletions (p->deleted) from a device of territory
 * in ONE transaction, in survey, key, lang order (then batch order: the
 * later of two wins), and sets each outcome: INVALID when recorded_at is
 * more than PV_CDB_PROMPT_AHEAD_MS past now ("the device's clock is
 * ahead"); UNKNOWN_SURVEY when no version of the survey is published for
 * territory; INVALID when the key names no question (q:) nor option or
 * scale end (o:) of a published version; for a recording,
 * MISSING_ATTACHMENT when its audio is not an attachment of territory,
 * INVALID when that attachment's size differs, its media type is not
 * "audio/...", or an answer of a response references it ("not a recording");
 * DUPLICATE when the current entry already is this (same sha256; for a
 * deletion: a tombstone, or no entry at all); INVALID when it would make
 * more than PV_CDB_MAX_PROMPTS current recordings, or more than
 * PV_PROTO_MAX_PROMPT_LIST entries; else STORED: now current, received_at
 * = now. Only a storage failure returns non-OK, and then nothing is
 * stored. */
pv_err pv_cdb_prompt_ingest(pv_cdb *db, const char *territory, long long device_id,
                            pv_cdb_prompt_item *items, size_t n, const char *now);

/* The device of a deletion made at the collector (a valid UUID v4, so the
 * wire's "device" rule holds). */
#define PV_CDB_COLLECTOR_DEVICE "00000000-0000-4000-8000-000000000000"

/* Deletes territory's current recording of (survey_id, key, lang) at the
 * collector (pv-collector prompt delete): a tombstone, recorded_at and
 * received_at now, device PV_CDB_COLLECTOR_DEVICE, that devices apply at
 * their next sync. PV_ERR_NOTFOUND when there is no current recording,
 * PV_ERR_INVALID for a bad key or language tag. */
pv_err pv_cdb_prompt_delete(pv_cdb *db, const char *territory, const char *survey_id,
                            const char *key, const char *lang, const char *now);

/* Fills *out (malloc'd, caller frees; NULL when none) with territory's
 * current entries, tombstones included (p.deleted, no audio fields), by
 * survey, key, language (p.synced = 1), at most PV_PROTO_MAX_PROMPT_LIST,
 * and *n with their number. */
pv_err pv_cdb_prompt_list(pv_cdb *db, const char *territory,
                          pv_proto_prompt_entry **out, size_t *n);
/* *named = 1 when a current (not deleted) recording of territory has
 * audio sha256: what a device token may download (residents' attachments
 * stay analysts'). */
pv_err pv_cdb_prompt_audio(pv_cdb *db, const char *territory, const char *sha256,
                           int *named);

/* Attachments, per territory. put: *created = 1 when new, 0 when already
 * there (idempotent); the caller verified the hash. */
pv_err pv_cdb_attachment_put(pv_cdb *db, const char *territory, const char *sha256,
                             const char *media_type, const void *bytes, size_t len,
                             const char *now, int *created);
pv_err pv_cdb_attachment_has(pv_cdb *db, const char *territory, const char *sha256,
                             int *has);
pv_err pv_cdb_attachment_get(pv_cdb *db, const char *territory, const char *sha256,
                             pv_store_blob *out);

/* Walks a territory's (NULL: every territory's) responses matching f, in
 * a read transaction, with bounded memory (a cursor, not the whole
 * result). fn must not use db meanwhile (one statement at a time). */
pv_err pv_cdb_export(pv_cdb *db, const char *territory, const pv_cdb_filter *f,
                     pv_cdb_response_fn fn, void *ud);
/* The same walk, each response with its session (see pv_cdb_row_fn). */
pv_err pv_cdb_export_rows(pv_cdb *db, const char *territory, const pv_cdb_filter *f,
                          pv_cdb_row_fn fn, void *ud);
/* Counts a territory's (NULL: every territory's) stored responses (all
 * surveys when survey_id is NULL); used by tests and the fault suite. */
pv_err pv_cdb_count(pv_cdb *db, const char *territory, const char *survey_id,
                    size_t *n);

/* Where a device's data already is (USB import, issue 6): fills other
 * with a territory other than territory holding a response recorded by
 * device_uuid, or a session stored by a principal named name (NULL:
 * responses only); other = "" when there is none. */
pv_err pv_cdb_device_elsewhere(pv_cdb *db, const char *device_uuid, const char *name,
                               const char *territory, char other[PV_CDB_MAX_CODE + 1]);

#endif
