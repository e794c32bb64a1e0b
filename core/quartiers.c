/* quartiers: parse, encode, load and save a list of quartiers (see
 * quartiers.h). cJSON does the JSON; a pre-scan refuses what cJSON would
 * let through (invalid UTF-8, NUL bytes); the rest are this list's rules. */
#include "core/quartiers.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/jsonpos.h"

#define MAX_DEPTH 4   /* {"quartiers":[{...}]} */
#define MAX_NOTE 1000 /* bytes of the optional "note" of a file */
#define MAX_PATH 4096 /* bytes of a path */

int pv_quartier_code_valid(const char *code) {
  if (!code || strlen(code) != PV_QUARTIER_CODE_LEN || code[0] != 'Q' || code[1] != 'N')
    return 0;
  for (int i = 2; i < 5; i++)
    if (!((code[i] >= '0' && code[i] <= '9') || code[i] == 'A' || code[i] == 'B'))
      return 0;
  return code[5] >= '0' && code[5] <= '9' && code[6] >= '0' && code[6] <= '9' &&
         code[7] >= 'A' && code[7] <= 'Z';
}

int pv_quartier_name_valid(const char *name) {
  if (!name || !*name || strlen(name) > PV_QUARTIER_MAX_NAME)
    return 0;
  for (const char *p = name; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      return 0;
  return 1;
}

/* 1 when every member of obj is named in keys (NULL-terminated), once. */
static int only_keys(const cJSON *obj, const char *const *keys) {
  for (const cJSON *m = obj->child; m; m = m->next) {
    size_t k = 0;
    while (keys[k] && !(m->string && strcmp(m->string, keys[k]) == 0))
      k++;
    if (!keys[k])
      return 0;
    for (const cJSON *o = obj->child; o != m; o = o->next)
      if (o->string && strcmp(o->string, m->string) == 0)
        return 0;
  }
  return 1;
}

/* Reads item i into *q; 0 with a reason. */
static int parse_item(const cJSON *it, size_t i, pv_quartier *q, char *reason,
                      size_t rl) {
  static const char *const item_keys[] = {"code", "name", NULL};
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(it, "code");
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
  if (!cJSON_IsObject(it) || !only_keys(it, item_keys)) {
    pv_err_say(reason, rl, "quartiers[%zu]: expected {\"code\": ..., \"name\": ...}",
               i);
    return 0;
  }
  if (!cJSON_IsString(code) || !pv_quartier_code_valid(code->valuestring)) {
    pv_err_say(reason, rl,
               "quartiers[%zu].code: expected a QPV code such as \"QN03401M\"", i);
    return 0;
  }
  if (!cJSON_IsString(name) || !pv_quartier_name_valid(name->valuestring)) {
    pv_err_say(reason, rl, "quartiers[%zu].name: expected 1 to %d bytes of text", i,
               PV_QUARTIER_MAX_NAME);
    return 0;
  }
  memcpy(q->code, code->valuestring, PV_QUARTIER_CODE_LEN + 1);
  snprintf(q->name, sizeof q->name, "%s", name->valuestring);
  return 1;
}

pv_err pv_quartiers_parse(const char *text, size_t len, pv_quartier **out, size_t *n,
                          char *reason, size_t reason_len) {
  static const char *const top_keys[] = {"quartiers", "note", NULL};
  pv_quartier *list = NULL;
  cJSON *root = NULL;
  size_t off = 0, count = 0;
  const char *why = NULL;
  pv_err err = PV_ERR_INVALID;
  *out = NULL;
  *n = 0;
  if (len > PV_QUARTIERS_MAX_FILE) {
    pv_err_say(reason, reason_len, "%zu bytes, over %d", len, PV_QUARTIERS_MAX_FILE);
    return PV_ERR_TOOBIG;
  }
  if (pv_json_prescan(text, len, MAX_DEPTH, &off, &why) != PV_OK) {
    pv_err_say(reason, reason_len, "byte %zu: %s", off, why ? why : "malformed");
    return PV_ERR_INVALID;
  }
  const char *end = NULL;
  root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  const cJSON *arr = root ? cJSON_GetObjectItemCaseSensitive(root, "quartiers") : NULL;
  const cJSON *note = root ? cJSON_GetObjectItemCaseSensitive(root, "note") : NULL;
  if (!cJSON_IsObject(root) || !cJSON_IsArray(arr) || !only_keys(root, top_keys) ||
      (note && (!cJSON_IsString(note) || strlen(note->valuestring) > MAX_NOTE))) {
    pv_err_say(reason, reason_len,
               "expected {\"quartiers\": [...]} (and an optional \"note\")");
    goto out;
  }
  for (const char *p = end; p && p < text + len; p++)
    if (!(*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
      pv_err_say(reason, reason_len, "trailing bytes after the JSON value");
      goto out;
    }
  size_t total = (size_t)cJSON_GetArraySize(arr);
  if (total > PV_QUARTIERS_MAX) {
    pv_err_say(reason, reason_len, "%zu quartiers, more than %d", total,
               PV_QUARTIERS_MAX);
    err = PV_ERR_TOOBIG;
    goto out;
  }
  if (total && !(list = calloc(total, sizeof *list))) {
    pv_err_say(reason, reason_len, "out of memory");
    err = PV_ERR_NOMEM;
    goto out;
  }
  for (const cJSON *it = arr->child; it; it = it->next, count++) {
    if (!parse_item(it, count, &list[count], reason, reason_len))
      goto out;
    for (size_t j = 0; j < count; j++)
      if (strcmp(list[j].code, list[count].code) == 0) {
        pv_err_say(reason, reason_len, "quartiers[%zu].code: %s listed twice", count,
                   list[count].code);
        goto out;
      }
  }
  *out = list;
  *n = count;
  list = NULL;
  err = PV_OK;
out:
  free(list);
  cJSON_Delete(root);
  return err;
}

char *pv_quartiers_encode(const pv_quartier *q, size_t n) {
  cJSON *root = cJSON_CreateObject();
  cJSON *arr = root ? cJSON_AddArrayToObject(root, "quartiers") : NULL;
  char *text = NULL;
  if (!arr)
    goto out;
  for (size_t i = 0; i < n; i++) {
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(arr, o) ||
        !cJSON_AddStringToObject(o, "code", q[i].code) ||
        !cJSON_AddStringToObject(o, "name", q[i].name))
      goto out;
  }
  text = cJSON_PrintUnformatted(root);
out:
  cJSON_Delete(root);
  return text;
}

pv_err pv_quartiers_load(const char *path, pv_quartier **out, size_t *n) {
  char reason[200] = "";
  char *data = NULL;
  size_t len = 0;
  pv_err err = PV_OK;
  struct stat st;
  *out = NULL;
  *n = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return pv_fail(errno == ENOENT ? PV_ERR_NOTFOUND : PV_ERR_IO, "quartiers: %s: %s",
                   path, strerror(errno));
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    err = pv_fail(PV_ERR_IO, "quartiers: %s: not a regular file", path);
    goto out;
  }
  if (st.st_size > PV_QUARTIERS_MAX_FILE) {
    err = pv_fail(PV_ERR_TOOBIG, "quartiers: %s: %lld bytes, over %d", path,
                  (long long)st.st_size, PV_QUARTIERS_MAX_FILE);
    goto out;
  }
  if (!(data = malloc((size_t)st.st_size + 1))) {
    err = pv_fail(PV_ERR_NOMEM, "quartiers: out of memory");
    goto out;
  }
  while (len < (size_t)st.st_size) {
    ssize_t r = read(fd, data + len, (size_t)st.st_size - len);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      err = pv_fail(PV_ERR_IO, "quartiers: read %s: %s", path,
                    r < 0 ? strerror(errno) : "short read");
      goto out;
    }
    len += (size_t)r;
  }
  if ((err = pv_quartiers_parse(data, len, out, n, reason, sizeof reason)))
    err = pv_fail(err, "quartiers: %s: %s", path, reason);
