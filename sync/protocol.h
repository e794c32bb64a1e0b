/* protocol: what travels between a kiosk and pv-collector, version 1.
 *
 * The single definition of the wire format (docs/sync-protocol.md): both
 * the sync engine (sync/engine.c) and the collector encode and decode
 * through these functions, so the two ends cannot drift. Pure cJSON, no
 * I/O. A decoded response is a pv_store_response (core/store.h), the same
 * struct the device's outbox gives, so "what the device has" and "what
 * the server received" compare field by field. */
#ifndef PV_PROTOCOL_H
#define PV_PROTOCOL_H

#include <stddef.h>

#include "core/err.h"
#include "core/sha256.h"
#include "core/store.h"
#include "core/survey.h"
#include "core/uuid.h"

#define PV_PROTO_PREFIX "/v1"
#define PV_PROTO_MAX_BATCH 100    /* responses in one POST /v1/responses */
#define PV_PROTO_MAX_SESSIONS 100 /* sessions in one POST /v1/sessions */
#define PV_PROTO_MAX_PROMPTS 100  /* recordings in one POST /v1/prompts */
#define PV_PROTO_MAX_PROMPT_LIST PV_STORE_MAX_PROMPTS /* in GET /v1/prompts */
#define PV_PROTO_MAX_BODY (4 << 20) /* bytes of any JSON request body */
#define PV_PROTO_MAX_ATTACHMENT PV_STORE_MAX_ATTACHMENT /* bytes of one PUT */
#define PV_PROTO_MAX_DEPTH 24   /* JSON nesting of a request body */
#define PV_PROTO_MAX_FILES 256  /* files of one published survey */
#define PV_PROTO_MAX_SURVEYS 64 /* surveys in one catalogue */
#define PV_PROTO_MAX_REASON 200 /* bytes of a reason text */
#define PV_PROTO_MAX_CODE 40    /* bytes of an error code */
#define PV_PROTO_TOKEN_BYTES 24 /* random bytes in a token (192 bits) */
/* "pvd_" or "pva_" then base64url of the random bytes: 4 + 32 characters. */
#define PV_PROTO_TOKEN_LEN (4 + PV_PROTO_TOKEN_BYTES * 4 / 3)

/* What became of one response of a batch. The HTTP status of the whole
 * batch is the worst item's (pv_proto_batch_status); items that were
 * stored stay stored whatever the status line says. */
typedef enum pv_proto_outcome {
  PV_OUT_STORED,             /* 201: new, stored now */
  PV_OUT_DUPLICATE,          /* 200: the same content was already stored */
  PV_OUT_INVALID,            /* 400: this response broke a rule (reason) */
  PV_OUT_CONFLICT,           /* 409: the UUID is stored with other content */
  PV_OUT_UNKNOWN_SURVEY,     /* 422: survey id+version not published here */
  PV_OUT_MISSING_ATTACHMENT, /* 422: an answer names an attachment not uploaded */
  PV_OUT__COUNT
} pv_proto_outcome;

typedef struct pv_proto_result {
  char uuid[PV_UUID_LEN + 1]; /* "" when the item had no readable uuid */
  pv_proto_outcome outcome;
  char reason[PV_PROTO_MAX_REASON + 1]; /* "" for stored and duplicate */
} pv_proto_result;

/* One item of a decoded batch: ok != 0 and r filled, or ok == 0 and
 * result.reason says why (result.uuid set when it could be read). */
typedef struct pv_proto_item {
  int ok;
  pv_store_response r;
  pv_proto_result result;
} pv_proto_item;

typedef struct pv_proto_batch {
  pv_proto_item *items;
  size_t count;
} pv_proto_batch;

/* A file of a published survey: its path inside the survey folder
 * ("survey.json", "media/plan.jpg"), content hash and size. */
typedef struct pv_proto_file {
  char path[PV_SURVEY_MAX_PATH + 1];
  char sha256[PV_SHA256_HEX + 1];
  size_t size;
} pv_proto_file;

/* One survey version as the catalogue lists it. */
typedef struct pv_proto_survey {
  char id[PV_STORE_MAX_ID + 1];
  int version;
  pv_proto_file *files;
  size_t n_files;
} pv_proto_survey;

typedef struct pv_proto_catalog {
  pv_proto_survey *surveys;
  size_t count;
} pv_proto_catalog;

/* ---- responses ---- */

/* Returns the canonical JSON of one response (malloc'd, caller frees):
 * fixed key order, compact, answers in the order given. The server keeps
 * its SHA-256 to tell an identical resend from a conflicting one. NULL
 * when out of memory or a stored value is not JSON. */
char *pv_proto_response_encode(const pv_store_response *r);

/* Returns {"responses":[...]} for n (<= PV_PROTO_MAX_BATCH) responses,
 * malloc'd; NULL when out of memory. */
