/* http: the sync engine's thin libcurl client.
 *
 * One pv_http owns one curl easy handle, reused request after request so
 * the connection stays alive. TLS peer and host verification are always
 * on: the only choice is which CAs to trust (the system's, or ca_file).
 * Every request is bounded: a connect timeout, a low-speed cut (under 1
 * byte/s for low_speed_s), a whole-request timeout, and a cap on the
 * response body. A stop flag, polled by curl's progress callback, aborts
 * a transfer within a fraction of a second. curl's errors are converted
 * here, keeping curl's own message in pv_err_detail(). */
#ifndef PV_SYNC_HTTP_H
#define PV_SYNC_HTTP_H

#include <stdatomic.h>
#include <stddef.h>

#include "core/err.h"

#define PV_HTTP_CONNECT_TIMEOUT_MS 10000L   /* docs/sync-protocol.md */
#define PV_HTTP_TRANSFER_TIMEOUT_MS 120000L /* a whole request */
#define PV_HTTP_LOW_SPEED_S 30L             /* under 1 byte/s this long: cut */
#define PV_HTTP_MAX_ETAG 128                /* bytes of an ETag we keep */
#define PV_HTTP_MAX_URL 4096                /* bytes of a request URL */

typedef struct pv_http pv_http;

typedef struct pv_http_opts {
  const char *ca_file;      /* PEM bundle to trust; NULL: the system's CAs */
  long connect_timeout_ms;  /* 0: PV_HTTP_CONNECT_TIMEOUT_MS */
  long transfer_timeout_ms; /* 0: PV_HTTP_TRANSFER_TIMEOUT_MS */
  long low_speed_s;         /* 0: PV_HTTP_LOW_SPEED_S (capped by the timeout) */
  const atomic_int *stop;   /* non-zero aborts a transfer; may be NULL */
} pv_http_opts;

/* Why a request got no HTTP answer (pv_http_request's failure kind). */
typedef enum pv_http_fail {
  PV_HTTP_OK,      /* an HTTP status was read (any status) */
  PV_HTTP_NET,     /* resolve, connect, reset, refused */
  PV_HTTP_TIMEOUT, /* connect, low-speed or whole-request timeout */
  PV_HTTP_TLS,     /* handshake or certificate verification */
  PV_HTTP_TOOBIG,  /* the response body passed max_response */
  PV_HTTP_STOPPED, /* the stop flag was raised */
  PV_HTTP_OTHER,   /* anything else curl reports */
} pv_http_fail;

typedef struct pv_http_req {
  const char *method;       /* "GET", "HEAD", "POST" or "PUT" */
  const char *url;          /* absolute */
  const char *token;        /* sent as "Authorization: Bearer"; may be NULL */
  const char *content_type; /* of body; NULL: application/json */
  const void *body;         /* POST/PUT bytes; may be NULL with body_len 0 */
  size_t body_len;
  const char *if_none_match; /* ETag to revalidate; NULL: none */
  size_t max_response;       /* cap on the response body, bytes */
} pv_http_req;

typedef struct pv_http_resp {
  long status;                     /* HTTP status, 0 when none was read */
  char *body;                      /* malloc'd, NUL-terminated; NULL if empty */
  size_t len;                      /* bytes in body */
  char etag[PV_HTTP_MAX_ETAG + 1]; /* "" when absent or too long */
  long retry_after_s;              /* Retry-After in seconds, -1 when absent */
  pv_http_fail fail;               /* PV_HTTP_OK when status is set */
} pv_http_resp;

/* Opens a client with opts (copied; ca_file and stop are borrowed and must
 * outlive it). *out is the caller's, to pv_http_close. */
pv_err pv_http_open(const pv_http_opts *opts, pv_http **out);
void pv_http_close(pv_http *h);

/* Performs one request. PV_OK when an HTTP status was read, whatever it
 * is (out->status); otherwise out->fail says why and the error is
 * PV_ERR_IO (network, TLS, timeout), PV_ERR_TOOBIG (body past the cap),
 * PV_ERR_STATE (stopped) or PV_ERR_INVALID (bad request). Free *out with
 * pv_http_resp_free in every case. */
pv_err pv_http_request(pv_http *h, const pv_http_req *req, pv_http_resp *out);
void pv_http_resp_free(pv_http_resp *r);

/* Writes base (trailing '/' ignored) + path (starting with '/') into out,
 * as they are (no escaping); PV_ERR_TOOBIG past size. */
pv_err pv_http_url(char *out, size_t size, const char *base, const char *path);

#endif
