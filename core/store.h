/* store: the kiosk's crash-safe local store (one SQLite file per device).
 *
 * Every answer is durable when pv_store_put_answer() returns: it commits
 * in WAL mode with synchronous=FULL. Responses leave the device through
 * the sync outbox (pending -> ack) and are deleted only once acknowledged
 * and past the retention rule. Opening refuses, without writing a byte, a
 * file that is corrupt, not ours, or from a newer version. Times come from
 * the injected pv_clock, stored as pv_time_iso() text (UTC). A pv_store is
 * used by one thread at a time; several processes may open the same file.
 * See docs/store.md. */
#ifndef PV_STORE_H
#define PV_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/sha256.h"
#include "core/survey.h" /* pv_measure */
#include "core/uuid.h"

/* "PVOX" in the SQLite header (PRAGMA application_id): marks our files. */
#define PV_STORE_APPLICATION_ID 0x50564F58
/* Schema version this code writes (PRAGMA user_version). */
#define PV_STORE_SCHEMA_VERSION 4

#define PV_STORE_MAX_ATTACHMENT (8 << 20) /* bytes of one attachment */
#define PV_STORE_MAX_VALUE (64 << 10)     /* bytes of one answer's JSON */
#define PV_STORE_MAX_ANSWERS 256          /* questions answered per response */
#define PV_STORE_MAX_ID 64                /* survey, question, qpv ids, kinds */
#define PV_STORE_MAX_LANG 35              /* a BCP 47 language tag */
#define PV_STORE_MAX_TEXT 200             /* place, qpv name, sync errors */
#define PV_STORE_MAX_INITIALS 8           /* animateur initials, never a name */
#define PV_STORE_MAX_MEDIA_TYPE 127       /* "audio/ogg" */
#define PV_STORE_MAX_KEY 64               /* settings and sync-state keys */
#define PV_STORE_MAX_SETTING 4096         /* settings and sync-state values */
#define PV_STORE_MAX_BATCH 100            /* responses per pending batch */
#define PV_STORE_MAX_SESSIONS 4096        /* sessions one list returns */
#define PV_STORE_MAX_PROMPT_KEY 140       /* "o:<question>:<option>" */
#define PV_STORE_MAX_PROMPTS 8192         /* recorded prompts one list returns */
#define PV_STORE_BUSY_TIMEOUT_MS 2000     /* wait for another process's lock */
#define PV_STORE_TIME_LEN 24              /* "YYYY-MM-DDTHH:MM:SS.mmmZ" */

typedef struct pv_store pv_store;

typedef enum pv_store_status {
  PV_STORE_IN_PROGRESS,
  PV_STORE_COMPLETE,
  PV_STORE_ABANDONED,
} pv_store_status;

typedef struct pv_store_answer {
  char question_id[PV_STORE_MAX_ID + 1];
  char *value; /* JSON text, owned by the enclosing pv_store_response */
  pv_measure measure;
  char answered_at[PV_STORE_TIME_LEN + 1];
  char attachment[PV_SHA256_HEX + 1]; /* sha256 of a linked attachment, or "" */
} pv_store_answer;

/* One response as stored: what the sync encoder and the UI need. */
typedef struct pv_store_response {
  char uuid[PV_UUID_LEN + 1];
  char survey_id[PV_STORE_MAX_ID + 1];
  int survey_version;
  char session_uuid[PV_UUID_LEN + 1]; /* "" outside a session */
  char device_id[PV_UUID_LEN + 1];
  char language[PV_STORE_MAX_LANG + 1];
  char started_at[PV_STORE_TIME_LEN + 1];
  char ended_at[PV_STORE_TIME_LEN + 1]; /* "" while in progress */
  pv_store_status status;
  char synced_at[PV_STORE_TIME_LEN + 1]; /* "" until acknowledged */
  int attempts;                          /* failed sync attempts so far */
  pv_store_answer *answers;              /* in answering order */
  size_t answer_count;
} pv_store_response;

/* A bounded batch of responses waiting for the server, oldest first. */
typedef struct pv_store_batch {
  pv_store_response *responses;
  size_t count;
} pv_store_batch;

typedef struct pv_store_session {
  char uuid[PV_UUID_LEN + 1];
  char kind[PV_STORE_MAX_ID + 1];            /* "kiosk", "table_de_quartier", ... */
  char place[PV_STORE_MAX_TEXT + 1];         /* may be "" */
  char qpv_code[PV_STORE_MAX_ID + 1];        /* e.g. "QN07505M", may be "" */
  char qpv_name[PV_STORE_MAX_TEXT + 1];      /* may be "" */
  char animateur[PV_STORE_MAX_INITIALS + 1]; /* initials, may be "" */
  char started_at[PV_STORE_TIME_LEN + 1];
  char ended_at[PV_STORE_TIME_LEN + 1]; /* "" while running */
} pv_store_session;

