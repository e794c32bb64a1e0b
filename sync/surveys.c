/* surveys: see surveys.h. Every write that matters is followed by fsync
 * of the file and of the folder that names it, so a power cut leaves
 * either the old state or the new one. */
#include "sync/surveys.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/sha256.h"
#include "core/survey.h"

#define STAGING_PREFIX ".staging-"
#define STALE_STAGING_S 3600 /* another process's download is surely dead by then */

void pv_sync_survey_dirname(const char *id, int version,
                            char out[PV_SYNC_MAX_DIRNAME + 1]) {
  snprintf(out, PV_SYNC_MAX_DIRNAME + 1, "%s@%d", id, version);
}

/* Writes "<a>/<b>" into out (PV_SYNC_MAX_PATH bytes). */
static pv_err join(char *out, const char *a, const char *b) {
  int w = snprintf(out, PV_SYNC_MAX_PATH, "%s/%s", a, b);
  if (w < 0 || w >= PV_SYNC_MAX_PATH)
    return pv_fail(PV_ERR_TOOBIG, "surveys: path %s/%s too long", a, b);
  return PV_OK;
}

static pv_err write_all(int fd, const char *path, const void *data, size_t len) {
  const char *p = data;
  while (len > 0) {
    ssize_t w = write(fd, p, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return pv_fail(errno == ENOSPC ? PV_ERR_FULL : PV_ERR_IO, "surveys: %s: %s", path,
                     strerror(errno));
    p += w;
    len -= (size_t)w;
  }
  return PV_OK;
}

/* fsyncs a folder so the names in it (new files, renames) are durable. */
static pv_err sync_dir(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return pv_fail(PV_ERR_IO, "surveys: %s: %s", path, strerror(errno));
  int rc = fsync(fd);
  int e = errno;
  close(fd);
  if (rc != 0)
    return pv_fail(PV_ERR_IO, "surveys: fsync %s: %s", path, strerror(e));
  return PV_OK;
}

/* Writes a whole new file (O_EXCL unless replace) and fsyncs it. */
static pv_err write_file(const char *path, const void *data, size_t len, int replace) {
  int fd =
      open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (replace ? O_TRUNC : O_EXCL), 0644);
  if (fd < 0)
    return pv_fail(errno == ENOSPC ? PV_ERR_FULL : PV_ERR_IO, "surveys: %s: %s", path,
                   strerror(errno));
  pv_err err = write_all(fd, path, data, len);
  if (!err && fsync(fd) != 0)
    err = pv_fail(PV_ERR_IO, "surveys: fsync %s: %s", path, strerror(errno));
  if (close(fd) != 0 && !err)
    err = pv_fail(PV_ERR_IO, "surveys: close %s: %s", path, strerror(errno));
  return err;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  if (remove(path) != 0)
    PV_WARN("surveys: remove %s: %s", path, strerror(errno));
  return 0;
}

