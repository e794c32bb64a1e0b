/* protocol: encode and decode the v1 wire format (docs/sync-protocol.md).
 *
 * Decoding is strict: every key is known, every value has its type and
 * form, sizes are bounded. A decoded response re-encodes to the same
 * canonical text whatever the sender's key order or spacing was, which is
 * what lets the collector tell an identical resend from a conflict. */
#include "sync/protocol.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/jsonpos.h"
#include "core/lang.h"
#include "core/quartiers.h"

static const char *const outcome_names[PV_OUT__COUNT] = {
    [PV_OUT_STORED] = "stored",
    [PV_OUT_DUPLICATE] = "duplicate",
    [PV_OUT_INVALID] = "invalid",
    [PV_OUT_CONFLICT] = "conflict",
    [PV_OUT_UNKNOWN_SURVEY] = "unknown_survey",
    [PV_OUT_MISSING_ATTACHMENT] = "missing_attachment",
};

static const int outcome_status[PV_OUT__COUNT] = {
    [PV_OUT_STORED] = 201,         [PV_OUT_DUPLICATE] = 200,
    [PV_OUT_INVALID] = 400,        [PV_OUT_CONFLICT] = 409,
    [PV_OUT_UNKNOWN_SURVEY] = 422, [PV_OUT_MISSING_ATTACHMENT] = 422,
};

/* Which failing outcome wins the status line when a batch mixes them:
 * the one the device can do least about comes first. */
static const int outcome_rank[PV_OUT__COUNT] = {
    [PV_OUT_STORED] = 0,
    [PV_OUT_DUPLICATE] = 0,
    [PV_OUT_MISSING_ATTACHMENT] = 1,
    [PV_OUT_UNKNOWN_SURVEY] = 2,
    [PV_OUT_CONFLICT] = 3,
    [PV_OUT_INVALID] = 4,
};

const char *pv_proto_outcome_name(pv_proto_outcome o) {
  return (unsigned)o < PV_OUT__COUNT ? outcome_names[o] : "unknown";
}

int pv_proto_outcome_status(pv_proto_outcome o) {
  return (unsigned)o < PV_OUT__COUNT ? outcome_status[o] : 500;
}

int pv_proto_batch_status(const pv_proto_result *res, size_t n) {
  int worst = -1, rank = 0;
  for (size_t i = 0; i < n; i++) {
    pv_proto_outcome o = res[i].outcome;
    if ((unsigned)o < PV_OUT__COUNT && outcome_rank[o] > rank) {
      rank = outcome_rank[o];
      worst = (int)o;
    }
  }
  return worst < 0 ? 200 : outcome_status[worst];
}

/* ---- checks ---- */

int pv_proto_sha256_valid(const char *s) {
  return s && pv_sha256_valid(s);
}

int pv_proto_id_valid(const char *s) {
  if (!s || !(*s >= 'a' && *s <= 'z'))
    return 0;
  size_t n = 0;
  for (; s[n]; n++) {
    char c = s[n];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return 0;
  }
  return n <= PV_STORE_MAX_ID;
}

int pv_proto_time_valid(const char *s) {
  int64_t ms;
  /* pv_time_parse is strict: one spelling per instant. */
  return s && pv_time_parse(s, &ms) == 0;
}

int pv_proto_path_safe(const char *path) {
  if (!path || !*path || strlen(path) > PV_SURVEY_MAX_PATH)
    return 0;
  const char *seg = path;
  for (const char *p = path;; p++) {
    if (*p == '/' || *p == '\0') {
      if (p == seg || *seg == '.') /* empty segment, dotfile, "." or ".." */
        return 0;
      if (*p == '\0')
        return 1;
      seg = p + 1;
      continue;
    }
    char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '.' || c == '_' || c == '-'))
      return 0;
  }
}

int pv_proto_token_valid(const char *s) {
  if (!s || (strncmp(s, "pvd_", 4) != 0 && strncmp(s, "pva_", 4) != 0))
    return 0;
  size_t n = 0;
  for (const char *p = s + 4; *p; p++, n++) {
    char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '-' || c == '_'))
      return 0;
  }
  return n + 4 == PV_PROTO_TOKEN_LEN;
}

/* ---- small helpers ---- */

#define CLIP 40 /* bytes of a sender's key quoted in a reason */

/* Copies at most CLIP bytes of s into out without cutting a UTF-8
 * sequence, so a reason quoting a key is valid UTF-8 (it goes into JSON). */
static const char *clip(const char *s, char out[CLIP + 1]) {
  size_t n = strnlen(s, CLIP);
  if (s[n]) /* cut: step back over continuation bytes to a boundary */
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
      n--;
  memcpy(out, s, n);
  out[n] = '\0';
  return out;
}

/* Copies string node v into out (cap bytes including NUL); 0 when v is
 * missing, not a string, or too long. */
static int str_of(const cJSON *v, char *out, size_t cap) {
  if (!cJSON_IsString(v) || !v->valuestring)
    return 0;
  size_t n = strlen(v->valuestring);
  if (n >= cap)
    return 0;
  memcpy(out, v->valuestring, n + 1);
  return 1;
}

static int get_str(const cJSON *obj, const char *key, char *out, size_t cap) {
  return str_of(cJSON_GetObjectItemCaseSensitive(obj, key), out, cap);
}

/* Reads integer node v in [lo, hi]; 0 when absent or not one. */
static int int_of(const cJSON *v, long long lo, long long hi, long long *out) {
  if (!cJSON_IsNumber(v))
    return 0;
  double d = v->valuedouble;
  if (!isfinite(d) || d != floor(d) || d < (double)lo || d > (double)hi)
    return 0;
  *out = (long long)d;
  return 1;
}

static int get_int(const cJSON *obj, const char *key, long long lo, long long hi,
                   long long *out) {
  return int_of(cJSON_GetObjectItemCaseSensitive(obj, key), lo, hi, out);
}

#define MAX_KEYS 12

/* Sorts obj's members into slots by name: slots[k] is the member named
 * keys[k] (NULL-terminated list), or NULL. One pass instead of a lookup
 * per key. Returns 0 when a member is not in keys or comes twice, with
 * *bad naming it and *twice telling which. */
static int pick(const cJSON *obj, const char *const *keys, const cJSON **slots,
                const char **bad, int *twice) {
  size_t n = 0;
  while (keys[n])
    slots[n++] = NULL;
  PV_ASSERT(n <= MAX_KEYS);
  for (const cJSON *m = obj->child; m; m = m->next) {
    size_t k = 0;
    while (k < n && !(m->string && strcmp(m->string, keys[k]) == 0))
      k++;
    if (k == n || slots[k]) {
      *bad = m->string ? m->string : "";
      *twice = k < n;
      return 0;
    }
    slots[k] = m;
  }
  return 1;
}