typedef struct pv_store_blob {
  char media_type[PV_STORE_MAX_MEDIA_TYPE + 1];
  unsigned char *bytes; /* malloc'd, freed by pv_store_blob_free */
  size_t size;
} pv_store_blob;

typedef struct pv_store_counts {
  size_t in_progress, complete, abandoned;
  size_t pending; /* finished, not yet acknowledged */
  size_t synced;  /* acknowledged, still kept */
} pv_store_counts;

/* Opens (or creates, atomically) the store at path; *out is the caller's, to
 * pv_store_close. The clock is copied; its ud must outlive the store.
 * Refuses without writing: PV_ERR_FOREIGN (not SQLite, another application,
 * unknown tables, newer schema), PV_ERR_CORRUPT (integrity_check failed). */
pv_err pv_store_open(const char *path, const pv_clock *clock, pv_store **out);

/* Closes the store and frees it; NULL is fine. */
void pv_store_close(pv_store *st);

/* Returns this device's UUID, made once when the store was created
 * (borrowed, lives as long as st). */
const char *pv_store_device_id(const pv_store *st);

/* Starts a response (status in_progress) and writes its new UUID to
 * uuid_out. session_uuid may be NULL; else it must name a running session
 * (PV_ERR_NOTFOUND, or PV_ERR_STATE once ended). */
pv_err pv_store_begin(pv_store *st, const char *survey_id, int survey_version,
                      const char *session_uuid, const char *language,
                      char uuid_out[PV_UUID_LEN + 1]);

/* Stores (or replaces: going back and editing) the answer to question_id;
 * value_json must be valid JSON (PV_ERR_INVALID, nothing stored). Durable
 * when it returns PV_OK. PV_ERR_STATE once the response is finished. */
pv_err pv_store_put_answer(pv_store *st, const char *response_uuid,
                           const char *question_id, const char *value_json,
                           pv_measure measure);

/* Stores len bytes (1..PV_STORE_MAX_ATTACHMENT, else PV_ERR_TOOBIG) once by
 * their SHA-256, written to sha_out, and answers question_id with
 * {"attachment":sha,"media_type":..,"size":..} (qualitative), replacing
 * any earlier answer or attachment there. Same state rules as put_answer. */
pv_err pv_store_put_attachment(pv_store *st, const char *response_uuid,
                               const char *question_id, const char *media_type,
                               const void *bytes, size_t len,
                               char sha_out[PV_SHA256_HEX + 1]);

/* Fills *out with the attachment's bytes (caller frees with
 * pv_store_blob_free); PV_ERR_NOTFOUND if absent. */
pv_err pv_store_get_attachment(pv_store *st, const char *sha256, pv_store_blob *out);
void pv_store_blob_free(pv_store_blob *blob);

/* Marks an in-progress response complete / abandoned (ended now).
 * PV_ERR_STATE if it already ended, PV_ERR_NOTFOUND if unknown. */
pv_err pv_store_finish(pv_store *st, const char *response_uuid);
pv_err pv_store_abandon(pv_store *st, const char *response_uuid);

/* Fills *out with one response and its answers (caller frees with
 * pv_store_response_free); PV_ERR_NOTFOUND if unknown. */
pv_err pv_store_get_response(pv_store *st, const char *uuid, pv_store_response *out);
void pv_store_response_free(pv_store_response *r);

/* Fills *out with up to max (clamped to 1..PV_STORE_MAX_BATCH) finished,
 * unacknowledged responses with their answers, oldest first; count may be
 * 0. Caller frees with pv_store_batch_free. */
pv_err pv_store_pending(pv_store *st, size_t max, pv_store_batch *out);
void pv_store_batch_free(pv_store_batch *batch);

/* The same, resuming after the response (after_started_at, after_uuid) of
 * an earlier batch, in the same order, so a sync pass walks the outbox
 * once even when some responses keep failing; both NULL start at the
 * oldest. */
pv_err pv_store_pending_after(pv_store *st, size_t max, const char *after_started_at,
                              const char *after_uuid, pv_store_batch *out);

/* The same walk over every finished (complete or abandoned) response,
 * acknowledged or not, of one session (session_uuid) or all (NULL): what
 * a USB export copies and what the restitution screen counts. */
pv_err pv_store_finished_after(pv_store *st, const char *session_uuid, size_t max,
                               const char *after_started_at, const char *after_uuid,
                               pv_store_batch *out);

/* Writes to *n how many responses to survey_id at version are still in
 * progress or finished but not acknowledged: while it is not 0, the sync
 * engine keeps that version's folder. */