static void rmtree(const char *path) {
  nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int sync_one(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw) {
  (void)st;
  (void)ftw;
  return flag == FTW_DP && sync_dir(path) != PV_OK ? -1 : 0;
}

/* ---- current.json ----------------------------------------------------- */

pv_err pv_sync_current_read(const char *dir, pv_sync_current *out) {
  char path[PV_SYNC_MAX_PATH];
  char *data = NULL;
  cJSON *root = NULL;
  pv_err err;
  int fd = -1;
  memset(out, 0, sizeof *out);
  if ((err = join(path, dir, PV_SYNC_CURRENT)))
    return err;
  if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
    return pv_fail(errno == ENOENT ? PV_ERR_NOTFOUND : PV_ERR_IO, "surveys: %s: %s",
                   path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > PV_SYNC_MAX_CURRENT) {
    err = pv_fail(PV_ERR_CORRUPT, "surveys: %s: not a file under %d bytes", path,
                  PV_SYNC_MAX_CURRENT);
    goto out;
  }
  if (!(data = malloc((size_t)st.st_size + 1))) {
    err = pv_fail(PV_ERR_NOMEM, "surveys: out of memory");
    goto out;
  }
  ssize_t n = read(fd, data, (size_t)st.st_size);
  if (n != st.st_size) {
    err = pv_fail(PV_ERR_IO, "surveys: %s: short read", path);
    goto out;
  }
  data[n] = '\0';
  root = cJSON_ParseWithLength(data, (size_t)n);
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "surveys");
  if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > PV_PROTO_MAX_SURVEYS) {
    err = pv_fail(PV_ERR_CORRUPT, "surveys: %s: no \"surveys\" list of at most %d",
                  path, PV_PROTO_MAX_SURVEYS);
    goto out;
  }
  for (const cJSON *e = list->child; e; e = e->next) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "version");
    if (!cJSON_IsString(id) || !pv_proto_id_valid(id->valuestring) ||
        !cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > INT_MAX ||
        v->valuedouble != (int)v->valuedouble) {
      err = pv_fail(PV_ERR_CORRUPT, "surveys: %s: bad entry", path);
      goto out;
    }
    pv_sync_current_entry *en = &out->entries[out->count++];
    snprintf(en->id, sizeof en->id, "%s", id->valuestring);
    en->version = (int)v->valuedouble;
  }
out:
  if (err)
    out->count = 0;
  cJSON_Delete(root);
  free(data);
  if (fd >= 0)
    close(fd);
  return err;
}

pv_err pv_sync_current_write(const char *dir, const pv_sync_current *c) {
  char path[PV_SYNC_MAX_PATH], tmp[PV_SYNC_MAX_PATH], name[PV_SYNC_MAX_DIRNAME + 1];
  char *text = NULL;
  pv_err err = PV_OK;
  cJSON *root = cJSON_CreateObject();
  cJSON *list = root ? cJSON_AddArrayToObject(root, "surveys") : NULL;
  if (!list) {
    err = pv_fail(PV_ERR_NOMEM, "surveys: out of memory");
    goto out;
  }
  for (size_t i = 0; i < c->count; i++) {
    cJSON *e = cJSON_CreateObject();
    pv_sync_survey_dirname(c->entries[i].id, c->entries[i].version, name);
    if (!e || !cJSON_AddItemToArray(list, e) ||
        !cJSON_AddStringToObject(e, "id", c->entries[i].id) ||
        !cJSON_AddNumberToObject(e, "version", c->entries[i].version) ||
        !cJSON_AddStringToObject(e, "dir", name)) {
      err = pv_fail(PV_ERR_NOMEM, "surveys: out of memory");
      goto out;
    }
  }
  if (!(text = cJSON_Print(root))) {
    err = pv_fail(PV_ERR_NOMEM, "surveys: out of memory");
    goto out;
  }
  /* A temporary name of this writer's own: the kiosk's thread and a
   * `pv-kiosk sync --once` may write at the same moment. */
  static atomic_uint serial;
  char tmp_name[64];
  snprintf(tmp_name, sizeof tmp_name, ".%s.%ld.%u.tmp", PV_SYNC_CURRENT, (long)getpid(),
           atomic_fetch_add(&serial, 1));
  if ((err = join(path, dir, PV_SYNC_CURRENT)) || (err = join(tmp, dir, tmp_name)) ||
      (err = write_file(tmp, text, strlen(text), 0)))
    goto out;
  if (rename(tmp, path) != 0) {
    unlink(tmp);
    err = pv_fail(PV_ERR_IO, "surveys: rename %s: %s", tmp, strerror(errno));
    goto out;
  }
  err = sync_dir(dir);
out:
  cJSON_free(text);
  cJSON_Delete(root);
  return err;
}

