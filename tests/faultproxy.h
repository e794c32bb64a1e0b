/* faultproxy: a TCP proxy on 127.0.0.1 for the sync fault tests. It
 * forwards to an upstream port and, by mode, breaks things:
 *   FP_CUT    a share of connections is cut (FIN or RST) after a random
 *             number of bytes in one direction, mid-request or mid-reply;
 *   FP_ERROR  a share of requests gets 500 or 503 (with Retry-After) from
 *             the proxy instead of reaching the server;
 *   FP_STALL  a share of requests stalls: held before the server, or
 *             forwarded and the reply withheld after a few bytes, until
 *             the client gives up (its transfer timeout).
 * Requests are told apart by parsing the client's stream (head, then a
 * Content-Length body): curl sends one request at a time per connection.
 * One thread listens; one thread per connection. */
#ifndef PV_TEST_FAULTPROXY_H
#define PV_TEST_FAULTPROXY_H

#include <stddef.h>

typedef enum fp_mode { FP_PASS, FP_CUT, FP_ERROR, FP_STALL } fp_mode;

typedef struct fp_config {
  fp_mode mode;
  int upstream_port;
  double share;   /* of connections (cut) or requests (error, stall) */
  size_t max_cut; /* cut offsets: [0, max_cut] up, a tenth down */
  int budget;     /* at most this many faults (0: no limit) */
  int first;      /* the first `first` chances always fault (within budget) */
  unsigned int seed;
} fp_config;

typedef struct fp_stats {
  int connections, requests, faults;
} fp_stats;

typedef struct fp_proxy fp_proxy;

/* Starts the proxy; returns NULL on failure. Its port: fp_port. */
fp_proxy *fp_start(const fp_config *c);
int fp_port(const fp_proxy *p);
void fp_stats_get(fp_proxy *p, fp_stats *out);
/* Changes the share of faults from now on (0: a clean proxy). */
void fp_set_share(fp_proxy *p, double share);
/* Closes every connection, joins every thread, frees p. */
void fp_stop(fp_proxy *p);

#endif
