/* server: see server.h.
 *
 * A request goes through libmicrohttpd's access handler several times:
 * once when its headers are in (route, token, rate, limits: a refusal is
 * answered at once and the body is never read), once per piece of body
 * (accumulated under a hard cap, attachments hashed as they arrive), and
 * once at the end (the route's handler runs with a database connection
 * from the pool). Per-request state is made in the URI-log callback,
 * which also keeps the raw URI: a path with a percent-escape or a control
 * byte is refused before anything decodes it, so "%2e%2e%2f" or "%00"
 * never reach a handler. Attachment and file names are checked to be 64
 * lowercase hex digits and used only as database keys, never as paths. */
#include "collector/server.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "collector/export.h"
#include "collector/storage.h"
#include "collector/token.h"
#include "core/log.h"
#include "core/sha256.h"
#include "sync/protocol.h"

#define MAX_URI 2048           /* bytes of a request's raw URI */
#define MAX_LOG_PATH 120       /* bytes of a path in the request log */
#define RATE_SLOTS 4096        /* token holders the rate limiter tracks */
#define CONN_TIMEOUT_S 20      /* idle connection cut after this */
#define CONN_LIMIT 1024        /* open connections */
#define CONN_MEMORY (64 << 10) /* per-connection header memory */
#define BODY_START (64 << 10)  /* first allocation of a body buffer */
#define NOBODY_MAX (4 << 10)   /* bytes a GET or HEAD may carry (dropped) */
/* After a body went past its cap, this much more is read and dropped so
 * the 413 can still be sent; past it the connection is cut. */
#define DRAIN_MAX (PV_PROTO_MAX_ATTACHMENT)

typedef enum who_may { ANY, DEVICE, ANALYST } who_may;
typedef enum body_kind { BODY_NONE, BODY_JSON, BODY_BYTES } body_kind;

struct pv_server {
  struct MHD_Daemon *d;
  int port, tls;
  char *db_path, *pg;
  char *tls_key, *tls_cert; /* PEM text, kept while the daemon runs */
  pv_clock clock;
  double rate;
  int burst;
  /* Database pool: idle connections; at most `max` open. */
  pthread_mutex_t db_mu;
  pthread_cond_t db_cv;
  pv_cdb *idle[PV_SERVER_MAX_THREADS + 1];
  size_t n_idle, n_open, max;
  /* Rate limiter: open addressing on the holder's id. */
  pthread_mutex_t rate_mu;
  struct bucket {
    long long id; /* 0 = free slot (ids start at 1) */
    double tokens;
    int64_t last_ms;
  } buckets[RATE_SLOTS];
  size_t n_buckets;
  /* Load: body bytes reserved (of budget), exports running (of max). */
  pthread_mutex_t load_mu;
  size_t budget, reserved;
  int exports, max_exports;
};

typedef struct req req;
typedef enum MHD_Result (*handler_fn)(req *r, struct MHD_Connection *c, pv_cdb *db);

/* The batches devices post, one route each, answered alike: one result
 * per item under the worst item's status. */
typedef enum batch_kind { B_NONE, B_RESPONSES, B_SESSIONS, B_PROMPTS } batch_kind;

typedef struct route {
  const char *method;
  const char *path; /* exact, or a prefix followed by one name when has_name */
  int has_name;
  who_may who;
  body_kind body;
  handler_fn fn;
  batch_kind batch; /* what on_batch ingests, or B_NONE */
} route;

typedef enum req_state { REQ_NEW, REQ_BODY, REQ_REPLIED } req_state;

struct req {
  pv_server *srv;
  req_state state;
  char uri[MAX_URI + 1];
  int uri_too_long;
  char method[16];
  char log_path[MAX_LOG_PATH + 1];
  struct timespec t0;
  unsigned status;
  const route *rt;
  const char *name; /* the route's trailing name, inside MHD's url */
  pv_cdb_principal who;
  char *body;
  size_t len, cap, limit, drained;
  size_t declared; /* Content-Length, or SIZE_MAX when absent */
  int too_large, over_budget;
  size_t reserved;   /* bytes of the server's body budget held */
  pv_sha256 *hasher; /* attachment bytes, as they arrive */
  int retry_after;   /* seconds for 429/503, 0 = none */
  char allow[64];    /* methods of the path, for a 405 */
};

/* ---- small helpers ---- */

