/* test_collector: pv-collector over real loopback HTTP.
 *
 * `test_collector sqlite` or `test_collector pg` (the pg fixture's
 * server): seeds two territories with the storage API, starts the server
 * in-process on an ephemeral 127.0.0.1 port and talks to it with libcurl
 * and with raw sockets (for HTTP curl will not send): every route, the
 * error model, hostile requests, the rate limit, TLS. Then it runs the
 * built pv-collector binary for the command line. Territory codes carry
 * a random suffix so runs never see each other's rows in a shared
 * PostgreSQL database. */
#include <curl/curl.h>
#include <errno.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "collector/server.h"
#include "collector/storage.h"
#include "collector/token.h"
#include "core/clock.h"
#include "core/survey.h"
#include "core/uuid.h"
#include "sync/protocol.h"
#include "tests/check.h"


#define MAX_BODY (32 << 20)

static const char *g_db, *g_pg; /* the backend under test: one of the two */
static int g_port;
static char g_tls_ca[512];
static int g_tls; /* 1: requests go over https with g_tls_ca */
static char ta[PV_CDB_MAX_CODE + 1], tb[PV_CDB_MAX_CODE + 1];
static char tok_da[PV_PROTO_TOKEN_LEN + 1], tok_aa[PV_PROTO_TOKEN_LEN + 1];
static char tok_db[PV_PROTO_TOKEN_LEN + 1], tok_ab[PV_PROTO_TOKEN_LEN + 1];
static char tok_revoked[PV_PROTO_TOKEN_LEN + 1];
static char sha_json_a[PV_SHA256_HEX + 1], sha_png_b[PV_SHA256_HEX + 1];
static char survey_a[PV_STORE_MAX_ID + 1], qid_a[PV_STORE_MAX_ID + 1];
static char survey_b[PV_STORE_MAX_ID + 1]; /* published for territory B */
static int version_b;
static int version_a;

/* ---- an HTTP client on libcurl ---- */

typedef struct resp {
  long status;
  char *body;
  size_t len;
  char etag[128], retry_after[16], ctype[256], allow[64];
  char nosniff[32], disposition[128];
  char code[PV_PROTO_MAX_CODE + 1], reason[PV_PROTO_MAX_REASON + 1];
} resp;

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  resp *r = ud;
  size_t len = size * n;
  if (r->len + len > MAX_BODY)
    return 0;
  char *nb = realloc(r->body, r->len + len + 1);
  if (!nb)
    return 0;
  memcpy(nb + r->len, p, len);
  r->body = nb;
  r->len += len;
  r->body[r->len] = '\0';
  return len;
}