static int known_keys(const cJSON *obj, const char *const *keys, const char **bad) {
  const cJSON *slots[MAX_KEYS];
  int twice = 0;
  return pick(obj, keys, slots, bad, &twice);
}

/* Opens record o for a strict decode: sorts its members into f by keys
 * (pick). With uuid (PV_UUID_LEN + 1 bytes; keys[0] is "uuid"), reads and
 * checks the uuid first, even past a bad key, so a refusal can name it.
 * 0 with a reason, prefixed by at, when o is not an object of keys. */
static int open_record(const cJSON *o, const char *const *keys, const cJSON **f,
                       char *uuid, const char *at, char *reason, size_t rl) {
  const char *bad = NULL;
  int twice = 0;
  if (!cJSON_IsObject(o)) {
    pv_err_say(reason, rl, "%snot an object", at);
    return 0;
  }
  int keys_ok = pick(o, keys, f, &bad, &twice);
  if (uuid && (!str_of(keys_ok ? f[0] : cJSON_GetObjectItemCaseSensitive(o, "uuid"),
                       uuid, PV_UUID_LEN + 1) ||
               !pv_uuid_valid(uuid))) {
    uuid[0] = '\0';
    pv_err_say(reason, rl, "uuid: expected a UUID");
    return 0;
  }
  if (!keys_ok) {
    char k[CLIP + 1];
    pv_err_say(reason, rl, "%s%s key \"%s\"", at, twice ? "repeated" : "unknown",
               clip(bad, k));
    return 0;
  }
  return 1;
}

