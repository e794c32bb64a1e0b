/* config: see config.h. The file is read like a survey (core/jsondoc: a
 * bounded read, the pre-scan, cJSON, positions), then one walk of
 * the root object driven by a table of keys, each with its own parse
 * function; every problem is reported with its line and column, and the
 * walk carries on so the animateur sees all of them at once. */
#include "kiosk/config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/jsondoc.h"
#include "core/log.h"

typedef struct ctx {
  pv_jsondoc *doc; /* the text, its positions, where problems go */
  int oom;
} ctx;

/* Problems at a node's value, or at its key (members; the value
 * otherwise), into the document's diagnostics. */
#define err_at(c, node, ...) pv_jsondoc_error((c)->doc, (node), 0, __VA_ARGS__)
#define err_key(c, node, ...) pv_jsondoc_error((c)->doc, (node), 1, __VA_ARGS__)

/* ---- value checks ----------------------------------------------------- */

/* Returns 1 when s has a control character (JSON escapes let them in). */
static int has_control(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7F)
      return 1;
  return 0;
}

/* A survey id as the loader wants it: [a-z][a-z0-9-]*, 1..PV_SURVEY_MAX_ID. */
static int valid_survey_id(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > PV_SURVEY_MAX_ID || !(s[0] >= 'a' && s[0] <= 'z'))
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
      return 0;
  return 1;
}

/* Reads a whole number within [lo, hi] into *out; reports otherwise. */
static void int_value(ctx *c, const cJSON *m, long lo, long hi, int *out) {
  if (!cJSON_IsNumber(m) || m->valuedouble != floor(m->valuedouble) ||
      fabs(m->valuedouble) > 1e15) {
    err_at(c, m, "\"%s\" must be a whole number, not %s", m->string, pv_json_kind(m));
    return;
  }
  if (m->valuedouble < (double)lo || m->valuedouble > (double)hi) {
    err_at(c, m, "\"%s\" is %.0f; it must be between %ld and %ld", m->string,
           m->valuedouble, lo, hi);
    return;
  }
  *out = (int)m->valuedouble;
}

/* Returns m's string when it is one of 1..max bytes without control
 * characters; reports and returns NULL otherwise. */
static const char *string_value(ctx *c, const cJSON *m, size_t max) {
  if (!cJSON_IsString(m)) {
    err_at(c, m, "\"%s\" must be a string, not %s", m->string, pv_json_kind(m));
    return NULL;
  }
  size_t n = strlen(m->valuestring);
  if (n == 0 || n > max) {
    err_at(c, m, "\"%s\" must hold 1 to %zu bytes (it has %zu)", m->string, max, n);
    return NULL;
  }
  if (has_control(m->valuestring)) {
    err_at(c, m, "\"%s\" must not hold control characters", m->string);
    return NULL;
  }
  return m->valuestring;
}

/* ---- keys ------------------------------------------------------------- */

static void parse_name(ctx *c, const cJSON *m, pv_config *cfg) {
  const char *s = string_value(c, m, PV_CONFIG_MAX_NAME);
  if (s)
    memcpy(cfg->device_name, s, strlen(s) + 1);
}

static void parse_language(ctx *c, const cJSON *m, pv_config *cfg) {
  if (!cJSON_IsString(m) || !pv_lang_tag_valid(m->valuestring)) {
    err_at(c, m,
           "\"language\" must be a BCP 47 tag such as \"fr\", \"ar\" or \"ar-MA\"");
    return;
  }
  memcpy(cfg->language, m->valuestring, strlen(m->valuestring) + 1);
}

static void parse_surveys(ctx *c, const cJSON *m, pv_config *cfg) {
  if (!cJSON_IsArray(m)) {
    err_at(c, m, "\"surveys\" must be an array of survey ids, not %s", pv_json_kind(m));
    return;
  }
  int n = cJSON_GetArraySize(m);
  if (n > PV_CONFIG_MAX_SURVEYS) {
    err_at(c, m, "\"surveys\" lists %d surveys; the limit is %d", n,
           PV_CONFIG_MAX_SURVEYS);
    return;
  }
  size_t k = 0;
  for (const cJSON *e = m->child; e; e = e->next) {
    if (!cJSON_IsString(e) || !valid_survey_id(e->valuestring)) {
      err_at(c, e,
             "a survey id is a string of 1 to %d characters among a-z, 0-9 and '-', "
             "starting with a letter",
             PV_SURVEY_MAX_ID);
      continue;
    }
    int dup = 0;
    for (size_t i = 0; i < k && !dup; i++)
      dup = strcmp(cfg->surveys[i], e->valuestring) == 0;
    if (dup) {
      err_at(c, e, "survey \"%s\" is listed twice", e->valuestring);
      continue;
    }
    memcpy(cfg->surveys[k++], e->valuestring, strlen(e->valuestring) + 1);
  }
  cfg->n_surveys = k;
}