static void header_value(const char *line, size_t len, const char *name, char *out,
                         size_t cap) {
  size_t nl = strlen(name);
  if (len <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
    return;
  const char *v = line + nl + 1;
  while (*v == ' ')
    v++;
  size_t vl = (size_t)(line + len - v);
  while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
    vl--;
  snprintf(out, cap, "%.*s", (int)vl, v);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  resp *r = ud;
  size_t len = size * n;
  header_value(p, len, "ETag", r->etag, sizeof r->etag);
  header_value(p, len, "Retry-After", r->retry_after, sizeof r->retry_after);
  header_value(p, len, "Content-Type", r->ctype, sizeof r->ctype);
  header_value(p, len, "Allow", r->allow, sizeof r->allow);
  header_value(p, len, "X-Content-Type-Options", r->nosniff, sizeof r->nosniff);
  header_value(p, len, "Content-Disposition", r->disposition, sizeof r->disposition);
  return len;
}

static void resp_free(resp *r) {
  free(r->body);
  memset(r, 0, sizeof *r);
}

/* Sends one request; fills *out (resp_free it). path is sent as is. */
static void http_at(int port, const char *method, const char *path, const char *token,
                    const char *extra, const void *body, size_t len, resp *out) {
  char url[4096], auth[128];
  struct curl_slist *h = NULL;
  memset(out, 0, sizeof *out);
  snprintf(url, sizeof url, "%s://127.0.0.1:%d%s", g_tls ? "https" : "http", port,
           path);
  CURL *c = curl_easy_init();
  PV_ASSERT(c);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  /* Oversize bodies wait for the server's 413 instead of being sent after
   * curl's 1 s (a loaded machine answers later; the send then fails). */
  curl_easy_setopt(c, CURLOPT_EXPECT_100_TIMEOUT_MS, 30000L);
  if (g_tls)
    curl_easy_setopt(c, CURLOPT_CAINFO, g_tls_ca);
  if (token) {
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    h = curl_slist_append(h, auth);
  }
  if (extra)
    h = curl_slist_append(h, extra);
  h = curl_slist_append(h, "Expect:");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  if (strcmp(method, "HEAD") == 0) {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (strcmp(method, "GET") != 0) {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  }
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK)
    out->status = -(long)rc;
  else
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
  if (out->status >= 400 && out->body)
    pv_proto_error_decode(out->body, out->len, out->code, out->reason);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
}

static void http(const char *method, const char *path, const char *token, resp *out) {
  http_at(g_port, method, path, token, NULL, NULL, 0, out);
}

/* Sends a request and checks its status and (for errors) its code. */
#define EXPECT(method_, path_, token_, status_, code_)                                 \
  do {                                                                                 \
    resp r_;                                                                           \
    http(method_, path_, token_, &r_);                                                 \
    CHECK_INT(r_.status, status_);                                                     \
    if ((code_)[0])                                                                    \
      CHECK_STR(r_.code, code_);                                                       \
    resp_free(&r_);                                                                    \
  } while (0)

/* ---- raw sockets: HTTP that curl will not send ---- */

static int raw_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  PV_ASSERT(fd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  PV_ASSERT(connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
  struct timeval tv = {.tv_sec = 20};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

/* Sends all of len bytes; 0 when the server closed first. */
static int raw_send(int fd, const void *p, size_t len) {
  const char *b = p;
  while (len > 0) {
    ssize_t n = send(fd, b, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return 0;
    b += n;
    len -= (size_t)n;
  }
  return 1;
}

/* Reads until the server closes (or the timeout); returns the status of
 * the first response, 0 when there was none. Body copied into out. */
static int raw_read_status(int fd, char *out, size_t cap) {
  size_t got = 0;
  while (got + 1 < cap) {
    ssize_t n = recv(fd, out + got, cap - 1 - got, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    got += (size_t)n;
    out[got] = '\0';
    /* A complete response with a Content-Length: stop there. */
    char *end = strstr(out, "\r\n\r\n");
    char *cl = strcasestr(out, "\r\nContent-Length:");
    if (end && cl && cl < end &&
        got >= (size_t)(end + 4 - out) + strtoul(cl + 17, NULL, 10))
      break;
  }
  out[got] = '\0';
  int status = 0;
  if (strncmp(out, "HTTP/1.", 7) == 0 && got >= 12)
    status = (int)strtol(out + 9, NULL, 10);
  return status;
}

/* Reads a response head (up to the blank line) into out; 1 when whole. */
static int raw_read_head(int fd, char *out, size_t cap) {
  size_t got = 0;
  out[0] = '\0';
  while (got + 1 < cap && !strstr(out, "\r\n\r\n")) {
    ssize_t n = recv(fd, out + got, 1, 0); /* byte by byte: nothing past it */
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return 0;
    got++;
    out[got] = '\0';
  }
  return strstr(out, "\r\n\r\n") != NULL;
}

/* One raw request: sends it, reads the answer. */
static int raw_request(const char *req, size_t len, char *out, size_t cap) {
  int fd = raw_connect(g_port);
  raw_send(fd, req, len);
  int status = raw_read_status(fd, out, cap);
  close(fd);
  return status;
}

/* A POST whose Content-Length is over the JSON body limit is refused at
 * once with 413 too_large, before any body byte: sent on a raw socket
 * with the head alone, so no client can be caught sending into the
 * refusal (curl under load sometimes was: a send error, not the 413). */
static void oversize(const char *path) {
  char head[1024], out[4096];
  snprintf(head, sizeof head,
           "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
           "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
           path, tok_da, (size_t)PV_PROTO_MAX_BODY + 10);
  CHECK_INT(raw_request(head, strlen(head), out, sizeof out), 413);
  CHECK_CONTAINS(out, "too_large");
}

/* ---- seeding through the storage API ---- */

static void now_iso(char out[25]) {
  pv_clock c = pv_clock_system();
  pv_time_iso(pv_clock_now(&c), out);
}

static void add_token(pv_cdb *db, pv_cdb_kind kind, const char *terr, const char *name,
                      char tok[PV_PROTO_TOKEN_LEN + 1]) {
  char hash[PV_SHA256_HEX + 1], now[25];
  long long id = 0;
  now_iso(now);
  CHECK_INT(pv_token_new(kind, tok), PV_OK);
  CHECK(pv_proto_token_valid(tok));
  CHECK_INT(strlen(tok), PV_PROTO_TOKEN_LEN);
  CHECK_INT(strncmp(tok, kind == PV_CDB_DEVICE ? "pvd_" : "pva_", 4), 0);
  CHECK_INT(pv_token_hash(tok, hash), PV_OK);
  CHECK_INT(pv_cdb_token_add(db, kind, terr, name, hash, now, &id), PV_OK);
}

/* Reads a file of the sample content into a blob; returns its hash. */
static void put_blob(pv_cdb *db, const char *path, const char *media, pv_proto_file *f,
                     const char *rel) {
  FILE *fp = fopen(path, "rb");
  PV_ASSERT(fp);
  static unsigned char buf[4 << 20];
  size_t n = fread(buf, 1, sizeof buf, fp);
  fclose(fp);
  memset(f, 0, sizeof *f);
  snprintf(f->path, sizeof f->path, "%s", rel);
  f->size = n;
  CHECK_INT(pv_sha256_hex(buf, n, f->sha256), PV_OK);
  CHECK_INT(pv_cdb_blob_put(db, f->sha256, media, buf, n), PV_OK);
}

static void seed(void) {
  pv_cdb *db = NULL;
  char now[25], suffix[PV_UUID_LEN + 1];
  pv_survey *s = NULL;
  pv_diags diags = {0};
  now_iso(now);
  PV_ASSERT(pv_uuid_v4(suffix) == PV_OK);
  snprintf(ta, sizeof ta, "ta-%.8s", suffix);
  snprintf(tb, sizeof tb, "tb-%.8s", suffix);
  CHECK_INT(pv_cdb_open(g_db, g_pg, &db), PV_OK);
  PV_ASSERT(db);
  CHECK_INT(pv_cdb_territory_add(db, ta, "Territoire A", now), PV_OK);
  CHECK_INT(pv_cdb_territory_add(db, tb, "Territoire B", now), PV_OK);
  add_token(db, PV_CDB_DEVICE, ta, "kiosque-a", tok_da);
  add_token(db, PV_CDB_ANALYST, ta, "cdp-a", tok_aa);
  add_token(db, PV_CDB_DEVICE, tb, "kiosque-b", tok_db);
  add_token(db, PV_CDB_ANALYST, tb, "cdp-b", tok_ab);
  add_token(db, PV_CDB_DEVICE, ta, "kiosque-vole", tok_revoked);
  CHECK_INT(pv_cdb_token_revoke(db, PV_CDB_DEVICE, ta, "kiosque-vole", now), PV_OK);

  /* Territory A sees lien-social; B sees tranquillite (with a plan). */
  PV_ASSERT(pv_survey_load(PV_SOURCE_DIR "/content/surveys/lien-social", NULL, &s,
                           &diags) == PV_OK);
  snprintf(survey_a, sizeof survey_a, "%s", s->id);
  snprintf(qid_a, sizeof qid_a, "%s", s->questions[0].id);
  version_a = s->version;
  pv_survey_free(s);
  pv_proto_file fa[1];
  put_blob(db, PV_SOURCE_DIR "/content/surveys/lien-social/survey.json",
           "application/json", &fa[0], "survey.json");
  memcpy(sha_json_a, fa[0].sha256, sizeof sha_json_a);
  pv_proto_survey sa = {.version = version_a, .files = fa, .n_files = 1};
  snprintf(sa.id, sizeof sa.id, "%s", survey_a);
  pv_cdb_publish what;
  CHECK_INT(pv_cdb_survey_publish(db, ta, &sa, now, &what), PV_OK);

  PV_ASSERT(pv_survey_load(PV_SOURCE_DIR "/content/surveys/tranquillite", NULL, &s,
                           &diags) == PV_OK);
  pv_proto_file fb[2];
  put_blob(db, PV_SOURCE_DIR "/content/surveys/tranquillite/media/plan-quartier.png",
           "image/png", &fb[0], "media/plan-quartier.png");
  put_blob(db, PV_SOURCE_DIR "/content/surveys/tranquillite/survey.json",
           "application/json", &fb[1], "survey.json");
  memcpy(sha_png_b, fb[0].sha256, sizeof sha_png_b);
  pv_proto_survey sb = {.version = s->version, .files = fb, .n_files = 2};
  snprintf(sb.id, sizeof sb.id, "%s", s->id);
  snprintf(survey_b, sizeof survey_b, "%s", s->id);
  version_b = s->version;
  pv_survey_free(s);
  CHECK_INT(pv_cdb_survey_publish(db, tb, &sb, now, &what), PV_OK);
  pv_diags_free(&diags);
  pv_cdb_close(db);
}

/* ---- responses ---- */

/* Fills r with a finished response to survey/version answering qid. */
static void make_response(pv_store_response *r, const char *survey, int version,
                          const char *value, const char *attachment) {
  char now[25];
  memset(r, 0, sizeof *r);
  now_iso(now);
  PV_ASSERT(pv_uuid_v4(r->uuid) == PV_OK);
  PV_ASSERT(pv_uuid_v4(r->device_id) == PV_OK);
  snprintf(r->survey_id, sizeof r->survey_id, "%s", survey);
  r->survey_version = version;
  snprintf(r->language, sizeof r->language, "fr");
  snprintf(r->started_at, sizeof r->started_at, "%s", now);
  snprintf(r->ended_at, sizeof r->ended_at, "%s", now);
  r->status = PV_STORE_COMPLETE;
  r->answers = calloc(1, sizeof *r->answers);
  PV_ASSERT(r->answers);
  r->answer_count = 1;
  pv_store_answer *a = &r->answers[0];
  snprintf(a->question_id, sizeof a->question_id, "%s", qid_a);
  a->value = strdup(value);
  a->measure = attachment ? PV_QUALITATIVE : PV_QUANTITATIVE;
  snprintf(a->answered_at, sizeof a->answered_at, "%s", now);
  if (attachment)
    snprintf(a->attachment, sizeof a->attachment, "%s", attachment);
}

/* Posts n responses as device token; returns the results (caller frees)
 * and the status in *status. */
static pv_proto_result *post(const char *token, const pv_store_response *rs, size_t n,
                             long *status, size_t *n_res) {
  char *body = pv_proto_batch_encode(rs, n);
  resp r;
  pv_proto_result *res = NULL;
  http_at(g_port, "POST", "/v1/responses", token, "Content-Type: application/json",
          body, strlen(body), &r);
  *status = r.status;
  *n_res = 0;
  if (r.body && pv_proto_results_decode(r.body, r.len, &res, n_res) != PV_OK)
    res = NULL;
  free(body);
  resp_free(&r);
  return res;
}

static size_t count_a(void) {
  pv_cdb *db = NULL;
  size_t n = 0;
  PV_ASSERT(pv_cdb_open(g_db, g_pg, &db) == PV_OK);
  CHECK_INT(pv_cdb_count(db, ta, NULL, &n), PV_OK);
  pv_cdb_close(db);
  return n;
}

/* ---- the cases ---- */

static void test_whoami(void) {
  resp r;
  http("GET", "/v1/whoami", tok_da, &r);
  CHECK_INT(r.status, 200);
  CHECK_CONTAINS(r.body, "\"kind\":\"device\"");
  CHECK_CONTAINS(r.body, ta);
  CHECK_CONTAINS(r.body, "kiosque-a");
  CHECK_CONTAINS(r.ctype, "application/json");
  resp_free(&r);
  http("GET", "/v1/whoami", tok_ab, &r);
  CHECK_INT(r.status, 200);
  CHECK_CONTAINS(r.body, "\"kind\":\"analyst\"");
  CHECK_CONTAINS(r.body, tb);
  resp_free(&r);
}

static void test_catalog(void) {
  resp r, r2;
  char inm[200];
  http("GET", "/v1/surveys", tok_da, &r);
  CHECK_INT(r.status, 200);
  pv_proto_catalog cat = {0};
  char why[PV_PROTO_MAX_REASON + 1];
  CHECK_INT(pv_proto_catalog_decode(r.body ? r.body : "", r.len, &cat, why, sizeof why),
            PV_OK);
  CHECK_INT(cat.count, 1);
  if (cat.count == 1) {
    CHECK_STR(cat.surveys[0].id, survey_a);
    CHECK_INT(cat.surveys[0].version, version_a);
    CHECK_INT(cat.surveys[0].n_files, 1);
    CHECK_STR(cat.surveys[0].files[0].sha256, sha_json_a);
  }
  pv_proto_catalog_free(&cat);
  CHECK_INT(strlen(r.etag), PV_SHA256_HEX + 2);
  CHECK(r.etag[0] == '"');
  /* The ETag is the quoted SHA-256 of the body. */
  char hex[PV_SHA256_HEX + 1];
  pv_sha256_hex(r.body, r.len, hex);
  CHECK(strncmp(r.etag + 1, hex, PV_SHA256_HEX) == 0);
  snprintf(inm, sizeof inm, "If-None-Match: %s", r.etag);
  http_at(g_port, "GET", "/v1/surveys", tok_da, inm, NULL, 0, &r2);
  CHECK_INT(r2.status, 304);
  CHECK_INT(r2.len, 0);
  CHECK_STR(r2.etag, r.etag);
  resp_free(&r2);
  http_at(g_port, "GET", "/v1/surveys", tok_da, "If-None-Match: \"0000\"", NULL, 0,
          &r2);
  CHECK_INT(r2.status, 200);
  resp_free(&r2);
  /* B's catalogue differs, so A's ETag does not match it. */
  http_at(g_port, "GET", "/v1/surveys", tok_db, inm, NULL, 0, &r2);
  CHECK_INT(r2.status, 200);
  CHECK(r2.body && !strstr(r2.body, survey_a));
  resp_free(&r2);
  resp_free(&r);
}

static void test_files(void) {
  char path[200];
  resp r;
  snprintf(path, sizeof path, "/v1/files/%s", sha_json_a);
  http("GET", path, tok_da, &r);
  CHECK_INT(r.status, 200);
  CHECK_CONTAINS(r.ctype, "application/json");
  CHECK_CONTAINS(r.body, survey_a);
  resp_free(&r);
  EXPECT("GET", path, tok_aa, 200, ""); /* analysts read their surveys too */
  EXPECT("GET", path, tok_db, 404, "not_found");
  snprintf(path, sizeof path, "/v1/files/%s", sha_png_b);
  EXPECT("GET", path, tok_da, 404, "not_found"); /* another territory's file */
  http("GET", path, tok_db, &r);
  CHECK_INT(r.status, 200);
  CHECK_STR(r.ctype, "image/png");
  CHECK(r.len > 8 && memcmp(r.body, "\x89PNG", 4) == 0);
  resp_free(&r);
  EXPECT("GET",
         "/v1/files/"
         "0000000000000000000000000000000000000000000000000000000000000000",
         tok_da, 404, "not_found");
  EXPECT("GET", "/v1/files/nope", tok_da, 400, "bad_path");
}

/* PUT of bytes as an attachment named name; returns the status. */
static long put_attachment(const char *token, const char *name, const void *bytes,
                           size_t len) {
  char path[300];
  resp r;
  snprintf(path, sizeof path, "/v1/attachments/%s", name);
  http_at(g_port, "PUT", path, token, "Content-Type: image/png", bytes, len, &r);
  long st = r.status;
  resp_free(&r);
  return st;
}

static void test_ingest_and_attachments(void) {
  pv_store_response rs[3];
  long status;
  size_t n;
  pv_proto_result *res;
  size_t before = count_a();

  /* stored, then duplicate, then conflict */
  make_response(&rs[0], survey_a, version_a, "1", NULL);
  res = post(tok_da, rs, 1, &status, &n);
  CHECK_INT(status, 200);
  CHECK_INT(n, 1);
  if (res && n == 1) {
    CHECK_INT(res[0].outcome, PV_OUT_STORED);
    CHECK_STR(res[0].uuid, rs[0].uuid);
  }
  free(res);
  res = post(tok_da, rs, 1, &status, &n);
  CHECK_INT(status, 200);
  if (res && n == 1)
    CHECK_INT(res[0].outcome, PV_OUT_DUPLICATE);
  free(res);
  free(rs[0].answers[0].value);
  rs[0].answers[0].value = strdup("2");
  res = post(tok_da, rs, 1, &status, &n);
  CHECK_INT(status, 409);
  if (res && n == 1) {
    CHECK_INT(res[0].outcome, PV_OUT_CONFLICT);
    CHECK(res[0].reason[0] != '\0');
  }
  free(res);
  CHECK_INT(count_a(), before + 1);
  /* Its uuid from territory B's device, on B's survey: the reason names
   * the territory the response's device already sent data to. */
  pv_store_response moved = rs[0]; /* shares rs[0]'s answers */
  snprintf(moved.survey_id, sizeof moved.survey_id, "%s", survey_b);
  moved.survey_version = version_b;
  res = post(tok_db, &moved, 1, &status, &n);
  CHECK_INT(status, 409);
  if (res && n == 1) {
    CHECK_INT(res[0].outcome, PV_OUT_CONFLICT);
    CHECK_CONTAINS(res[0].reason, "already sent data to territory");
    CHECK_CONTAINS(res[0].reason, ta);
  }
  free(res);

  /* unknown survey version; B's device on A's survey */
  make_response(&rs[1], survey_a, version_a + 90, "1", NULL);
  res = post(tok_da, &rs[1], 1, &status, &n);
  CHECK_INT(status, 422);
  if (res && n == 1) {
    CHECK_INT(res[0].outcome, PV_OUT_UNKNOWN_SURVEY);
    CHECK_CONTAINS(res[0].reason, survey_a);
  }
  free(res);
  pv_store_response_free(&rs[1]);
  make_response(&rs[1], survey_a, version_a, "1", NULL);
  res = post(tok_db, &rs[1], 1, &status, &n);
  CHECK_INT(status, 422);
  if (res && n == 1)
    CHECK_INT(res[0].outcome, PV_OUT_UNKNOWN_SURVEY);
  free(res);

  /* missing attachment, then uploaded, then stored */
  static const char bytes[] = "\x89PNG pretend drawing bytes";
  char sha[PV_SHA256_HEX + 1], value[200];
  pv_sha256_hex(bytes, sizeof bytes - 1, sha);
  snprintf(value, sizeof value, "{\"attachment\":\"%s\"}", sha);
  make_response(&rs[2], survey_a, version_a, value, sha);
  res = post(tok_da, &rs[2], 1, &status, &n);
  CHECK_INT(status, 422);
  if (res && n == 1)
    CHECK_INT(res[0].outcome, PV_OUT_MISSING_ATTACHMENT);
  free(res);

  char path[200];
  snprintf(path, sizeof path, "/v1/attachments/%s", sha);
  EXPECT("HEAD", path, tok_da, 404, "");
  CHECK_INT(put_attachment(tok_da, sha, bytes, sizeof bytes - 1), 201);
  CHECK_INT(put_attachment(tok_da, sha, bytes, sizeof bytes - 1), 200);
  CHECK_INT(put_attachment(tok_aa, sha, bytes, sizeof bytes - 1), 403);
  EXPECT("HEAD", path, tok_da, 200, "");
  EXPECT("HEAD", path, tok_aa, 200, "");
  EXPECT("HEAD", path, tok_db, 404, "");
  /* A device reads only recorded prompts' audio, never residents' files. */
  EXPECT("GET", path, tok_da, 404, "not_found");
  EXPECT("GET", path, tok_ab, 404, "not_found"); /* another territory */
  resp r;
  http("GET", path, tok_aa, &r);
  CHECK_INT(r.status, 200);
  CHECK_INT(r.len, sizeof bytes - 1);
  CHECK(r.body && memcmp(r.body, bytes, sizeof bytes - 1) == 0);
  CHECK_STR(r.ctype, "image/png");
  resp_free(&r);
  /* The same bytes under another name: the digest is checked. */
  char other[PV_SHA256_HEX + 1];
  memcpy(other, sha, sizeof other);
  other[0] = other[0] == 'a' ? 'b' : 'a';
  resp bad;
  snprintf(path, sizeof path, "/v1/attachments/%s", other);
  http_at(g_port, "PUT", path, tok_da, NULL, bytes, sizeof bytes - 1, &bad);
  CHECK_INT(bad.status, 400);
  CHECK_STR(bad.code, "bad_hash");
  resp_free(&bad);
  /* B's device cannot fill A's missing attachment. */
  CHECK_INT(put_attachment(tok_db, sha, bytes, sizeof bytes - 1), 201);
  res = post(tok_da, &rs[2], 1, &status, &n);
  CHECK_INT(status, 200);
  if (res && n == 1)
    CHECK_INT(res[0].outcome, PV_OUT_STORED);
  free(res);

  /* A batch mixing a good item and broken ones: status is the worst. */
  pv_store_response good;
  make_response(&good, survey_a, version_a, "3", NULL);
  char *one = pv_proto_response_encode(&good);
  size_t cap = strlen(one) + 200;
  char *body = malloc(cap);
  snprintf(body, cap, "{\"responses\":[%s,{\"uuid\":\"nope\"},{\"uuid\":42}]}", one);
  http_at(g_port, "POST", "/v1/responses", tok_da, NULL, body, strlen(body), &r);
  CHECK_INT(r.status, 400);
  pv_proto_result *mixed = NULL;
  size_t nm = 0;
  CHECK_INT(pv_proto_results_decode(r.body ? r.body : "", r.len, &mixed, &nm), PV_OK);
  CHECK_INT(nm, 3);
  if (mixed && nm == 3) {
    CHECK_INT(mixed[0].outcome, PV_OUT_STORED);
    CHECK_INT(mixed[1].outcome, PV_OUT_INVALID);
    CHECK(mixed[1].reason[0] != '\0');
    CHECK_INT(mixed[2].outcome, PV_OUT_INVALID);
  }
  free(mixed);
  resp_free(&r);
  free(body);
  free(one);
  pv_store_response_free(&good);
  CHECK_INT(count_a(), before + 3);

  /* Analysts do not post responses. */
  res = post(tok_aa, rs, 1, &status, &n);
  CHECK_INT(status, 403);
  free(res);
  for (size_t i = 0; i < 3; i++)
    pv_store_response_free(&rs[i]);
}

static void test_names(void) {
  /* Every one of these is refused before any lookup. */
  static const char *const names[] = {
      "../../etc/passwd",
      "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
      "..%2f..%2fetc%2fpasswd",
      "/etc/passwd",
      "%00",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855%00.png",
      "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855/x",
      "",
  };
  char path[600];
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    snprintf(path, sizeof path, "/v1/attachments/%s", names[i]);
    EXPECT("HEAD", path, tok_da, 400, "");
    EXPECT("GET", path, tok_aa, 400, "bad_path");
    resp r;
    http_at(g_port, "PUT", path, tok_da, NULL, "x", 1, &r);
    CHECK_INT(r.status, 400);
    CHECK_STR(r.code, "bad_path");
    resp_free(&r);
  }
  /* Overlong: 5,000 bytes of name. */
  char *big = malloc(6000);
  memcpy(big, "/v1/attachments/", 16);
  memset(big + 16, 'a', 5000);
  big[5016] = '\0';
  resp r;
  http_at(g_port, "GET", big, tok_aa, NULL, NULL, 0, &r);
  CHECK(r.status == 400 || r.status == 414);
  resp_free(&r);
  free(big);
}

static void test_auth(void) {
  char forged[PV_PROTO_TOKEN_LEN + 1];
  pv_token_new(PV_CDB_DEVICE, forged);
  EXPECT("GET", "/v1/whoami", NULL, 401, "unauthorized");
  EXPECT("GET", "/v1/whoami", "not-a-token", 401, "unauthorized");
  EXPECT("GET", "/v1/whoami", forged, 401, "unauthorized");
  EXPECT("GET", "/v1/whoami", tok_revoked, 403, "revoked");
  resp r;
  http_at(g_port, "GET", "/v1/whoami", NULL, "Authorization: Basic dXNlcjpwYXNz", NULL,
          0, &r);
  CHECK_INT(r.status, 401);
  resp_free(&r);
  http_at(g_port, "GET", "/v1/whoami", NULL, "Authorization: Bearer ", NULL, 0, &r);
  CHECK_INT(r.status, 401);
  resp_free(&r);
  /* A device token with one character changed is unknown. */
  char bent[PV_PROTO_TOKEN_LEN + 1];
  memcpy(bent, tok_da, sizeof bent);
  bent[10] = bent[10] == 'A' ? 'B' : 'A';
  EXPECT("GET", "/v1/whoami", bent, 401, "unauthorized");
  EXPECT("GET", "/v1/export?survey=x&format=csv", tok_da, 403, "forbidden");
  EXPECT("GET", "/v1/nope", tok_da, 404, "not_found");
  EXPECT("GET", "/", NULL, 404, "not_found");
  EXPECT("DELETE", "/v1/whoami", tok_da, 405, "method_not_allowed");
  EXPECT("POST", "/v1/surveys", tok_da, 405, "method_not_allowed");
  resp m;
  http("DELETE", "/v1/attachments/x", tok_da, &m);
  CHECK_INT(m.status, 405);
  CHECK_STR(m.allow, "HEAD, PUT, GET");
  resp_free(&m);
}

static void post_body(const char *body, size_t len, long status, const char *code) {
  resp r;
  http_at(g_port, "POST", "/v1/responses", tok_da, NULL, body, len, &r);
  CHECK_INT(r.status, status);
  CHECK_STR(r.code, code);
  CHECK(r.reason[0] != '\0');
  if (r.status != status || strcmp(r.code, code) != 0)
    fprintf(stderr, "post_body: %.60s -> %ld %s\n", body, r.status,
            r.body ? r.body : "");
  resp_free(&r);
}

static void test_bad_bodies(void) {
  static const char *const bad[] = {
      "",
      "not json",
      "{\"responses\":",
      "{\"responses\":\"x\"}",
      "{\"responses\":[]}",
      "[1,2,3]",
      "{\"responses\":[1]} trailing",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    post_body(bad[i], strlen(bad[i]), 400, "bad_json");
  post_body("{\"responses\":[]}\0", 17, 400, "bad_json"); /* a NUL after the value */
  /* Deep nesting: 10,000 '['. */
  char *deep = malloc(10001);
  memset(deep, '[', 10000);
  post_body(deep, 10000, 400, "bad_json");
  free(deep);
  /* Over the body limit: refused from Content-Length. */
  oversize("/v1/responses");
  /* Too many items. */
  size_t cap = 64 + (PV_PROTO_MAX_BATCH + 1) * 4;
  char *many = malloc(cap);
  size_t n = (size_t)snprintf(many, cap, "{\"responses\":[");
  for (int i = 0; i <= PV_PROTO_MAX_BATCH; i++)
    n += (size_t)snprintf(many + n, cap - n, "%s{}", i ? "," : "");
  snprintf(many + n, cap - n, "]}");
  post_body(many, strlen(many), 413, "too_large");
  free(many);
  /* Wrong types inside an item: the item is invalid, the batch answered. */
  const char *typed =
      "{\"responses\":[{\"uuid\":\"1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed\","
      "\"survey\":7,\"version\":\"3\",\"answers\":{}}]}";
  resp r;
  http_at(g_port, "POST", "/v1/responses", tok_da, NULL, typed, strlen(typed), &r);
  CHECK_INT(r.status, 400);
  CHECK_CONTAINS(r.body, "invalid");
  resp_free(&r);
}

/* ---- POST /v1/sessions ---- */

/* Posts n sessions as token; fills *first with the first result (outcome
 * PV_OUT__COUNT when none) and returns the HTTP status. */
static long post_sessions(const char *token, const pv_store_session *ss, size_t n,
                          pv_proto_result *first) {
  char *body = pv_proto_sessions_encode(ss, n);
  pv_proto_result *res = NULL;
  size_t n_res = 0;
  resp r;
  PV_ASSERT(body);
  http_at(g_port, "POST", "/v1/sessions", token, "Content-Type: application/json", body,
          strlen(body), &r);
  memset(first, 0, sizeof *first);
  first->outcome = PV_OUT__COUNT;
  if (r.body && pv_proto_results_decode(r.body, r.len, &res, &n_res) == PV_OK &&
      n_res == n && n > 0)
    *first = res[0];
  long status = r.status;
  free(res);
  free(body);
  resp_free(&r);
  return status;
}

static void test_sessions(void) {
  pv_store_session s = {.kind = "table_de_quartier",
                        .place = "Maison pour tous",
                        .qpv_code = "QN03401M",
                        .qpv_name = "Mosson",
                        .animateur = "MB"};
  pv_proto_result res;
  char end[25];
  PV_ASSERT(pv_uuid_v4(s.uuid) == PV_OK);
  now_iso(s.started_at);
  now_iso(end);

  /* Begun, resent, ended, its running form late (the batch status is 200
   * when every item is stored or duplicate). */
  CHECK_INT(post_sessions(tok_da, &s, 1, &res), 200);
  CHECK_INT(res.outcome, PV_OUT_STORED);
  CHECK_STR(res.uuid, s.uuid);
  CHECK_INT(post_sessions(tok_da, &s, 1, &res), 200);
  CHECK_INT(res.outcome, PV_OUT_DUPLICATE);
  pv_store_session ended = s;
  snprintf(ended.ended_at, sizeof ended.ended_at, "%s", end);
  CHECK_INT(post_sessions(tok_da, &ended, 1, &res), 200);
  CHECK_INT(res.outcome, PV_OUT_STORED);
  CHECK_INT(post_sessions(tok_da, &s, 1, &res), 200);
  CHECK_INT(res.outcome, PV_OUT_DUPLICATE);
  /* Another territory's device: conflict, with a reason. */
  CHECK_INT(post_sessions(tok_db, &ended, 1, &res), 409);
  CHECK_INT(res.outcome, PV_OUT_CONFLICT);
  CHECK_CONTAINS(res.reason, "already stored");
  /* Other content under the same uuid: conflict. */
  pv_store_session moved = ended;
  snprintf(moved.place, sizeof moved.place, "Ailleurs");
  CHECK_INT(post_sessions(tok_da, &moved, 1, &res), 409);
  pv_cdb *db = NULL;
  pv_store_session got;
  CHECK_INT(pv_cdb_open(g_db, g_pg, &db), PV_OK);
  CHECK_INT(pv_cdb_session_get(db, ta, s.uuid, &got), PV_OK);
  CHECK_STR(got.ended_at, end);
  CHECK_STR(got.place, "Maison pour tous");
  CHECK_INT(pv_cdb_session_get(db, tb, s.uuid, &got), PV_ERR_NOTFOUND);
  pv_cdb_close(db);

  /* Who may post. */
  CHECK_INT(post_sessions(tok_aa, &s, 1, &res), 403);
  CHECK_INT(post_sessions(NULL, &s, 1, &res), 401);
  CHECK_INT(post_sessions(tok_revoked, &s, 1, &res), 403);
  EXPECT("GET", "/v1/sessions", tok_da, 405, "method_not_allowed");

  /* A bad item is answered on its own; bad bodies are refused whole. */
  const char *fete =
      "{\"sessions\":[{\"uuid\":\"1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed\","
      "\"kind\":\"fete\"}]}";
  resp r;
  http_at(g_port, "POST", "/v1/sessions", tok_da, NULL, fete, strlen(fete), &r);
  CHECK_INT(r.status, 400);
  CHECK_CONTAINS(r.body, "\"outcome\":\"invalid\"");
  CHECK_CONTAINS(r.body, "sessions[0]: kind: expected");
  resp_free(&r);
  static const struct {
    const char *body;
    const char *reason;
  } bad[] = {
      {"", "not JSON"},
      {"{\"sessions\":[]}", "1 to 100 sessions"},
      {"{\"responses\":[{}]}", "expected {\"sessions\""},
      {"{\"sessions\":[{}],\"more\":1}", "unknown key \"more\""},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    http_at(g_port, "POST", "/v1/sessions", tok_da, NULL, bad[i].body,
            strlen(bad[i].body), &r);
    CHECK_INT(r.status, 400);
    CHECK_STR(r.code, "bad_json");
    CHECK_CONTAINS(r.reason, bad[i].reason);
    resp_free(&r);
  }
  oversize("/v1/sessions");
  size_t cap = 64 + (PV_PROTO_MAX_SESSIONS + 1) * 4;
  char *many = malloc(cap);
  PV_ASSERT(many);
  size_t n = (size_t)snprintf(many, cap, "{\"sessions\":[");
  for (int i = 0; i <= PV_PROTO_MAX_SESSIONS; i++)
    n += (size_t)snprintf(many + n, cap - n, "%s{}", i ? "," : "");
  snprintf(many + n, cap - n, "]}");
  http_at(g_port, "POST", "/v1/sessions", tok_da, NULL, many, strlen(many), &r);
  CHECK_INT(r.status, 413);
  CHECK_STR(r.code, "too_large");
  resp_free(&r);
  free(many);
}

static void test_quartiers(void) {
  pv_cdb *db = NULL;
  char now[25];
  now_iso(now);
  CHECK_INT(pv_cdb_open(g_db, g_pg, &db), PV_OK);
  CHECK_INT(pv_cdb_quartier_add(db, ta, "QN03402M", "Cévennes", now), PV_OK);
  CHECK_INT(pv_cdb_quartier_add(db, ta, "QN03401M", "Mosson", now), PV_OK);
  CHECK_INT(pv_cdb_quartier_add(db, tb, "QN07501M", "Belleville", now), PV_OK);
  pv_cdb_close(db);
  resp r;
  http("GET", "/v1/quartiers", tok_da, &r);
  CHECK_INT(r.status, 200);
  CHECK_CONTAINS(r.ctype, "application/json");
  CHECK_STR(r.body, "{\"quartiers\":[{\"code\":\"QN03401M\",\"name\":\"Mosson\"},"
                    "{\"code\":\"QN03402M\",\"name\":\"Cévennes\"}]}");
  resp_free(&r);
  http("GET", "/v1/quartiers", tok_db, &r); /* each territory its own */
  CHECK_INT(r.status, 200);
  CHECK_CONTAINS(r.body, "Belleville");
  CHECK(strstr(r.body, "Mosson") == NULL);
  resp_free(&r);
  EXPECT("GET", "/v1/quartiers", tok_aa, 403, "forbidden");
  EXPECT("GET", "/v1/quartiers", NULL, 401, "unauthorized");
  EXPECT("POST", "/v1/quartiers", tok_da, 405, "method_not_allowed");
}

/* Sends a chunked body of total bytes (64 KiB chunks) after head; returns
 * the status the server answered (0 if none). */
static int chunked(const char *head, size_t total) {
  static char chunk[64 << 10];
  char line[32], out[4096];
  memset(chunk, ' ', sizeof chunk);
  int fd = raw_connect(g_port);
  int alive = raw_send(fd, head, strlen(head));
  for (size_t sent = 0; alive && sent < total; sent += sizeof chunk) {
    snprintf(line, sizeof line, "%zx\r\n", sizeof chunk);
    alive = raw_send(fd, line, strlen(line)) && raw_send(fd, chunk, sizeof chunk) &&
            raw_send(fd, "\r\n", 2);
  }
  if (alive)
    raw_send(fd, "0\r\n\r\n", 5);
  int status = raw_read_status(fd, out, sizeof out);
  if (status >= 400)
    CHECK_CONTAINS(out, "\"error\"");
  close(fd);
  return status;
}

static void test_raw_limits(void) {
  char head[1024], out[4096];
  const char *name = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  /* 413 from Content-Length, before any body byte. */
  snprintf(head, sizeof head,
           "PUT /v1/attachments/%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
           "Content-Length: %d\r\n\r\n",
           name, tok_da, PV_PROTO_MAX_ATTACHMENT + 1);
  CHECK_INT(raw_request(head, strlen(head), out, sizeof out), 413);
  CHECK_CONTAINS(out, "too_large");
  /* PUT without a length. */
  snprintf(head, sizeof head,
           "PUT /v1/attachments/%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
           "Transfer-Encoding: chunked\r\n\r\n",
           name, tok_da);
  CHECK_INT(chunked(head, 1 << 16), 411);
  /* A chunked JSON body that grows past the limit is cut off at it. */
  snprintf(head, sizeof head,
           "POST /v1/responses HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
           "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
           tok_da);
  CHECK_INT(chunked(head, (size_t)PV_PROTO_MAX_BODY + (1 << 20)), 413);
  /* A Content-Length that lies under a chunked body: the cap holds. */
  snprintf(head, sizeof head,
           "PUT /v1/attachments/%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
           "Content-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n",
           name, tok_da);
  int st = chunked(head, (size_t)PV_PROTO_MAX_ATTACHMENT + (1 << 20));
  CHECK(st == 413 || st == 400);
  /* The server still answers. */
  EXPECT("GET", "/v1/whoami", tok_da, 200, "");
}

static void test_garbage(void) {
  static const char *const shapes[] = {
      "GET /v1/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer pvd_\r\n",
      "GET /v1/whoami HTTP/9.9\r\n\r\n",
      "\r\n\r\n\r\n",
      "GET\r\n\r\n",
      "POST /v1/responses HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
      "POST /v1/responses HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
      "PUT /v1/attachments/x HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
      "GET /v1/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
      "\x01\x02\x03\r\n\r\n",
  };
  unsigned seed = 12345;
  char buf[8192], out[8192];
  for (int i = 0; i < 100; i++) {
    size_t len;
    if (i < 20) {
      len = (size_t)snprintf(buf, sizeof buf, "%s", shapes[i % 8]);
    } else {
      len = 1 + (size_t)(rand_r(&seed) % (sizeof buf - 1));
      for (size_t k = 0; k < len; k++)
        buf[k] = (char)(rand_r(&seed) & 0xff);
      if (i % 3 == 0) /* a plausible start, then noise */
        memcpy(buf, "POST /v1/responses HTTP/1.1\r\n", len < 29 ? len : 29);
    }
    int fd = raw_connect(g_port);
    raw_send(fd, buf, len);
    shutdown(fd, SHUT_WR);
    raw_read_status(fd, out, sizeof out);
    close(fd);
  }
  EXPECT("GET", "/v1/whoami", tok_da, 200, "");
}

static void test_export(void) {
  char path[300];
  snprintf(path, sizeof path, "/v1/export?survey=%s&format=csv", survey_a);
  resp r;
  http("GET", path, tok_aa, &r);
  /* The export module answers 200 with CSV once implemented. */
  CHECK_INT(r.status, 200);
  CHECK_CONTAINS(r.ctype, "text/csv");
  CHECK(r.len >= 3 && memcmp(r.body, "\xef\xbb\xbf", 3) == 0);
  /* A header and the three responses territory A stored. */
  size_t rows = 0;
  for (const char *p = r.body; p && (p = strstr(p, "\r\n")) != NULL; p += 2)
    rows++;
  CHECK_INT(rows, 4);
  resp_free(&r);
  snprintf(path, sizeof path, "/v1/export?survey=%s&format=json", survey_a);
  http("GET", path, tok_aa, &r);
  CHECK_INT(r.status, 200);
  CHECK_CONTAINS(r.ctype, "application/json");
  resp_free(&r);
  EXPECT("GET", path, tok_ab, 404, "not_found"); /* not published for B */
  EXPECT("GET", "/v1/export?survey=absent&format=csv", tok_aa, 404, "not_found");
  EXPECT("GET", "/v1/export?format=csv", tok_aa, 400, "bad_request");
  EXPECT("GET", "/v1/export?survey=Bad%20Id", tok_aa, 400, "bad_request");
  snprintf(path, sizeof path, "/v1/export?survey=%s&format=xml", survey_a);
  EXPECT("GET", path, tok_aa, 400, "bad_request");
  snprintf(path, sizeof path, "/v1/export?survey=%s&session=nope", survey_a);
  EXPECT("GET", path, tok_aa, 400, "bad_request");
  snprintf(path, sizeof path, "/v1/export?survey=%s&format=csv", survey_a);
  EXPECT("GET", path, tok_da, 403, "forbidden");
}

/* Several devices' worth of batches at once: every response stored once,
 * the database pool shared by the worker threads. */
#define CONC_THREADS 8
#define CONC_BATCHES 10
#define CONC_PER_BATCH 10

static void *conc_worker(void *ud) {
  int *failures = ud;
  for (int b = 0; b < CONC_BATCHES; b++) {
    pv_store_response rs[CONC_PER_BATCH];
    for (int i = 0; i < CONC_PER_BATCH; i++)
      make_response(&rs[i], survey_a, version_a, "2", NULL);
    long status;
    size_t n;
    pv_proto_result *res = post(tok_da, rs, CONC_PER_BATCH, &status, &n);
    if (status != 200 || n != CONC_PER_BATCH)
      (*failures)++;
    for (size_t i = 0; res && i < n; i++)
      if (res[i].outcome != PV_OUT_STORED)
        (*failures)++;
    free(res);
    for (int i = 0; i < CONC_PER_BATCH; i++)
      pv_store_response_free(&rs[i]);
  }
  return NULL;
}

static void test_concurrent(void) {
  pthread_t th[CONC_THREADS];
  int failures[CONC_THREADS] = {0};
  size_t before = count_a();
  for (int i = 0; i < CONC_THREADS; i++)
    PV_ASSERT(pthread_create(&th[i], NULL, conc_worker, &failures[i]) == 0);
  for (int i = 0; i < CONC_THREADS; i++) {
    pthread_join(th[i], NULL);
    CHECK_INT(failures[i], 0);
  }
  CHECK_INT(count_a(), before + CONC_THREADS * CONC_BATCHES * CONC_PER_BATCH);
}

/* A second server with a tiny bucket and a frozen clock: the 4th request
 * in the same millisecond is refused, one second later it passes. */
static void test_rate_limit(void) {
  int64_t ms = 1700000000000;
  pv_clock vc = pv_clock_virtual(&ms);
  pv_server_config cfg = {.db_path = g_db,
                          .pg_conninfo = g_pg,
                          .threads = 2,
                          .rate_per_s = 1,
                          .burst = 3,
                          .clock = &vc};
  pv_server *s = NULL;
  CHECK_INT(pv_server_start(&cfg, &s), PV_OK);
  if (!s)
    return;
  int port = pv_server_port(s);
  resp r;
  for (int i = 0; i < 3; i++) {
    http_at(port, "GET", "/v1/whoami", tok_db, NULL, NULL, 0, &r);
    CHECK_INT(r.status, 200);
    resp_free(&r);
  }
  http_at(port, "GET", "/v1/whoami", tok_db, NULL, NULL, 0, &r);
  CHECK_INT(r.status, 429);
  CHECK_STR(r.code, "rate_limited");
  CHECK_STR(r.retry_after, "1");
  resp_free(&r);
  /* Another holder has its own bucket. */
  http_at(port, "GET", "/v1/whoami", tok_ab, NULL, NULL, 0, &r);
  CHECK_INT(r.status, 200);
  resp_free(&r);
  ms += 1000;
  http_at(port, "GET", "/v1/whoami", tok_db, NULL, NULL, 0, &r);
  CHECK_INT(r.status, 200);
  resp_free(&r);
  pv_server_stop(s);
}

/* Runs cmd, writing its output to a file; returns its exit status. */
static int run_shell(const char *cmd) {
  int st = system(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_tls(const char *dir) {
  char cmd[2048], key[512], cert[512];
  snprintf(key, sizeof key, "%s/key.pem", dir);
  snprintf(cert, sizeof cert, "%s/cert.pem", dir);
  snprintf(cmd, sizeof cmd,
           "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 2 "
           "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null",
           key, cert);
  CHECK_INT(run_shell(cmd), 0);
  pv_server_config cfg = {
      .db_path = g_db, .pg_conninfo = g_pg, .tls_cert = cert, .tls_key = key};
  pv_server *s = NULL;
  CHECK_INT(pv_server_start(&cfg, &s), PV_OK);
  if (!s)
    return;
  CHECK(pv_server_tls(s));
  resp r;
  g_tls = 1;
  snprintf(g_tls_ca, sizeof g_tls_ca, "%s", cert);
  http_at(pv_server_port(s), "GET", "/v1/whoami", tok_da, NULL, NULL, 0, &r);
  CHECK_INT(r.status, 200);
  CHECK_CONTAINS(r.body, "kiosque-a");
  resp_free(&r);
  /* Verification is on: without the CA the handshake is refused. */
  snprintf(g_tls_ca, sizeof g_tls_ca, "%s/none.pem", dir);
  http_at(pv_server_port(s), "GET", "/v1/whoami", tok_da, NULL, NULL, 0, &r);
  CHECK(r.status < 0);
  resp_free(&r);
  g_tls = 0;
  /* Plain HTTP to the TLS port gets no answer. */
  http_at(pv_server_port(s), "GET", "/v1/whoami", tok_da, NULL, NULL, 0, &r);
  CHECK(r.status != 200);
  resp_free(&r);
  pv_server_stop(s);
  /* A key without its certificate is refused at start. */
  pv_server_config half = {.db_path = g_db, .pg_conninfo = g_pg, .tls_key = key};
  CHECK_INT(pv_server_start(&half, &s), PV_ERR_INVALID);
}

/* Request framing and bodies where none belong, over raw sockets. */
static void test_framing(void) {
  static const struct {
    const char *line, *headers, *body;
    int status;
    const char *code;
  } cases[] = {
      {"GET /v1/whoami", "Content-Length: 0\r\nContent-Length: 0\r\n", "", 400,
       "bad_request"},
      {"POST /v1/responses", "Content-Length: 2\r\nContent-Length: 20\r\n", "{}", 400,
       "bad_request"},
      {"PUT /v1/attachments/"
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "Content-Length: 10\r\nTransfer-Encoding: chunked\r\n",
       "a\r\n0123456789\r\n0\r\n\r\n", 400, "bad_request"},
      {"GET /v1/whoami", "Content-Length: 5000\r\n", "", 413, "too_large"},
      {"GET /v1/whoami", "Content-Length: 10\r\n", "0123456789", 200, ""},
  };
  char req[1024], out[4096];
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    int n = snprintf(req, sizeof req,
                     "%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n%s\r\n%s",
                     cases[i].line, tok_da, cases[i].headers, cases[i].body);
    int st = raw_request(req, (size_t)n, out, sizeof out);
    CHECK_INT(st, cases[i].status);
    if (cases[i].code[0])
      CHECK_CONTAINS(out, cases[i].code);
    if (st != cases[i].status)
      fprintf(stderr, "test_framing: case %zu: %.200s\n", i, out);
  }
  /* A chunked body on a GET: dropped up to 4 KiB, then refused. */
  snprintf(req, sizeof req,
           "GET /v1/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
           "Transfer-Encoding: chunked\r\n\r\n",
           tok_da);
  CHECK_INT(chunked(req, 1 << 16), 413);
  EXPECT("GET", "/v1/whoami", tok_da, 200, "");
}

/* Attachments and survey files go to analysts as downloads: the type a
 * device declared only when plain, never sniffed, named by hash. */
static void test_blob_headers(void) {
  static const struct {
    const char *sent, *served;
  } types[] = {
      {"Content-Type: text/plain; charset=utf-8", "text/plain"},
      {"Content-Type: audio/ogg", "audio/ogg"},
      {"Content-Type: text/html<script>", "application/octet-stream"},
      {"Content-Type: a/b/c", "application/octet-stream"},
      {"Content-Type: /png", "application/octet-stream"},
      {"Content-Type: image/", "application/octet-stream"},
      {"Content-Type: image/png x", "application/octet-stream"},
      {"Content-Type: image/"
       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
       "application/octet-stream"},
      {"Content-Type:", "application/octet-stream"},
  };
  char bytes[128], sha[PV_SHA256_HEX + 1], path[300], disp[128];
  resp r;
  for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
    int n = snprintf(bytes, sizeof bytes, "<html>%s %zu</html>", ta, i);
    CHECK_INT(pv_sha256_hex(bytes, (size_t)n, sha), PV_OK);
    snprintf(path, sizeof path, "/v1/attachments/%s", sha);
    http_at(g_port, "PUT", path, tok_da, types[i].sent, bytes, (size_t)n, &r);
    CHECK_INT(r.status, 201);
    resp_free(&r);
    http("GET", path, tok_aa, &r);
    CHECK_INT(r.status, 200);
    CHECK_STR(r.ctype, types[i].served);
    CHECK_STR(r.nosniff, "nosniff");
    snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", sha);
    CHECK_STR(r.disposition, disp);
    resp_free(&r);
  }
  snprintf(path, sizeof path, "/v1/files/%s", sha_json_a);
  http("GET", path, tok_da, &r);
  CHECK_INT(r.status, 200);
  CHECK_STR(r.nosniff, "nosniff");
  snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", sha_json_a);
  CHECK_STR(r.disposition, disp);
  resp_free(&r);
}

/* Export filters: real days or whole UTC times, sessions are UUIDs. */
static void test_export_filters(void) {
  static const struct {
    const char *query;
    int status;
  } cases[] = {
      {"&from=2026-11-01&to=2026-12-01", 200},
      {"&from=2024-02-29", 200},
      {"&to=2026-11-01T08:00:00.000Z", 200},
      {"&session=1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed", 200},
      {"&from=2026-13-01", 400},
      {"&from=2026-02-29", 400},
      {"&to=2026-04-31", 400},
      {"&from=2026-1-01", 400},
      {"&from=2026-11-01T08", 400},
      {"&to=2026-11-01T25:00:00.000Z", 400},
      {"&from=2026", 400},
      {"&from=", 400},
      {"&to=yesterday", 400},
      {"&from=2026-11-01%27%20OR%201=1--", 400},
      {"&session=nope", 400},
      {"&session=1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bedx", 400},
  };
  char path[400];
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    snprintf(path, sizeof path, "/v1/export?survey=%s&format=json%s", survey_a,
             cases[i].query);
    resp r;
    http("GET", path, tok_aa, &r);
    CHECK_INT(r.status, cases[i].status);
    if (cases[i].status == 400) {
      CHECK_STR(r.code, "bad_request");
      CHECK(r.reason[0] != '\0');
    }
    if (r.status != cases[i].status)
      fprintf(stderr, "test_export_filters: %s -> %ld\n", cases[i].query, r.status);
    resp_free(&r);
  }
}

/* A server with a 1 MiB body budget: an upload of 768 KiB holds it (the
 * 100 Continue says its headers were taken), a second one is refused with
 * 503 and Retry-After without its body being read, and once the first is
 * stored the budget is free again. */
static void test_body_budget(void) {
  enum { SIZE = 768 << 10 };
  pv_server_config cfg = {
      .db_path = g_db, .pg_conninfo = g_pg, .threads = 2, .body_budget = 1 << 20};
  pv_server *s = NULL;
  CHECK_INT(pv_server_start(&cfg, &s), PV_OK);
  if (!s)
    return;
  int port = pv_server_port(s);
  char *bytes = malloc(SIZE);
  PV_ASSERT(bytes);
  char sha[3][PV_SHA256_HEX + 1], head[3][1024], out[4096];
  for (int k = 0; k < 3; k++) {
    for (size_t i = 0; i < SIZE; i++)
      bytes[i] = (char)(i * 31 + (size_t)k);
    memcpy(bytes, ta, strlen(ta)); /* a fresh attachment on every run */
    CHECK_INT(pv_sha256_hex(bytes, SIZE, sha[k]), PV_OK);
    snprintf(
        head[k], sizeof head[k],
        "PUT /v1/attachments/%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
        "Content-Type: application/octet-stream\r\nContent-Length: %d\r\n"
        "Expect: 100-continue\r\n\r\n",
        sha[k], tok_da, SIZE);
  }
  int first = raw_connect(port);
  CHECK(raw_send(first, head[0], strlen(head[0])));
  CHECK(raw_read_head(first, out, sizeof out));
  CHECK_CONTAINS(out, "HTTP/1.1 100");
  int second = raw_connect(port);
  CHECK(raw_send(second, head[1], strlen(head[1])));
  CHECK_INT(raw_read_status(second, out, sizeof out), 503);
  CHECK_CONTAINS(out, "unavailable");
  CHECK(strcasestr(out, "\r\nRetry-After: ") != NULL);
  close(second);
  /* The first upload's body, then its answer. */
  for (size_t i = 0; i < SIZE; i++)
    bytes[i] = (char)(i * 31);
  memcpy(bytes, ta, strlen(ta));
  CHECK(raw_send(first, bytes, SIZE));
  CHECK_INT(raw_read_status(first, out, sizeof out), 201);
  close(first);
  /* The budget is free: the third upload passes. */
  for (size_t i = 0; i < SIZE; i++)
    bytes[i] = (char)(i * 31 + 2);
  memcpy(bytes, ta, strlen(ta));
  char path[300];
  snprintf(path, sizeof path, "/v1/attachments/%s", sha[2]);
  resp r;
  http_at(port, "PUT", path, tok_da, NULL, bytes, SIZE, &r);
  CHECK_INT(r.status, 201);
  resp_free(&r);
  free(bytes);
  pv_server_stop(s);
}

/* A server that takes 3 connections per address: a fourth is closed
 * unanswered while three are open (each proven open by an answer). */
static void test_per_ip(void) {
  pv_server_config cfg = {
      .db_path = g_db, .pg_conninfo = g_pg, .threads = 1, .per_ip_limit = 3};
  pv_server *s = NULL;
  CHECK_INT(pv_server_start(&cfg, &s), PV_OK);
  if (!s)
    return;
  int port = pv_server_port(s), fds[3];
  char req[512], out[4096];
  int n = snprintf(
      req, sizeof req,
      "GET /v1/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", tok_da);
  for (int i = 0; i < 3; i++) {
    fds[i] = raw_connect(port);
    CHECK(raw_send(fds[i], req, (size_t)n));
    CHECK_INT(raw_read_status(fds[i], out, sizeof out), 200);
  }
  int extra = raw_connect(port);
  raw_send(extra, req, (size_t)n);
  CHECK_INT(raw_read_status(extra, out, sizeof out), 0);
  close(extra);
  for (int i = 0; i < 3; i++)
    close(fds[i]);
  pv_server_stop(s);
}

typedef struct export_call {
  int port;
  const char *path;
  long status;
} export_call;

static void *export_worker(void *ud) {
  export_call *x = ud;
  resp r;
  http_at(x->port, "GET", x->path, tok_aa, NULL, NULL, 0, &r);
  x->status = r.status;
  resp_free(&r);
  return NULL;
}

/* Runs one SQL statement on pg; returns the first value as a number. */
static long pg_value(PGconn *pg, const char *sql) {
  PGresult *res = PQexec(pg, sql);
  long v = -1;
  if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
    v = strtol(PQgetvalue(res, 0, 0), NULL, 10);
  else if (PQresultStatus(res) != PGRES_COMMAND_OK)
    fprintf(stderr, "pg: %s: %s", sql, PQerrorMessage(pg));
  PQclear(res);
  return v;
}

/* A server of 2 threads runs one export at a time. PostgreSQL only: the
 * responses table is locked, so the first export waits inside its slot
 * (seen in pg_locks); a second is refused with 503 and Retry-After; once
 * the lock goes the first completes and exports pass again. (SQLite in
 * WAL mode has no lock that holds a reader: not tested there.) */
static void test_export_cap(void) {
  if (!g_pg)
    return;
  PGconn *pg = PQconnectdb(g_pg);
  CHECK_INT(PQstatus(pg), CONNECTION_OK);
  pv_server_config cfg = {.db_path = g_db, .pg_conninfo = g_pg, .threads = 2};
  pv_server *s = NULL;
  CHECK_INT(pv_server_start(&cfg, &s), PV_OK);
  if (!s || PQstatus(pg) != CONNECTION_OK) {
    PQfinish(pg);
    pv_server_stop(s);
    return;
  }
  char path[300];
  snprintf(path, sizeof path, "/v1/export?survey=%s&format=csv", survey_a);
  export_call first = {.port = pv_server_port(s), .path = path};
  pg_value(pg, "BEGIN");
  pg_value(pg, "LOCK TABLE responses IN ACCESS EXCLUSIVE MODE");
  pthread_t th;
  PV_ASSERT(pthread_create(&th, NULL, export_worker, &first) == 0);
  /* Polled until the export waits on the lock (at most 20 s). */
  long waiting = 0;
  for (int i = 0; i < 2000 && waiting < 1; i++) {
    struct timespec ts = {.tv_nsec = 10 * 1000 * 1000};
    waiting = pg_value(pg, "SELECT count(*) FROM pg_locks l JOIN pg_class c "
                           "ON c.oid = l.relation WHERE c.relname = 'responses' "
                           "AND NOT l.granted");
    if (waiting < 1)
      nanosleep(&ts, NULL);
  }
  CHECK_INT(waiting, 1);
  resp r;
  http_at(first.port, "GET", path, tok_aa, NULL, NULL, 0, &r);
  CHECK_INT(r.status, 503);
  CHECK_STR(r.code, "unavailable");
  CHECK(r.retry_after[0] != '\0');
  resp_free(&r);
  pg_value(pg, "COMMIT");
  pthread_join(th, NULL);
  CHECK_INT(first.status, 200);
  http_at(first.port, "GET", path, tok_aa, NULL, NULL, 0, &r);
  CHECK_INT(r.status, 200);
  resp_free(&r);
  PQfinish(pg);
  pv_server_stop(s);
}

/* ---- the command line ---- */

/* Runs pv-collector with args (NULL-terminated) and the backend option;
 * captures stdout and stderr (caller frees) and returns the exit code. */
static int cli(char **out, char **err, const char *const *args) {
  const char *argv[32];
  size_t n = 0;
  argv[n++] = PV_COLLECTOR_BIN;
  for (; *args && n < 28; args++)
    argv[n++] = *args;
  argv[n++] = g_db ? "--db" : "--pg";
  argv[n++] = g_db ? g_db : g_pg;
  argv[n] = NULL;
  int po[2], pe[2];
  PV_ASSERT(pipe(po) == 0 && pipe(pe) == 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, po[1], 1);
  posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
  posix_spawn_file_actions_addclose(&fa, po[0]);
  posix_spawn_file_actions_addclose(&fa, pe[0]);
  pid_t pid;
  PV_ASSERT(pv_test_spawn(&pid, &fa, (char *const *)argv) == 0);
  posix_spawn_file_actions_destroy(&fa);
  close(po[1]);
  close(pe[1]);
  char *bufs[2] = {NULL, NULL};
  size_t lens[2] = {0, 0};
  struct pollfd pf[2] = {{.fd = po[0], .events = POLLIN},
                         {.fd = pe[0], .events = POLLIN}};
  int open_fds = 2;
  while (open_fds > 0) {
    if (poll(pf, 2, -1) < 0 && errno != EINTR)
      break;
    for (int k = 0; k < 2; k++) {
      if (pf[k].fd < 0 || !(pf[k].revents & (POLLIN | POLLHUP)))
        continue;
      char tmp[4096];
      ssize_t got = read(pf[k].fd, tmp, sizeof tmp);
      if (got <= 0) {
        close(pf[k].fd);
        pf[k].fd = -1;
        open_fds--;
        continue;
      }
      bufs[k] = realloc(bufs[k], lens[k] + (size_t)got + 1);
      memcpy(bufs[k] + lens[k], tmp, (size_t)got);
      lens[k] += (size_t)got;
      bufs[k][lens[k]] = '\0';
    }
  }
  int st;
  waitpid(pid, &st, 0);
  *out = bufs[0] ? bufs[0] : strdup("");
  *err = bufs[1] ? bufs[1] : strdup("");
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define CLI(code, ...)                                                                 \
  do {                                                                                 \
    const char *const a_[] = {__VA_ARGS__, NULL};                                      \
    free(o);                                                                           \
    free(e);                                                                           \
    int rc_ = cli(&o, &e, a_);                                                         \
    if (rc_ != (code))                                                                 \
      fprintf(stderr, "stdout: %s\nstderr: %s\n", o, e);                               \
    CHECK_INT(rc_, code);                                                              \
  } while (0)

static void test_cli(const char *dir) {
  char *o = NULL, *e = NULL;
  char terr[PV_CDB_MAX_CODE + 1], uuid[PV_UUID_LEN + 1];
  pv_uuid_v4(uuid);
  snprintf(terr, sizeof terr, "tc-%.8s", uuid);
  const char *t = terr;
  CLI(0, "territory", "add", t, "Territoire C");
  CLI(1, "territory", "add", t, "Territoire C");
  CHECK_CONTAINS(e, "already exists");
  CLI(0, "territory", "list");
  char listed[PV_CDB_MAX_CODE + 40];
  snprintf(listed, sizeof listed, "%s\tTerritoire C\n", t);
  CHECK_CONTAINS(o, listed);
  snprintf(listed, sizeof listed, "%s\tTerritoire A\n", ta);
  CHECK_CONTAINS(o, listed);
  CLI(0, "device", "add", "--territory", t, "kiosque-c");
  char token[PV_PROTO_TOKEN_LEN + 2] = "";
  snprintf(token, sizeof token, "%s", o);
  CHECK_INT(strlen(o), PV_PROTO_TOKEN_LEN + 1); /* the token and a newline, alone */
  token[PV_PROTO_TOKEN_LEN] = '\0';
  CHECK(pv_proto_token_valid(token));
  CHECK(strncmp(token, "pvd_", 4) == 0);
  CHECK_CONTAINS(e, "once");
  CLI(1, "device", "add", "--territory", t, "kiosque-c"); /* same live name */
  CLI(0, "analyst", "add", "--territory", t, "cdp-c");
  CHECK(strncmp(o, "pva_", 4) == 0);
  CLI(1, "device", "add", "--territory", "zz-absent", "k");
  CLI(0, "analyst", "revoke", "--territory", t, "cdp-c");
  CLI(1, "analyst", "revoke", "--territory", t, "cdp-c");
  CLI(2, "device", "add", "kiosque-d");    /* no --territory */
  CLI(2, "territory", "add", "only-code"); /* missing NAME */
  CLI(2, "frobnicate");                    /* unknown command */
  CLI(2, "territory", "add", "x", "y", "--bogus", "1");
  CLI(2, "territory", "add", "x", "y", "--survey", "1"); /* not this command's */
  CLI(2, "serve", "--per-ip-limit", "0");
  CLI(2, "serve", "--per-ip-limit", "many");
  CLI(2, "territory", "list", "--per-ip-limit", "8"); /* serve's only */

  /* The territory's quartiers. */
  CLI(0, "quartier", "add", "--territory", t, "--code", "QN03401M", "--name", "Mosson");
  CHECK_CONTAINS(o, "quartier QN03401M added");
  CLI(1, "quartier", "add", "--territory", t, "--code", "QN03401M", "--name", "Autre");
  CHECK_CONTAINS(e, "already lists quartier QN03401M");
  CLI(1, "quartier", "add", "--territory", t, "--code", "75056", "--name", "Paris");
  CHECK_CONTAINS(e, "expected a QPV code");
  CLI(1, "quartier", "add", "--territory", "zz-absent", "--code", "QN03402M", "--name",
      "X");
  CLI(2, "quartier", "add", "--territory", t, "--code", "QN03402M"); /* no --name */
  CLI(0, "quartier", "list", "--territory", t);
  CHECK_STR(o, "QN03401M\tMosson\n");

  /* Publishing the samples; twice is unchanged. */
  CLI(0, "survey", "publish", PV_SOURCE_DIR "/content/surveys/qualite-habiter");
  CHECK_CONTAINS(o, "published qualite-habiter version");
  CLI(0, "survey", "publish", PV_SOURCE_DIR "/content/surveys/qualite-habiter");
  CHECK_CONTAINS(o, "unchanged");
  CLI(0, "survey", "publish", PV_SOURCE_DIR "/content/surveys/tranquillite",
      "--territory", t);
  CHECK_CONTAINS(o, "(2 files)");
  CLI(1, "survey", "publish", PV_SOURCE_DIR "/content/surveys/tranquillite",
      "--territory", "zz-absent");

  /* Export to a folder: the data file and its codebook. */
  char outdir[600], file[700];
  struct stat fst;
  snprintf(outdir, sizeof outdir, "%s/export", dir);
  const char *od = outdir;
  CLI(0, "export", "--survey", "tranquillite", "--format", "csv", "--out", od,
      "--territory", t);
  snprintf(file, sizeof file, "%s/tranquillite.csv", outdir);
  CHECK(stat(file, &fst) == 0 && fst.st_size >= 3);
  snprintf(file, sizeof file, "%s/codebook.csv", outdir);
  CHECK(stat(file, &fst) == 0 && fst.st_size > 3);
  CLI(2, "export", "--survey", "tranquillite", "--format", "xls", "--out", od);
  CLI(2, "export", "--survey", "tranquillite", "--out", od); /* no --format */
  CLI(1, "export", "--survey", "absente", "--format", "csv", "--out", od);
  /* Several territories here: --territory must be given (test_e2e leaves
   * it out on a collector with one). */
  CLI(1, "export", "--survey", "tranquillite", "--format", "csv", "--out", od);
  CHECK_CONTAINS(e, "give --territory");

  /* A broken survey: every problem as file:line:col, exit 1. */
  char bad[600], badfile[700];
  snprintf(bad, sizeof bad, "%s/broken", dir);
  snprintf(badfile, sizeof badfile, "%s/survey.json", bad);
  const char *text =
      "{\n  \"format\": 1,\n  \"id\": \"cassee\",\n  \"version\": \"un\"\n}\n";
  pv_test_write(badfile, text, strlen(text));
  CLI(1, "survey", "publish", bad);
  char want[800];
  snprintf(want, sizeof want, "%s/survey.json:", bad);
  CHECK_CONTAINS(e, want);
  CHECK_CONTAINS(e, "survey refused");

  /* Options: neither backend, or both, is a usage error. */
  {
    const char *argv[] = {PV_COLLECTOR_BIN, "territory", "add", "x", "y", NULL};
    pid_t pid;
    int st;
    PV_ASSERT(pv_test_spawn(&pid, NULL, (char *const *)argv) == 0);
    waitpid(pid, &st, 0);
    CHECK_INT(WEXITSTATUS(st), 2);
    const char *both[] = {PV_COLLECTOR_BIN, "territory", "list",         "--db",
                          "x.db",           "--pg",      "host=nowhere", NULL};
    PV_ASSERT(pv_test_spawn(&pid, NULL, (char *const *)both) == 0);
    waitpid(pid, &st, 0);
    CHECK_INT(WEXITSTATUS(st), 2);
  }

  /* serve: prints its port once ready, answers, stops on SIGTERM with 0. */
  {
    const char *argv[] = {
        PV_COLLECTOR_BIN,   "serve", "--listen", "127.0.0.1:0", g_db ? "--db" : "--pg",
        g_db ? g_db : g_pg, NULL};
    int po[2];
    PV_ASSERT(pipe(po) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_addclose(&fa, po[0]);
    pid_t pid;
    PV_ASSERT(pv_test_spawn(&pid, &fa, (char *const *)argv) == 0);
    posix_spawn_file_actions_destroy(&fa);
    close(po[1]);
    char line[200];
    size_t got = 0;
    while (got + 1 < sizeof line) {
      ssize_t k = read(po[0], line + got, 1);
      if (k <= 0 || line[got] == '\n')
        break;
      got++;
    }
    line[got] = '\0';
    CHECK(strncmp(line, "listening on http://127.0.0.1:", 30) == 0);
    int port = (int)strtol(line + 30, NULL, 10);
    CHECK(port > 0);
    if (port > 0) {
      resp r;
      http_at(port, "GET", "/v1/whoami", token, NULL, NULL, 0, &r);
      CHECK_INT(r.status, 200);
      CHECK_CONTAINS(r.body, "kiosque-c");
      resp_free(&r);
    }
    kill(pid, SIGTERM);
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st));
    CHECK_INT(WEXITSTATUS(st), 0);
    close(po[0]);
  }
  /* serve on a port already taken: refused with a message, exit 1. */
  {
    pv_server_config cfg = {.db_path = g_db, .pg_conninfo = g_pg, .threads = 1};
    pv_server *busy = NULL;
    CHECK_INT(pv_server_start(&cfg, &busy), PV_OK);
    if (busy) {
      char listen[40];
      snprintf(listen, sizeof listen, "127.0.0.1:%d", pv_server_port(busy));
      const char *l = listen;
      CLI(1, "serve", "--listen", l);
      CHECK_CONTAINS(e, "cannot serve");
      pv_server_stop(busy);
    }
  }
  CLI(2, "serve", "--listen", "nowhere");
  CLI(0, "device", "revoke", "--territory", t, "kiosque-c");
  free(o);
  free(e);
}

/* ---- recorded prompts ---- */

/* Posts n recordings with token; returns the status, and the outcomes
 * and reasons into res (n of them, when the reply had them). */
static long post_prompts(const char *token, const pv_store_prompt *p, size_t n,
                         pv_proto_result *res) {
  char *body = pv_proto_prompts_encode(p, n);
  pv_proto_result *got = NULL;
  size_t n_got = 0;
  resp r;
  PV_ASSERT(body);
  http_at(g_port, "POST", "/v1/prompts", token, "Content-Type: application/json", body,
          strlen(body), &r);
  for (size_t i = 0; i < n; i++)
    res[i] = (pv_proto_result){.outcome = PV_OUT__COUNT};
  if (r.body && pv_proto_results_decode(r.body, r.len, &got, &n_got) == PV_OK &&
      n_got == n)
    memcpy(res, got, n * sizeof *res);
  long status = r.status;
  free(got);
  free(body);
  resp_free(&r);
  return status;
}

/* A recording of survey_a's question in Darija, audio text at `at`. */
static pv_store_prompt prompt_of(const char *audio, const char *at) {
  pv_store_prompt p = {.size = strlen(audio)};
  snprintf(p.survey_id, sizeof p.survey_id, "%s", survey_a);
  snprintf(p.key, sizeof p.key, "q:%s", qid_a);
  snprintf(p.lang, sizeof p.lang, "ary");
  PV_ASSERT(pv_sha256_hex(audio, p.size, p.sha256) == PV_OK);
  snprintf(p.media_type, sizeof p.media_type, "audio/wav");
  snprintf(p.recorded_at, sizeof p.recorded_at, "%s", at);
  PV_ASSERT(pv_uuid_v4(p.device_id) == PV_OK);
  return p;
}

/* PUTs bytes as an attachment of token's territory with media type type;
 * returns the status. */
static long put_typed(const char *token, const char *sha, const char *type,
                      const char *bytes, size_t len) {
  char path[200], header[120];
  resp r;
  snprintf(path, sizeof path, "/v1/attachments/%s", sha);
  snprintf(header, sizeof header, "Content-Type: %s", type);
  http_at(g_port, "PUT", path, token, header, bytes, len, &r);
  long status = r.status;
  resp_free(&r);
  return status;
}

/* GET /v1/prompts with token, decoded (list 1); returns the status. */
static long get_prompts(const char *token, pv_proto_prompts *out) {
  resp r;
  char why[200];
  memset(out, 0, sizeof *out);
  http("GET", "/v1/prompts", token, &r);
  long status = r.status;
  if (status == 200 &&
      pv_proto_prompts_decode(r.body, r.len, 1, out, why, sizeof why) != PV_OK) {
    pv_test_fail(__FILE__, __LINE__, "GET /v1/prompts: %s", why);
    status = -1;
  }
  resp_free(&r);
  return status;
}

/* The item of a decoded list for (key, lang), or NULL. */
static const pv_proto_prompt_item *prompts_find(const pv_proto_prompts *l,
                                                const char *key, const char *lang) {
  for (size_t i = 0; i < l->count; i++)
    if (l->items[i].ok && strcmp(l->items[i].p.key, key) == 0 &&
        strcmp(l->items[i].p.lang, lang) == 0)
      return &l->items[i];
  return NULL;
}

static void test_prompts(const char *dir) {
  static const char audio1[] = "RIFF....WAVEfmt the first recording";
  static const char audio2[] = "RIFF....WAVEfmt the second recording";
  static const char drawing[] = "\x89PNG a resident's drawing of the square";
  char tok_da2[PV_PROTO_TOKEN_LEN + 1], tok_da3[PV_PROTO_TOKEN_LEN + 1], path[200];
  char key[PV_STORE_MAX_PROMPT_KEY + 1];
  char *o = NULL, *e = NULL;
  pv_store_prompt p1 = prompt_of(audio1, "2026-11-23T10:00:00.000Z");
  /* recorded "earlier" by a kiosk whose clock is behind, sent later */
  pv_store_prompt p2 = prompt_of(audio2, "2020-01-01T00:00:00.000Z");
  pv_proto_result res[3];
  pv_proto_prompts l;
  resp r;
  pv_cdb *db = NULL;
  CHECK_INT(pv_cdb_open(g_db, g_pg, &db), PV_OK);
  add_token(db, PV_CDB_DEVICE, ta, "kiosque-a2", tok_da2);
  add_token(db, PV_CDB_DEVICE, ta, "kiosque-a3", tok_da3); /* the attacker's */
  pv_cdb_close(db);
  snprintf(key, sizeof key, "q:%s", qid_a);

  /* Who may: devices post and list; analysts and strangers do not. */
  EXPECT("GET", "/v1/prompts", NULL, 401, "unauthorized");
  EXPECT("GET", "/v1/prompts", tok_aa, 403, "forbidden");
  CHECK_INT(post_prompts(tok_aa, &p1, 1, res), 403);
  EXPECT("DELETE", "/v1/prompts", tok_da, 405, "method_not_allowed");
  http("GET", "/v1/prompts", tok_da, &r);
  CHECK_INT(r.status, 200);
  CHECK_STR(r.body, "{\"prompts\":[]}");
  resp_free(&r);

  /* The audio first: without it the recording is missing_attachment. */
  CHECK_INT(post_prompts(tok_da, &p1, 1, res), 422);
  CHECK_INT(res[0].outcome, PV_OUT_MISSING_ATTACHMENT);
  CHECK_CONTAINS(res[0].reason, "audio was not uploaded");
  CHECK_INT(put_typed(tok_da, p1.sha256, "audio/wav", audio1, strlen(audio1)), 201);
  CHECK_INT(post_prompts(tok_da, &p1, 1, res), 200); /* every item stored: 200 */
  CHECK_INT(res[0].outcome, PV_OUT_STORED);
  CHECK_STR(res[0].uuid, "");
  CHECK_STR(res[0].reason, "");
  CHECK_INT(post_prompts(tok_da, &p1, 1, res), 200);
  CHECK_INT(res[0].outcome, PV_OUT_DUPLICATE);
  pv_store_prompt wrong = p1;
  wrong.size = 3;
  CHECK_INT(post_prompts(tok_da, &wrong, 1, res), 400);
  CHECK_INT(res[0].outcome, PV_OUT_INVALID);
  CHECK_CONTAINS(res[0].reason, "size differs");
  /* A device clock in 2099 decides nothing: refused. */
  wrong = p1;
  snprintf(wrong.recorded_at, sizeof wrong.recorded_at, "2099-01-01T00:00:00.000Z");
  CHECK_INT(post_prompts(tok_da2, &wrong, 1, res), 400);
  CHECK_INT(res[0].outcome, PV_OUT_INVALID);
  CHECK_CONTAINS(res[0].reason, "the device's clock is ahead");

  /* The list, with received_at, its ETag, and 304 while nothing changes. */
  char etag[128], inm[160];
  http("GET", "/v1/prompts", tok_da2, &r);
  CHECK_INT(r.status, 200);
  CHECK_CONTAINS(r.ctype, "application/json");
  CHECK_CONTAINS(r.body, "\"received_at\":\"");
  CHECK(r.etag[0] == '"');
  snprintf(etag, sizeof etag, "%s", r.etag);
  resp_free(&r);
  CHECK_INT(get_prompts(tok_da2, &l), 200);
  CHECK_INT(l.count, 1);
  if (l.count == 1) {
    CHECK(l.items[0].ok && memcmp(&l.items[0].p, &p1, sizeof p1) == 0);
    CHECK(pv_proto_time_valid(l.items[0].received_at));
  }
  pv_proto_prompts_free(&l);
  snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
  http_at(g_port, "GET", "/v1/prompts", tok_da2, inm, NULL, 0, &r);
  CHECK_INT(r.status, 304);
  CHECK_INT(r.len, 0);
  resp_free(&r);

  /* Another device of the territory downloads the audio; another
   * territory sees neither the record nor the bytes. */
  snprintf(path, sizeof path, "/v1/attachments/%s", p1.sha256);
  http("GET", path, tok_da2, &r);
  CHECK_INT(r.status, 200);
  CHECK_INT(r.len, strlen(audio1));
  CHECK(r.body && memcmp(r.body, audio1, r.len) == 0);
  CHECK_CONTAINS(r.ctype, "audio/wav");
  resp_free(&r);
  EXPECT("GET", path, tok_db, 404, "not_found");
  http("GET", "/v1/prompts", tok_db, &r);
  CHECK_INT(r.status, 200);
  CHECK_STR(r.body, "{\"prompts\":[]}");
  resp_free(&r);

  /* The last to reach the collector wins, whatever the device clocks say:
   * p2 (recorded_at 2020) replaces p1. A batch judges items one by one. */
  CHECK_INT(put_typed(tok_da2, p2.sha256, "audio/wav", audio2, strlen(audio2)), 201);
  pv_store_prompt batch[2] = {p2, p2};
  snprintf(batch[1].lang, sizeof batch[1].lang, "tr");
  CHECK_INT(post_prompts(tok_da2, batch, 2, res), 200);
  CHECK_INT(res[0].outcome, PV_OUT_STORED);
  CHECK_INT(res[1].outcome, PV_OUT_STORED);
  http_at(g_port, "GET", "/v1/prompts", tok_da, inm, NULL, 0, &r);
  CHECK_INT(r.status, 200);
  CHECK(strcmp(r.etag, etag) != 0);
  CHECK_CONTAINS(r.body, p2.sha256);
  CHECK(strstr(r.body, p1.sha256) == NULL);
  CHECK_CONTAINS(r.body, "\"lang\":\"tr\"");
  resp_free(&r);
  EXPECT("GET", path, tok_da2, 404, "not_found"); /* p1's audio: no longer current */
  http("GET", path, tok_aa, &r);                  /* the analyst still has it */
  CHECK_INT(r.status, 200);
  resp_free(&r);

  /* A deletion travels: it becomes the current entry, listed as deleted. */
  pv_store_prompt del = p2;
  del.deleted = 1;
  del.sha256[0] = del.media_type[0] = '\0';
  del.size = 0;
  CHECK_INT(post_prompts(tok_da, &del, 1, res), 200);
  CHECK_INT(res[0].outcome, PV_OUT_STORED);
  CHECK_INT(post_prompts(tok_da2, &del, 1, res), 200);
  CHECK_INT(res[0].outcome, PV_OUT_DUPLICATE);
  CHECK_INT(get_prompts(tok_da2, &l), 200);
  CHECK_INT(l.count, 2);
  const pv_proto_prompt_item *it = prompts_find(&l, key, "ary");
  CHECK(it && it->p.deleted && it->p.sha256[0] == '\0');
  it = prompts_find(&l, key, "tr");
  CHECK(it && !it->p.deleted && strcmp(it->p.sha256, p2.sha256) == 0);
  pv_proto_prompts_free(&l);
  http("GET", "/v1/prompts", tok_da, &r);
  CHECK_CONTAINS(r.body, "\"lang\":\"ary\",\"deleted\":true,\"recorded_at\"");
  resp_free(&r);
  snprintf(path, sizeof path, "/v1/attachments/%s", p2.sha256);
  http("GET", path, tok_da, &r); /* still current in "tr" */
  CHECK_INT(r.status, 200);
  resp_free(&r);

  /* The reviewer's attacks. A drawing's SHA-256 named as a recording: not
   * a recording, and its bytes never go down to a device. */
  char sha_draw[PV_SHA256_HEX + 1];
  PV_ASSERT(pv_sha256_hex(drawing, strlen(drawing), sha_draw) == PV_OK);
  CHECK_INT(put_typed(tok_da, sha_draw, "image/png", drawing, strlen(drawing)), 201);
  pv_store_prompt steal = p1;
  snprintf(steal.sha256, sizeof steal.sha256, "%s", sha_draw);
  steal.size = strlen(drawing);
  CHECK_INT(post_prompts(tok_da2, &steal, 1, res), 400);
  CHECK_INT(res[0].outcome, PV_OUT_INVALID);
  CHECK_CONTAINS(res[0].reason, "not a recording");
  snprintf(path, sizeof path, "/v1/attachments/%s", sha_draw);
  EXPECT("GET", path, tok_da2, 404, "not_found");
  /* Made-up surveys and texts: 8,300 recordings refused, GET stays 200
   * (83 requests, within one token's burst). */
  pv_store_prompt *many = calloc(PV_PROTO_MAX_PROMPTS, sizeof *many);
  pv_proto_result *mres = calloc(PV_PROTO_MAX_PROMPTS, sizeof *mres);
  PV_ASSERT(many && mres);
  size_t refused = 0;
  for (int round = 0; round < 83; round++) {
    for (int i = 0; i < PV_PROTO_MAX_PROMPTS; i++) {
      many[i] = p1;
      if (round % 2)
        snprintf(many[i].survey_id, sizeof many[i].survey_id, "invente-%d-%d", round,
                 i);
      else
        snprintf(many[i].key, sizeof many[i].key, "q:invente-%d-%d", round, i);
    }
    long status = post_prompts(tok_da3, many, PV_PROTO_MAX_PROMPTS, mres);
    CHECK_INT(status, round % 2 ? 422 : 400);
    for (int i = 0; i < PV_PROTO_MAX_PROMPTS; i++)
      refused +=
          mres[i].outcome == (round % 2 ? PV_OUT_UNKNOWN_SURVEY : PV_OUT_INVALID);
  }
  CHECK_INT(refused, 8300);
  CHECK_CONTAINS(mres[0].reason, "no such question"); /* the last round's */
  free(many);
  free(mres);
  /* A survey published for another territory only is unknown here. */
  steal = p1;
  snprintf(steal.survey_id, sizeof steal.survey_id, "%s", survey_b);
  CHECK_INT(post_prompts(tok_da, &steal, 1, res), 422);
  CHECK_INT(res[0].outcome, PV_OUT_UNKNOWN_SURVEY);
  CHECK_CONTAINS(res[0].reason, "not published for this territory");
  CHECK_INT(get_prompts(tok_da, &l), 200);
  CHECK_INT(l.count, 2);
  pv_proto_prompts_free(&l);

  /* Bodies refused whole. */
  static const struct {
    const char *body;
    long status;
    const char *code;
  } whole[] = {
      {"{\"prompts\":[]}", 400, "bad_json"},
      {"{\"prompts\":", 400, "bad_json"},
      {"{\"sessions\":[]}", 400, "bad_json"},
  };
  for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
    http_at(g_port, "POST", "/v1/prompts", tok_da, "Content-Type: application/json",
            whole[i].body, strlen(whole[i].body), &r);
    CHECK_INT(r.status, whole[i].status);
    CHECK_STR(r.code, whole[i].code);
    resp_free(&r);
  }
  static const char bad_item[] = "{\"prompts\":[{\"survey\":\"x\"}]}";
  http_at(g_port, "POST", "/v1/prompts", tok_da, "Content-Type: application/json",
          bad_item, strlen(bad_item), &r);
  CHECK_INT(r.status, 400);
  CHECK_CONTAINS(r.body, "\"outcome\":\"invalid\"");
  CHECK_CONTAINS(r.body, "prompts[0]: key: expected");
  resp_free(&r);

  /* What a chef de projet sees, and deletes. */
  char line[400];
  const char *t = ta;
  CLI(0, "prompt", "list", "--territory", t);
  static const char header[] =
      "survey\tkey\tlang\trecorded_at\tdevice\tsize\treceived_at\n";
  CHECK(strncmp(o, header, sizeof header - 1) == 0);
  snprintf(line, sizeof line, "%s\t%s\ttr\t%s\t%s\t%zu\t", survey_a, key,
           p2.recorded_at, p2.device_id, p2.size);
  CHECK_CONTAINS(o, line);
  snprintf(line, sizeof line, "%s\t%s\tary\t%s\t%s\tdeleted\t", survey_a, key,
           del.recorded_at, del.device_id);
  CHECK_CONTAINS(o, line);
  /* A folder export has the current recording's WAV, none for a deletion. */
  char outdir[600], file[900];
  struct stat fst;
  snprintf(outdir, sizeof outdir, "%s/prompt-export", dir);
  const char *od = outdir, *sv = survey_a, *k = key;
  CLI(0, "export", "--survey", sv, "--format", "csv", "--out", od, "--territory", t);
  snprintf(file, sizeof file, "%s/prompts/%s/tr/q.%s.wav", outdir, survey_a, qid_a);
  CHECK(stat(file, &fst) == 0 && (size_t)fst.st_size == strlen(audio2));
  snprintf(file, sizeof file, "%s/prompts/%s/ary", outdir, survey_a);
  CHECK(stat(file, &fst) != 0);
  CLI(0, "prompt", "delete", "--territory", t, "--survey", sv, "--key", k, "--lang",
      "tr");
  CHECK_CONTAINS(o, "deleted");
  CLI(1, "prompt", "delete", "--territory", t, "--survey", sv, "--key", k, "--lang",
      "tr");
  CHECK_CONTAINS(e, "has no recording");
  CLI(2, "prompt", "delete", "--territory", t, "--survey", sv);
  CHECK_INT(get_prompts(tok_da, &l), 200);
  it = prompts_find(&l, key, "tr");
  CHECK(it && it->p.deleted && strcmp(it->p.device_id, PV_CDB_COLLECTOR_DEVICE) == 0);
  pv_proto_prompts_free(&l);
  EXPECT("GET", path, tok_da, 404, "not_found"); /* the drawing, still */
  snprintf(path, sizeof path, "/v1/attachments/%s", p2.sha256);
  EXPECT("GET", path, tok_da, 404, "not_found"); /* no longer current anywhere */
  CLI(2, "prompt", "list");
  free(o);
  free(e);
}

int main(int argc, char **argv) {
  const char *backend = argc > 1 ? argv[1] : "sqlite";
  char dir[256], dbpath[300], pg[700];
  setenv("PV_LOG", "warn", 0);
  snprintf(dir, sizeof dir, "%s", pv_test_tmpdir());
  if (strcmp(backend, "pg") == 0) {
    if (pv_test_pg_conninfo(pg, sizeof pg, "test_collector") != 0)
      return pv_test_done();
    g_pg = pg;
  } else {
    snprintf(dbpath, sizeof dbpath, "%s/collector.db", dir);
    g_db = dbpath;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  seed();

  pv_server_config cfg = {.db_path = g_db, .pg_conninfo = g_pg};
  pv_server *s = NULL;
  CHECK_INT(pv_server_start(&cfg, &s), PV_OK);
  if (s) {
    g_port = pv_server_port(s);
    CHECK(g_port > 0);
    test_whoami();
    test_catalog();
    test_files();
    test_ingest_and_attachments();
    test_names();
    test_auth();
    test_bad_bodies();
    test_sessions();
    test_quartiers();
    test_prompts(dir);
    test_raw_limits();
    test_framing();
    test_garbage();
    test_export();
    test_export_filters();
    test_blob_headers();
    test_concurrent();
    pv_server_stop(s);
  }
  test_rate_limit();
  test_body_budget();
  test_per_ip();
  test_export_cap();
  test_tls(dir);
  test_cli(dir);
  curl_global_cleanup();
  pv_test_rmtree(dir);
  return pv_test_done();
}