pv_err pv_store_unsynced_count(pv_store *st, const char *survey_id, int version,
                               size_t *n);

/* Records the server's acknowledgement of n responses (synced_at = now), in
 * one transaction: all or none. Acknowledging twice keeps the first time;
 * an unknown uuid gives PV_ERR_NOTFOUND, an unfinished one PV_ERR_STATE. */
pv_err pv_store_ack(pv_store *st, const char *const *uuids, size_t n);

/* Counts a failed sync attempt on a response and keeps error (truncated to
 * PV_STORE_MAX_TEXT) as its last_error. */
pv_err pv_store_note_failure(pv_store *st, const char *uuid, const char *error);

/* Retention: deletes responses that were acknowledged AND ended more than
 * days ago by the clock (never an unacknowledged one), their answers, the
 * attachments nothing references any more and ended sessions left empty
 * whose ended form the server acknowledged.
 * Writes how many responses went to *purged (may be NULL). */
pv_err pv_store_purge(pv_store *st, int days, size_t *purged);

/* Fills *out with counts of responses, all of them or (session_uuid not
 * NULL) one session's. */
pv_err pv_store_count(pv_store *st, const char *session_uuid, pv_store_counts *out);

/* The session kinds, by index: "kiosk", "table_de_quartier",
 * "marche_exploratoire", "atelier", then NULL (static); and 1 when kind is
 * one of them. */
const char *pv_store_session_kind(size_t i);
int pv_store_session_kind_valid(const char *kind);

/* Starts a session described by info (its uuid and times are ignored;
 * kind one of pv_store_session_kind's, else PV_ERR_INVALID; other texts
 * may be "") and writes its UUID to uuid_out. */
pv_err pv_store_session_begin(pv_store *st, const pv_store_session *info,
                              char uuid_out[PV_UUID_LEN + 1]);
/* Ends a running session; PV_ERR_STATE if it already ended. */
pv_err pv_store_session_end(pv_store *st, const char *uuid);
/* Fills *out with a session; PV_ERR_NOTFOUND if unknown. */
pv_err pv_store_session_get(pv_store *st, const char *uuid, pv_store_session *out);

/* Fills *out (malloc'd, caller frees; NULL when none) with every session
 * kept, by started_at then uuid, and *n with their number; PV_ERR_TOOBIG
 * (nothing returned) past PV_STORE_MAX_SESSIONS. */
pv_err pv_store_session_list(pv_store *st, pv_store_session **out, size_t *n);

/* Sessions outbox. A session is sent when it begins and again once it has
 * ended: pending lists, oldest first, up to max (clamped to
 * 1..PV_STORE_MAX_BATCH) sessions whose current content (running or
 * ended) the server has not acknowledged; *out is malloc'd (caller frees;
 * NULL when none). */
pv_err pv_store_sessions_pending(pv_store *st, size_t max, pv_store_session **out,
                                 size_t *n);
/* The same, resuming after session after (its started_at and uuid) of an
 * earlier batch, so a sync pass walks the outbox once even when the
 * collector refuses some sessions for good; NULL starts at the oldest. */
pv_err pv_store_sessions_pending_after(pv_store *st, size_t max,
                                       const pv_store_session *after,
                                       pv_store_session **out, size_t *n);
/* Records the server's acknowledgement of exactly the n sessions given, as
 * they were sent, in one transaction: a session that ended after its
 * running form was sent stays pending. PV_ERR_NOTFOUND for an unknown
 * uuid, PV_ERR_STATE for an ended form of a session still running here. */
pv_err pv_store_sessions_ack(pv_store *st, const pv_store_session *s, size_t n);

/* ---- recorded prompts (issue 6, item 7; docs/animateur.md) ----
 *
 * An animateur's recording of one text of a survey in one language, any
 * language (declared by the survey or not: Darija "ary", Turkish "tr",
 * Comorian "zdj", Romani "rom"...). The text is named by a key:
 * "q:<question id>" for a question's prompt, "o:<question id>:<option id>"
 * for a choice, photo or pin label. At most one entry per (survey, key,
 * language). The collector decides which is current: the last recording
 * or deletion to reach it (docs/sync-protocol.md "Recorded prompts");
 * device clocks order nothing. The bytes (a WAV) are kept once by SHA-256
 * like attachments; purge never drops them while a prompt names them.
 * Recordings and deletions made here wait in an outbox for the collector
 * (a deletion is a tombstone: deleted = 1, no sha256, media_type, size);
 * those from the collector arrive synced. */