static void parse_inactivity(ctx *c, const cJSON *m, pv_config *cfg) {
  int_value(c, m, PV_CONFIG_MIN_INACTIVITY, PV_CONFIG_MAX_INACTIVITY,
            &cfg->inactivity_seconds);
}

static void parse_autoplay(ctx *c, const cJSON *m, pv_config *cfg) {
  if (!cJSON_IsBool(m)) {
    err_at(c, m, "\"autoplay\" must be true or false, not %s", pv_json_kind(m));
    return;
  }
  cfg->autoplay = cJSON_IsTrue(m) ? 1 : 0;
}

static void parse_voice_notes(ctx *c, const cJSON *m, pv_config *cfg) {
  if (!cJSON_IsBool(m)) {
    err_at(c, m, "\"voice_notes\" must be true or false, not %s", pv_json_kind(m));
    return;
  }
  cfg->voice_notes = cJSON_IsTrue(m) ? 1 : 0;
}

static void parse_volume(ctx *c, const cJSON *m, pv_config *cfg) {
  int_value(c, m, 0, 100, &cfg->volume);
}

/* The panel's turn: one of the four right angles, degrees clockwise. */
static void parse_rotate(ctx *c, const cJSON *m, pv_config *cfg) {
  int deg = -1;
  if (cJSON_IsNumber(m) && m->valuedouble == floor(m->valuedouble) &&
      fabs(m->valuedouble) <= 360)
    deg = (int)m->valuedouble;
  if (pv_config_rotate_valid(deg))
    cfg->rotate = deg;
  else if (cJSON_IsNumber(m))
    err_at(c, m, "\"rotate\" is %g; it must be 0, 90, 180 or 270 (degrees clockwise)",
           m->valuedouble);
  else
    err_at(c, m, "\"rotate\" must be 0, 90, 180 or 270 (degrees clockwise), not %s",
           pv_json_kind(m));
}

/* 1 when url is plain http:// to this machine (the demo, the tests): the
 * only place a bearer token may travel unencrypted. */
static int plain_local(const char *url) {
  if (strncmp(url, "http://", 7) != 0)
    return 0;
  const char *h = url + 7;
  if (strncmp(h, "[::1]", 5) == 0 && (h[5] == '\0' || h[5] == ':' || h[5] == '/'))
    return 1;
  size_t n = strcspn(h, ":/");
  if (n == 9 && strncmp(h, "localhost", 9) == 0)
    return 1;
  /* 127.a.b.c: digits and exactly three dots, nothing else. */
  int dots = 0;
  for (size_t i = 0; i < n; i++) {
    if (h[i] == '.')
      dots++;
    else if (h[i] < '0' || h[i] > '9')
      return 0;
  }
  return dots == 3 && strncmp(h, "127.", 4) == 0;
}

/* Keeps a sync string member when present and well formed. */
static void sync_string(ctx *c, const cJSON *obj, const char *key, char **out) {
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!m)
    return;
  const char *s = string_value(c, m, PV_CONFIG_MAX_SYNC_STRING);
  if (!s)
    return;
  if (strcmp(key, "url") == 0 && strncmp(s, "https://", 8) != 0 && !plain_local(s)) {
    err_at(c, m,
           strncmp(s, "http://", 7) == 0
               ? "\"url\": http:// only reaches this machine (127.0.0.1, localhost, "
                 "[::1]): the token would cross the network in clear; use https:// "
                 "(ca_file for a private certificate)"
               : "\"url\" must start with https:// (http:// only for this machine)");
    return;
  }
  if (!(*out = strdup(s)))
    c->oom = 1;
}

/* Keeps a sync whole-number member within [lo, hi] when present. */
static void sync_int(ctx *c, const cJSON *obj, const char *key, long lo, long hi,
                     int *out) {
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (m)
    int_value(c, m, lo, hi, out);
}

/* The keys the sync engine reads are checked here; others are kept in
 * the object (json) and are not errors, so an older kiosk reads a newer
 * file. */
static void parse_sync(ctx *c, const cJSON *m, pv_config *cfg) {
  if (!cJSON_IsObject(m)) {
    err_at(c, m, "\"sync\" must be an object, not %s", pv_json_kind(m));
    return;
  }
  size_t before = c->doc->errors;
  sync_string(c, m, "url", &cfg->sync.url);
  sync_string(c, m, "token", &cfg->sync.token);
  sync_string(c, m, "ca_file", &cfg->sync.ca_file);
  sync_string(c, m, "surveys_dir", &cfg->sync.surveys_dir);
  sync_int(c, m, "poll_seconds", PV_CONFIG_MIN_POLL, PV_CONFIG_MAX_POLL,
           &cfg->sync.poll_seconds);
  sync_int(c, m, "connect_timeout_seconds", 1, PV_CONFIG_MAX_TIMEOUT,
           &cfg->sync.connect_timeout_seconds);
  sync_int(c, m, "transfer_timeout_seconds", 1, PV_CONFIG_MAX_TIMEOUT,
           &cfg->sync.transfer_timeout_seconds);
  if (c->doc->errors == before && !(cfg->sync.json = cJSON_PrintUnformatted(m)))
    c->oom = 1;
}