static double elapsed_ms(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
         (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Copies s into out (cap bytes), printable ASCII only: logs stay one line
 * whatever a hostile client sends. */
static void printable(char *out, size_t cap, const char *s) {
  size_t i = 0;
  for (; s && s[i] && i + 1 < cap; i++)
    out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
  out[i] = '\0';
}

static void now_iso(const pv_server *s, char out[25]) {
  pv_time_iso(pv_clock_now(&s->clock), out);
}

/* Reads a whole small file (PEM) into a malloc'd NUL-terminated string. */
static pv_err read_small(const char *path, size_t max, char **out) {
  pv_err err = PV_OK;
  char *buf = NULL;
  FILE *f = fopen(path, "rb");
  if (!f)
    return pv_fail(PV_ERR_IO, "collector: %s: %s", path, strerror(errno));
  buf = malloc(max + 1);
  if (!buf) {
    err = pv_fail(PV_ERR_NOMEM, "collector: out of memory");
    goto out;
  }
  size_t n = fread(buf, 1, max + 1, f);
  if (ferror(f)) {
    err = pv_fail(PV_ERR_IO, "collector: %s: read failed", path);
    goto out;
  }
  if (n > max) {
    err = pv_fail(PV_ERR_TOOBIG, "collector: %s: over %zu bytes", path, max);
    goto out;
  }
  buf[n] = '\0';
  *out = buf;
  buf = NULL;
out:
  free(buf);
  fclose(f);
  return err;
}

/* ---- database pool ---- */

/* Takes a connection (opening one if fewer than max are open, else
 * waiting for one); give it back with db_release. */
static pv_err db_acquire(pv_server *s, pv_cdb **out) {
  pv_err err = PV_OK;
  pthread_mutex_lock(&s->db_mu);
  while (s->n_idle == 0 && s->n_open >= s->max)
    pthread_cond_wait(&s->db_cv, &s->db_mu);
  if (s->n_idle > 0) {
    *out = s->idle[--s->n_idle];
    pthread_mutex_unlock(&s->db_mu);
    return PV_OK;
  }
  s->n_open++;
  pthread_mutex_unlock(&s->db_mu);
  err = pv_cdb_open(s->db_path, s->pg, out);
  if (err) {
    pthread_mutex_lock(&s->db_mu);
    s->n_open--;
    pthread_cond_signal(&s->db_cv);
    pthread_mutex_unlock(&s->db_mu);
  }
  return err;
}

/* Returns db to the pool, or closes it when it failed with PV_ERR_DB (a
 * PostgreSQL connection may be dead; the next request opens a new one). */
static void db_release(pv_server *s, pv_cdb *db, pv_err last) {
  if (!db)
    return;
  if (last == PV_ERR_DB) {
    pv_cdb_close(db);
    db = NULL;
  }
  pthread_mutex_lock(&s->db_mu);
  if (db)
    s->idle[s->n_idle++] = db;
  else
    s->n_open--;
  pthread_cond_signal(&s->db_cv);
  pthread_mutex_unlock(&s->db_mu);
}

/* ---- rate limiter: a token bucket per holder ---- */

/* Returns 1 when holder id may make a request now; else 0 and the
 * seconds until it may (>= 1) in *retry. */
static int rate_take(pv_server *s, long long id, int *retry) {
  int64_t now = pv_clock_now(&s->clock);
  int ok = 1;
  pthread_mutex_lock(&s->rate_mu);
  if (s->n_buckets >= RATE_SLOTS * 3 / 4) {
    /* Too many holders seen: forget them all (everyone starts full). */
    memset(s->buckets, 0, sizeof s->buckets);
    s->n_buckets = 0;
  }
  size_t i =
      (size_t)((unsigned long long)id * 0x9E3779B97F4A7C15ull >> 52) % RATE_SLOTS;
  while (s->buckets[i].id != 0 && s->buckets[i].id != id)
    i = (i + 1) % RATE_SLOTS;
  struct bucket *b = &s->buckets[i];
  if (b->id == 0) {
    b->id = id;
    b->tokens = s->burst;
    b->last_ms = now;
    s->n_buckets++;
  }
  if (now > b->last_ms) {
    b->tokens += (double)(now - b->last_ms) / 1000.0 * s->rate;
    if (b->tokens > s->burst)
      b->tokens = s->burst;
    b->last_ms = now;
  }
  if (b->tokens >= 1.0) {
    b->tokens -= 1.0;
  } else {
    ok = 0;
    double wait = (1.0 - b->tokens) / s->rate;
    *retry = wait < 1.0 ? 1 : (int)ceil(wait);
  }
  pthread_mutex_unlock(&s->rate_mu);
  return ok;
}

/* ---- load: the body budget and export slots ---- */

/* Reserves n more bytes of body for r; 0 when the budget has no room. */
static int budget_take(req *r, size_t n) {
  pv_server *s = r->srv;
  int ok = 0;
  pthread_mutex_lock(&s->load_mu);
  if (n <= s->budget - s->reserved) {
    s->reserved += n;
    r->reserved += n;
    ok = 1;
  }
  pthread_mutex_unlock(&s->load_mu);
  return ok;
}

/* Frees r's body buffer and gives its reservation back (r->len stays). */
static void body_release(req *r) {
  free(r->body);
  r->body = NULL;
  r->cap = 0;
  if (!r->reserved)
    return;
  pthread_mutex_lock(&r->srv->load_mu);
  r->srv->reserved -= r->reserved;
  pthread_mutex_unlock(&r->srv->load_mu);
  r->reserved = 0;
}

/* Takes an export slot (give it back with export_give); 0 when all are
 * taken. */
static int export_take(pv_server *s) {
  int ok = 0;
  pthread_mutex_lock(&s->load_mu);
  if (s->exports < s->max_exports) {
    s->exports++;
    ok = 1;
  }
  pthread_mutex_unlock(&s->load_mu);
  return ok;
}

static void export_give(pv_server *s) {
  pthread_mutex_lock(&s->load_mu);
  s->exports--;
  pthread_mutex_unlock(&s->load_mu);
}

/* ---- replies ---- */

/* Queues resp (destroyed here) with status; r is then answered. */
static enum MHD_Result queue(req *r, struct MHD_Connection *c, unsigned status,
                             struct MHD_Response *resp) {
  enum MHD_Result ok = MHD_queue_response(c, status, resp);
  MHD_destroy_response(resp);
  r->status = status;
  r->state = REQ_REPLIED;
  return ok;
}

/* Returns an MHD response owning body (freed by MHD, or here when the
 * response cannot be made; NULL body: an empty one), or NULL. */
static struct MHD_Response *response_of(void *body, size_t len) {
  struct MHD_Response *resp =
      body ? MHD_create_response_from_buffer_with_free_callback(len, body, free)
           : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
  if (!resp)
    free(body);
  return resp;
}

/* Queues a response of status with body (owned: freed by MHD, or here on
 * failure; may be NULL for none) and content type. Every 503 carries a
 * Retry-After. */
static enum MHD_Result reply(req *r, struct MHD_Connection *c, unsigned status,
                             const char *ctype, void *body, size_t len) {
  struct MHD_Response *resp = response_of(body, len);
  if (!resp)
    return MHD_NO;
  if (ctype)
    MHD_add_response_header(resp, "Content-Type", ctype);
  if (r->allow[0])
    MHD_add_response_header(resp, "Allow", r->allow);
  if (status == 503 && r->retry_after <= 0)
    r->retry_after = PV_SERVER_RETRY_AFTER;
  if (r->retry_after > 0) {
    char ra[16];
    snprintf(ra, sizeof ra, "%d", r->retry_after);
    MHD_add_response_header(resp, "Retry-After", ra);
  }
  return queue(r, c, status, resp);
}

/* Queues {"error":code,"reason":...} with status. */
static enum MHD_Result reply_error(req *r, struct MHD_Connection *c, unsigned status,
                                   const char *code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static enum MHD_Result reply_error(req *r, struct MHD_Connection *c, unsigned status,
                                   const char *code, const char *fmt, ...) {
  char reason[PV_PROTO_MAX_REASON + 1];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  char *body = pv_proto_error_encode(code, reason);
  if (!body)
    return MHD_NO;
  return reply(r, c, status, "application/json", body, strlen(body));
}

/* Answers a storage failure: 503 unavailable when the database was busy
 * (a lock wait timed out, a deadlock: retrying works), else 500 storage,
 * with the backend's detail in the log. */
static enum MHD_Result reply_storage(req *r, struct MHD_Connection *c, pv_err err) {
  PV_WARN("collector: %s %s: %s: %s", r->method, r->log_path, pv_strerror(err),
          pv_err_detail());
  if (err == PV_ERR_BUSY)
    return reply_error(r, c, 503, "unavailable", "the database is busy; retry later");
  return reply_error(r, c, 500, "storage", "the database failed: %s", pv_strerror(err));
}

/* Queues a JSON object built by the caller (consumed). */
static enum MHD_Result reply_json(req *r, struct MHD_Connection *c, unsigned status,
                                  cJSON *obj) {
  char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;
  cJSON_Delete(obj);
  if (!text)
    return reply_error(r, c, 500, "storage", "out of memory");
  return reply(r, c, status, "application/json", text, strlen(text));
}

/* 1 when s[0..n) is a plain media type "type/subtype": two tokens of
 * letters, digits and !#$&^_.+- (each starting with a letter or digit),
 * at most PV_CDB_MAX_MEDIA_TYPE bytes. */
static int media_type_ok(const char *s, size_t n) {
  static const char extra[] = "!#$&^_.+-";
  size_t slash = 0, slashes = 0;
  if (n < 3 || n > PV_CDB_MAX_MEDIA_TYPE)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    int alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                (ch >= '0' && ch <= '9');
    int first = i == 0 || s[i - 1] == '/';
    if (ch == '/') {
      slash = i;
      slashes++;
    } else if (!alnum && (first || !strchr(extra, ch))) {
      return 0;
    }
  }
  return slashes == 1 && slash > 0 && slash + 1 < n;
}

/* Queues a blob's bytes (taken over) for download: its media type when
 * plain (else application/octet-stream), never sniffed, never shown
 * inline, named by its hash (r->name). */
static enum MHD_Result reply_blob(req *r, struct MHD_Connection *c, pv_store_blob *b) {
  char disp[PV_SHA256_HEX + 40];
  void *bytes = b->bytes;
  b->bytes = NULL;
  if (!bytes) /* an empty blob: MHD wants a buffer */
    bytes = calloc(1, 1);
  if (!bytes)
    return MHD_NO;
  struct MHD_Response *resp = response_of(bytes, b->size);
  if (!resp)
    return MHD_NO;
  const char *mt = b->media_type;
  if (!media_type_ok(mt, strlen(mt)))
    mt = "application/octet-stream";
  snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", r->name);
  MHD_add_response_header(resp, "Content-Type", mt);
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(resp, "Content-Disposition", disp);
  return queue(r, c, 200, resp);
}

/* ---- handlers ---- */

static const char *kind_name(pv_cdb_kind k) {
  return k == PV_CDB_DEVICE ? "device" : "analyst";
}

static enum MHD_Result on_whoami(req *r, struct MHD_Connection *c, pv_cdb *db) {
  (void)db;
  cJSON *o = cJSON_CreateObject();
  if (o && (!cJSON_AddStringToObject(o, "kind", kind_name(r->who.kind)) ||
            !cJSON_AddStringToObject(o, "territory", r->who.territory) ||
            !cJSON_AddStringToObject(o, "name", r->who.name))) {
    cJSON_Delete(o);
    o = NULL;
  }
  return reply_json(r, c, 200, o);
}

/* 1 when an If-None-Match value lists etag (or is "*"). */
static int etag_matches(const char *inm, const char *etag) {
  if (!inm)
    return 0;
  while (*inm == ' ')
    inm++;
  if (strcmp(inm, "*") == 0)
    return 1;
  return strstr(inm, etag) != NULL; /* etag is quoted: no false prefix match */
}

/* Queues a JSON body (owned) with an ETag, its SHA-256: 304 without the
 * body when If-None-Match lists it. For lists devices poll every pass
 * (the survey catalogue, the recorded prompts). */
static enum MHD_Result reply_etag(req *r, struct MHD_Connection *c, char *body) {
  char hex[PV_SHA256_HEX + 1], etag[PV_SHA256_HEX + 3];
  size_t len = strlen(body);
  if (pv_sha256_hex(body, len, hex) != PV_OK) {
    free(body);
    return reply_error(r, c, 500, "storage", "cannot hash the list");
  }
  snprintf(etag, sizeof etag, "\"%s\"", hex);
  const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
  unsigned status = 200;
  if (etag_matches(inm, etag)) {
    free(body);
    body = NULL;
    len = 0;
    status = 304;
  }
  struct MHD_Response *resp = response_of(body, len);
  if (!resp)
    return MHD_NO;
  if (body)
    MHD_add_response_header(resp, "Content-Type", "application/json");
  MHD_add_response_header(resp, "ETag", etag);
  MHD_add_response_header(resp, "Cache-Control", "no-cache");
  return queue(r, c, status, resp);
}

static enum MHD_Result on_surveys(req *r, struct MHD_Connection *c, pv_cdb *db) {
  pv_proto_catalog cat = {0};
  pv_err err = pv_cdb_survey_catalog(db, r->who.territory, &cat);
  if (err)
    return reply_storage(r, c, err);
  char *body = pv_proto_catalog_encode(&cat);
  pv_proto_catalog_free(&cat);
  if (!body)
    return reply_error(r, c, 500, "storage", "out of memory");
  return reply_etag(r, c, body);
}

static enum MHD_Result on_file(req *r, struct MHD_Connection *c, pv_cdb *db) {
  int has = 0;
  pv_store_blob b = {0};
  pv_err err = pv_cdb_survey_has_file(db, r->who.territory, r->name, &has);
  if (err)
    return reply_storage(r, c, err);
  if (!has)
    return reply_error(r, c, 404, "not_found", "no such file");
  err = pv_cdb_blob_get(db, r->name, &b);
  if (err == PV_ERR_NOTFOUND)
    return reply_error(r, c, 404, "not_found", "no such file");
  if (err)
    return reply_storage(r, c, err);
  enum MHD_Result ok = reply_blob(r, c, &b);
  pv_store_blob_free(&b);
  return ok;
}

/* Answers a batch body its decoder refused whole (err, reason). */
static enum MHD_Result reply_refused(req *r, struct MHD_Connection *c, pv_err err,
                                     const char *reason) {
  if (err == PV_ERR_TOOBIG)
    return reply_error(r, c, 413, "too_large", "%s", reason);
  if (err == PV_ERR_NOMEM)
    return reply_error(r, c, 503, "unavailable", "out of memory");
  return reply_error(r, c, 400, "bad_json", "%s", reason);
}

/* Answers a batch with its n results, under the worst item's status. */
static enum MHD_Result reply_results(req *r, struct MHD_Connection *c,
                                     const pv_proto_result *res, size_t n) {
  char *body = pv_proto_results_encode(res, n);
  if (!body)
    return reply_error(r, c, 503, "unavailable", "out of memory");
  return reply(r, c, (unsigned)pv_proto_batch_status(res, n), "application/json", body,
               strlen(body));
}

typedef struct batch {
  batch_kind kind;
  size_t count, n; /* items decoded, and taken for storage */
  pv_proto_batch responses;
  pv_proto_sessions sessions;
  pv_proto_prompts prompts;
  void *slots; /* n pv_cdb_ingest_item, session_item or prompt_item */
  pv_proto_result *res;
  char **canon; /* the canonical texts slots point to */
} batch;

static const size_t slot_size[] = {[B_RESPONSES] = sizeof(pv_cdb_ingest_item),
                                   [B_SESSIONS] = sizeof(pv_cdb_session_item),
                                   [B_PROMPTS] = sizeof(pv_cdb_prompt_item)};

static pv_err batch_decode(req *r, batch *b, char *reason, size_t rl) {
  const char *body = r->body ? r->body : "";
  pv_err err = b->kind == B_RESPONSES
                   ? pv_proto_batch_decode(body, r->len, &b->responses, reason, rl)
               : b->kind == B_SESSIONS
                   ? pv_proto_sessions_decode(body, r->len, &b->sessions, reason, rl)
                   : pv_proto_prompts_decode(body, r->len, 0, &b->prompts, reason, rl);
  b->count = b->responses.count + b->sessions.count + b->prompts.count;
  return err;
}

/* Sets *canon to text and hash to its SHA-256 hex; 0 when out of memory. */
static int canonical(char *text, char **canon, char hash[PV_SHA256_HEX + 1]) {
  *canon = text;
  return text && pv_sha256_hex(text, strlen(text), hash) == PV_OK;
}

/* Copies item i's decoded result to b->res[i] and, when it decoded, makes
 * it the next storage slot: 1, or 0 refused by the decoder, -1 no memory. */
static int batch_take(batch *b, size_t i) {
  pv_proto_result *res = &b->res[i];
  char **canon = &b->canon[i];
  switch (b->kind) {
  case B_RESPONSES: {
    pv_proto_item *it = &b->responses.items[i];
    pv_cdb_ingest_item *x = (pv_cdb_ingest_item *)b->slots + b->n;
    char *text = it->ok ? pv_proto_response_encode(&it->r) : NULL;
    *res = it->result;
    *x = (pv_cdb_ingest_item){.r = &it->r, .canonical = text};
    return !it->ok ? 0 : canonical(text, canon, x->hash) ? 1 : -1;
  }
  case B_SESSIONS: {
    pv_proto_session_item *it = &b->sessions.items[i];
    pv_cdb_session_item *x = (pv_cdb_session_item *)b->slots + b->n;
    char *text = it->ok ? pv_proto_session_encode(&it->s) : NULL;
    *res = it->result;
    *x = (pv_cdb_session_item){.s = &it->s, .canonical = text};
    return !it->ok ? 0 : canonical(text, canon, x->hash) ? 1 : -1;
  }
  default:
    *res = b->prompts.items[i].result;
    ((pv_cdb_prompt_item *)b->slots)[b->n] =
        (pv_cdb_prompt_item){.p = &b->prompts.items[i].p, .reason = ""};
    return b->prompts.items[i].ok;
  }
}

static pv_err batch_ingest(pv_cdb *db, req *r, batch *b) {
  char now[25];
  now_iso(r->srv, now);
  const char *t = r->who.territory;
  return b->kind == B_RESPONSES ? pv_cdb_ingest(db, t, r->who.id, b->slots, b->n, now)
         : b->kind == B_SESSIONS
             ? pv_cdb_session_ingest(db, t, r->who.id, b->slots, b->n, now)
             : pv_cdb_prompt_ingest(db, t, r->who.id, b->slots, b->n, now);
}

/* Writes slot k's outcome, and a reason for it, into res. A response's
 * conflict names the territory its device already sent data to when that
 * is the cause. */
static void batch_outcome(pv_cdb *db, req *r, batch *b, size_t k,
                          pv_proto_result *res) {
  char other[PV_CDB_MAX_CODE + 1] = "";
  const char *t = r->who.territory;
  size_t cap = sizeof res->reason;
  if (b->kind == B_PROMPTS) {
    const pv_cdb_prompt_item *it = (pv_cdb_prompt_item *)b->slots + k;
    res->outcome = it->outcome;
    snprintf(res->reason, cap, "%s", it->reason ? it->reason : "");
    return;
  }
  if (b->kind == B_SESSIONS) {
    res->outcome = ((pv_cdb_session_item *)b->slots)[k].outcome;
    if (res->outcome == PV_OUT_CONFLICT)
      snprintf(res->reason, cap, "session %s is already stored with other content",
               res->uuid);
    return;
  }
  const pv_store_response *x = ((pv_cdb_ingest_item *)b->slots)[k].r;
  res->outcome = ((pv_cdb_ingest_item *)b->slots)[k].outcome;
  if (res->outcome == PV_OUT_CONFLICT &&
      pv_cdb_device_elsewhere(db, x->device_id, NULL, t, other) == PV_OK && other[0])
    snprintf(res->reason, cap,
             "response %s: device %s already sent data to territory %s", x->uuid,
             x->device_id, other);
  else if (res->outcome == PV_OUT_CONFLICT)
    snprintf(res->reason, cap, "response %s is already stored with other content",
             x->uuid);
  else if (res->outcome == PV_OUT_UNKNOWN_SURVEY)
    snprintf(res->reason, cap, "survey %s version %d is not published for territory %s",
             x->survey_id, x->survey_version, t);
  else
    snprintf(res->reason, cap, "%s",
             res->outcome == PV_OUT_MISSING_ATTACHMENT
                 ? "an answer names an attachment not uploaded"
                 : "");
}

/* POST /v1/responses, /v1/sessions and /v1/prompts (the route's batch
 * kind): decode, store what decoded in one transaction, answer. */
static enum MHD_Result on_batch(req *r, struct MHD_Connection *c, pv_cdb *db) {
  batch b = {.kind = r->rt->batch};
  char reason[PV_PROTO_MAX_REASON + 1] = "";
  enum MHD_Result ok = MHD_NO;
  pv_err err = batch_decode(r, &b, reason, sizeof reason);
  if (err)
    return reply_refused(r, c, err, reason);
  b.slots = calloc(b.count ? b.count : 1, slot_size[b.kind]);
  b.res = calloc(b.count ? b.count : 1, sizeof *b.res);
  b.canon = calloc(b.count ? b.count : 1, sizeof *b.canon);
  int took = b.slots && b.res && b.canon ? 0 : -1;
  for (size_t i = 0; took >= 0 && i < b.count; i++)
    if ((took = batch_take(&b, i)) > 0)
      b.n++;
  if (took < 0) {
    ok = reply_error(r, c, 503, "unavailable", "out of memory");
    goto out;
  }
  if (b.n > 0 && (err = batch_ingest(db, r, &b))) {
    ok = reply_storage(r, c, err);
    goto out;
  }
  /* The taken items, in order, still hold the decoder's zero outcome
   * (stored); the refused ones keep invalid and its reason. */
  for (size_t i = 0, k = 0; k < b.n; i++)
    if (b.res[i].outcome != PV_OUT_INVALID)
      batch_outcome(db, r, &b, k++, &b.res[i]);
  ok = reply_results(r, c, b.res, b.count);
out:
  for (size_t i = 0; b.canon && i < b.count; i++)
    free(b.canon[i]);
  free(b.canon);
  free(b.slots);
  free(b.res);
  pv_proto_batch_free(&b.responses);
  pv_proto_sessions_free(&b.sessions);
  pv_proto_prompts_free(&b.prompts);
  return ok;
}

/* GET /v1/quartiers: the territory's quartiers, the kiosk's list. */
static enum MHD_Result on_quartiers(req *r, struct MHD_Connection *c, pv_cdb *db) {
  pv_quartier *q = NULL;
  size_t n = 0;
  pv_err err = pv_cdb_quartier_list(db, r->who.territory, &q, &n);
  if (err)
    return reply_storage(r, c, err);
  char *body = pv_quartiers_encode(q, n);
  free(q);
  if (!body)
    return reply_error(r, c, 503, "unavailable", "out of memory");
  return reply(r, c, 200, "application/json", body, strlen(body));
}

/* GET /v1/prompts: the territory's current recordings and deletions,
 * each with its received_at, with an ETag. */
static enum MHD_Result on_prompts_get(req *r, struct MHD_Connection *c, pv_cdb *db) {
  pv_proto_prompt_entry *list = NULL;
  size_t n = 0;
  pv_err err = pv_cdb_prompt_list(db, r->who.territory, &list, &n);
  if (err)
    return reply_storage(r, c, err);
  char *body = pv_proto_prompt_list_encode(list, n);
  free(list);
  if (!body)
    return reply_error(r, c, 503, "unavailable", "out of memory");
  return reply_etag(r, c, body);
}

static enum MHD_Result on_attachment_head(req *r, struct MHD_Connection *c,
                                          pv_cdb *db) {
  int has = 0;
  pv_err err = pv_cdb_attachment_has(db, r->who.territory, r->name, &has);
  if (err)
    return reply_storage(r, c, err);
  if (!has)
    return reply_error(r, c, 404, "not_found", "no such attachment");
  return reply(r, c, 200, NULL, NULL, 0);
}

/* GET /v1/attachments/<sha256>: an analyst reads any attachment of the
 * territory; a device only the audio of a current recorded prompt
 * (residents' drawings and voice notes never go back down). */
static enum MHD_Result on_attachment_get(req *r, struct MHD_Connection *c, pv_cdb *db) {
  pv_store_blob b = {0};
  int named = 1;
  pv_err err = PV_OK;
  if (r->who.kind == PV_CDB_DEVICE &&
      (err = pv_cdb_prompt_audio(db, r->who.territory, r->name, &named)))
    return reply_storage(r, c, err);
  if (!named)
    return reply_error(r, c, 404, "not_found", "no such attachment");
  err = pv_cdb_attachment_get(db, r->who.territory, r->name, &b);
  if (err == PV_ERR_NOTFOUND)
    return reply_error(r, c, 404, "not_found", "no such attachment");
  if (err)
    return reply_storage(r, c, err);
  enum MHD_Result ok = reply_blob(r, c, &b);
  pv_store_blob_free(&b);
  return ok;
}

/* The request's media type if it is a plain type/subtype (parameters
 * after ';' dropped), else application/octet-stream. */
static void media_type_of(struct MHD_Connection *c,
                          char out[PV_CDB_MAX_MEDIA_TYPE + 1]) {
  const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
  size_t n = ct ? strcspn(ct, ";") : 0;
  while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
    n--;
  if (!ct || !media_type_ok(ct, n)) {
    snprintf(out, PV_CDB_MAX_MEDIA_TYPE + 1, "application/octet-stream");
    return;
  }
  memcpy(out, ct, n);
  out[n] = '\0';
}

static enum MHD_Result on_attachment_put(req *r, struct MHD_Connection *c, pv_cdb *db) {
  char got[PV_SHA256_HEX + 1], now[25], media[PV_CDB_MAX_MEDIA_TYPE + 1];
  pv_sha256 *h = r->hasher;
  r->hasher = NULL;
  pv_sha256_final(h, got);
  if (r->declared != SIZE_MAX && r->len != r->declared)
    return reply_error(r, c, 400, "bad_request",
                       "received %zu bytes, Content-Length said %zu", r->len,
                       r->declared);
  if (r->len == 0)
    return reply_error(r, c, 400, "bad_request", "an attachment has at least one byte");
  /* Public digests, not secrets: a plain comparison is right. */
  if (strcmp(got, r->name) != 0)
    return reply_error(r, c, 400, "bad_hash", "the bytes hash to %s", got);
  media_type_of(c, media);
  now_iso(r->srv, now);
  int created = 0;
  pv_err err = pv_cdb_attachment_put(db, r->who.territory, r->name, media, r->body,
                                     r->len, now, &created);
  if (err)
    return reply_storage(r, c, err);
  cJSON *o = cJSON_CreateObject();
  if (o && (!cJSON_AddStringToObject(o, "sha256", r->name) ||
            !cJSON_AddNumberToObject(o, "size", (double)r->len))) {
    cJSON_Delete(o);
    o = NULL;
  }
  return reply_json(r, c, created ? 201 : 200, o);
}

/* Export sink: appends to the spool file. */
static pv_err spool_write(void *ud, const void *bytes, size_t len) {
  int fd = *(int *)ud;
  const char *p = bytes;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return pv_fail(errno == ENOSPC ? PV_ERR_FULL : PV_ERR_IO, "export spool: %s",
                     strerror(errno));
    }
    p += n;
    len -= (size_t)n;
  }
  return PV_OK;
}