/* Pre-scan (UTF-8, NUL, nesting) then parse; NULL with a reason. */
static cJSON *parse_body(const char *body, size_t len, char *reason,
                         size_t reason_len) {
  size_t off = 0;
  const char *why = NULL;
  if (pv_json_prescan(body, len, PV_PROTO_MAX_DEPTH, &off, &why) != PV_OK) {
    pv_err_say(reason, reason_len, "byte %zu: %s", off, why ? why : "malformed");
    return NULL;
  }
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
  if (!root) {
    pv_err_say(reason, reason_len, "not JSON (near byte %zu)",
               end && end >= body ? (size_t)(end - body) : (size_t)0);
    return NULL;
  }
  /* Only white space may follow the value. */
  for (const char *p = end; p && p < body + len; p++)
    if (!(*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
      cJSON_Delete(root);
      pv_err_say(reason, reason_len, "trailing bytes after the JSON value");
      return NULL;
    }
  return root;
}

static const char *status_name(pv_store_status s) {
  return pv_store_status_name(s);
}

/* ---- responses ---- */

static cJSON *response_json(const void *rec) {
  const pv_store_response *r = rec;
  cJSON *o = cJSON_CreateObject(), *answers = NULL;
  if (!o)
    return NULL;
  if (!cJSON_AddStringToObject(o, "uuid", r->uuid) ||
      !cJSON_AddStringToObject(o, "survey", r->survey_id) ||
      !cJSON_AddNumberToObject(o, "version", r->survey_version) ||
      !cJSON_AddStringToObject(o, "device", r->device_id))
    goto fail;
  if (r->session_uuid[0] ? !cJSON_AddStringToObject(o, "session", r->session_uuid)
                         : !cJSON_AddNullToObject(o, "session"))
    goto fail;
  if (!cJSON_AddStringToObject(o, "language", r->language) ||
      !cJSON_AddStringToObject(o, "started_at", r->started_at) ||
      !cJSON_AddStringToObject(o, "ended_at", r->ended_at) ||
      !cJSON_AddStringToObject(o, "status", status_name(r->status)) ||
      !(answers = cJSON_AddArrayToObject(o, "answers")))
    goto fail;
  for (size_t i = 0; i < r->answer_count; i++) {
    const pv_store_answer *a = &r->answers[i];
    cJSON *ao = cJSON_CreateObject();
    if (!ao)
      goto fail;
    cJSON_AddItemToArray(answers, ao);
    cJSON *value = a->value ? cJSON_Parse(a->value) : NULL;
    if (!value)
      goto fail;
    if (!cJSON_AddStringToObject(ao, "question", a->question_id))
      goto fail_value;
    cJSON_AddItemToObject(ao, "value", value);
    if (!cJSON_AddStringToObject(ao, "measure", pv_measure_name(a->measure)) ||
        !cJSON_AddStringToObject(ao, "answered_at", a->answered_at))
      goto fail;
    if (a->attachment[0] && !cJSON_AddStringToObject(ao, "attachment", a->attachment))
      goto fail;
    continue;
  fail_value:
    cJSON_Delete(value);
    goto fail;
  }
  return o;
fail:
  cJSON_Delete(o);
  return NULL;
}

static const char *const response_keys[] = {
    "uuid",       "survey",   "version", "device",  "session", "language",
    "started_at", "ended_at", "status",  "answers", NULL};
static const char *const answer_keys[] = {"question",    "value",      "measure",
                                          "answered_at", "attachment", NULL};
enum {
  R_UUID,
  R_SURVEY,
  R_VERSION,
  R_DEVICE,
  R_SESSION,
  R_LANGUAGE,
  R_STARTED,
  R_ENDED,
  R_STATUS,
  R_ANSWERS
};
enum { A_QUESTION, A_VALUE, A_MEASURE, A_ANSWERED, A_ATTACHMENT };

static int decode_answer(const cJSON *ao, size_t i, pv_store_answer *a, char *reason,
                         size_t rl) {
  const cJSON *f[MAX_KEYS];
  char at[32];
  snprintf(at, sizeof at, "answers[%zu]: ", i);
  if (!open_record(ao, answer_keys, f, NULL, at, reason, rl))
    return 0;
  if (!str_of(f[A_QUESTION], a->question_id, sizeof a->question_id) ||
      !pv_proto_id_valid(a->question_id)) {
    pv_err_say(reason, rl, "answers[%zu].question: expected an id (a-z, 0-9, _, -)", i);
    return 0;
  }
  char measure[16];
  if (!str_of(f[A_MEASURE], measure, sizeof measure) ||
      (strcmp(measure, "quantitative") != 0 && strcmp(measure, "qualitative") != 0)) {
    pv_err_say(reason, rl,
               "answers[%zu].measure: expected \"quantitative\" or \"qualitative\"", i);
    return 0;
  }
  a->measure = strcmp(measure, "quantitative") == 0 ? PV_QUANTITATIVE : PV_QUALITATIVE;
  if (!str_of(f[A_ANSWERED], a->answered_at, sizeof a->answered_at) ||
      !pv_proto_time_valid(a->answered_at)) {
    pv_err_say(reason, rl,
               "answers[%zu].answered_at: expected YYYY-MM-DDTHH:MM:SS.mmmZ", i);
    return 0;
  }
  if (f[A_ATTACHMENT] &&
      (!str_of(f[A_ATTACHMENT], a->attachment, sizeof a->attachment) ||
       !pv_proto_sha256_valid(a->attachment))) {
    pv_err_say(reason, rl, "answers[%zu].attachment: expected 64 lowercase hex digits",
               i);
    return 0;
  }
  const cJSON *value = f[A_VALUE];
  if (!value) {
    pv_err_say(reason, rl, "answers[%zu].value: missing", i);
    return 0;
  }
  /* Most values are short: print into the stack, copy once. */
  char small[512];
  a->value = cJSON_PrintPreallocated((cJSON *)value, small, sizeof small, 0)
                 ? strdup(small)
                 : cJSON_PrintUnformatted(value);
  if (!a->value) {
    pv_err_say(reason, rl, "answers[%zu].value: out of memory", i);
    return 0;
  }
  if (strlen(a->value) > PV_STORE_MAX_VALUE) {
    pv_err_say(reason, rl, "answers[%zu].value: over %d bytes", i, PV_STORE_MAX_VALUE);
    return 0;
  }
  /* A value naming a file names the answer's attachment, which the
   * collector checks was uploaded: never a file it does not hold. */
  const cJSON *named = cJSON_IsObject(value)
                           ? cJSON_GetObjectItemCaseSensitive(value, "attachment")
                           : NULL;
  if (named && (!cJSON_IsString(named) || !a->attachment[0] ||
                strcmp(named->valuestring, a->attachment) != 0)) {
    pv_err_say(reason, rl,
               "answers[%zu].value.attachment: must equal answers[%zu].attachment", i,
               i);
    return 0;
  }
  return 1;
}

/* Fills *r from o; on failure returns 0 with a reason, and r's answers
 * (if any were made) are freed by the caller through
 * pv_store_response_free. */
static int decode_response(const cJSON *o, void *rec, char *reason, size_t rl) {
  pv_store_response *r = rec;
  const cJSON *f[MAX_KEYS];
  long long version = 0;
  char status[16];
  memset(r, 0, sizeof *r);
  if (!open_record(o, response_keys, f, r->uuid, "", reason, rl))
    return 0;
  if (!str_of(f[R_SURVEY], r->survey_id, sizeof r->survey_id) ||
      !pv_proto_id_valid(r->survey_id)) {
    pv_err_say(reason, rl, "survey: expected a survey id");
    return 0;
  }
  if (!int_of(f[R_VERSION], 1, INT_MAX, &version)) {
    pv_err_say(reason, rl, "version: expected an integer >= 1");
    return 0;
  }
  r->survey_version = (int)version;
  if (!str_of(f[R_DEVICE], r->device_id, sizeof r->device_id) ||
      !pv_uuid_valid(r->device_id)) {
    pv_err_say(reason, rl, "device: expected a UUID");
    return 0;
  }
  if (!cJSON_IsNull(f[R_SESSION]) &&
      (!str_of(f[R_SESSION], r->session_uuid, sizeof r->session_uuid) ||
       !pv_uuid_valid(r->session_uuid))) {
    pv_err_say(reason, rl, "session: expected a UUID or null");
    return 0;
  }
  if (!str_of(f[R_LANGUAGE], r->language, sizeof r->language) ||
      !pv_lang_tag_valid(r->language)) {
    pv_err_say(reason, rl, "language: expected a language tag");
    return 0;
  }
  if (!str_of(f[R_STARTED], r->started_at, sizeof r->started_at) ||
      !pv_proto_time_valid(r->started_at) ||
      !str_of(f[R_ENDED], r->ended_at, sizeof r->ended_at) ||
      !pv_proto_time_valid(r->ended_at)) {
    pv_err_say(reason, rl, "started_at, ended_at: expected YYYY-MM-DDTHH:MM:SS.mmmZ");
    return 0;
  }
  if (strcmp(r->ended_at, r->started_at) < 0) {
    pv_err_say(reason, rl, "ended_at: before started_at");
    return 0;
  }
  if (!str_of(f[R_STATUS], status, sizeof status) ||
      (strcmp(status, "complete") != 0 && strcmp(status, "abandoned") != 0)) {
    pv_err_say(reason, rl, "status: expected \"complete\" or \"abandoned\"");
    return 0;
  }
  r->status = status[0] == 'c' ? PV_STORE_COMPLETE : PV_STORE_ABANDONED;
  const cJSON *answers = f[R_ANSWERS];
  if (!cJSON_IsArray(answers)) {
    pv_err_say(reason, rl, "answers: expected an array");
    return 0;
  }
  size_t n = (size_t)cJSON_GetArraySize(answers);
  if (n > PV_STORE_MAX_ANSWERS) {
    pv_err_say(reason, rl, "answers: more than %d", PV_STORE_MAX_ANSWERS);
    return 0;
  }
  if (n) {
    r->answers = calloc(n, sizeof *r->answers);
    if (!r->answers) {
      pv_err_say(reason, rl, "out of memory");
      return 0;
    }
  }
  size_t i = 0;
  for (const cJSON *ao = answers->child; ao; ao = ao->next, i++) {
    r->answer_count = i + 1;
    if (!decode_answer(ao, i, &r->answers[i], reason, rl))
      return 0;
    for (size_t j = 0; j < i; j++)
      if (strcmp(r->answers[j].question_id, r->answers[i].question_id) == 0) {
        pv_err_say(reason, rl, "answers[%zu].question: \"%s\" answered twice", i,
                   r->answers[i].question_id);
        return 0;
      }
  }
  return 1;
}

/* Opens a batch body {"<key>": [min..max items]} (no other key): PV_OK
 * with *root (caller deletes), *arr and *n; otherwise PV_ERR_INVALID or
 * PV_ERR_TOOBIG with a reason and nothing to delete. Shared by every
 * batch decoder so they refuse a body alike. */
static pv_err batch_open(const char *body, size_t len, const char *key, size_t min,
                         size_t max, char *reason, size_t reason_len, cJSON **root,
                         const cJSON **arr, size_t *n) {
  const char *bad = NULL;
  const char *const keys[] = {key, NULL};
  *root = NULL;
  if (len > PV_PROTO_MAX_BODY) {
    pv_err_say(reason, reason_len, "body of %zu bytes is over the %d-byte limit", len,
               PV_PROTO_MAX_BODY);
    return PV_ERR_TOOBIG;
  }
  cJSON *r = parse_body(body, len, reason, reason_len);
  if (!r)
    return PV_ERR_INVALID;
  pv_err err = PV_ERR_INVALID;
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(r, key);
  if (!cJSON_IsObject(r) || !cJSON_IsArray(a)) {
    pv_err_say(reason, reason_len, "expected {\"%s\": [...]}", key);
    goto out;
  }
  if (!known_keys(r, keys, &bad)) {
    char k[CLIP + 1];
    pv_err_say(reason, reason_len, "unknown key \"%s\"", clip(bad, k));
    goto out;
  }
  size_t count = (size_t)cJSON_GetArraySize(a);
  if (count < min || count > max) {
    pv_err_say(reason, reason_len, "a batch holds %zu to %zu %s, not %zu", min, max,
               key, count);
    err = count > max ? PV_ERR_TOOBIG : PV_ERR_INVALID;
    goto out;
  }
  *root = r;
  *arr = a;
  *n = count;
  return PV_OK;
out:
  cJSON_Delete(r);
  return err;
}

/* ---- sessions ---- */

/* The kinds are the store's (one list for both ends). */
const char *pv_proto_session_kind(size_t i) {
  return pv_store_session_kind(i);
}

int pv_proto_session_kind_valid(const char *kind) {
  return pv_store_session_kind_valid(kind);
}

int pv_proto_qpv_code_valid(const char *code) {
  return code && (!*code || pv_quartier_code_valid(code));
}

/* 1 when s has no control character (it reaches CSV cells and screens). */
static int printable(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f)
      return 0;
  return 1;
}