static void parse_comment(ctx *c, const cJSON *m, pv_config *cfg) {
  (void)cfg;
  if (!cJSON_IsString(m))
    err_at(c, m, "\"comment\" must be a string, not %s", pv_json_kind(m));
}

static const struct {
  const char *key;
  void (*parse)(ctx *c, const cJSON *m, pv_config *cfg);
} keys[] = {
    {"device_name", parse_name},
    {"language", parse_language},
    {"surveys", parse_surveys},
    {"inactivity_seconds", parse_inactivity},
    {"autoplay", parse_autoplay},
    {"volume", parse_volume},
    {"sync", parse_sync},
    {"comment", parse_comment},
    {"voice_notes", parse_voice_notes},
    {"rotate", parse_rotate},
};

static void parse_root(ctx *c, const cJSON *root, pv_config *cfg) {
  if (!cJSON_IsObject(root)) {
    err_at(c, root, "a kiosk config is a JSON object, not %s", pv_json_kind(root));
    return;
  }
  for (const cJSON *m = root->child; m; m = m->next) {
    int dup = 0;
    for (const cJSON *p = root->child; p != m && !dup; p = p->next)
      dup = strcmp(p->string, m->string) == 0;
    if (dup) {
      err_key(c, m, "duplicate key \"%s\"", m->string);
      continue;
    }
    size_t k = 0;
    while (k < sizeof keys / sizeof keys[0] && strcmp(keys[k].key, m->string) != 0)
      k++;
    if (k == sizeof keys / sizeof keys[0]) {
      err_key(c, m,
              "unknown key \"%s\" (known: device_name, language, surveys, "
              "inactivity_seconds, autoplay, volume, voice_notes, rotate, sync, "
              "comment)",
              m->string);
      continue;
    }
    keys[k].parse(c, m, cfg);
  }
}

/* ---- entry points ----------------------------------------------------- */

void pv_config_defaults(pv_config *c) {
  memset(c, 0, sizeof *c);
  memcpy(c->device_name, PV_CONFIG_DEFAULT_NAME, sizeof PV_CONFIG_DEFAULT_NAME);
  memcpy(c->language, PV_CONFIG_DEFAULT_LANGUAGE, sizeof PV_CONFIG_DEFAULT_LANGUAGE);
  c->inactivity_seconds = PV_CONFIG_DEFAULT_INACTIVITY;
  c->autoplay = PV_CONFIG_DEFAULT_AUTOPLAY;
  c->volume = PV_CONFIG_DEFAULT_VOLUME;
  c->voice_notes = 1;
  c->rotate = PV_CONFIG_DEFAULT_ROTATE;
}

void pv_config_free(pv_config *c) {
  free(c->sync.url);
  free(c->sync.token);
  free(c->sync.ca_file);
  free(c->sync.surveys_dir);
  cJSON_free(c->sync.json);
  pv_config_defaults(c);
}

static const pv_jsondoc_kind config_kind = {.what = "a kiosk config",
                                            .max_bytes = PV_CONFIG_MAX_FILE,
                                            .limit = "64 KiB",
                                            .max_depth = PV_CONFIG_MAX_DEPTH};

pv_err pv_config_parse(const char *name, const char *data, size_t len, pv_config *cfg,
                       pv_diags *diags) {
  pv_jsondoc doc;
  ctx c = {.doc = &doc};
  pv_config_defaults(cfg);
  pv_err err = pv_jsondoc_parse(&doc, name, data, len, &config_kind, diags);
  if (err != PV_OK)
    return err;
  parse_root(&c, doc.root, cfg);
  if (c.oom)
    err = pv_fail(PV_ERR_NOMEM, "config: out of memory reading %s", name);
  else if (doc.errors)
    err = PV_ERR_INVALID;
  if (err != PV_OK)
    pv_config_free(cfg); /* the defaults, nothing half-read */
  pv_jsondoc_free(&doc);
  return err;
}

pv_err pv_config_load(const char *path, pv_config *cfg, pv_diags *diags) {
  char *data = NULL;
  size_t len = 0;
  pv_config_defaults(cfg);
  pv_err err = pv_jsondoc_read(path, &config_kind, &data, &len, diags);
  if (err == PV_ERR_NOTFOUND) {
    PV_INFO("config: %s: no such file; using the defaults", path);
    return PV_OK;
  }
  if (err == PV_OK)
    err = pv_config_parse(path, data, len, cfg, diags);
  free(data);
  return err;
}

int pv_config_rotate_valid(long deg) {
  return deg == 0 || deg == 90 || deg == 180 || deg == 270;
}

int pv_config_survey_enabled(const pv_config *c, const char *id) {
  if (c->n_surveys == 0)
    return 1;
  for (size_t i = 0; i < c->n_surveys; i++)
    if (strcmp(c->surveys[i], id) == 0)
      return 1;
  return 0;
}