/* An unlinked temporary file for an export, or -1. */
static int spool_open(void) {
  const char *dir = getenv("TMPDIR");
  if (!dir || !*dir)
    dir = "/tmp";
  int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0)
    return fd;
  char path[512];
  snprintf(path, sizeof path, "%s/pv-export-XXXXXX", dir);
  fd = mkostemp(path, O_CLOEXEC);
  if (fd >= 0)
    unlink(path);
  return fd;
}

/* 1 when s is absent, a real day "YYYY-MM-DD", or a whole UTC time as
 * pv_time_iso writes it ("2026-11-01T08:00:00.000Z"). */
static int date_ok(const char *s) {
  char full[32];
  int64_t ms;
  if (!s)
    return 1;
  size_t n = strlen(s);
  if (n == 10) { /* a day: checked as that day's midnight */
    snprintf(full, sizeof full, "%sT00:00:00.000Z", s);
    s = full;
  } else if (n != 24) {
    return 0;
  }
  return pv_time_parse(s, &ms) == 0;
}

/* Exports are spooled to an unlinked temporary file, then sent from it:
 * the status line is known to be right (a failure half-way is a 500, not
 * a truncated 200), memory stays bounded, and the bytes go out with
 * sendfile. The cost is disk space for one export while it is sent. */