char *pv_proto_batch_encode(const pv_store_response *r, size_t n);

/* Decodes a POST /v1/responses body. PV_OK: *out holds every item, each
 * checked on its own (see pv_proto_item). PV_ERR_INVALID / PV_ERR_TOOBIG:
 * the body as a whole is refused (not JSON, too deep, not an object, no
 * "responses" array, more than PV_PROTO_MAX_BATCH items, over
 * PV_PROTO_MAX_BODY) and reason (reason_len bytes) says why. */
pv_err pv_proto_batch_decode(const char *body, size_t len, pv_proto_batch *out,
                             char *reason, size_t reason_len);
void pv_proto_batch_free(pv_proto_batch *b);

/* Decodes one response object the way a batch item is decoded: PV_OK and
 * *out (free with pv_store_response_free) or PV_ERR_INVALID and reason. */
pv_err pv_proto_response_decode(const char *json, size_t len, pv_store_response *out,
                                char *reason, size_t reason_len);

/* ---- sessions ---- */

/* One session of a decoded POST /v1/sessions body, as pv_proto_item. */
typedef struct pv_proto_session_item {
  int ok;
  pv_store_session s;
  pv_proto_result result;
} pv_proto_session_item;

typedef struct pv_proto_sessions {
  pv_proto_session_item *items;
  size_t count;
} pv_proto_sessions;

/* Returns the canonical JSON of one session (malloc'd, caller frees):
 * {"uuid","kind","place","qpv_code","qpv_name","animateur","started_at",
 * "ended_at"} in that order, compact, ended_at null while running. NULL
 * when out of memory. */
char *pv_proto_session_encode(const pv_store_session *s);

/* Decodes one session object strictly (known keys once each, types,
 * sizes, kind from pv_proto_session_kind, QPV code shape): PV_OK and *out,
 * or PV_ERR_INVALID and reason (out->uuid set when it could be read). */
pv_err pv_proto_session_decode(const char *json, size_t len, pv_store_session *out,
                               char *reason, size_t reason_len);

/* Returns {"sessions":[...]} for n (<= PV_PROTO_MAX_SESSIONS) sessions,
 * malloc'd; NULL when out of memory. */
char *pv_proto_sessions_encode(const pv_store_session *s, size_t n);

/* Decodes a POST /v1/sessions body like pv_proto_batch_decode: PV_OK and
 * every item checked on its own (a uuid twice: the later ones invalid), or
 * PV_ERR_INVALID / PV_ERR_TOOBIG for the body as a whole, with reason.
 * The reply is pv_proto_results_encode of one result per item. */
pv_err pv_proto_sessions_decode(const char *body, size_t len, pv_proto_sessions *out,
                                char *reason, size_t reason_len);
void pv_proto_sessions_free(pv_proto_sessions *b);

/* The session kinds, by index: "kiosk", "table_de_quartier",
 * "marche_exploratoire", "atelier", then NULL (static). */
const char *pv_proto_session_kind(size_t i);
/* 1 when kind is one of them. */
int pv_proto_session_kind_valid(const char *kind);
/* 1 when code is "" or an official QPV code: "QN", a department (3 of
 * [0-9AB], e.g. "034", "02A", "971"), 2 digits, a capital letter
 * ("QN03401M"). */
int pv_proto_qpv_code_valid(const char *code);

/* ---- recorded prompts (issue 6, item 7) ---- */

/* One entry of GET /v1/prompts: the current recording or deletion
 * (p.deleted) of a (survey, key, lang), and when it reached the collector
 * (the collector's clock, pv_time_iso()). The last to reach it is current. */
typedef struct pv_proto_prompt_entry {
  pv_store_prompt p;
  char received_at[PV_STORE_TIME_LEN + 1];
} pv_proto_prompt_entry;

/* One recording or deletion of a decoded prompts body, as pv_proto_item
 * (result.uuid stays "": prompt results are matched by position). */
typedef struct pv_proto_prompt_item {
  int ok;
  union { /* the codec decodes a GET entry into entry */
    struct {
      pv_store_prompt p;                       /* synced is not on the wire: 0 */
      char received_at[PV_STORE_TIME_LEN + 1]; /* a GET entry's; "" in a POST */
    };
    pv_proto_prompt_entry entry;
  };
  pv_proto_result result;
} pv_proto_prompt_item;

typedef struct pv_proto_prompts {
  pv_proto_prompt_item *items;
  size_t count;
} pv_proto_prompts;

/* Returns one POST item's JSON (malloc'd, caller frees), compact, in this
 * order: a recording {"survey","key","lang","sha256","media_type","size",
 * "recorded_at","device"}; a deletion (p->deleted) {"survey","key","lang",
 * "deleted":true,"recorded_at","device"}. NULL when out of memory. */
char *pv_proto_prompt_encode(const pv_store_prompt *p);

