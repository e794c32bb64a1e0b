/* clock: time is injected. Code that needs "now" takes a pv_clock, so
 * headless tests jump minutes in microseconds (inactivity, backoff,
 * retention). Times are milliseconds since the Unix epoch, UTC. */
#ifndef PV_CLOCK_H
#define PV_CLOCK_H

#include <stddef.h>
#include <stdint.h>

typedef struct pv_clock {
  int64_t (*now_ms)(void *ud);
  void *ud;
} pv_clock;

/* Returns the wall clock (CLOCK_REALTIME). */
pv_clock pv_clock_system(void);

/* A virtual clock: reads *ms_ptr; the test moves it. */
pv_clock pv_clock_virtual(int64_t *ms_ptr);

static inline int64_t pv_clock_now(const pv_clock *c) {
  return c->now_ms(c->ud);
}

/* Writes ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" (24 chars + NUL) into out. */
void pv_time_iso(int64_t ms, char out[25]);

/* Parses the format pv_time_iso writes; returns 0 and sets *ms, or -1. */
int pv_time_parse(const char *iso, int64_t *ms);

#endif