static enum MHD_Result export_run(req *r, struct MHD_Connection *c, pv_cdb *db) {
  const char *survey = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "survey");
  const char *format = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
  const char *from = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "from");
  const char *to = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "to");
  const char *session =
      MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "session");
  if (!format)
    format = "csv";
  if (!survey || !pv_proto_id_valid(survey))
    return reply_error(r, c, 400, "bad_request", "survey=ID is required (a survey id)");
  if (!pv_export_format_valid(format))
    return reply_error(r, c, 400, "bad_request", "format is csv, json or geojson");
  if (!date_ok(from) || !date_ok(to))
    return reply_error(
        r, c, 400, "bad_request",
        "%s is a date YYYY-MM-DD (or a UTC time YYYY-MM-DDThh:mm:ss.sssZ)",
        date_ok(from) ? "to" : "from");
  if (session && !pv_uuid_valid(session))
    return reply_error(r, c, 400, "bad_request", "session is a UUID");
  pv_cdb_filter f = {.survey_id = survey, .from = from, .to = to, .session = session};
  int fd = spool_open();
  if (fd < 0)
    return reply_error(r, c, 503, "unavailable", "no room for the export: %s",
                       strerror(errno));
  pv_err err = pv_export_write(db, r->who.territory, &f, format, spool_write, &fd);
  struct stat st;
  if (!err && fstat(fd, &st) != 0)
    err = pv_fail(PV_ERR_IO, "export spool: %s", strerror(errno));
  if (err) {
    close(fd);
    if (err == PV_ERR_NOTFOUND)
      return reply_error(r, c, 404, "not_found", "no such survey");
    if (err == PV_ERR_INVALID)
      return reply_error(r, c, 400, "bad_request", "%s", pv_err_detail());
    return reply_storage(r, c, err);
  }
  struct MHD_Response *resp = MHD_create_response_from_fd((size_t)st.st_size, fd);
  if (!resp) {
    close(fd);
    return MHD_NO;
  }
  char disp[PV_STORE_MAX_ID + 64];
  snprintf(disp, sizeof disp, "attachment; filename=\"%s.%s\"", survey, format);
  MHD_add_response_header(resp, "Content-Type", pv_export_media_type(format));
  MHD_add_response_header(resp, "Content-Disposition", disp);
  return queue(r, c, 200, resp);
}