static cJSON *session_json(const void *rec) {
  const pv_store_session *s = rec;
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  if (!cJSON_AddStringToObject(o, "uuid", s->uuid) ||
      !cJSON_AddStringToObject(o, "kind", s->kind) ||
      !cJSON_AddStringToObject(o, "place", s->place) ||
      !cJSON_AddStringToObject(o, "qpv_code", s->qpv_code) ||
      !cJSON_AddStringToObject(o, "qpv_name", s->qpv_name) ||
      !cJSON_AddStringToObject(o, "animateur", s->animateur) ||
      !cJSON_AddStringToObject(o, "started_at", s->started_at) ||
      !(s->ended_at[0] ? cJSON_AddStringToObject(o, "ended_at", s->ended_at)
                       : cJSON_AddNullToObject(o, "ended_at"))) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static const char *const session_keys[] = {"uuid",       "kind",     "place",
                                           "qpv_code",   "qpv_name", "animateur",
                                           "started_at", "ended_at", NULL};
enum {
  SE_UUID,
  SE_KIND,
  SE_PLACE,
  SE_QPV_CODE,
  SE_QPV_NAME,
  SE_ANIMATEUR,
  SE_STARTED,
  SE_ENDED
};

/* A text field of a session: string, at most cap - 1 bytes, printable. */
static int session_text(const cJSON *v, char *out, size_t cap) {
  return str_of(v, out, cap) && printable(out);
}

/* Fills *s from o; 0 with a reason (s->uuid kept when it was readable). */
static int decode_session(const cJSON *o, void *rec, char *reason, size_t rl) {
  pv_store_session *s = rec;
  const cJSON *f[MAX_KEYS];
  memset(s, 0, sizeof *s);
  if (!open_record(o, session_keys, f, s->uuid, "", reason, rl))
    return 0;
  if (!str_of(f[SE_KIND], s->kind, sizeof s->kind) ||
      !pv_proto_session_kind_valid(s->kind)) {
    pv_err_say(
        reason, rl,
        "kind: expected \"kiosk\", \"table_de_quartier\", \"marche_exploratoire\" or "
        "\"atelier\"");
    return 0;
  }
  if (!session_text(f[SE_PLACE], s->place, sizeof s->place)) {
    pv_err_say(reason, rl, "place: expected a text of at most %d bytes",
               PV_STORE_MAX_TEXT);
    return 0;
  }
  if (!str_of(f[SE_QPV_CODE], s->qpv_code, sizeof s->qpv_code) ||
      !pv_proto_qpv_code_valid(s->qpv_code)) {
    pv_err_say(reason, rl,
               "qpv_code: expected \"\" or a QPV code such as \"QN03401M\"");
    return 0;
  }
  if (!session_text(f[SE_QPV_NAME], s->qpv_name, sizeof s->qpv_name)) {
    pv_err_say(reason, rl, "qpv_name: expected a text of at most %d bytes",
               PV_STORE_MAX_TEXT);
    return 0;
  }
  if (!session_text(f[SE_ANIMATEUR], s->animateur, sizeof s->animateur)) {
    pv_err_say(reason, rl, "animateur: expected initials of at most %d bytes",
               PV_STORE_MAX_INITIALS);
    return 0;
  }
  if (!str_of(f[SE_STARTED], s->started_at, sizeof s->started_at) ||
      !pv_proto_time_valid(s->started_at)) {
    pv_err_say(reason, rl, "started_at: expected YYYY-MM-DDTHH:MM:SS.mmmZ");
    return 0;
  }
  if (!f[SE_ENDED] || (!cJSON_IsNull(f[SE_ENDED]) &&
                       (!str_of(f[SE_ENDED], s->ended_at, sizeof s->ended_at) ||
                        !pv_proto_time_valid(s->ended_at)))) {
    pv_err_say(reason, rl, "ended_at: expected YYYY-MM-DDTHH:MM:SS.mmmZ or null");
    return 0;
  }
  if (s->ended_at[0] && strcmp(s->ended_at, s->started_at) < 0) {
    pv_err_say(reason, rl, "ended_at: before started_at");
    return 0;
  }
  return 1;
}

/* ---- results ---- */

char *pv_proto_results_encode(const pv_proto_result *res, size_t n) {
  cJSON *root = cJSON_CreateObject();
  cJSON *arr = root ? cJSON_AddArrayToObject(root, "results") : NULL;
  char *s = NULL;
  if (!arr)
    goto out;
  for (size_t i = 0; i < n; i++) {
    cJSON *o = cJSON_CreateObject();
    if (!o)
      goto out;
    cJSON_AddItemToArray(arr, o);
    if (!cJSON_AddStringToObject(o, "uuid", res[i].uuid) ||
        !cJSON_AddStringToObject(o, "outcome", pv_proto_outcome_name(res[i].outcome)))
      goto out;
    if (res[i].reason[0] && !cJSON_AddStringToObject(o, "reason", res[i].reason))
      goto out;
  }
  s = cJSON_PrintUnformatted(root);
out:
  cJSON_Delete(root);
  return s;
}

pv_err pv_proto_results_decode(const char *body, size_t len, pv_proto_result **out,
                               size_t *n) {
  char why[PV_PROTO_MAX_REASON + 1];
  *out = NULL;
  *n = 0;
  cJSON *root = parse_body(body, len, why, sizeof why);
  if (!root)
    return pv_fail(PV_ERR_INVALID, "results: %s", why);
  pv_err err = PV_ERR_INVALID;
  pv_proto_result *res = NULL;
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "results");
  if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) > PV_PROTO_MAX_BATCH) {
    err =
        pv_fail(PV_ERR_INVALID, "results: expected {\"results\": [...]} of at most %d",
                PV_PROTO_MAX_BATCH);
    goto out;
  }
  size_t count = (size_t)cJSON_GetArraySize(arr), i = 0;
  res = calloc(count ? count : 1, sizeof *res);
  if (!res) {
    err = PV_ERR_NOMEM;
    goto out;
  }
  for (const cJSON *o = arr->child; o; o = o->next, i++) {
    char outcome[32];
    if (!cJSON_IsObject(o) || !get_str(o, "uuid", res[i].uuid, sizeof res[i].uuid) ||
        !get_str(o, "outcome", outcome, sizeof outcome)) {
      err = pv_fail(PV_ERR_INVALID, "results[%zu]: expected uuid and outcome", i);
      goto out;
    }
    int found = -1;
    for (int k = 0; k < PV_OUT__COUNT; k++)
      if (strcmp(outcome, outcome_names[k]) == 0)
        found = k;
    if (found < 0) {
      err = pv_fail(PV_ERR_INVALID, "results[%zu]: unknown outcome \"%s\"", i, outcome);
      goto out;
    }
    res[i].outcome = (pv_proto_outcome)found;
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "reason");
    if (cJSON_IsString(r) && r->valuestring)
      snprintf(res[i].reason, sizeof res[i].reason, "%s", r->valuestring);
  }
  *out = res;
  *n = count;
  res = NULL;
  err = PV_OK;
