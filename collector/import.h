/* import: `pv-collector import DIR`, a kiosk's USB export (sync/usb.h)
 * into the collector, by the same rules as a network sync.
 *
 * The folder is checked against its manifest first (pv_usb_verify: a
 * mismatch names the file and nothing is stored). Then the attachments
 * responses name go in by SHA-256, sessions and responses through the very calls
 * the HTTP routes use (pv_cdb_session_ingest, pv_cdb_ingest) in batches of
 * PV_PROTO_MAX_BATCH, so an identical response is a duplicate, another
 * with the same UUID a conflict, and importing twice, or importing what
 * was already synced, changes nothing.
 *
 * Imported rows are recorded under a device principal of the territory
 * named "usb-<device uuid>" (the exporting kiosk), created by the first
 * import that stores something, with no usable token: its token hash is the SHA-256 of
 * a text that is not a token (pv_proto_token_valid refuses it), so no one can sync with
 * it, and it is found again by that hash. Revoking it (`pv-collector
 * device revoke --territory T usb-<uuid>`) refuses further imports from
 * that kiosk. */
#ifndef PV_COLLECTOR_IMPORT_H
#define PV_COLLECTOR_IMPORT_H

#include <stdio.h>

#include "collector/storage.h"
#include "sync/protocol.h"

#define PV_IMPORT_PRINCIPAL_PREFIX "usb-"

/* What an import did. */
typedef struct pv_import_report {
  char territory[PV_CDB_MAX_CODE + 1];
  char principal[PV_CDB_MAX_NAME + 1]; /* "usb-<device uuid>" */
  int principal_created;               /* 1 when this import enrolled it */
  size_t responses[PV_OUT__COUNT];     /* by outcome (invalid: undecodable too) */
  size_t sessions[PV_OUT__COUNT];      /* by outcome */
  size_t attachments_new, attachments_known;
} pv_import_report;

/* Imports the export folder dir into territory (NULL: the collector's
 * only territory, else PV_ERR_INVALID) at time now, filling *rep. Each
 * response or session refused (invalid, conflict...) gets one line on log
 * (may be NULL) naming the file, line, UUID and reason; it does not make
 * the call fail. Fails before storing anything when the folder does not
 * match its manifest (detail names the file), the territory is unknown
 * (PV_ERR_NOTFOUND), the kiosk's principal is revoked (PV_ERR_STATE), or
 * the kiosk already has responses or imported sessions in another
 * territory (PV_ERR_STATE, naming it). Only attachments a valid response
 * names are stored; the principal is enrolled only when something is to
 * be stored. Everything ingested is parsed from bytes hashed against the
 * manifest in memory (pv_usb_load), never re-read from the stick. */
pv_err pv_import_dir(pv_cdb *db, const char *territory, const char *dir,
                     const char *now, FILE *log, pv_import_report *rep);

/* 1 when every response and session was stored or a duplicate. */
int pv_import_clean(const pv_import_report *rep);

/* Prints the summary: stored / duplicate / conflict / invalid counts. */
void pv_import_print(const pv_import_report *rep, const char *dir, FILE *out);

#endif
