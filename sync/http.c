/* http: see http.h. One easy handle, reset before each request (options
 * only: curl keeps the connection cache), bodies sent from memory, the
 * reply collected into a growable buffer bounded by the request's cap. */
#include "sync/http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"

struct pv_http {
  CURL *curl;
  pv_http_opts o;
  char *ca_file; /* our copy */
  char errbuf[CURL_ERROR_SIZE];
};

/* What the callbacks of one request share. */
typedef struct xfer {
  pv_http_resp *resp;
  size_t cap, room;
  int too_big;
  const atomic_int *stop;
} xfer;

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;

static void global_init(void) {
  global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

pv_err pv_http_open(const pv_http_opts *opts, pv_http **out) {
  pv_http *h = NULL;
  pv_err err = PV_OK;
  *out = NULL;
  pthread_once(&global_once, global_init);
  if (global_rc != CURLE_OK)
    return pv_fail(PV_ERR_IO, "http: curl_global_init: %s",
                   curl_easy_strerror(global_rc));
  if (!(h = calloc(1, sizeof *h)))
    return pv_fail(PV_ERR_NOMEM, "http: out of memory");
  if (opts)
    h->o = *opts;
  if (h->o.ca_file && !(h->ca_file = strdup(h->o.ca_file))) {
    err = pv_fail(PV_ERR_NOMEM, "http: out of memory");
    goto out;
  }
  if (!(h->curl = curl_easy_init())) {
    err = pv_fail(PV_ERR_NOMEM, "http: curl_easy_init failed");
    goto out;
  }
  if (h->o.connect_timeout_ms <= 0)
    h->o.connect_timeout_ms = PV_HTTP_CONNECT_TIMEOUT_MS;
  if (h->o.transfer_timeout_ms <= 0)
    h->o.transfer_timeout_ms = PV_HTTP_TRANSFER_TIMEOUT_MS;
  if (h->o.low_speed_s <= 0)
    h->o.low_speed_s = PV_HTTP_LOW_SPEED_S;
  /* A stall shorter than the whole-request timeout must be caught too. */
  if (h->o.low_speed_s * 1000 > h->o.transfer_timeout_ms)
    h->o.low_speed_s =
        h->o.transfer_timeout_ms / 1000 > 0 ? h->o.transfer_timeout_ms / 1000 : 1;
  *out = h;
  h = NULL;
out:
  pv_http_close(h);
  return err;
}

void pv_http_close(pv_http *h) {
  if (!h)
    return;
  if (h->curl)
    curl_easy_cleanup(h->curl);
  free(h->ca_file);
  free(h);
}

void pv_http_resp_free(pv_http_resp *r) {
  if (!r)
    return;
  free(r->body);
  r->body = NULL;
  r->len = 0;
}

pv_err pv_http_url(char *out, size_t size, const char *base, const char *path) {
  size_t n = strlen(base);
  while (n > 0 && base[n - 1] == '/')
    n--;
  int w = snprintf(out, size, "%.*s%s", (int)n, base, path);
  if (w < 0 || (size_t)w >= size)
    return pv_fail(PV_ERR_TOOBIG, "http: URL longer than %zu bytes", size - 1);
  return PV_OK;
}

/* ---- callbacks -------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud) {
  xfer *x = ud;
  size_t n = size * nmemb;
  pv_http_resp *r = x->resp;
  if (n > x->cap - r->len) {
    x->too_big = 1;
    return 0; /* curl stops with CURLE_WRITE_ERROR */
  }
  if (r->len + n + 1 > x->room) {
    size_t room = x->room ? x->room : 4096;
    while (room < r->len + n + 1)
      room *= 2;
    if (room > x->cap + 1)
      room = x->cap + 1;
    char *grown = realloc(r->body, room);
    if (!grown)
      return 0;
    r->body = grown;
    x->room = room;
  }
  memcpy(r->body + r->len, data, n);
  r->len += n;
  r->body[r->len] = '\0';
  return n;
}

/* Copies a header's value (after "Name:"), trimmed, into out; 0 when it
 * does not fit. */
