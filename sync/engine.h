/* engine: the device's sync engine (docs/sync-protocol.md, "Retry rules").
 *
 * A pass refreshes the surveys (sync/surveys.h) and the territory's list
 * of quartiers (<surveys_dir>/quartiers.json, core/quartiers.h; a failure
 * there is counted, not fatal), then sends the outbox in
 * batches: sessions first (POST /v1/sessions: a session goes when it
 * begins and again once it has ended), then the animateur's recorded
 * prompts and deletions (audio as attachments, then POST /v1/prompts) and
 * the territory's current recordings and deletions (GET /v1/prompts:
 * each recording this store lacks by GET /v1/attachments, checked for
 * size, SHA-256 and WAV; each applied by pv_store_prompt_receive), then
 * attachments (HEAD, then PUT
 * what the server lacks), then POST /v1/responses; a session or response
 * is acknowledged in the store only after the server's reply, read whole,
 * said stored or duplicate. A failure on sessions is logged and counted
 * (sessions_failed) but does not stop the responses, nor does one on
 * prompts (prompts_failed, prompts_receive_failed); responses name their
 * session only by uuid. A pass ends when nothing is left or a request
 * for responses fails. pv_sync_once runs one
 * pass on the caller's store; pv_sync_start runs passes on a background
 * thread with its own store connection, exponential backoff with jitter
 * (never giving up), and a status the UI reads in plain French. */
#ifndef PV_SYNC_ENGINE_H
#define PV_SYNC_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/store.h"

#define PV_SYNC_BACKOFF_BASE_MS 2000LL
#define PV_SYNC_BACKOFF_CAP_MS (15 * 60 * 1000LL)
#define PV_SYNC_DEFAULT_POLL_S 60
#define PV_SYNC_MAX_MESSAGE 256 /* bytes of a status or report message */
/* Reply caps: a batch's results, an error body, the survey catalogue. */
#define PV_SYNC_MAX_REPLY (1 << 20)
#define PV_SYNC_MAX_CATALOG (4 << 20)

typedef struct pv_sync_config {
  const char *url;         /* collector base URL, e.g. https://pv.example.org */
  const char *token;       /* device token */
  const char *ca_file;     /* CA bundle; NULL: the system's */
  const char *surveys_dir; /* where synced surveys go; NULL: no survey refresh */
  const char *assets_dir;  /* for pv_survey_load; NULL: built-in */
  long connect_timeout_ms, transfer_timeout_ms; /* 0: the protocol's defaults */
  size_t batch;     /* responses per POST, 1..PV_PROTO_MAX_BATCH; 0: the max */
  int poll_seconds; /* thread: wait after a clean pass; 0: 60 */
} pv_sync_config;

/* What one pass did. err is PV_OK when the pass ran to its end (some
 * responses may still have failed on their own: see failed); otherwise
 * the request that failed is described by http_status (0: no HTTP answer),
 * error (English, for logs) and message (plain French, for animateurs). */
typedef struct pv_sync_report {
  size_t sent;                   /* responses posted */
  size_t acked;                  /* acknowledged (stored or duplicate) */
  size_t failed;                 /* refused one by one (invalid, conflict, 422...) */
  size_t pending_after;          /* finished, unacknowledged responses left */
  int pending_known;             /* pending_after was counted (the store answered) */
  size_t attachments;            /* attachments uploaded */
  size_t sessions_sent;          /* sessions posted (before the responses) */
  size_t sessions_acked;         /* ... acknowledged (stored or duplicate) */
  size_t sessions_failed;        /* ... refused one by one, or not sent (see below) */
  int surveys_installed;         /* survey versions installed this pass */
  int surveys_not_modified;      /* the catalogue answered 304 */
  int surveys_changed;           /* current.json was rewritten */
  int surveys_failed;            /* versions that could not be installed */
  int disk_full;                 /* ... because the disk is full */
  int quartiers_changed;         /* <surveys_dir>/quartiers.json was rewritten */
  int quartiers_failed;          /* the list could not be fetched, read or saved */
  size_t prompts_sent;           /* recorded prompts posted (after the sessions) */
  size_t prompts_acked;          /* ... acknowledged (stored or duplicate) */
  size_t prompts_failed;         /* ... refused one by one, or not sent */
  size_t prompts_received;       /* the territory's recordings stored here */
  size_t prompts_removed;        /* the territory's deletions applied here */
  size_t prompts_receive_failed; /* ... entries that could not be fetched or kept */
  pv_err err;
  long http_status;
  long retry_after_s; /* -1 when the server named none */
  char error[PV_SYNC_MAX_MESSAGE];
  char message[PV_SYNC_MAX_MESSAGE];
} pv_sync_report;

/* Runs one pass with store st (the caller's; used by this thread only
 * meanwhile) and fills *out. Returns out->err. */
pv_err pv_sync_once(const pv_sync_config *c, pv_store *st, pv_sync_report *out);

/* Milliseconds before the next pass after `failures` consecutive failed
 * passes (>= 1): min(cap, base * 2^failures) scaled by 0.5 + 0.5 * unit
 * (unit in [0, 1), the jitter), and at least retry_after_s seconds. */
int64_t pv_sync_backoff_ms(int failures, long retry_after_s, double unit);

/* ---- the background thread ------------------------------------------- */

typedef struct pv_sync pv_sync;

typedef struct pv_sync_status {
  size_t pending;                        /* finished responses not yet acknowledged */
  int64_t last_success_ms;               /* by the clock; 0: never */
  int64_t last_attempt_ms;               /* 0: none yet */
  int64_t next_attempt_ms;               /* 0: now or unknown */
  int consecutive_failures;              /* failed passes since the last clean one */
  int running;                           /* a pass is under way */
  long http_status;                      /* of the last failure */
  char last_error[PV_SYNC_MAX_MESSAGE];  /* plain French; "" after a clean pass */
  char last_detail[PV_SYNC_MAX_MESSAGE]; /* English, for logs */
} pv_sync_status;

/* Starts the thread: it opens its own store on db_path with clock (copied;
 * clock's ud must outlive the thread), and copies c. *out is the caller's,
 * to pv_sync_stop. */
pv_err pv_sync_start(const pv_sync_config *c, const char *db_path,
                     const pv_clock *clock, pv_sync **out);

/* Asks for a pass now (after an answer is finished, say). */
void pv_sync_kick(pv_sync *s);

/* Copies the current status into *out. */
void pv_sync_status_get(pv_sync *s, pv_sync_status *out);

/* Increases each time new survey versions were installed (surveys_dir's
 * current.json changed): the kiosk reloads when it sees it move. */
int pv_sync_surveys_generation(pv_sync *s);

/* Increases each time recorded prompts or deletions from the collector
 * changed the store: the kiosk reloads its prompts when it sees it move. */
int pv_sync_prompts_generation(pv_sync *s);

/* Aborts any transfer, wakes and joins the thread, frees s; NULL is fine. */
void pv_sync_stop(pv_sync *s);

#endif