out:
  free(res);
  cJSON_Delete(root);
  return err;
}

/* ---- errors ---- */

char *pv_proto_error_encode(const char *code, const char *reason) {
  cJSON *o = cJSON_CreateObject();
  char *s = NULL;
  if (o && cJSON_AddStringToObject(o, "error", code) &&
      cJSON_AddStringToObject(o, "reason", reason ? reason : ""))
    s = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return s;
}

pv_err pv_proto_error_decode(const char *body, size_t len,
                             char code[PV_PROTO_MAX_CODE + 1],
                             char reason[PV_PROTO_MAX_REASON + 1]) {
  char why[PV_PROTO_MAX_REASON + 1];
  code[0] = reason[0] = '\0';
  cJSON *o = body ? parse_body(body, len, why, sizeof why) : NULL;
  const cJSON *c = o ? cJSON_GetObjectItemCaseSensitive(o, "error") : NULL;
  if (!cJSON_IsString(c) || !c->valuestring) {
    cJSON_Delete(o);
    return PV_ERR_INVALID;
  }
  snprintf(code, PV_PROTO_MAX_CODE + 1, "%s", c->valuestring);
  const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "reason");
  if (cJSON_IsString(r) && r->valuestring)
    snprintf(reason, PV_PROTO_MAX_REASON + 1, "%s", r->valuestring);
  cJSON_Delete(o);
  return PV_OK;
}

/* ---- catalogue ---- */

char *pv_proto_catalog_encode(const pv_proto_catalog *c) {
  cJSON *root = cJSON_CreateObject();
  cJSON *arr = root ? cJSON_AddArrayToObject(root, "surveys") : NULL;
  char *s = NULL;
  if (!arr)
    goto out;
  for (size_t i = 0; i < c->count; i++) {
    const pv_proto_survey *sv = &c->surveys[i];
    cJSON *o = cJSON_CreateObject(), *files = NULL;
    if (!o)
      goto out;
    cJSON_AddItemToArray(arr, o);
    if (!cJSON_AddStringToObject(o, "id", sv->id) ||
        !cJSON_AddNumberToObject(o, "version", sv->version) ||
        !(files = cJSON_AddArrayToObject(o, "files")))
      goto out;
    for (size_t k = 0; k < sv->n_files; k++) {
      cJSON *f = cJSON_CreateObject();
      if (!f)
        goto out;
      cJSON_AddItemToArray(files, f);
      if (!cJSON_AddStringToObject(f, "path", sv->files[k].path) ||
          !cJSON_AddStringToObject(f, "sha256", sv->files[k].sha256) ||
          !cJSON_AddNumberToObject(f, "size", (double)sv->files[k].size))
        goto out;
    }
  }
  s = cJSON_PrintUnformatted(root);
out:
  cJSON_Delete(root);
  return s;
}

static int decode_survey(const cJSON *o, size_t i, pv_proto_survey *sv, char *reason,
                         size_t rl) {
  long long version = 0;
  if (!cJSON_IsObject(o) || !get_str(o, "id", sv->id, sizeof sv->id) ||
      !pv_proto_id_valid(sv->id) || !get_int(o, "version", 1, INT_MAX, &version)) {
    pv_err_say(reason, rl, "surveys[%zu]: expected an id and a version >= 1", i);
    return 0;
  }
  sv->version = (int)version;
  const cJSON *files = cJSON_GetObjectItemCaseSensitive(o, "files");
  int nf = cJSON_IsArray(files) ? cJSON_GetArraySize(files) : -1;
  if (nf < 1 || nf > PV_PROTO_MAX_FILES) {
    pv_err_say(reason, rl, "surveys[%zu].files: expected 1 to %d files", i,
               PV_PROTO_MAX_FILES);
    return 0;
  }
  sv->files = calloc((size_t)nf, sizeof *sv->files);
  if (!sv->files) {
    pv_err_say(reason, rl, "out of memory");
    return 0;
  }
  size_t k = 0;
  for (const cJSON *f = files->child; f; f = f->next, k++) {
    pv_proto_file *pf = &sv->files[k];
    long long size = 0;
    sv->n_files = k + 1;
    if (!cJSON_IsObject(f) || !get_str(f, "path", pf->path, sizeof pf->path) ||
        !pv_proto_path_safe(pf->path) ||
        !get_str(f, "sha256", pf->sha256, sizeof pf->sha256) ||
        !pv_proto_sha256_valid(pf->sha256) ||
        !get_int(f, "size", 0, PV_SURVEY_MAX_AUDIO, &size)) {
      pv_err_say(reason, rl,
                 "surveys[%zu].files[%zu]: expected a safe path, a sha256 and a size",
                 i, k);
      return 0;
    }
    pf->size = (size_t)size;
  }
  return 1;
}

