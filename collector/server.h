/* server: pv-collector's HTTP side (docs/sync-protocol.md is the contract).
 *
 * libmicrohttpd with its own polling threads (a pool of `threads`), bound
 * to 127.0.0.1 unless told otherwise, TLS when a certificate and key are
 * given. Each request is routed through one static table (method, path,
 * who may call it, body kind, handler), authenticated by bearer token
 * (collector/token.h), rate-limited per token holder, and answered with
 * JSON errors from sync/protocol.h. Storage is a small pool of pv_cdb
 * connections, one per worker thread at most, opened lazily and closed
 * at stop. Load is bounded: connections per client address, bytes of
 * bodies buffered server-wide, exports running at once (half the
 * threads, at least one); past a bound the answer is 503 with
 * Retry-After. One log line per request: method, path, status, milliseconds
 * (never the token). */
#ifndef PV_COLLECTOR_SERVER_H
#define PV_COLLECTOR_SERVER_H

#include "core/clock.h"
#include "core/err.h"

#define PV_SERVER_DEFAULT_THREADS 4
#define PV_SERVER_MAX_THREADS 64
#define PV_SERVER_DEFAULT_RATE 50.0       /* requests per second per token, sustained */
#define PV_SERVER_DEFAULT_BURST 200       /* requests per token in a burst */
#define PV_SERVER_MAX_TLS_FILE (64 << 10) /* bytes of a PEM key or certificate */
/* Open connections from one client address. Kiosks behind one NAT (a
 * centre social's box) share an address: keep this well above a site's
 * kiosk count. */
#define PV_SERVER_PER_IP_LIMIT 64
/* Bytes of request bodies held in memory at once, all requests together
 * (each is at most 8 MiB); past it uploads get 503 with Retry-After. */
#define PV_SERVER_BODY_BUDGET ((size_t)64 << 20)
#define PV_SERVER_RETRY_AFTER 5 /* seconds in every 503's Retry-After */

typedef struct pv_server pv_server;

/* Zero values mean the defaults. Strings are copied by pv_server_start;
 * the clock's ud must outlive the server. */
typedef struct pv_server_config {
  const char *listen_addr;        /* IPv4 or IPv6 literal; NULL = "127.0.0.1" */
  int port;                       /* 0 = ephemeral (read it with pv_server_port) */
  const char *db_path;            /* SQLite file, or */
  const char *pg_conninfo;        /* PostgreSQL conninfo (exactly one of the two) */
  const char *tls_cert, *tls_key; /* PEM files; both or neither */
  int threads;                    /* default PV_SERVER_DEFAULT_THREADS */
  double rate_per_s;              /* default PV_SERVER_DEFAULT_RATE */
  int burst;                      /* default PV_SERVER_DEFAULT_BURST */
  const pv_clock *clock;          /* NULL = system clock (times, rate limit) */
  int per_ip_limit;               /* default PV_SERVER_PER_IP_LIMIT */
  size_t body_budget;             /* default PV_SERVER_BODY_BUDGET */
} pv_server_config;

/* Opens the database (applying migrations), binds and starts serving.
 * PV_OK and *out (pv_server_stop frees it) once it accepts connections;
 * otherwise an error with a detail (bad option, database, bind, TLS). */
pv_err pv_server_start(const pv_server_config *c, pv_server **out);

/* Returns the port the server listens on (the real one when 0 was asked). */
int pv_server_port(const pv_server *s);

/* Returns 1 when the server speaks TLS. */
int pv_server_tls(const pv_server *s);

/* Stops accepting, finishes or cuts open connections, closes the
 * database connections and frees s. NULL is fine. */
void pv_server_stop(pv_server *s);

#endif
