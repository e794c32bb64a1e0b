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

/* Reads n decimal digits at s; -1 when one is not a digit. */
static int digits(const char *s, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil arithmetic, written out here). */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* Strict: exactly the 24 characters pv_time_iso writes, each field in
 * range (no 30 February), so one instant has one spelling. Hand-rolled
 * rather than sscanf + timegm: the collector checks several of these per
 * response it ingests or exports. */
int pv_time_parse(const char *iso, int64_t *ms) {
  static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
  for (int i = 0; i < 24; i++)
    if (shape[i] != 'd' && iso[i] != shape[i])
      return -1;
  if (iso[24] != '\0')
    return -1;
  int year = digits(iso, 4), mon = digits(iso + 5, 2), day = digits(iso + 8, 2);
  int hour = digits(iso + 11, 2), min = digits(iso + 14, 2), sec = digits(iso + 17, 2);
  int milli = digits(iso + 20, 3);
  static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 0 || mon < 1 || mon > 12 || day < 1 || hour < 0 || hour > 23 || min < 0 ||
      min > 59 || sec < 0 || sec > 59 || milli < 0)
    return -1;
  int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day > mdays[mon - 1] + (mon == 2 && leap))
    return -1;
  int64_t days = days_from_civil(year, mon, day);
  *ms = ((days * 86400 + hour * 3600 + min * 60 + sec) * 1000) + milli;
  return 0;
}