pv_err pv_proto_catalog_decode(const char *body, size_t len, pv_proto_catalog *out,
                               char *reason, size_t reason_len) {
  memset(out, 0, sizeof *out);
  cJSON *root = parse_body(body, len, reason, reason_len);
  if (!root)
    return PV_ERR_INVALID;
  pv_err err = PV_ERR_INVALID;
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "surveys");
  int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : -1;
  if (n < 0 || n > PV_PROTO_MAX_SURVEYS) {
    pv_err_say(reason, reason_len, "expected {\"surveys\": [...]} of at most %d",
               PV_PROTO_MAX_SURVEYS);
    goto out;
  }
  out->surveys = calloc(n ? (size_t)n : 1, sizeof *out->surveys);
  if (!out->surveys) {
    err = PV_ERR_NOMEM;
    goto out;
  }
  size_t i = 0;
  for (const cJSON *o = arr->child; o; o = o->next, i++) {
    out->count = i + 1;
    if (!decode_survey(o, i, &out->surveys[i], reason, reason_len))
      goto out;
  }
  err = PV_OK;
out:
  cJSON_Delete(root);
  if (err != PV_OK)
    pv_proto_catalog_free(out);
  return err;
}

void pv_proto_catalog_free(pv_proto_catalog *c) {
  if (!c)
    return;
  for (size_t i = 0; i < c->count; i++)
    free(c->surveys[i].files);
  free(c->surveys);
  c->surveys = NULL;
  c->count = 0;
}

/* ---- recorded prompts ---- */

int pv_proto_lang_valid(const char *s) {
  return s && pv_lang_tag_valid(s);
}

int pv_proto_prompt_cmp(const pv_store_prompt *a, const pv_store_prompt *b) {
  int c = strcmp(a->survey_id, b->survey_id);
  if (!c)
    c = strcmp(a->key, b->key);
  return c ? c : strcmp(a->lang, b->lang);
}

/* A recording or a deletion as JSON, then "received_at" when given. */
static cJSON *prompt_to_json(const pv_store_prompt *p, const char *received_at) {
  cJSON *o = cJSON_CreateObject();
  int ok = o && cJSON_AddStringToObject(o, "survey", p->survey_id) &&
           cJSON_AddStringToObject(o, "key", p->key) &&
           cJSON_AddStringToObject(o, "lang", p->lang);
  if (ok && p->deleted)
    ok = cJSON_AddTrueToObject(o, "deleted") != NULL;
  else if (ok)
    ok = cJSON_AddStringToObject(o, "sha256", p->sha256) &&
         cJSON_AddStringToObject(o, "media_type", p->media_type) &&
         cJSON_AddNumberToObject(o, "size", (double)p->size);
  ok = ok && cJSON_AddStringToObject(o, "recorded_at", p->recorded_at) &&
       cJSON_AddStringToObject(o, "device", p->device_id);
  if (ok && received_at)
    ok = cJSON_AddStringToObject(o, "received_at", received_at) != NULL;
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static cJSON *prompt_json(const void *rec) {
  return prompt_to_json(rec, NULL);
}

static cJSON *prompt_entry_json(const void *rec) {
  const pv_proto_prompt_entry *e = rec;
  return prompt_to_json(&e->p, e->received_at);
}

/* A POST item's keys; a GET entry's add "received_at" (the last). */
static const char *const prompt_keys[] = {"survey", "key",        "lang", "deleted",
                                          "sha256", "media_type", "size", "recorded_at",
                                          "device", NULL};
static const char *const prompt_entry_keys[] = {
    "survey", "key",         "lang",   "deleted",     "sha256", "media_type",
    "size",   "recorded_at", "device", "received_at", NULL};
enum {
  PR_SURVEY,
  PR_KEY,
  PR_LANG,
  PR_DELETED,
  PR_SHA,
  PR_TYPE,
  PR_SIZE,
  PR_AT,
  PR_DEVICE,
  PR_RECEIVED
};

/* 1 when s is an audio media type: "audio/" then a token. */
static int audio_type_valid(const char *s) {
  if (strncmp(s, "audio/", 6) != 0 || !s[6])
    return 0;
  for (const char *c = s + 6; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
          (*c >= '0' && *c <= '9') || strchr("!#$&^_.+-", *c)))
      return 0;
  return 1;
}

/* Fills *p from the members f of a record, every field checked: a
 * deletion ("deleted": true) carries no audio fields, a recording all of
 * them. 0 with a reason. */
static int prompt_fields(const cJSON *const *f, pv_store_prompt *p, char *reason,
                         size_t rl) {
  long long size = 0;
  int deleted = f[PR_DELETED] != NULL;
  /* First failing check wins; each names its key. */
  const struct {
    int ok;
    const char *why;
  } checks[] = {
      {str_of(f[PR_SURVEY], p->survey_id, sizeof p->survey_id) &&
           pv_proto_id_valid(p->survey_id),
       "survey: expected a survey id"},
      {str_of(f[PR_KEY], p->key, sizeof p->key) && pv_store_prompt_key_valid(p->key),
       "key: expected \"q:<question>\" or \"o:<question>:<option>\""},
      {str_of(f[PR_LANG], p->lang, sizeof p->lang) && pv_proto_lang_valid(p->lang),
       "lang: expected a language tag such as \"ary\" or \"fr\""},
      {!deleted || cJSON_IsTrue(f[PR_DELETED]),
       "deleted: expected true (a recording has no \"deleted\")"},
      {!deleted || (!f[PR_SHA] && !f[PR_TYPE] && !f[PR_SIZE]),
       "deleted: a deletion has no sha256, media_type or size"},
      {deleted || (str_of(f[PR_SHA], p->sha256, sizeof p->sha256) &&
                   pv_proto_sha256_valid(p->sha256)),
       "sha256: expected 64 lowercase hex digits"},
      {deleted || (str_of(f[PR_TYPE], p->media_type, sizeof p->media_type) &&
                   audio_type_valid(p->media_type)),
       "media_type: expected an audio media type such as \"audio/wav\""},
      {deleted || int_of(f[PR_SIZE], 1, PV_PROTO_MAX_ATTACHMENT, &size),
       "size: expected 1 to 8388608 bytes"},
      {str_of(f[PR_AT], p->recorded_at, sizeof p->recorded_at) &&
           pv_proto_time_valid(p->recorded_at),
       "recorded_at: expected YYYY-MM-DDTHH:MM:SS.mmmZ"},
      {str_of(f[PR_DEVICE], p->device_id, sizeof p->device_id) &&
           pv_uuid_valid(p->device_id),
       "device: expected a UUID"},
  };
  for (size_t i = 0; i < sizeof checks / sizeof *checks; i++)
    if (!checks[i].ok) {
      pv_err_say(reason, rl, "%s", checks[i].why);
      return 0;
    }
  p->size = (size_t)size;
  p->deleted = deleted;
  return 1;
}