static int header_value(const char *line, size_t len, size_t name_len, char *out,
                        size_t size) {
  const char *v = line + name_len;
  const char *end = line + len;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
    end--;
  if ((size_t)(end - v) >= size)
    return 0;
  memcpy(out, v, (size_t)(end - v));
  out[end - v] = '\0';
  return 1;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ud) {
  xfer *x = ud;
  size_t n = size * nmemb;
  char buf[32];
  /* A new status line (after a 100 Continue, say) starts afresh. */
  if (n > 5 && strncmp(line, "HTTP/", 5) == 0) {
    x->resp->etag[0] = '\0';
    x->resp->retry_after_s = -1;
  } else if (n > 5 && strncasecmp(line, "ETag:", 5) == 0) {
    if (!header_value(line, n, 5, x->resp->etag, sizeof x->resp->etag))
      x->resp->etag[0] = '\0';
  } else if (n > 12 && strncasecmp(line, "Retry-After:", 12) == 0) {
    if (header_value(line, n, 12, buf, sizeof buf)) {
      char *end;
      long s = strtol(buf, &end, 10);
      /* Seconds only; an HTTP date is rare enough to fall back on backoff. */
      if (end != buf && *end == '\0' && s >= 0)
        x->resp->retry_after_s = s > 86400 ? 86400 : s;
    }
  }
  return n;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow) {
  xfer *x = ud;
  (void)dltotal;
  (void)dlnow;
  (void)ultotal;
  (void)ulnow;
  return x->stop && atomic_load(x->stop) ? 1 : 0;
}

/* ---- requests --------------------------------------------------------- */

static pv_http_fail classify(CURLcode rc) {
  switch (rc) {
  case CURLE_OPERATION_TIMEDOUT:
    return PV_HTTP_TIMEOUT;
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_CONNECT:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE:
  case CURLE_HTTP2:
  case CURLE_WEIRD_SERVER_REPLY:
    return PV_HTTP_NET;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    return PV_HTTP_TLS;
  case CURLE_ABORTED_BY_CALLBACK:
    return PV_HTTP_STOPPED;
  default:
    return PV_HTTP_OTHER;
  }
}

