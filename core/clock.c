/* clock: system and virtual clocks, ISO 8601 UTC formatting. */
#include "core/clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int64_t system_now(void *ud) {
  (void)ud;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t virtual_now(void *ud) {
  return *(int64_t *)ud;
}

pv_clock pv_clock_system(void) {
  return (pv_clock){system_now, NULL};
}

pv_clock pv_clock_virtual(int64_t *ms_ptr) {
  return (pv_clock){virtual_now, ms_ptr};
}

void pv_time_iso(int64_t ms, char out[25]) {
  time_t secs = (time_t)(ms / 1000);
  int milli = (int)(ms % 1000);
  if (milli < 0) {
    milli += 1000;
    secs -= 1;
  }
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[80]; /* room for any int, so the compiler sees no truncation */
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, milli);
  snprintf(out, 25, "%.24s", buf);
}

int pv_time_parse(const char *iso, int64_t *ms) {
  struct tm tm;
  int milli = 0, n = 0;
  memset(&tm, 0, sizeof tm);
  if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year, &tm.tm_mon,
             &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &milli, &n) != 7 ||
      n != 24 || iso[n] != '\0')
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  time_t secs = timegm(&tm);
  *ms = (int64_t)secs * 1000 + milli;
  return 0;
}