/* Decodes one POST item strictly (known keys once each, id, key shape by
 * pv_store_prompt_key_valid, language tag, time, device uuid; then either
 * "deleted": true and no sha256/media_type/size, or sha256, audio media
 * type and size 1..PV_PROTO_MAX_ATTACHMENT; no "received_at"): PV_OK and
 * *out (deleted set), or PV_ERR_INVALID and reason. */
pv_err pv_proto_prompt_decode(const char *json, size_t len, pv_store_prompt *out,
                              char *reason, size_t reason_len);

/* Returns the POST /v1/prompts body {"prompts":[...]} for n (<=
 * PV_PROTO_MAX_PROMPT_LIST) recordings or deletions, malloc'd; NULL when
 * out of memory. */
char *pv_proto_prompts_encode(const pv_store_prompt *p, size_t n);

/* Returns the GET /v1/prompts reply {"prompts":[...]} for n (<=
 * PV_PROTO_MAX_PROMPT_LIST) entries, each item as pv_proto_prompt_encode
 * then "received_at"; malloc'd, NULL when out of memory. */
char *pv_proto_prompt_list_encode(const pv_proto_prompt_entry *e, size_t n);

/* Decodes a prompts body like pv_proto_sessions_decode: a POST batch
 * (list 0: 1..PV_PROTO_MAX_PROMPTS, items as pv_proto_prompt_decode) or a
 * GET reply (list 1: 0..PV_PROTO_MAX_PROMPT_LIST, each item also with
 * "received_at", into the item's received_at); each item checked on its
 * own, or PV_ERR_INVALID / PV_ERR_TOOBIG for the body as a whole, with
 * reason. */
pv_err pv_proto_prompts_decode(const char *body, size_t len, int list,
                               pv_proto_prompts *out, char *reason, size_t reason_len);
void pv_proto_prompts_free(pv_proto_prompts *b);

/* Orders recordings by what they record: survey, key, then lang (strcmp
 * each; <0, 0, >0). Two records compare 0 when one replaces the other. */
int pv_proto_prompt_cmp(const pv_store_prompt *a, const pv_store_prompt *b);

/* 1 when s is a language tag as pv_lang_tag_valid ("fr", "ary", "ar-MA"). */
int pv_proto_lang_valid(const char *s);

/* ---- batch results ---- */

char *pv_proto_results_encode(const pv_proto_result *res, size_t n);
/* PV_OK and *out (malloc'd array of *n, caller frees) or PV_ERR_INVALID. */
pv_err pv_proto_results_decode(const char *body, size_t len, pv_proto_result **out,
                               size_t *n);
/* HTTP status of one outcome, and of a batch (the worst item's; 200 when
 * every item is stored or duplicate, or when n is 0). */
int pv_proto_outcome_status(pv_proto_outcome o);
int pv_proto_batch_status(const pv_proto_result *res, size_t n);
/* "stored", "duplicate", "invalid", "conflict", "unknown_survey",
 * "missing_attachment", "older"; static. */
const char *pv_proto_outcome_name(pv_proto_outcome o);

/* ---- errors ---- */

/* {"error":"<code>","reason":"<text>"}, malloc'd. Codes are short
 * snake_case words (docs/sync-protocol.md lists them). */
char *pv_proto_error_encode(const char *code, const char *reason);
/* Reads an error body into code/reason ("" when absent); PV_ERR_INVALID
 * when the body is not one. */
pv_err pv_proto_error_decode(const char *body, size_t len,
                             char code[PV_PROTO_MAX_CODE + 1],
                             char reason[PV_PROTO_MAX_REASON + 1]);

/* ---- survey catalogue ---- */

char *pv_proto_catalog_encode(const pv_proto_catalog *c);
pv_err pv_proto_catalog_decode(const char *body, size_t len, pv_proto_catalog *out,
                               char *reason, size_t reason_len);
void pv_proto_catalog_free(pv_proto_catalog *c);

/* ---- checks shared by both ends ---- */

/* 1 when s is 64 lowercase hex digits. */
int pv_proto_sha256_valid(const char *s);
/* 1 when path is a safe relative file path inside a survey folder: 1..200
 * bytes, segments of [A-Za-z0-9._-] not starting with '.', separated by
 * single '/', no leading '/', no "..". */
int pv_proto_path_safe(const char *path);
/* 1 when s is a survey, question or option id (a-z, 0-9, '-', '_', starts
 * with a letter, 1..PV_STORE_MAX_ID bytes). */
int pv_proto_id_valid(const char *s);
/* 1 when s is a pv_time_iso() timestamp "YYYY-MM-DDTHH:MM:SS.mmmZ". */
int pv_proto_time_valid(const char *s);
/* 1 when s is a well-formed token ("pvd_" or "pva_" + base64url). */
int pv_proto_token_valid(const char *s);

#endif