out:
  free(data);
  close(fd);
  return err;
}

/* Writes all of text to a new file at path and fsyncs it. */
static pv_err write_new(const char *path, const char *text, size_t len) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return pv_fail(errno == ENOSPC ? PV_ERR_FULL : PV_ERR_IO, "quartiers: %s: %s", path,
                   strerror(errno));
  pv_err err = PV_OK;
  while (len > 0 && !err) {
    ssize_t w = write(fd, text, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      err = pv_fail(errno == ENOSPC ? PV_ERR_FULL : PV_ERR_IO, "quartiers: %s: %s",
                    path, strerror(errno));
    else
      text += w, len -= (size_t)w;
  }
  if (!err && fsync(fd) != 0)
    err = pv_fail(errno == ENOSPC ? PV_ERR_FULL : PV_ERR_IO, "quartiers: fsync %s: %s",
                  path, strerror(errno));
  close(fd);
  return err;
}

pv_err pv_quartiers_save(const char *path, const pv_quartier *q, size_t n) {
  static atomic_uint serial;
  char tmp[MAX_PATH], dir[MAX_PATH];
  pv_err err = PV_OK;
  char *text = pv_quartiers_encode(q, n);
  if (!text)
    return pv_fail(PV_ERR_NOMEM, "quartiers: out of memory");
  const char *slash = strrchr(path, '/');
  int dn = slash ? (int)(slash - path) : 1;
  if ((size_t)snprintf(dir, sizeof dir, "%.*s", dn, slash ? path : ".") >= sizeof dir ||
      (size_t)snprintf(tmp, sizeof tmp, "%s.%ld.%u.tmp", path, (long)getpid(),
                       atomic_fetch_add(&serial, 1)) >= sizeof tmp) {
    err = pv_fail(PV_ERR_TOOBIG, "quartiers: path too long: %.80s", path);
    goto out;
  }
  if (slash == path)
    snprintf(dir, sizeof dir, "/");
  if ((err = write_new(tmp, text, strlen(text))))
    goto out_tmp;
  if (rename(tmp, path) != 0) {
    err = pv_fail(PV_ERR_IO, "quartiers: rename %s: %s", tmp, strerror(errno));
    goto out_tmp;
  }
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || fsync(fd) != 0)
    err = pv_fail(PV_ERR_IO, "quartiers: fsync %s: %s", dir, strerror(errno));
  if (fd >= 0)
    close(fd);
  goto out;
out_tmp:
  unlink(tmp);
out:
  free(text);
  return err;
}
