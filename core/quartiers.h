/* quartiers: the list of quartiers (QPV code and name) an animateur picks
 * a session's quartier from.
 *
 * The collector distributes each territory's list (GET /v1/quartiers,
 * docs/sync-protocol.md); the sync engine saves it as
 * <surveys_dir>/quartiers.json; content/quartiers.json is the offline
 * default of the sample territory. File and wire share one format,
 * {"quartiers":[{"code":"QN03401M","name":"..."}]}, parsed strictly here
 * so the kiosk, the engine and the collector agree on it. */
#ifndef PV_QUARTIERS_H
#define PV_QUARTIERS_H

#include <stddef.h>

#include "core/err.h"

#define PV_QUARTIER_CODE_LEN 8          /* "QN03401M" */
#define PV_QUARTIER_MAX_NAME 200        /* bytes of a name (= PV_STORE_MAX_TEXT) */
#define PV_QUARTIERS_MAX 2048           /* quartiers in one list (France has ~1,600) */
#define PV_QUARTIERS_MAX_FILE (1 << 20) /* bytes of a list's JSON */

typedef struct pv_quartier {
  char code[PV_QUARTIER_CODE_LEN + 1];
  char name[PV_QUARTIER_MAX_NAME + 1];
} pv_quartier;

/* 1 when code is an official QPV code: "QN", the department (3 of
 * [0-9AB]: "034", "02A", "971"), 2 digits, a capital letter. */
int pv_quartier_code_valid(const char *code);

/* 1 when name is 1..PV_QUARTIER_MAX_NAME bytes without control characters. */
int pv_quartier_name_valid(const char *name);

/* Parses len bytes of a list: PV_OK and *out (malloc'd, caller frees; NULL
 * when empty) of *n quartiers in the text's order, or PV_ERR_INVALID /
 * PV_ERR_TOOBIG with reason (reason_len bytes): not JSON, a key other than
 * "quartiers" (and an optional "note" text) at the top or other than
 * "code" and "name" in an item, a bad code or name, a code twice, more
 * than PV_QUARTIERS_MAX items or PV_QUARTIERS_MAX_FILE bytes. */
pv_err pv_quartiers_parse(const char *text, size_t len, pv_quartier **out, size_t *n,
                          char *reason, size_t reason_len);

/* Returns the list's canonical JSON, compact (malloc'd, caller frees);
 * NULL when out of memory. */
char *pv_quartiers_encode(const pv_quartier *q, size_t n);

/* Reads and parses the file at path: PV_ERR_NOTFOUND when there is none,
 * PV_ERR_IO when it cannot be read, else as pv_quartiers_parse (the
 * reason in the detail). */
pv_err pv_quartiers_load(const char *path, pv_quartier **out, size_t *n);

/* Replaces the file at path with the list, atomically: a temporary name
 * of this writer's own beside it, fsync, rename, fsync of the folder. */
pv_err pv_quartiers_save(const char *path, const pv_quartier *q, size_t n);

#endif