typedef struct pv_store_prompt {
  char survey_id[PV_STORE_MAX_ID + 1];
  char key[PV_STORE_MAX_PROMPT_KEY + 1];
  char lang[PV_STORE_MAX_LANG + 1];
  char sha256[PV_SHA256_HEX + 1]; /* of the WAV */
  char media_type[PV_STORE_MAX_MEDIA_TYPE + 1];
  size_t size;                             /* bytes of the WAV */
  char recorded_at[PV_STORE_TIME_LEN + 1]; /* pv_time_iso(), informative */
  char device_id[PV_UUID_LEN + 1];         /* the device that recorded it */
  int synced;  /* the collector holds exactly this recording */
  int deleted; /* a deletion (tombstone): no sha256, media_type, size */
} pv_store_prompt;

/* 1 when key is a well-formed prompt key ("q:ID" or "o:ID:ID", ids as
 * pv_proto_id_valid: a-z, 0-9, '-', '_', starting with a letter). */
int pv_store_prompt_key_valid(const char *key);

/* Records a prompt made on this device: stores bytes (1..
 * PV_STORE_MAX_ATTACHMENT) by SHA-256, replaces any recording or pending
 * deletion of (p->survey_id, p->key, p->lang), stamps recorded_at = now and
 * device_id = this device, and queues it for the collector. p's other
 * fields are ignored; *out (may be NULL) receives the stored record.
 * PV_ERR_INVALID for a bad key, id or language tag. */
pv_err pv_store_prompt_record(pv_store *st, const pv_store_prompt *p,
                              const char *media_type, const void *bytes, size_t len,
                              pv_store_prompt *out);

/* Applies one entry of the collector's list (GET /v1/prompts), deciding
 * and writing in one write transaction: when this store holds a PENDING
 * recording or deletion of (survey, key, lang), it is kept (it will upload
 * and become current) and nothing changes; else a tombstone (p->deleted;
 * bytes NULL, len 0) deletes the recording held here; else a recording
 * whose sha256 differs from the one held here is stored, synced (bytes
 * checked against p->sha256: PV_ERR_INVALID on a mismatch). *kept (may be
 * NULL) is 1 when the store changed. Device clocks play no part. */
pv_err pv_store_prompt_receive(pv_store *st, const pv_store_prompt *p,
                               const void *bytes, size_t len, int *kept);

/* Deletes the recording of (survey_id, key, lang) (PV_ERR_NOTFOUND if
 * none): it becomes a pending deletion that the outbox sends, so every
 * tablet drops it after their next sync; the synthesised voice speaks
 * again. */
pv_err pv_store_prompt_delete(pv_store *st, const char *survey_id, const char *key,
                              const char *lang);

/* Sets *out to the entry of (survey_id, key, lang), a pending deletion
 * included (out->deleted); PV_ERR_NOTFOUND when there is none. */
pv_err pv_store_prompt_get(pv_store *st, const char *survey_id, const char *key,
                           const char *lang, pv_store_prompt *out);

/* Fills *out (malloc'd, caller frees; NULL when none) with every
 * recording of survey_id (NULL: every survey), by survey, key, language,
 * and *n with their number; at most PV_STORE_MAX_PROMPTS. Deletions are
 * never listed: what is listed can be played. */
pv_err pv_store_prompt_list(pv_store *st, const char *survey_id, pv_store_prompt **out,
                            size_t *n);

/* The outbox: up to max (1..PV_STORE_MAX_BATCH) recordings and deletions
 * made here that the collector has not acknowledged, oldest first; and
 * their acknowledgement (a recording by survey, key, lang and sha256: one
 * replaced since stays pending; a deletion by survey, key, lang and
 * recorded_at, and then dropped from the store). */
pv_err pv_store_prompts_pending(pv_store *st, size_t max, pv_store_prompt **out,
                                size_t *n);
pv_err pv_store_prompts_ack(pv_store *st, const pv_store_prompt *p, size_t n);

/* Settings (device configuration) and sync state (cursors, tokens' ids):
 * get writes a malloc'd copy to *value_out (caller frees), PV_ERR_NOTFOUND
 * if absent; set inserts or replaces, and value NULL deletes the key.
 * The setting "device_id" is the store's own and cannot be set. */
pv_err pv_store_setting_get(pv_store *st, const char *key, char **value_out);
pv_err pv_store_setting_set(pv_store *st, const char *key, const char *value);
pv_err pv_store_sync_get(pv_store *st, const char *key, char **value_out);
pv_err pv_store_sync_set(pv_store *st, const char *key, const char *value);

/* Returns the text name of a status ("in_progress", "complete",
 * "abandoned") or measure ("quantitative", "qualitative"); static. */
const char *pv_store_status_name(pv_store_status status);
const char *pv_measure_name(pv_measure measure);

#endif
