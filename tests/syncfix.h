/* syncfix: what the sync tests share. A collector database made through
 * the storage API (a territory, a device token, the sample surveys
 * published), a device store filled with finished responses (some with
 * attachments), and the check that matters: the server holds exactly the
 * device's responses, each with the same canonical content. */
#ifndef PV_TEST_SYNCFIX_H
#define PV_TEST_SYNCFIX_H

#include <stddef.h>

#include "core/store.h"
#include "sync/protocol.h"

#define FX_TERRITORY "34172"
#define FX_SURVEYS PV_SOURCE_DIR "/content/surveys"

typedef char fx_uuid[PV_UUID_LEN + 1];

/* Creates the collector database db: territory FX_TERRITORY, a device
 * token (into token) and the three sample surveys published for all
 * territories. Aborts on failure. */
void fx_collector_setup(const char *db, char token[PV_PROTO_TOKEN_LEN + 1]);

/* Publishes the survey folder dir into db (for all territories). Returns
 * the storage's result. */
pv_err fx_publish(const char *db, const char *dir);

/* Revokes the device token made by fx_collector_setup. */
void fx_revoke(const char *db);

/* Adds n finished responses to st, spread over the sample surveys, every
 * att_every-th (0: none) with an attachment; their UUIDs go to uuids[n]. */
void fx_fill(pv_store *st, size_t n, size_t att_every, fx_uuid *uuids);

/* Compares the collector database db with the device: every response the
 * device marked synced is on the server with the same canonical hash, and
 * every server response is one of the device's, once, with the same
 * hash; with all set, every device response is synced and on the server.
 * Returns the number of problems (each printed). */
int fx_compare(const char *db, pv_store *st, const fx_uuid *uuids, size_t n, int all);

/* Counts the server's responses. */
size_t fx_server_count(const char *db);

/* A cheap clock for stores: *ms moves one second per call. */
#include "core/clock.h"
pv_clock fx_ticking_clock(int64_t *ms);

#endif
