/* test_sync_faults: 2,000 responses (some with attachments) through
 * everything a centre social's network and power can do, on loopback:
 *   a. the pv-collector process SIGKILLed mid-batch and restarted, again
 *      and again, on the same database;
 *   b. a proxy cutting connections at random byte offsets, either way;
 *   c. a proxy answering 500/503 (with Retry-After) to a share of requests;
 *   d. a proxy stalling past the (shortened) transfer timeout;
 *   e. the device process SIGKILLed mid-sync and restarted.
 * Passes are driven back to back (the backoff is virtual); after each
 * scenario the server must hold exactly the device's responses: none
 * missing, none twice, none differing, nothing acknowledged on the device
 * that the server lacks (checked after every kill too). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "collector/server.h"
#include "sync/engine.h"
#include "sync/surveys.h"
#include "tests/check.h"
#include "tests/faultproxy.h"
#include "tests/syncfix.h"


#define N_RESPONSES 2000
#define ATT_EVERY 50 /* 40 attachments */
#define MAX_PASSES 400

static char top[512], template_db[700];
static fx_uuid *uuids;
static unsigned int seed = 20261123;

typedef struct scen {
  char db[700], device[700], surveys[700], url[128];
  char token[PV_PROTO_TOKEN_LEN + 1];
  int64_t ms;
  pv_clock clock;
  pv_store *st;
  pv_server *srv; /* in-process collector, when used */
} scen;

static void msleep(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}

static void make_template(void) {
  int64_t ms = 1795000000000LL;
  pv_clock clock = fx_ticking_clock(&ms);
  pv_store *st = NULL;
  snprintf(template_db, sizeof template_db, "%s/template.db", top);
  if (pv_store_open(template_db, &clock, &st) != PV_OK)
    abort();
  fx_fill(st, N_RESPONSES, ATT_EVERY, uuids);
  pv_store_close(st);
}

/* A fresh collector database and a copy of the filled device. */
static void scen_open(scen *s, const char *name, int in_process) {
  char cmd[2048];
  memset(s, 0, sizeof *s);
  snprintf(s->db, sizeof s->db, "%s/%s-collector.db", top, name);
  snprintf(s->device, sizeof s->device, "%s/%s-device.db", top, name);
  snprintf(s->surveys, sizeof s->surveys, "%s/%s-surveys", top, name);
  fx_collector_setup(s->db, s->token);
  snprintf(cmd, sizeof cmd, "cp '%s' '%s'", template_db, s->device);
  if (system(cmd) != 0)
    abort();
  s->ms = 1796000000000LL;
  s->clock = fx_ticking_clock(&s->ms);
  CHECK_INT(pv_store_open(s->device, &s->clock, &s->st), PV_OK);
  if (in_process) {
    pv_server_config sc = {
        .db_path = s->db, .threads = 4, .rate_per_s = 1e6, .burst = 1000000};
    if (pv_server_start(&sc, &s->srv) != PV_OK) {
      fprintf(stderr, "server: %s\n", pv_err_detail());
      abort();
    }
  }
}

static void scen_close(scen *s) {
  pv_store_close(s->st);
  pv_server_stop(s->srv);
}

static size_t pending(pv_store *st) {
  pv_store_counts c;
  CHECK_INT(pv_store_count(st, NULL, &c), PV_OK);
  return c.pending;
}

static pv_sync_config config_at(const scen *s, const char *url, long transfer_ms) {
  return (pv_sync_config){.url = url,
                          .token = s->token,
                          .surveys_dir = s->surveys,
                          .connect_timeout_ms = 2000,
                          .transfer_timeout_ms = transfer_ms,
                          .batch = 50};
}

typedef struct drive_stats {
  int passes, failed, retry_after_seen;
} drive_stats;

/* Runs passes until one ends clean with nothing pending (1), or
 * max_passes ran out, or (stop_on_fail) one failed (0). A 429 waits a
 * little: the rate limiter is real. */
static int drive(scen *s, const pv_sync_config *c, int max_passes, int stop_on_fail,
                 drive_stats *ds) {
  for (int i = 0; i < max_passes; i++) {
    pv_sync_report rep;
    pv_err err = pv_sync_once(c, s->st, &rep);
    ds->passes++;
    if (err == PV_OK && rep.pending_after == 0)
      return 1;
    if (err != PV_OK) {
      ds->failed++;
      if (rep.retry_after_s >= 0)
        ds->retry_after_seen++;
      if (rep.http_status == 429)
        msleep(100);
      if (stop_on_fail)
        return 0;
    }
  }
  return 0;
}

