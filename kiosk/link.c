/* link: see link.h. */
#include "kiosk/link.h"

#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/store.h"
#include "sync/surveys.h"

#define DEFAULT_DB "porte-voix.db" /* as pv-kiosk itself */

int pv_link_config(const pv_config *cfg, const char *db_path, char *dir_buf,
                   pv_sync_config *out) {
  memset(out, 0, sizeof *out);
  if (!cfg->sync.url)
    return 0;
  out->url = cfg->sync.url;
  out->token = cfg->sync.token;
  out->ca_file = cfg->sync.ca_file;
  /* dir_buf always holds the folder in effect: the kiosk loads from it. */
  if (cfg->sync.surveys_dir)
    snprintf(dir_buf, PV_LINK_MAX_PATH, "%s", cfg->sync.surveys_dir);
  else
    snprintf(dir_buf, PV_LINK_MAX_PATH, "%s.surveys", db_path);
  out->surveys_dir = dir_buf;
  out->connect_timeout_ms = cfg->sync.connect_timeout_seconds * 1000L;
  out->transfer_timeout_ms = cfg->sync.transfer_timeout_seconds * 1000L;
  out->poll_seconds = cfg->sync.poll_seconds;
  return 1;
}

void pv_link_collect(const char *surveys_dir, pv_survey *const *surveys, size_t n,
                     pv_store *st) {
  pv_sync_current keep;
  pv_err err = pv_sync_current_read(surveys_dir, &keep);
  if (err == PV_ERR_NOTFOUND)
    return; /* nothing was ever installed */
  if (err) {
    PV_WARN("kiosk: synced surveys: %s; nothing removed", pv_err_detail());
    return;
  }
  for (size_t i = 0; i < n && keep.count < PV_PROTO_MAX_SURVEYS; i++) {
    keep.entries[keep.count].version = surveys[i]->version;
    snprintf(keep.entries[keep.count].id, sizeof keep.entries[keep.count].id, "%s",
             surveys[i]->id);
    keep.count++;
  }
  size_t removed = 0;
  if (pv_sync_surveys_gc(surveys_dir, &keep, st, &removed) != PV_OK)
    PV_WARN("kiosk: synced surveys: %s", pv_err_detail());
  else if (removed)
    PV_INFO("kiosk: %zu old survey version(s) removed", removed);
}

size_t pv_link_load_surveys(const char *surveys_dir, const pv_config *cfg,
                            const char *assets_dir, pv_survey **surveys, size_t *n,
                            size_t max) {
  pv_sync_current cur;
  pv_survey_opts so = {.assets_dir = assets_dir};
  size_t changed = 0;
  pv_err err = pv_sync_current_read(surveys_dir, &cur);
  if (err) {
    if (err != PV_ERR_NOTFOUND)
      PV_WARN("kiosk: synced surveys: %s", pv_err_detail());
    return 0;
  }
  for (size_t i = 0; i < cur.count; i++) {
    const pv_sync_current_entry *en = &cur.entries[i];
    char name[PV_SYNC_MAX_DIRNAME + 1], path[PV_LINK_MAX_PATH];
    size_t k = 0;
    if (!pv_config_survey_enabled(cfg, en->id))
      continue;
    while (k < *n && strcmp(surveys[k]->id, en->id) != 0)
      k++;
    if ((k < *n && surveys[k]->version >= en->version) || (k == *n && *n == max))
      continue;
    pv_sync_survey_dirname(en->id, en->version, name);
    /* By its survey.json: the folder is named "<id>@<version>", not "<id>". */
    snprintf(path, sizeof path, "%s/%s/survey.json", surveys_dir, name);
    pv_survey *s = NULL;
    pv_diags diags = {0};
    if (pv_survey_load(path, &so, &s, &diags) != PV_OK) {
      pv_diags_print(&diags, stderr);
      pv_diags_free(&diags);
      continue;
    }
    pv_diags_free(&diags);
    if (k < *n)
      pv_survey_free(surveys[k]);
    else
      (*n)++;
    surveys[k] = s;
    changed++;
  }
  return changed;
}

static int usage(FILE *f) {
  fprintf(f, "usage: pv-kiosk sync --once --config FILE [--db FILE]\n");
  return 2;
}

int pv_link_main(int argc, char **argv, FILE *out, FILE *errf) {
  const char *config = NULL, *db = DEFAULT_DB;
  char dir[PV_LINK_MAX_PATH];
  int once = 0, code = 1;
  pv_config cfg;
  pv_diags diags = {0};
  pv_store *st = NULL;
  pv_sync_config sc;
  pv_sync_report rep;
  pv_clock clock = pv_clock_system();
  pv_config_defaults(&cfg);
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--once") == 0)
      once = 1;
    else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
      config = argv[++i];
    else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
      db = argv[++i];
    else
      return usage(errf);
  }
  if (!once || !config)
    return usage(errf);
  pv_err err = pv_config_load(config, &cfg, &diags);
  pv_diags_print(&diags, errf);
  pv_diags_free(&diags);
  if (err)
    goto out;
  if (!pv_link_config(&cfg, db, dir, &sc)) {
    fprintf(errf, "pv-kiosk sync: %s has no \"sync\": {\"url\": ...}\n", config);
    goto out;
  }
  if ((err = pv_store_open(db, &clock, &st))) {
    fprintf(errf, "pv-kiosk sync: %s: %s\n", pv_strerror(err), pv_err_detail());
    goto out;
  }
  err = pv_sync_once(&sc, st, &rep);
  fprintf(
      out,
      "sync: sent %zu, acknowledged %zu, refused %zu, attachments %zu, pending %zu\n",
      rep.sent, rep.acked, rep.failed, rep.attachments, rep.pending_after);
  if (err)
    fprintf(errf, "pv-kiosk sync: %s (%s)\n", rep.message, rep.error);
  else if (rep.message[0])
    fprintf(errf, "pv-kiosk sync: %s\n", rep.message);
  code = err == PV_OK && rep.pending_known && rep.pending_after == 0 ? 0 : 1;
out:
  pv_store_close(st);
  pv_config_free(&cfg);
  return code;
}
