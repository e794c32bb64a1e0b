/* surveys: the device's folder of synced surveys, on disk.
 *
 *   <surveys_dir>/<id>@<version>/      one folder per installed version
 *   <surveys_dir>/.staging-<id>@<v>-*  downloads in progress (never read)
 *   <surveys_dir>/current.json         {"surveys":[{"id","version","dir"}]}
 *
 * A version is downloaded into a staging folder, each file checked (safe
 * path, size, SHA-256) and fsync'd, the whole loaded with pv_survey_load,
 * (by its survey.json, since the folder is not named after the id) and
 * only then renamed into place; current.json is rewritten atomically
 * (tmp, fsync, rename, fsync of the folder). So the kiosk, which reads
 * only current.json and the folders it names, never sees half a survey.
 * HTTP is the engine's business (sync/engine.c); this module is files. */
#ifndef PV_SYNC_SURVEYS_H
#define PV_SYNC_SURVEYS_H

#include <stddef.h>

#include "core/err.h"
#include "core/store.h"
#include "sync/protocol.h"

#define PV_SYNC_CURRENT "current.json"
#define PV_SYNC_MAX_CURRENT (64 << 10)             /* bytes of current.json */
#define PV_SYNC_MAX_SURVEY_FILE (16 << 20)         /* bytes of one survey file */
#define PV_SYNC_MAX_PATH 4096                      /* bytes of a path we build */
#define PV_SYNC_MAX_DIRNAME (PV_STORE_MAX_ID + 16) /* "<id>@<version>" */

typedef struct pv_sync_current_entry {
  char id[PV_STORE_MAX_ID + 1];
  int version;
} pv_sync_current_entry;

/* The active versions, at most one per id. */
typedef struct pv_sync_current {
  pv_sync_current_entry entries[PV_PROTO_MAX_SURVEYS];
  size_t count;
} pv_sync_current;

/* Writes "<id>@<version>" into out (PV_SYNC_MAX_DIRNAME + 1 bytes). */
void pv_sync_survey_dirname(const char *id, int version,
                            char out[PV_SYNC_MAX_DIRNAME + 1]);

/* Reads <dir>/current.json into *out. PV_ERR_NOTFOUND when there is none
 * (out->count 0); PV_ERR_CORRUPT when it is not ours or broke a bound. */
pv_err pv_sync_current_read(const char *dir, pv_sync_current *out);

/* Replaces <dir>/current.json atomically with c. */
pv_err pv_sync_current_write(const char *dir, const pv_sync_current *c);

/* 1 when <dir>/<id>@<version> is an installed folder. */
int pv_sync_survey_installed(const char *dir, const char *id, int version);

/* Creates <dir> if needed and a fresh staging folder for s in it; its
 * path goes to staging (PV_SYNC_MAX_PATH bytes). */
pv_err pv_sync_stage_begin(const char *dir, const pv_proto_survey *s, char *staging);

/* Checks that len bytes at data are file f (safe path, size, SHA-256) and
 * writes them durably under staging. PV_ERR_INVALID / PV_ERR_CORRUPT when
 * they are not (nothing written). */
pv_err pv_sync_stage_file(const char *staging, const pv_proto_file *f, const void *data,
                          size_t len);

/* Loads the staged folder with pv_survey_load (assets_dir may be NULL),
 * checks it is s's id and version, and renames it into <dir>/<id>@<v>.
 * PV_ERR_INVALID (the survey does not load: the loader's first problem in
 * the detail) leaves the staging folder for pv_sync_stage_abort. */
pv_err pv_sync_stage_commit(const char *dir, const char *staging,
                            const pv_proto_survey *s, const char *assets_dir);

/* Removes a staging folder and everything in it; NULL or "" is fine. */
void pv_sync_stage_abort(const char *staging);

/* Removes what is no longer needed from dir: staging leftovers, and
 * version folders that current does not name and no response in st is
 * unsynced for (pv_store_unsynced_count). Writes how many version folders
 * went to *removed (may be NULL). */
pv_err pv_sync_surveys_gc(const char *dir, const pv_sync_current *current, pv_store *st,
                          size_t *removed);

#endif
