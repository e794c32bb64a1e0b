/* log: see log.h. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pv_log_level threshold(void) {
  const char *env = getenv("PV_LOG");
  static const struct {
    const char *name;
    pv_log_level level;
  } names[] = {{"debug", PV_LOG_DEBUG},
               {"info", PV_LOG_INFO},
               {"warn", PV_LOG_WARN},
               {"error", PV_LOG_ERROR}};
  if (env)
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
      if (strcmp(env, names[i].name) == 0)
        return names[i].level;
  return PV_LOG_INFO;
}

void pv_log(pv_log_level level, const char *fmt, ...) {
  static const char *const tags[] = {"debug", "info", "warn", "error"};
  if (level < threshold())
    return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  fprintf(stderr, "[%s] %s\n", tags[level], line);
}