/* Fills *p from POST item o; 0 with a reason. */
static int decode_prompt(const cJSON *o, void *rec, char *reason, size_t rl) {
  pv_store_prompt *p = rec;
  const cJSON *f[MAX_KEYS];
  memset(p, 0, sizeof *p);
  return open_record(o, prompt_keys, f, NULL, "", reason, rl) &&
         prompt_fields(f, p, reason, rl);
}

/* Fills *e from GET entry o, received_at required; 0 with a reason. */
static int decode_prompt_entry(const cJSON *o, void *rec, char *reason, size_t rl) {
  pv_proto_prompt_entry *e = rec;
  const cJSON *f[MAX_KEYS];
  memset(e, 0, sizeof *e);
  if (!open_record(o, prompt_entry_keys, f, NULL, "", reason, rl) ||
      !prompt_fields(f, &e->p, reason, rl))
    return 0;
  if (!str_of(f[PR_RECEIVED], e->received_at, sizeof e->received_at) ||
      !pv_proto_time_valid(e->received_at)) {
    pv_err_say(reason, rl, "received_at: expected YYYY-MM-DDTHH:MM:SS.mmmZ");
    return 0;
  }
  return 1;
}

/* ---- record lists: one codec for every {"<name>": [...]} body ---- */

static void response_drop(void *rec) {
  pv_store_response_free(rec);
}

static const char *response_uuid(const void *rec) {
  return ((const pv_store_response *)rec)->uuid;
}

static const char *session_uuid(const void *rec) {
  return ((const pv_store_session *)rec)->uuid;
}

/* A kind of record a body lists. The items of a decoded list are
 * {int ok; <record>; pv_proto_result result}: record at rec_off, result at
 * res_off. */
typedef struct list_kind {
  const char *name; /* the body's one key, and a failed item's prefix */
  size_t min, max;  /* items in one body */
  size_t rec_size;  /* bytes of one record */
  size_t item_size; /* bytes of one decoded item */
  size_t rec_off, res_off;
  cJSON *(*to_json)(const void *rec);                             /* NULL: no memory */
  int (*from_json)(const cJSON *o, void *rec, char *why, size_t); /* 0 with why */
  void (*drop)(void *rec);              /* frees what a record holds; NULL: nothing */
  const char *(*uuid)(const void *rec); /* one per list; NULL: matched by position */
} list_kind;

enum { L_RESPONSES, L_SESSIONS, L_PROMPTS, L_PROMPTS_OUT, L_PROMPT_LIST, L__COUNT };

#define ITEM_OF(T, rec, res) sizeof(T), offsetof(T, rec), offsetof(T, res)

static const list_kind list_kinds[L__COUNT] = {
    [L_RESPONSES] = {"responses", 1, PV_PROTO_MAX_BATCH, sizeof(pv_store_response),
                     ITEM_OF(pv_proto_item, r, result), response_json, decode_response,
                     response_drop, response_uuid},
    [L_SESSIONS] = {"sessions", 1, PV_PROTO_MAX_SESSIONS, sizeof(pv_store_session),
                    ITEM_OF(pv_proto_session_item, s, result), session_json,
                    decode_session, NULL, session_uuid},
    [L_PROMPTS] = {"prompts", 1, PV_PROTO_MAX_PROMPTS, sizeof(pv_store_prompt),
                   ITEM_OF(pv_proto_prompt_item, p, result), prompt_json, decode_prompt,
                   NULL, NULL},
    /* Encodes a POST body of any length up to a list's (tests go past 100). */
    [L_PROMPTS_OUT] = {"prompts", 0, PV_PROTO_MAX_PROMPT_LIST, sizeof(pv_store_prompt),
                       ITEM_OF(pv_proto_prompt_item, p, result), prompt_json,
                       decode_prompt, NULL, NULL},
    /* The record is the item's entry: its p and received_at. */
    [L_PROMPT_LIST] = {"prompts", 0, PV_PROTO_MAX_PROMPT_LIST,
                       sizeof(pv_proto_prompt_entry),
                       ITEM_OF(pv_proto_prompt_item, p, result), prompt_entry_json,
                       decode_prompt_entry, NULL, NULL},
};

_Static_assert(offsetof(pv_proto_item, ok) == 0 &&
                   offsetof(pv_proto_session_item, ok) == 0 &&
                   offsetof(pv_proto_prompt_item, ok) == 0,
               "every decoded item starts with ok");
_Static_assert(offsetof(pv_proto_prompt_item, p) ==
                       offsetof(pv_proto_prompt_item, entry.p) &&
                   offsetof(pv_proto_prompt_item, received_at) ==
                       offsetof(pv_proto_prompt_item, entry.received_at),
               "a prompt item's p and received_at are its entry's");

/* Returns one record's compact JSON (malloc'd), NULL when out of memory. */
static char *record_encode(const list_kind *k, const void *rec) {
  cJSON *o = k->to_json(rec);
  char *text = o ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  return text;
}

/* Decodes one record the way a list item is decoded; a refused record is
 * dropped and zeroed when its kind holds memory. */
static pv_err record_decode(const list_kind *k, const char *json, size_t len, void *rec,
                            char *reason, size_t reason_len) {
  memset(rec, 0, k->rec_size);
  cJSON *o = parse_body(json, len, reason, reason_len);
  if (!o)
    return PV_ERR_INVALID;
  int ok = k->from_json(o, rec, reason, reason_len);
  cJSON_Delete(o);
  if (!ok && k->drop) {
    k->drop(rec);
    memset(rec, 0, k->rec_size);
  }
  return ok ? PV_OK : PV_ERR_INVALID;
}

