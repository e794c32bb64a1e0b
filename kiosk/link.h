/* link: the kiosk's side of sync. Turns the config's "sync" object into
 * the engine's settings (sync/engine.h), loads the surveys the engine has
 * installed (surveys_dir/current.json), and runs `pv-kiosk sync --once`.
 * The touchscreen app (kiosk/platform) starts the engine's thread itself. */
#ifndef PV_KIOSK_LINK_H
#define PV_KIOSK_LINK_H

#include <stdio.h>

#include "core/survey.h"
#include "kiosk/config.h"
#include "sync/engine.h"

#define PV_LINK_MAX_PATH 4096

/* Fills *out from cfg for the store at db_path; dir_buf (PV_LINK_MAX_PATH
 * bytes) receives the surveys folder in effect: the config's, or
 * "<db_path>.surveys" when it names none. out's strings borrow from cfg
 * and dir_buf. Returns
 * 0 when cfg has no sync url (nothing to do), 1 otherwise. */
int pv_link_config(const pv_config *cfg, const char *db_path, char *dir_buf,
                   pv_sync_config *out);

/* Adds to surveys[*n] (at most max) the versions listed in
 * surveys_dir/current.json that cfg enables: a synced survey replaces a
 * loaded one with the same id and a lower version (freed), and is skipped
 * when the loaded one is as new. Missing current.json: nothing added.
 * Returns how many were added or replaced. */
size_t pv_link_load_surveys(const char *surveys_dir, const pv_config *cfg,
                            const char *assets_dir, pv_survey **surveys, size_t *n,
                            size_t max);

/* Removes synced survey folders nobody needs any more: those neither in
 * current.json nor among the n surveys the kiosk has loaded (it may still
 * show one between residents) nor answered by a response st has not yet
 * had acknowledged. The running kiosk calls it after each (re)load: only
 * it knows what is on screen, so the sync engine never deletes a folder. */
void pv_link_collect(const char *surveys_dir, pv_survey *const *surveys, size_t n,
                     pv_store *st);

/* `pv-kiosk sync --once --config FILE [--db FILE]`: one pass; prints one
 * summary line to out and the problem to err. Returns 0 when nothing is
 * left pending, 1 otherwise (or on a failure), 2 on a usage error. */
int pv_link_main(int argc, char **argv, FILE *out, FILE *err);

#endif