/* An export holds a worker and a database connection while it is built:
 * at most max_exports run at once, so uploads keep their threads. */
static enum MHD_Result on_export(req *r, struct MHD_Connection *c, pv_cdb *db) {
  if (!export_take(r->srv))
    return reply_error(r, c, 503, "unavailable", "%d exports are running; retry later",
                       r->srv->max_exports);
  enum MHD_Result ok = export_run(r, c, db);
  export_give(r->srv);
  return ok;
}

/* Every route; "who" is checked after the token, names after "who". */
static const route routes[] = {
    {"GET", "/v1/whoami", 0, ANY, BODY_NONE, on_whoami, B_NONE},
    {"GET", "/v1/surveys", 0, ANY, BODY_NONE, on_surveys, B_NONE},
    {"GET", "/v1/files/", 1, ANY, BODY_NONE, on_file, B_NONE},
    {"POST", "/v1/responses", 0, DEVICE, BODY_JSON, on_batch, B_RESPONSES},
    {"POST", "/v1/sessions", 0, DEVICE, BODY_JSON, on_batch, B_SESSIONS},
    {"GET", "/v1/quartiers", 0, DEVICE, BODY_NONE, on_quartiers, B_NONE},
    {"POST", "/v1/prompts", 0, DEVICE, BODY_JSON, on_batch, B_PROMPTS},
    {"GET", "/v1/prompts", 0, DEVICE, BODY_NONE, on_prompts_get, B_NONE},
    {"HEAD", "/v1/attachments/", 1, ANY, BODY_NONE, on_attachment_head, B_NONE},
    {"PUT", "/v1/attachments/", 1, DEVICE, BODY_BYTES, on_attachment_put, B_NONE},
    {"GET", "/v1/attachments/", 1, ANY, BODY_NONE, on_attachment_get, B_NONE},
    {"GET", "/v1/export", 0, ANALYST, BODY_NONE, on_export, B_NONE},
};
#define N_ROUTES (sizeof routes / sizeof *routes)