/* ---- a. the collector process killed ----------------------------------- */

/* Starts `pv-collector serve` on an ephemeral port; returns its pid and
 * writes the port it printed. */
static pid_t collector_start(const char *db, int *port) {
  char log[800], line[256];
  int fds[2];
  pid_t pid;
  posix_spawn_file_actions_t fa;
  snprintf(log, sizeof log, "%s/collector.log", top);
  char *argv[] = {PV_COLLECTOR_BIN, "serve",    "--listen", "127.0.0.1:0",
                  "--db",           (char *)db, NULL};
  if (pipe(fds) != 0)
    abort();
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (pv_test_spawn(&pid, &fa, argv) != 0)
    abort();
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  size_t n = 0;
  struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
  while (n < sizeof line - 1 && poll(&pfd, 1, 60000) == 1) {
    ssize_t r = read(fds[0], line + n, 1);
    if (r <= 0 || line[n] == '\n')
      break;
    n++;
  }
  line[n] = '\0';
  close(fds[0]);
  const char *colon = strrchr(line, ':');
  *port = colon ? (int)strtol(colon + 1, NULL, 10) : 0;
  if (strncmp(line, "listening on http://127.0.0.1:", 30) != 0 || *port <= 0) {
    fprintf(stderr, "pv-collector did not start: \"%s\" (see %s)\n", line, log);
    abort();
  }
  return pid;
}

typedef struct killer {
  pid_t pid;
  long delay_ms;
} killer;

static void *kill_later(void *ud) {
  killer *k = ud;
  msleep(k->delay_ms);
  kill(k->pid, SIGKILL);
  return NULL;
}

static void scenario_collector_killed(void) {
  scen s;
  drive_stats ds = {0};
  int port, kills = 0, mid = 0;
  char url[64];
  scen_open(&s, "a", 0);
  for (int round = 0; round < 8 && pending(s.st) > 0; round++) {
    pid_t pid = collector_start(s.db, &port);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    pv_sync_config c = config_at(&s, url, 20000);
    killer k = {.pid = pid, .delay_ms = 20 + rand_r(&seed) % 200};
    pthread_t t;
    pthread_create(&t, NULL, kill_later, &k);
    drive(&s, &c, 50, 1, &ds);
    pthread_join(t, NULL);
    int status;
    waitpid(pid, &status, 0);
    kills += WIFSIGNALED(status);
    size_t left = pending(s.st);
    mid += left > 0 && left < N_RESPONSES;
    CHECK_INT(fx_compare(s.db, s.st, uuids, N_RESPONSES, 0), 0);
  }
  pid_t pid = collector_start(s.db, &port);
  snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
  pv_sync_config c = config_at(&s, url, 20000);
  CHECK(drive(&s, &c, MAX_PASSES, 0, &ds));
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
  CHECK(kills >= 1);
  CHECK(mid >= 1); /* at least one kill landed mid-sync */
  CHECK_INT(fx_compare(s.db, s.st, uuids, N_RESPONSES, 1), 0);
  CHECK_INT(fx_server_count(s.db), N_RESPONSES);
  printf("a. collector killed %d times (%d mid-sync), %d passes (%d failed)\n", kills,
         mid, ds.passes, ds.failed);
  scen_close(&s);
}

/* ---- b, c, d. through a faulty proxy ------------------------------------ */

static void scenario_proxy(const char *name, fp_mode mode, double share, int first,
                           int budget, long transfer_ms) {
  scen s;
  drive_stats ds = {0};
  fp_stats fs;
  char url[64];
  scen_open(&s, name, 1);
  fp_config fc = {.mode = mode,
                  .upstream_port = pv_server_port(s.srv),
                  .share = share,
                  .max_cut = 120000,
                  .budget = budget,
                  .first = first,
                  .seed = seed++};
  fp_proxy *p = fp_start(&fc);
  snprintf(url, sizeof url, "http://127.0.0.1:%d", fp_port(p));
  pv_sync_config c = config_at(&s, url, transfer_ms);
  int done = drive(&s, &c, MAX_PASSES, 0, &ds);
  if (!done) { /* never give up: a clean network finishes the job */
    fp_set_share(p, 0);
    done = drive(&s, &c, 20, 0, &ds);
  }
  CHECK(done);
  fp_stats_get(p, &fs);
  CHECK(fs.faults > 0);
  CHECK(ds.failed > 0);
  if (mode == FP_ERROR)
    CHECK(ds.retry_after_seen > 0);
  CHECK_INT(fx_compare(s.db, s.st, uuids, N_RESPONSES, 1), 0);
  CHECK_INT(fx_server_count(s.db), N_RESPONSES);
  printf("%s. %d faults over %d connections, %d requests; %d passes (%d failed)\n",
         name, fs.faults, fs.connections, fs.requests, ds.passes, ds.failed);
  fp_stop(p);
  scen_close(&s);
}