/* Sets every option of one request; returns the first curl error. */
static CURLcode setup(pv_http *h, const pv_http_req *req, xfer *x,
                      struct curl_slist *headers) {
  CURL *c = h->curl;
  CURLcode rc = CURLE_OK;
#define SET(opt, val)                                                                  \
  do {                                                                                 \
    if (rc == CURLE_OK)                                                                \
      rc = curl_easy_setopt(c, opt, val);                                              \
  } while (0)
  SET(CURLOPT_URL, req->url);
  SET(CURLOPT_PROTOCOLS_STR, "http,https");
  SET(CURLOPT_NOSIGNAL, 1L);
  SET(CURLOPT_ERRORBUFFER, h->errbuf);
  SET(CURLOPT_SSL_VERIFYPEER, 1L);
  SET(CURLOPT_SSL_VERIFYHOST, 2L);
  if (h->ca_file) { /* instead of the system's CAs, not beside them */
    SET(CURLOPT_CAINFO, h->ca_file);
    SET(CURLOPT_CAPATH, NULL);
  }
  SET(CURLOPT_CONNECTTIMEOUT_MS, h->o.connect_timeout_ms);
  /* A large body waits for the server's "100 Continue" (or its refusal:
   * 413 before a byte is sent) as long as a connection may take, instead
   * of curl's 1 s: sent anyway into a refusal, it ends in a send error
   * the engine cannot tell from a network cut, and 413 never halves. */
  SET(CURLOPT_EXPECT_100_TIMEOUT_MS, h->o.connect_timeout_ms);
  SET(CURLOPT_TIMEOUT_MS, h->o.transfer_timeout_ms);
  SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
  SET(CURLOPT_LOW_SPEED_TIME, h->o.low_speed_s);
  SET(CURLOPT_FOLLOWLOCATION, 0L);
  SET(CURLOPT_HTTPHEADER, headers);
  SET(CURLOPT_WRITEFUNCTION, on_body);
  SET(CURLOPT_WRITEDATA, x);
  SET(CURLOPT_HEADERFUNCTION, on_header);
  SET(CURLOPT_HEADERDATA, x);
  SET(CURLOPT_NOPROGRESS, 0L);
  SET(CURLOPT_XFERINFOFUNCTION, on_progress);
  SET(CURLOPT_XFERINFODATA, x);
  if (strcmp(req->method, "GET") == 0) {
    SET(CURLOPT_HTTPGET, 1L);
  } else if (strcmp(req->method, "HEAD") == 0) {
    SET(CURLOPT_NOBODY, 1L);
  } else {
    /* POST and PUT both send the body from memory with a Content-Length. */
    SET(CURLOPT_POST, 1L);
    SET(CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
    SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    if (strcmp(req->method, "PUT") == 0)
      SET(CURLOPT_CUSTOMREQUEST, "PUT");
  }
#undef SET
  return rc;
}

/* Appends "name: value" (value NULL: "name:", which removes a header curl
 * would add) to *list; 0 when too long or out of memory. */
static int add_header(struct curl_slist **list, const char *name, const char *value) {
  char line[PV_HTTP_MAX_URL];
  int w = value ? snprintf(line, sizeof line, "%s: %s", name, value)
                : snprintf(line, sizeof line, "%s:", name);
  if (w < 0 || (size_t)w >= sizeof line)
    return 0;
  struct curl_slist *l = curl_slist_append(*list, line);
  if (!l)
    return 0;
  *list = l;
  return 1;
}

pv_err pv_http_request(pv_http *h, const pv_http_req *req, pv_http_resp *out) {
  struct curl_slist *headers = NULL;
  pv_err err = PV_OK;
  xfer x = {.resp = out, .cap = req->max_response, .stop = h->o.stop};
  PV_ASSERT(h && req && req->url && req->method && out);
  memset(out, 0, sizeof *out);
  out->retry_after_s = -1;
  out->fail = PV_HTTP_OTHER;
  char bearer[PV_HTTP_MAX_URL];
  if (req->token &&
      snprintf(bearer, sizeof bearer, "Bearer %s", req->token) >= (int)sizeof bearer)
    return pv_fail(PV_ERR_INVALID, "http: token too long");
  int has_body = strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0;
  if (!has_body && strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
    return pv_fail(PV_ERR_INVALID, "http: method %s not supported", req->method);
  if ((req->token && !add_header(&headers, "Authorization", bearer)) ||
      (has_body &&
       !add_header(&headers, "Content-Type",
                   req->content_type ? req->content_type : "application/json")) ||
      (req->if_none_match &&
       !add_header(&headers, "If-None-Match", req->if_none_match)) ||
      /* No "Expect: 100-continue" round trip before large bodies. */
      !add_header(&headers, "Expect", NULL)) {
    err = pv_fail(PV_ERR_INVALID, "http: header too long or out of memory");
    goto out;
  }
  curl_easy_reset(h->curl);
  h->errbuf[0] = '\0';
  CURLcode rc = setup(h, req, &x, headers);
  if (rc != CURLE_OK) {
    err = pv_fail(PV_ERR_INVALID, "http: %s %s: %s", req->method, req->url,
                  curl_easy_strerror(rc));
    goto out;
  }
  rc = curl_easy_perform(h->curl);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &out->status);
    out->fail = PV_HTTP_OK;
    goto out;
  }
  const char *msg = h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc);
  if (x.too_big) {
    out->fail = PV_HTTP_TOOBIG;
    err = pv_fail(PV_ERR_TOOBIG, "http: %s %s: reply longer than %zu bytes",
                  req->method, req->url, req->max_response);
  } else {
    out->fail = classify(rc);
    err = pv_fail(out->fail == PV_HTTP_STOPPED ? PV_ERR_STATE : PV_ERR_IO,
                  "http: %s %s: %s", req->method, req->url,
                  out->fail == PV_HTTP_STOPPED ? "stopped" : msg);
  }
  pv_http_resp_free(out);
out:
  curl_slist_free_all(headers);
  return err;
}