/* 1 when url matches rt's path; *name is then its trailing name. */
static int path_matches(const route *rt, const char *url, const char **name) {
  size_t n = strlen(rt->path);
  if (!rt->has_name)
    return strcmp(url, rt->path) == 0;
  if (strncmp(url, rt->path, n) != 0)
    return 0;
  *name = url + n;
  return 1;
}

/* ---- the request's first call: everything decided from headers ---- */

/* Reads "Bearer <token>" and finds its holder into r->who; on failure
 * queues the refusal and returns 0. */
static int authenticate(req *r, struct MHD_Connection *c, enum MHD_Result *ok) {
  const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
  if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
    *ok = reply_error(r, c, 401, "unauthorized",
                      "Authorization: Bearer <token> is required");
    return 0;
  }
  const char *token = h + 7;
  if (!pv_proto_token_valid(token)) {
    *ok = reply_error(r, c, 401, "unauthorized", "malformed token");
    return 0;
  }
  char hash[PV_SHA256_HEX + 1];
  pv_cdb *db = NULL;
  pv_err err = pv_token_hash(token, hash);
  if (err) {
    *ok = reply_storage(r, c, err);
    return 0;
  }
  if ((err = db_acquire(r->srv, &db)) != PV_OK) {
    PV_WARN("collector: database: %s: %s", pv_strerror(err), pv_err_detail());
    *ok = reply_error(r, c, 503, "unavailable", "the database is unavailable");
    return 0;
  }
  err = pv_cdb_token_lookup(db, hash, &r->who);
  db_release(r->srv, db, err);
  if (err == PV_ERR_NOTFOUND) {
    *ok = reply_error(r, c, 401, "unauthorized", "unknown token");
    return 0;
  }
  if (err) {
    *ok = reply_storage(r, c, err);
    return 0;
  }
  if (r->who.revoked) {
    *ok = reply_error(r, c, 403, "revoked", "this token was revoked");
    return 0;
  }
  return 1;
}

/* Parses a Content-Length value strictly; SIZE_MAX when absent, and
 * returns 0 when present but not a number. */
static int content_length(struct MHD_Connection *c, size_t *out) {
  const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
  *out = SIZE_MAX;
  if (!v)
    return 1;
  if (*v < '0' || *v > '9')
    return 0;
  errno = 0;
  char *end;
  unsigned long long n = strtoull(v, &end, 10);
  if (errno || *end)
    return 0;
  *out = n >= SIZE_MAX ? SIZE_MAX - 1 : (size_t)n;
  return 1;
}

/* Counts the headers that frame a body (MHD_get_connection_values). */
static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind,
                                     const char *key, const char *value) {
  int *n = cls; /* [0]: Content-Length, [1]: Transfer-Encoding */
  (void)kind;
  (void)value;
  if (key && strcasecmp(key, "Content-Length") == 0)
    n[0]++;
  else if (key && strcasecmp(key, "Transfer-Encoding") == 0)
    n[1]++;
  return MHD_YES;
}

/* Decides everything the headers allow; queues a refusal (state becomes
 * REQ_REPLIED) or prepares for the body (its budget reserved). */