/* ---- e. the device process killed -------------------------------------- */

/* The device side, run as a child: passes until nothing is pending. */
static int child_main(char **argv) {
  int64_t ms = 1797000000000LL;
  pv_clock clock = fx_ticking_clock(&ms);
  pv_store *st = NULL;
  pv_sync_config c = {.url = argv[2],
                      .token = argv[3],
                      .surveys_dir = argv[5],
                      .connect_timeout_ms = 2000,
                      .transfer_timeout_ms = 20000,
                      .batch = 50};
  if (pv_store_open(argv[4], &clock, &st) != PV_OK)
    return 3;
  int code = 1;
  for (int i = 0; i < MAX_PASSES && code; i++) {
    pv_sync_report rep;
    if (pv_sync_once(&c, st, &rep) == PV_OK && rep.pending_after == 0)
      code = 0;
  }
  pv_store_close(st);
  return code;
}

static pid_t child_start(scen *s) {
  char *argv[] = {"/proc/self/exe", "--child",  s->url, s->token,
                  s->device,        s->surveys, NULL};
  pid_t pid;
  if (pv_test_spawn(&pid, NULL, argv) != 0)
    abort();
  return pid;
}

static void scenario_device_killed(void) {
  scen s;
  int kills = 0, mid = 0, status;
  scen_open(&s, "e", 1);
  snprintf(s.url, sizeof s.url, "http://127.0.0.1:%d", pv_server_port(s.srv));
  pv_store_close(s.st); /* the children own the device; we look between them */
  s.st = NULL;
  for (int round = 0; round < 10; round++) {
    size_t before = fx_server_count(s.db);
    pid_t pid = child_start(&s);
    /* Kill once the server holds something new from this child (its
     * passes also fetch surveys, quartiers and recordings first, slower
     * under load), then 0..60 ms later: mid-sync by a signal, not by a
     * guess at how fast a pass starts. */
    for (int w = 0; w < 2000 && fx_server_count(s.db) <= before; w++)
      msleep(5);
    msleep(rand_r(&seed) % 60);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    kills += WIFSIGNALED(status);
    CHECK_INT(pv_store_open(s.device, &s.clock, &s.st), PV_OK);
    size_t left = pending(s.st);
    mid += WIFSIGNALED(status) && left > 0 && left < N_RESPONSES;
    CHECK_INT(fx_compare(s.db, s.st, uuids, N_RESPONSES, 0), 0);
    pv_sync_current cur;
    pv_err err = pv_sync_current_read(s.surveys, &cur);
    CHECK(err == PV_OK || err == PV_ERR_NOTFOUND); /* never half-written */
    pv_store_close(s.st);
    s.st = NULL;
    if (left == 0)
      break;
  }
  pid_t pid = child_start(&s);
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
        WEXITSTATUS(status) == 0);
  CHECK_INT(pv_store_open(s.device, &s.clock, &s.st), PV_OK);
  CHECK(mid >= 1);
  CHECK_INT(pending(s.st), 0);
  CHECK_INT(fx_compare(s.db, s.st, uuids, N_RESPONSES, 1), 0);
  CHECK_INT(fx_server_count(s.db), N_RESPONSES);
  printf("e. device killed %d times (%d mid-sync)\n", kills, mid);
  scen_close(&s);
}

int main(int argc, char **argv) {
  if (argc == 6 && strcmp(argv[1], "--child") == 0)
    return child_main(argv);
  signal(SIGPIPE, SIG_IGN);
  snprintf(top, sizeof top, "%s", pv_test_tmpdir());
  uuids = calloc(N_RESPONSES, sizeof *uuids);
  make_template();
  scenario_collector_killed();
  scenario_proxy("b", FP_CUT, 0.7, 10, 0, 20000);
  scenario_proxy("c", FP_ERROR, 0.3, 2, 0, 20000);
  scenario_proxy("d", FP_STALL, 0.2, 2, 6, 1500);
  scenario_device_killed();
  free(uuids);
  if (pv_test_failed == 0)
    pv_test_rmtree(top);
  return pv_test_done();
}