int pv_sync_survey_installed(const char *dir, const char *id, int version) {
  char name[PV_SYNC_MAX_DIRNAME + 1], path[PV_SYNC_MAX_PATH];
  struct stat st;
  pv_sync_survey_dirname(id, version, name);
  return join(path, dir, name) == PV_OK && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- staging ---------------------------------------------------------- */

pv_err pv_sync_stage_begin(const char *dir, const pv_proto_survey *s, char *staging) {
  char name[PV_SYNC_MAX_DIRNAME + 1], leaf[PV_SYNC_MAX_DIRNAME + 32];
  pv_err err;
  staging[0] = '\0';
  if (!pv_proto_id_valid(s->id) || s->version < 0)
    return pv_fail(PV_ERR_INVALID, "surveys: bad survey id or version");
  if (mkdir(dir, 0755) != 0 && errno != EEXIST)
    return pv_fail(PV_ERR_IO, "surveys: mkdir %s: %s", dir, strerror(errno));
  pv_sync_survey_dirname(s->id, s->version, name);
  snprintf(leaf, sizeof leaf, STAGING_PREFIX "%s-XXXXXX", name);
  if ((err = join(staging, dir, leaf)))
    return err;
  if (!mkdtemp(staging)) {
    err = pv_fail(errno == ENOSPC ? PV_ERR_FULL : PV_ERR_IO, "surveys: mkdtemp %s: %s",
                  staging, strerror(errno));
    staging[0] = '\0';
  }
  return err;
}

pv_err pv_sync_stage_file(const char *staging, const pv_proto_file *f, const void *data,
                          size_t len) {
  char path[PV_SYNC_MAX_PATH], sha[PV_SHA256_HEX + 1];
  pv_err err;
  if (!pv_proto_path_safe(f->path))
    return pv_fail(PV_ERR_INVALID, "surveys: unsafe file path \"%.80s\"", f->path);
  if (len != f->size || len > PV_SYNC_MAX_SURVEY_FILE)
    return pv_fail(PV_ERR_CORRUPT, "surveys: %s: %zu bytes, expected %zu (at most %d)",
                   f->path, len, f->size, PV_SYNC_MAX_SURVEY_FILE);
  if ((err = pv_sha256_hex(data, len, sha)))
    return err;
  if (strcmp(sha, f->sha256) != 0)
    return pv_fail(PV_ERR_CORRUPT, "surveys: %s: SHA-256 %s, expected %s", f->path, sha,
                   f->sha256);
  if ((err = join(path, staging, f->path)))
    return err;
  /* The path is safe: make each folder above the file, inside staging. */
  size_t base = strlen(staging) + 1;
  for (char *p = path + base; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    int rc = mkdir(path, 0755);
    int e = errno;
    *p = '/';
    if (rc != 0 && e != EEXIST)
      return pv_fail(PV_ERR_IO, "surveys: mkdir under %s: %s", staging, strerror(e));
  }
  return write_file(path, data, len, 0);
}

pv_err pv_sync_stage_commit(const char *dir, const char *staging,
                            const pv_proto_survey *s, const char *assets_dir) {
  char name[PV_SYNC_MAX_DIRNAME + 1], final[PV_SYNC_MAX_PATH];
  pv_survey *sv = NULL;
  pv_diags diags = {0};
  char file[PV_SYNC_MAX_PATH];
  pv_survey_opts so = {.assets_dir = assets_dir};
  /* By its survey.json: a folder would have to be named after the id. */
  pv_err err = join(file, staging, "survey.json");
  if (!err)
    err = pv_survey_load(file, &so, &sv, &diags);
  if (err) {
    err = pv_fail(err, "surveys: %s version %d does not load: %s", s->id, s->version,
                  diags.count ? diags.items[0].message : pv_err_detail());
    goto out;
  }
  if (strcmp(sv->id, s->id) != 0 || sv->version != s->version) {
    err = pv_fail(PV_ERR_INVALID,
                  "surveys: catalogue says %s version %d, file says %s %d", s->id,
                  s->version, sv->id, sv->version);
    goto out;
  }
  if (nftw(staging, sync_one, 16, FTW_DEPTH | FTW_PHYS) != 0) {
    err = pv_fail(PV_ERR_IO, "surveys: fsync of %s failed", staging);
    goto out;
  }
  pv_sync_survey_dirname(s->id, s->version, name);
  if ((err = join(final, dir, name)))
    goto out;
  if (rename(staging, final) != 0) {
    if (errno == ENOTEMPTY || errno == EEXIST) { /* installed meanwhile */
      pv_sync_stage_abort(staging);
      goto out;
    }
    err = pv_fail(PV_ERR_IO, "surveys: rename %s: %s", staging, strerror(errno));
    goto out;
  }
  err = sync_dir(dir);
out:
  pv_survey_free(sv);
  pv_diags_free(&diags);
  return err;
}

void pv_sync_stage_abort(const char *staging) {
  if (staging && staging[0])
    rmtree(staging);
}

/* ---- garbage collection ----------------------------------------------- */

/* Parses "<id>@<version>"; 1 when name is one. */
static int parse_dirname(const char *name, char id[PV_STORE_MAX_ID + 1], int *version) {
  const char *at = strrchr(name, '@');
  if (!at || at == name || (size_t)(at - name) > PV_STORE_MAX_ID)
    return 0;
  memcpy(id, name, (size_t)(at - name));
  id[at - name] = '\0';
  char *end;
  long v = strtol(at + 1, &end, 10);
  if (end == at + 1 || *end || v < 1 || v > INT_MAX || !pv_proto_id_valid(id))
    return 0;
  *version = (int)v;
  return 1;
}

pv_err pv_sync_surveys_gc(const char *dir, const pv_sync_current *current, pv_store *st,
                          size_t *removed) {
  char path[PV_SYNC_MAX_PATH], id[PV_STORE_MAX_ID + 1];
  pv_err err = PV_OK;
  size_t gone = 0;
  DIR *d = opendir(dir);
  if (removed)
    *removed = 0;
  if (!d)
    return errno == ENOENT
               ? PV_OK
               : pv_fail(PV_ERR_IO, "surveys: %s: %s", dir, strerror(errno));
  struct dirent *e;
  while (!err && (e = readdir(d))) {
    int version;
    struct stat sb;
    if (join(path, dir, e->d_name) != PV_OK || lstat(path, &sb) != 0 ||
        !S_ISDIR(sb.st_mode))
      continue;
    if (strncmp(e->d_name, STAGING_PREFIX, strlen(STAGING_PREFIX)) == 0) {
      if (time(NULL) - sb.st_mtime > STALE_STAGING_S)
        rmtree(path);
      continue;
    }
    if (!parse_dirname(e->d_name, id, &version))
      continue;
    int active = 0;
    for (size_t i = 0; i < current->count && !active; i++)
      active = current->entries[i].version == version &&
               strcmp(current->entries[i].id, id) == 0;
    size_t unsynced = 0;
    if (active || (err = pv_store_unsynced_count(st, id, version, &unsynced)) ||
        unsynced)
      continue;
    PV_INFO("surveys: removing %s (replaced, every response synced)", e->d_name);
    /* Out of sight first (one rename), then deleted: a crash half-way
     * leaves a staging-like leftover, never a partial "<id>@<v>" that
     * would pass for installed. */
    char trash[PV_SYNC_MAX_PATH], leaf[sizeof e->d_name + 64];
    snprintf(leaf, sizeof leaf, STAGING_PREFIX "gone-%s-%ld", e->d_name,
             (long)getpid());
    if (join(trash, dir, leaf) == PV_OK && rename(path, trash) == 0)
      rmtree(trash);
    else
      PV_WARN("surveys: cannot move %s aside: %s", path, strerror(errno));
    gone++;
  }
  closedir(d);
  if (removed)
    *removed = gone;
  return err;
}