static enum MHD_Result begin(req *r, struct MHD_Connection *c, const char *url,
                             const char *method) {
  enum MHD_Result ok = MHD_YES;
  printable(r->method, sizeof r->method, method);
  printable(r->log_path, sizeof r->log_path, url);
  if (r->uri_too_long)
    return reply_error(r, c, 414, "bad_request", "URI over %d bytes", MAX_URI);
  /* The raw path (before '?'): no escapes or control bytes in any name. */
  for (const char *p = r->uri; *p && *p != '?'; p++)
    if (*p == '%' || (unsigned char)*p < 0x21 || (unsigned char)*p >= 0x7f)
      return reply_error(r, c, 400, "bad_path", "escaped or control bytes in the path");
  /* One framing only: proxies and this server must agree where a body
   * ends (request smuggling). */
  int framing[2] = {0, 0};
  MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, framing);
  if (framing[0] > 1 || (framing[0] && framing[1]))
    return reply_error(r, c, 400, "bad_request",
                       "several Content-Length, or Content-Length with "
                       "Transfer-Encoding");

  const route *rt = NULL;
  const char *name = NULL;
  int path_known = 0;
  char *allow = r->allow;
  size_t allow_cap = sizeof r->allow;
  for (size_t i = 0; i < N_ROUTES; i++) {
    const char *nm = NULL;
    if (!path_matches(&routes[i], url, &nm))
      continue;
    path_known = 1;
    size_t used = strlen(allow);
    snprintf(allow + used, allow_cap - used, "%s%s", used ? ", " : "",
             routes[i].method);
    if (strcmp(routes[i].method, method) == 0) {
      rt = &routes[i];
      name = nm;
    }
  }
  if (!rt && !path_known) {
    allow[0] = '\0';
    return reply_error(r, c, 404, "not_found", "no such route");
  }
  if (!rt)
    return reply_error(r, c, 405, "method_not_allowed", "allowed: %s", allow);
  allow[0] = '\0';
  r->rt = rt;
  r->name = name;

  if (!authenticate(r, c, &ok))
    return ok;
  int retry = 0;
  if (!rate_take(r->srv, r->who.id, &retry)) {
    r->retry_after = retry;
    return reply_error(r, c, 429, "rate_limited", "too many requests; retry in %d s",
                       retry);
  }
  if ((rt->who == DEVICE && r->who.kind != PV_CDB_DEVICE) ||
      (rt->who == ANALYST && r->who.kind != PV_CDB_ANALYST))
    return reply_error(r, c, 403, "forbidden", "this route is for %s tokens",
                       rt->who == DEVICE ? "device" : "analyst");
  if (rt->has_name && !pv_proto_sha256_valid(name))
    return reply_error(r, c, 400, "bad_path", "a name is 64 lowercase hex digits");

  if (!content_length(c, &r->declared))
    return reply_error(r, c, 400, "bad_request", "malformed Content-Length");
  r->limit = NOBODY_MAX; /* GET and HEAD: a few bytes tolerated, dropped */
  if (rt->body == BODY_JSON) {
    r->limit = PV_PROTO_MAX_BODY;
  } else if (rt->body == BODY_BYTES) {
    r->limit = PV_PROTO_MAX_ATTACHMENT;
    if (r->declared == SIZE_MAX)
      return reply_error(r, c, 411, "length_required", "PUT needs a Content-Length");
    r->hasher = pv_sha256_new();
    if (!r->hasher)
      return reply_error(r, c, 503, "unavailable", "out of memory");
  }
  if (r->declared != SIZE_MAX && r->declared > r->limit)
    return reply_error(r, c, 413, "too_large",
                       "body of %zu bytes is over the %zu-byte limit", r->declared,
                       r->limit);
  if (rt->body != BODY_NONE && r->declared != SIZE_MAX && r->declared > 0 &&
      !budget_take(r, r->declared))
    return reply_error(r, c, 503, "unavailable", "too many uploads at once");
  r->state = REQ_BODY;
  return MHD_YES;
}

/* Takes one piece of body: kept (under the cap and the server's budget),
 * counted and dropped (routes without a body), or, past the cap or the
 * budget, dropped up to DRAIN_MAX so the 413 or 503 can be sent. */
static enum MHD_Result take_body(req *r, const char *data, size_t n) {
  if (r->state != REQ_BODY)
    return MHD_YES; /* refused already: MHD reads no more of it */
  if (!r->too_large && !r->over_budget && n > r->limit - r->len)
    r->too_large = 1;
  if (r->too_large || r->over_budget) {
    body_release(r);
    r->drained += n;
    return r->drained > DRAIN_MAX ? MHD_NO : MHD_YES;
  }
  if (r->rt->body == BODY_NONE) {
    r->len += n;
    return MHD_YES;
  }
  if (r->len + n > r->cap) {
    size_t cap = r->cap ? r->cap : BODY_START;
    if (!r->cap && r->declared != SIZE_MAX && r->declared >= r->len + n)
      cap = r->declared; /* reserved already */
    while (cap < r->len + n)
      cap *= 2;
    if (cap > r->limit)
      cap = r->limit;
    if (cap > r->reserved && !budget_take(r, cap - r->reserved)) {
      r->over_budget = 1;
      body_release(r);
      r->drained += n;
      return MHD_YES;
    }
    /* One spare byte: JSON bodies are handed on NUL-terminated. */
    char *nb = realloc(r->body, cap + 1);
    if (!nb)
      return MHD_NO;
    r->body = nb;
    r->cap = cap;
  }
  memcpy(r->body + r->len, data, n);
  r->len += n;
  r->body[r->len] = '\0';
  if (r->hasher)
    pv_sha256_update(r->hasher, data, n);
  return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size,
                                  void **con_cls) {
  pv_server *s = cls;
  req *r = *con_cls;
  (void)version;
  if (!r)
    return MHD_NO; /* the URI callback made none: out of memory */
  if (r->state == REQ_NEW) {
    r->srv = s;
    return begin(r, c, url, method);
  }
  if (*upload_size) {
    size_t n = *upload_size;
    *upload_size = 0;
    return take_body(r, upload, n);
  }
  if (r->state == REQ_REPLIED)
    return MHD_YES;
  if (r->too_large)
    return reply_error(r, c, 413, "too_large", "body over the %zu-byte limit",
                       r->limit);
  if (r->over_budget)
    return reply_error(r, c, 503, "unavailable", "too many uploads at once");
  pv_cdb *db = NULL;
  pv_err err = db_acquire(s, &db);
  if (err) {
    PV_WARN("collector: database: %s: %s", pv_strerror(err), pv_err_detail());
    return reply_error(r, c, 503, "unavailable", "the database is unavailable");
  }
  enum MHD_Result ok = r->rt->fn(r, c, db);
  db_release(s, db, r->status == 500 ? PV_ERR_DB : PV_OK);
  /* The budget is free before the reply's first byte leaves. */
  body_release(r);
  return ok;
}

/* Makes the request's state as soon as its request line is read. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
  (void)cls;
  (void)c;
  req *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  size_t n = strlen(uri);
  r->uri_too_long = n > MAX_URI;
  memcpy(r->uri, uri, r->uri_too_long ? MAX_URI : n);
  clock_gettime(CLOCK_MONOTONIC, &r->t0);
  snprintf(r->method, sizeof r->method, "?");
  printable(r->log_path, sizeof r->log_path, uri);
  return r;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode why) {
  (void)cls;
  (void)c;
  req *r = *con_cls;
  if (!r)
    return;
  PV_INFO("collector: %s %s %u %.1fms%s", r->method, r->log_path, r->status,
          elapsed_ms(&r->t0),
          why == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (cut)");
  if (r->hasher) {
    char ignored[PV_SHA256_HEX + 1];
    pv_sha256_final(r->hasher, ignored);
  }
  if (r->srv)
    body_release(r);
  free(r->body);
  free(r);
  *con_cls = NULL;
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt,
                                                             va_list ap) {
  char line[256];
  (void)cls;
  vsnprintf(line, sizeof line, fmt, ap);
  size_t n = strlen(line);
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
    line[--n] = '\0';
  /* Mostly clients' malformed requests: not an operator's warning. */
  PV_INFO("collector: http: %s", line);
}

