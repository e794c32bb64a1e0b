/* config: the kiosk's settings file (docs/kiosk-config.md).
 *
 * A small JSON object: the device's name, the default language, which
 * surveys to offer, the inactivity timeout, autoplay and volume, the
 * screen's rotation, and a "sync" object kept for the sync engine. It is
 * read like a survey file: bounded, pre-scanned (core/jsonpos), parsed
 * with cJSON, and every problem reported as "path:line:col: message"
 * (pv_diags, core/survey.h); unknown keys are errors, so a typo never
 * silently falls back to a default. A missing file means the defaults.
 * No SDL here. */
#ifndef PV_KIOSK_CONFIG_H
#define PV_KIOSK_CONFIG_H

#include <stddef.h>

#include "core/err.h"
#include "core/survey.h"

#define PV_CONFIG_MAX_FILE (64 << 10) /* bytes */
#define PV_CONFIG_MAX_DEPTH 8
#define PV_CONFIG_MAX_NAME 64 /* device_name, bytes */
#define PV_CONFIG_MAX_SURVEYS 64
#define PV_CONFIG_MAX_SYNC_STRING 2048 /* url, token, ca_file, bytes */

#define PV_CONFIG_DEFAULT_NAME "porte-voix"
#define PV_CONFIG_DEFAULT_LANGUAGE "fr"
#define PV_CONFIG_DEFAULT_INACTIVITY 40
#define PV_CONFIG_MIN_INACTIVITY 10
#define PV_CONFIG_MAX_INACTIVITY 600
#define PV_CONFIG_DEFAULT_AUTOPLAY 1
#define PV_CONFIG_DEFAULT_VOLUME 80
#define PV_CONFIG_DEFAULT_ROTATE 0

#define PV_CONFIG_DEFAULT_POLL 60 /* sync.poll_seconds */
#define PV_CONFIG_MIN_POLL 5
#define PV_CONFIG_MAX_POLL 86400
#define PV_CONFIG_MAX_TIMEOUT 3600 /* sync.*_timeout_seconds */

/* The "sync" object: what the sync engine needs (kiosk/link.h turns it
 * into a pv_sync_config). Strings are NULL when absent; numbers 0 when
 * absent (the engine's defaults). json is the whole object as compact
 * JSON (other keys included), NULL when there is no "sync". */
typedef struct pv_config_sync {
  char *url, *token, *ca_file;
  char *surveys_dir;            /* NULL: "<db>.surveys" beside the store */
  int poll_seconds;             /* 0: PV_CONFIG_DEFAULT_POLL */
  int connect_timeout_seconds;  /* 0: 10 */
  int transfer_timeout_seconds; /* 0: 120 */
  char *json;
} pv_config_sync;

typedef struct pv_config {
  char device_name[PV_CONFIG_MAX_NAME + 1];
  char language[PV_SURVEY_MAX_LANG_TAG + 1];
  char surveys[PV_CONFIG_MAX_SURVEYS][PV_SURVEY_MAX_ID + 1]; /* enabled ids */
  size_t n_surveys;                                          /* 0: all */
  int inactivity_seconds;
  int autoplay;    /* 0 or 1 */
  int volume;      /* 0..100 */
  int voice_notes; /* 0: voice questions hidden on this device (default 1) */
  int rotate;      /* degrees clockwise the panel shows the screen: 0/90/180/270 */
  pv_config_sync sync;
} pv_config;

/* Fills c with the defaults (allocates nothing; pv_config_free is still
 * safe on it). */
void pv_config_defaults(pv_config *c);

/* Reads the config file at path into *c. A missing file gives the
 * defaults, logs one info line and returns PV_OK. Any other problem
 * (unreadable, too big, bad JSON, wrong type, out of bounds, unknown key)
 * is appended to diags as "path:line:col: message" (caller frees with
 * pv_diags_free), and the function returns PV_ERR_INVALID with *c holding
 * the defaults; PV_ERR_NOMEM when memory runs out. Free *c with
 * pv_config_free in every case. */
pv_err pv_config_load(const char *path, pv_config *c, pv_diags *diags);

/* The same from bytes in memory; name is used in messages. */
pv_err pv_config_parse(const char *name, const char *data, size_t len, pv_config *c,
                       pv_diags *diags);

/* Frees what c holds (the sync strings) and resets it to the defaults. */
void pv_config_free(pv_config *c);

/* Returns 1 when deg is a rotation the kiosk can draw: 0, 90, 180, 270. */
int pv_config_rotate_valid(long deg);

/* Returns 1 when the survey id is offered: listed, or no list. */
int pv_config_survey_enabled(const pv_config *c, const char *id);

#endif