/* Returns {"<name>":[...]} of n (<= k->max) records, malloc'd. */
static char *list_encode(const list_kind *k, const void *recs, size_t n) {
  PV_ASSERT(n <= k->max);
  cJSON *root = cJSON_CreateObject();
  cJSON *arr = root ? cJSON_AddArrayToObject(root, k->name) : NULL;
  char *text = NULL;
  if (!arr)
    goto out;
  for (size_t i = 0; i < n; i++) {
    cJSON *o = k->to_json((const char *)recs + i * k->rec_size);
    if (!o)
      goto out;
    cJSON_AddItemToArray(arr, o);
  }
  text = cJSON_PrintUnformatted(root);
out:
  cJSON_Delete(root);
  return text;
}

/* Frees the n items of a decoded list and what their records hold. */
static void list_free(const list_kind *k, void *items, size_t n) {
  for (size_t i = 0; k->drop && i < n; i++) {
    char *it = (char *)items + i * k->item_size;
    if (*(int *)it)
      k->drop(it + k->rec_off);
  }
  free(items);
}

/* Decodes a list body: PV_OK with *items (malloc'd, list_free) and *n, each
 * item checked on its own (a uuid twice: the later ones invalid), or
 * PV_ERR_INVALID / PV_ERR_TOOBIG / PV_ERR_NOMEM for the body, with reason. */
static pv_err list_decode(const list_kind *k, const char *body, size_t len,
                          void **items, size_t *n, char *reason, size_t reason_len) {
  cJSON *root = NULL;
  const cJSON *arr = NULL;
  size_t count = 0, i = 0;
  *items = NULL;
  *n = 0;
  pv_err err = batch_open(body, len, k->name, k->min, k->max, reason, reason_len, &root,
                          &arr, &count);
  if (err)
    return err;
  char *all = calloc(count ? count : 1, k->item_size);
  if (!all) {
    pv_err_say(reason, reason_len, "out of memory");
    cJSON_Delete(root);
    return PV_ERR_NOMEM;
  }
  for (const cJSON *o = arr->child; o; o = o->next, i++) {
    char *it = all + i * k->item_size, *rec = it + k->rec_off;
    int *ok = (int *)it;
    pv_proto_result *res = (pv_proto_result *)(it + k->res_off);
    char why[PV_PROTO_MAX_REASON - 24] = ""; /* room for "<name>[N]: " */
    *ok = k->from_json(o, rec, why, sizeof why);
    if (k->uuid) {
      snprintf(res->uuid, sizeof res->uuid, "%s", k->uuid(rec));
      for (size_t j = 0; *ok && j < i; j++) {
        char *prev = all + j * k->item_size;
        if (*(int *)prev && strcmp(k->uuid(prev + k->rec_off), res->uuid) == 0) {
          *ok = 0;
          snprintf(why, sizeof why, "uuid repeated in the batch");
        }
      }
    }
    if (!*ok) {
      if (k->drop) {
        k->drop(rec);
        memset(rec, 0, k->rec_size);
      }
      res->outcome = PV_OUT_INVALID;
      snprintf(res->reason, sizeof res->reason, "%s[%zu]: %s", k->name, i, why);
    }
  }
  cJSON_Delete(root);
  *items = all;
  *n = count;
  return PV_OK;
}

/* The public names, each one kind of the codec. */

char *pv_proto_response_encode(const pv_store_response *r) {
  return record_encode(&list_kinds[L_RESPONSES], r);
}

char *pv_proto_batch_encode(const pv_store_response *r, size_t n) {
  return list_encode(&list_kinds[L_RESPONSES], r, n);
}

pv_err pv_proto_response_decode(const char *json, size_t len, pv_store_response *out,
                                char *reason, size_t reason_len) {
  return record_decode(&list_kinds[L_RESPONSES], json, len, out, reason, reason_len);
}

pv_err pv_proto_batch_decode(const char *body, size_t len, pv_proto_batch *out,
                             char *reason, size_t reason_len) {
  void *items = NULL;
  pv_err err = list_decode(&list_kinds[L_RESPONSES], body, len, &items, &out->count,
                           reason, reason_len);
  out->items = items;
  return err;
}

void pv_proto_batch_free(pv_proto_batch *b) {
  if (b)
    list_free(&list_kinds[L_RESPONSES], b->items, b->count);
  if (b)
    *b = (pv_proto_batch){0};
}

char *pv_proto_session_encode(const pv_store_session *s) {
  return record_encode(&list_kinds[L_SESSIONS], s);
}

char *pv_proto_sessions_encode(const pv_store_session *s, size_t n) {
  return list_encode(&list_kinds[L_SESSIONS], s, n);
}

pv_err pv_proto_session_decode(const char *json, size_t len, pv_store_session *out,
                               char *reason, size_t reason_len) {
  return record_decode(&list_kinds[L_SESSIONS], json, len, out, reason, reason_len);
}

pv_err pv_proto_sessions_decode(const char *body, size_t len, pv_proto_sessions *out,
                                char *reason, size_t reason_len) {
  void *items = NULL;
  pv_err err = list_decode(&list_kinds[L_SESSIONS], body, len, &items, &out->count,
                           reason, reason_len);
  out->items = items;
  return err;
}

void pv_proto_sessions_free(pv_proto_sessions *b) {
  if (b)
    list_free(&list_kinds[L_SESSIONS], b->items, b->count);
  if (b)
    *b = (pv_proto_sessions){0};
}

char *pv_proto_prompt_encode(const pv_store_prompt *p) {
  return record_encode(&list_kinds[L_PROMPTS], p);
}

char *pv_proto_prompts_encode(const pv_store_prompt *p, size_t n) {
  return list_encode(&list_kinds[L_PROMPTS_OUT], p, n);
}

char *pv_proto_prompt_list_encode(const pv_proto_prompt_entry *e, size_t n) {
  return list_encode(&list_kinds[L_PROMPT_LIST], e, n);
}

pv_err pv_proto_prompt_decode(const char *json, size_t len, pv_store_prompt *out,
                              char *reason, size_t reason_len) {
  return record_decode(&list_kinds[L_PROMPTS], json, len, out, reason, reason_len);
}

pv_err pv_proto_prompts_decode(const char *body, size_t len, int list,
                               pv_proto_prompts *out, char *reason, size_t reason_len) {
  void *items = NULL;
  pv_err err = list_decode(&list_kinds[list ? L_PROMPT_LIST : L_PROMPTS], body, len,
                           &items, &out->count, reason, reason_len);
  out->items = items;
  return err;
}

void pv_proto_prompts_free(pv_proto_prompts *b) {
  if (b)
    list_free(&list_kinds[L_PROMPTS], b->items, b->count);
  if (b)
    *b = (pv_proto_prompts){0};
}