/* ---- start and stop ---- */

int pv_server_port(const pv_server *s) {
  return s->port;
}

int pv_server_tls(const pv_server *s) {
  return s->tls;
}

void pv_server_stop(pv_server *s) {
  if (!s)
    return;
  if (s->d)
    MHD_stop_daemon(s->d);
  for (size_t i = 0; i < s->n_idle; i++)
    pv_cdb_close(s->idle[i]);
  pthread_mutex_destroy(&s->db_mu);
  pthread_cond_destroy(&s->db_cv);
  pthread_mutex_destroy(&s->rate_mu);
  pthread_mutex_destroy(&s->load_mu);
  free(s->db_path);
  free(s->pg);
  free(s->tls_key);
  free(s->tls_cert);
  free(s);
}

pv_err pv_server_start(const pv_server_config *cfg, pv_server **out) {
  pv_err err = PV_OK;
  pv_server *s = NULL;
  pv_cdb *first = NULL;
  struct sockaddr_in a4;
  struct sockaddr_in6 a6;
  struct sockaddr *addr = NULL;
  const char *host = cfg->listen_addr ? cfg->listen_addr : "127.0.0.1";
  /* poll, not epoll (MHD_USE_AUTO): libmicrohttpd 0.9.75 on epoll missed
   * clients that half-close after an incomplete request and held those
   * connections until the timeout (test_collector's garbage requests). */
  unsigned flags = MHD_USE_POLL | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

  *out = NULL;
  if (!cfg->db_path == !cfg->pg_conninfo)
    return pv_fail(PV_ERR_INVALID, "collector: give exactly one of --db and --pg");
  if (!cfg->tls_cert != !cfg->tls_key)
    return pv_fail(PV_ERR_INVALID, "collector: --tls-cert and --tls-key go together");
  if (cfg->port < 0 || cfg->port > 65535)
    return pv_fail(PV_ERR_INVALID, "collector: port %d out of range", cfg->port);
  if (cfg->threads < 0 || cfg->threads > PV_SERVER_MAX_THREADS)
    return pv_fail(PV_ERR_INVALID, "collector: threads must be 1..%d",
                   PV_SERVER_MAX_THREADS);
  if (cfg->per_ip_limit < 0)
    return pv_fail(PV_ERR_INVALID, "collector: negative connection limit");
  memset(&a4, 0, sizeof a4);
  memset(&a6, 0, sizeof a6);
  if (inet_pton(AF_INET, host, &a4.sin_addr) == 1) {
    a4.sin_family = AF_INET;
    a4.sin_port = htons((uint16_t)cfg->port);
    addr = (struct sockaddr *)&a4;
  } else if (inet_pton(AF_INET6, host, &a6.sin6_addr) == 1) {
    a6.sin6_family = AF_INET6;
    a6.sin6_port = htons((uint16_t)cfg->port);
    addr = (struct sockaddr *)&a6;
    flags |= MHD_USE_IPv6;
  } else {
    return pv_fail(PV_ERR_INVALID, "collector: %s is not an IP address", host);
  }

  s = calloc(1, sizeof *s);
  if (!s)
    return pv_fail(PV_ERR_NOMEM, "collector: out of memory");
  pthread_mutex_init(&s->db_mu, NULL);
  pthread_cond_init(&s->db_cv, NULL);
  pthread_mutex_init(&s->rate_mu, NULL);
  pthread_mutex_init(&s->load_mu, NULL);
  s->clock = cfg->clock ? *cfg->clock : pv_clock_system();
  s->rate = cfg->rate_per_s > 0 ? cfg->rate_per_s : PV_SERVER_DEFAULT_RATE;
  s->burst = cfg->burst > 0 ? cfg->burst : PV_SERVER_DEFAULT_BURST;
  unsigned threads =
      cfg->threads > 0 ? (unsigned)cfg->threads : PV_SERVER_DEFAULT_THREADS;
  s->max = threads;
  s->max_exports = threads / 2 > 1 ? (int)threads / 2 : 1;
  s->budget = cfg->body_budget > 0 ? cfg->body_budget : PV_SERVER_BODY_BUDGET;
  unsigned per_ip =
      cfg->per_ip_limit > 0 ? (unsigned)cfg->per_ip_limit : PV_SERVER_PER_IP_LIMIT;
  if ((cfg->db_path && !(s->db_path = strdup(cfg->db_path))) ||
      (cfg->pg_conninfo && !(s->pg = strdup(cfg->pg_conninfo)))) {
    err = pv_fail(PV_ERR_NOMEM, "collector: out of memory");
    goto out;
  }
  /* Open one connection now: migrations run and a bad database fails here. */
  err = pv_cdb_open(s->db_path, s->pg, &first);
  if (err)
    goto out;
  s->idle[s->n_idle++] = first;
  s->n_open = 1;
  first = NULL;

  struct MHD_OptionItem tls_opts[3] = {{MHD_OPTION_END, 0, NULL}};
  if (cfg->tls_cert) {
    if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
      err = pv_fail(PV_ERR_STATE, "collector: this libmicrohttpd has no TLS");
      goto out;
    }
    if ((err = read_small(cfg->tls_key, PV_SERVER_MAX_TLS_FILE, &s->tls_key)) ||
        (err = read_small(cfg->tls_cert, PV_SERVER_MAX_TLS_FILE, &s->tls_cert)))
      goto out;
    tls_opts[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key};
    tls_opts[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert};
    flags |= MHD_USE_TLS;
    s->tls = 1;
  }
  errno = 0;
  s->d = MHD_start_daemon(
      flags, (uint16_t)cfg->port, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER,
      on_mhd_log, s, MHD_OPTION_SOCK_ADDR, addr, MHD_OPTION_THREAD_POOL_SIZE, threads,
      MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_NOTIFY_COMPLETED, on_done, s,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT_S,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      (size_t)CONN_MEMORY, MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
  if (!s->d) {
    err = pv_fail(PV_ERR_IO,
                  "collector: cannot serve on %s port %d%s%s (TLS key or "
                  "certificate, or the address)",
                  host, cfg->port, errno ? ": " : "", errno ? strerror(errno) : "");
    goto out;
  }
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
  s->port = info ? info->port : cfg->port;
  *out = s;
  s = NULL;
out:
  if (first)
    pv_cdb_close(first);
  pv_server_stop(s);
  return err;
}
