/* log: leveled log lines to stderr, each naming its subsystem by
 * convention: PV_WARN("store: %s: %s", path, msg). PV_LOG=debug|info|warn|error
 * in the environment sets the threshold (default info). Logs are for
 * operators; residents never see them. */
#ifndef PV_LOG_H
#define PV_LOG_H

typedef enum pv_log_level {
  PV_LOG_DEBUG,
  PV_LOG_INFO,
  PV_LOG_WARN,
  PV_LOG_ERROR,
} pv_log_level;

void pv_log(pv_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define PV_DEBUG(...) pv_log(PV_LOG_DEBUG, __VA_ARGS__)
#define PV_INFO(...) pv_log(PV_LOG_INFO, __VA_ARGS__)
#define PV_WARN(...) pv_log(PV_LOG_WARN, __VA_ARGS__)
#define PV_ERROR(...) pv_log(PV_LOG_ERROR, __VA_ARGS__)

#endif
