/* test_crash: "a power cut at any instant loses at most the answer being
 * touched", tested with SIGKILL. The binary runs itself again as a child
 * ("child" argument) that writes answers in a loop and reports each one on
 * a pipe once pv_store_put_answer() has returned. The parent kills it at a
 * random moment, at least 200 times on the same file, and after each kill
 * checks that the store opens (integrity_check) and holds every reported
 * answer with its exact value.
 *
 * Environment: PV_CRASH_SEED replays a run (the seed is printed),
 * PV_CRASH_KILLS changes the number of kills. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/store.h"
#include "tests/check.h"

#define QUESTIONS 6            /* plain answers per response */
#define VALUE_MAX 96           /* one reported value */
#define LINE_MAX_LEN 200       /* one reported line */
#define READY_TIMEOUT_MS 20000 /* child start-up under ASan on a busy box */
#define DEFAULT_KILLS 200
#define CREATION_KILLS 20 /* on new files, during creation */
#define VOICE_MAX 40000   /* bytes of a child's voice note */

/* The answers of one response the child started: what it reported. */
typedef struct expect {
  char uuid[PV_UUID_LEN + 1];
  int round;                        /* the child's response counter */
  int last_step;                    /* last reported step, -1 for none */
  char value[QUESTIONS][VALUE_MAX]; /* "" when not reported */
  char voice_sha[PV_SHA256_HEX + 1];
  char edit_in_flight[VALUE_MAX]; /* q0's edit, maybe committed unreported */
} expect;

typedef struct expectations {
  expect *items;
  size_t count, cap;
} expectations;

/* The child's steps for a response: QUESTIONS answers, a voice note on
 * every third round, then an edit of q0 (going back), then the end. */
static int has_voice(int round) {
  return round % 3 == 0;
}
static int edit_step(int round) {
  return QUESTIONS + has_voice(round);
}

static void value_for(char out[VALUE_MAX], int kill, int round, int q, int edit) {
  snprintf(out, VALUE_MAX, "{\"k\":%d,\"r\":%d,\"q\":%d,\"e\":%d}", kill, round, q,
           edit);
}

static void voice_for(unsigned char *buf, size_t *len, int kill, int round) {
  uint32_t x = (uint32_t)(kill * 7919 + round * 104729 + 1);
  *len = 1000 + (size_t)(kill * 131 + round * 977) % (VOICE_MAX - 1000);
  for (size_t i = 0; i < *len; i++) {
    x = x * 1664525u + 1013904223u;
    buf[i] = (unsigned char)(x >> 24);
  }
}

/* ---- child ------------------------------------------------------------ */

static void report(int fd, const char *uuid, const char *qid, const char *value) {
  char line[LINE_MAX_LEN];
  int n = snprintf(line, sizeof line, "%s %s %s\n", uuid, qid, value);
  /* One write under PIPE_BUF: the parent sees whole lines or nothing. */
  if (n <= 0 || n >= (int)sizeof line || write(fd, line, (size_t)n) != n)
    _exit(4);
}

static int child_main(const char *path, int fd, int kill) {
  pv_clock clock = pv_clock_system();
  pv_store *st = NULL;
  static unsigned char voice[VOICE_MAX];
  char r[PV_UUID_LEN + 1], value[VALUE_MAX], qid[8], sha[PV_SHA256_HEX + 1];
  pv_err err = pv_store_open(path, &clock, &st);
  if (err) {
    fprintf(stderr, "child: open: %s: %s\n", pv_strerror(err), pv_err_detail());
    return 2;
  }
  if (write(fd, "ready\n", 6) != 6)
    return 4;
  for (int round = 0;; round++) {
    if ((err = pv_store_begin(st, "crash-test", 1, NULL, "fr", r)))
      goto fail;
    for (int q = 0; q < QUESTIONS; q++) {
      snprintf(qid, sizeof qid, "q%d", q);
      value_for(value, kill, round, q, 0);
      if ((err = pv_store_put_answer(st, r, qid, value, PV_QUANTITATIVE)))
        goto fail;
      report(fd, r, qid, value);
    }
    if (has_voice(round)) {
      size_t len;
      voice_for(voice, &len, kill, round);
      if ((err = pv_store_put_attachment(st, r, "voix", "audio/ogg", voice, len, sha)))
        goto fail;
      report(fd, r, "voix", sha);
    }
    value_for(value, kill, round, 0, 1);
    if ((err = pv_store_put_answer(st, r, "q0", value, PV_QUANTITATIVE)))
      goto fail;
    report(fd, r, "q0", value);
    err = round % 4 == 3 ? pv_store_abandon(st, r) : pv_store_finish(st, r);
    if (err)
      goto fail;
  }
fail:
  fprintf(stderr, "child: %s: %s\n", pv_strerror(err), pv_err_detail());
  pv_store_close(st);
  return 3;
}

/* ---- parent ----------------------------------------------------------- */

static uint64_t rng_state;

/* splitmix64: small, seedable, good enough to place kills. */
static uint64_t rng_next(void) {
  uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static expect *expect_for(expectations *ex, const char *uuid) {
  /* Lines come in order: a response is the latest one or a new one. */
  if (ex->count && strcmp(ex->items[ex->count - 1].uuid, uuid) == 0)
    return &ex->items[ex->count - 1];
  if (ex->count == ex->cap) {
    size_t cap = ex->cap ? ex->cap * 2 : 256;
    expect *grown = realloc(ex->items, cap * sizeof *grown);
    PV_ASSERT(grown);
    ex->items = grown;
    ex->cap = cap;
  }
  expect *e = &ex->items[ex->count++];
  memset(e, 0, sizeof *e);
  snprintf(e->uuid, sizeof e->uuid, "%s", uuid);
  e->round = -1;
  e->last_step = -1;
  return e;
}

/* Records one complete line "uuid qid value"; returns 0 if malformed. */
static int take_line(expectations *ex, char *line, expect **last) {
  char *sp1 = strchr(line, ' ');
  char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
  if (!sp1 || !sp2)
    return 0;
  *sp1 = *sp2 = '\0';
  const char *uuid = line, *qid = sp1 + 1, *value = sp2 + 1;
  if (!pv_uuid_valid(uuid) || strlen(value) >= VALUE_MAX)
    return 0;
  expect *e = expect_for(ex, uuid);
  *last = e;
  if (strcmp(qid, "voix") == 0) {
    if (!pv_sha256_valid(value))
      return 0;
    snprintf(e->voice_sha, sizeof e->voice_sha, "%s", value);
    e->last_step = QUESTIONS;
    return 1;
  }
  int q = qid[0] == 'q' ? (int)strtol(qid + 1, NULL, 10) : -1;
  int k = -1, round = -1, vq = -1, edit = -1;
  if (q < 0 || q >= QUESTIONS ||
      sscanf(value, "{\"k\":%d,\"r\":%d,\"q\":%d,\"e\":%d}", &k, &round, &vq, &edit) !=
          4 ||
      vq != q)
    return 0;
  e->round = round;
  e->last_step = edit ? edit_step(round) : q;
  snprintf(e->value[q], VALUE_MAX, "%s", value);
  return 1;
}

/* Takes the complete lines at the front of buf; keeps a partial tail. */
static void take_lines(expectations *ex, char *buf, size_t *len, int *ready,
                       expect **last, size_t *acked, int *bad) {
  size_t start = 0;
  for (size_t i = 0; i < *len; i++) {
    if (buf[i] != '\n')
      continue;
    buf[i] = '\0';
    char *line = buf + start;
    if (strcmp(line, "ready") == 0)
      *ready = 1;
    else if (take_line(ex, line, last))
      (*acked)++;
    else
      (*bad)++;
    start = i + 1;
  }
  memmove(buf, buf + start, *len - start);
  *len -= start;
}

/* Checks every reported answer in the store at path; returns how many. */
static size_t verify(const char *path, const expectations *ex) {
  int64_t frozen = 0;
  pv_clock clock = pv_clock_virtual(&frozen);
  pv_store *st = NULL;
  size_t checked = 0;
  pv_err err = pv_store_open(path, &clock, &st);
  if (err)
    fprintf(stderr, "reopen after kill: %s: %s\n", pv_strerror(err), pv_err_detail());
  CHECK_INT(err, PV_OK);
  if (err)
    return 0;
  for (size_t i = 0; i < ex->count; i++) {
    const expect *e = &ex->items[i];
    pv_store_response resp;
    err = pv_store_get_response(st, e->uuid, &resp);
    CHECK_INT(err, PV_OK);
    if (err)
      continue;
    for (int q = 0; q < QUESTIONS; q++) {
      if (!e->value[q][0])
        continue;
      char qid[8];
      const char *got = NULL;
      snprintf(qid, sizeof qid, "q%d", q);
      for (size_t a = 0; a < resp.answer_count; a++)
        if (strcmp(resp.answers[a].question_id, qid) == 0)
          got = resp.answers[a].value;
      int ok = got &&
               (strcmp(got, e->value[q]) == 0 || (q == 0 && e->edit_in_flight[0] &&
                                                  strcmp(got, e->edit_in_flight) == 0));
      if (!ok)
        fprintf(stderr, "lost: %s %s: want %s, have %s\n", e->uuid, qid, e->value[q],
                got ? got : "(nothing)");
      CHECK(ok);
      checked++;
    }
    if (e->voice_sha[0]) {
      const char *linked = NULL;
      for (size_t a = 0; a < resp.answer_count; a++)
        if (strcmp(resp.answers[a].question_id, "voix") == 0)
          linked = resp.answers[a].attachment;
      CHECK(linked && strcmp(linked, e->voice_sha) == 0);
      pv_store_blob blob;
      char sha[PV_SHA256_HEX + 1] = "";
      CHECK_INT(pv_store_get_attachment(st, e->voice_sha, &blob), PV_OK);
      if (blob.bytes)
        pv_sha256_hex(blob.bytes, blob.size, sha);
      CHECK_STR(sha, e->voice_sha);
      pv_store_blob_free(&blob);
      checked++;
    }
    pv_store_response_free(&resp);
  }
  pv_store_close(st);
  return checked;
}

typedef struct tally {
  size_t acked;     /* reported puts */
  int early;        /* kills before the child said ready */
  int64_t ready_ms; /* sum of times from fork to ready */
  int ready_count;
} tally;

/* Runs one child until it is killed; feeds what it reported into ex. With
 * startup_ms > 0 the kill lands 0..startup_ms after the fork; otherwise
 * one kill in eight lands during start-up (exec, open, migrations) and the
 * others 2..50 ms into the stream of answers. */
static void run_child(const char *self, const char *path, int kill_no,
                      int64_t startup_ms, expectations *ex, tally *t) {
  int fds[2];
  char fd_arg[16], kill_arg[16];
  CHECK_INT(pipe(fds), 0);
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  snprintf(fd_arg, sizeof fd_arg, "%d", fds[1]);
  snprintf(kill_arg, sizeof kill_arg, "%d", kill_no);

  int at_startup = startup_ms > 0 || rng_next() % 8 == 0;
  int64_t window = startup_ms > 0 ? startup_ms : 60;
  int64_t delay = at_startup ? (int64_t)(rng_next() % (uint64_t)window)
                             : 2 + (int64_t)(rng_next() % 49);

  int64_t forked = mono_ms();
  pid_t pid = fork();
  PV_ASSERT(pid >= 0);
  if (pid == 0) {
    char *args[] = {(char *)self, "child", (char *)path, fd_arg, kill_arg, NULL};
    pv_test_execv(args);
    _exit(127);
  }
  close(fds[1]);

  char buf[64 * 1024];
  size_t len = 0;
  int ready = 0, bad = 0, eof = 0, killed = 0;
  expect *last = NULL;
  int64_t deadline = at_startup ? forked + delay : forked + READY_TIMEOUT_MS;
  while (!eof) {
    int64_t now = mono_ms();
    if (!killed && now >= deadline) {
      if (!at_startup && !ready) {
        fprintf(stderr, "child %d not ready after %d ms\n", kill_no, READY_TIMEOUT_MS);
        CHECK(ready);
      }
      kill(pid, SIGKILL);
      killed = 1;
    }
    struct pollfd p = {.fd = fds[0], .events = POLLIN};
    int wait = killed ? 1000 : (int)(deadline - now);
    if (poll(&p, 1, wait < 0 ? 0 : wait) < 0 && errno != EINTR)
      break;
    if (!(p.revents & (POLLIN | POLLHUP)))
      continue;
    ssize_t n = read(fds[0], buf + len, sizeof buf - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      eof = 1;
      break;
    }
    len += (size_t)n;
    int was_ready = ready;
    take_lines(ex, buf, &len, &ready, &last, &t->acked, &bad);
    if (!was_ready && ready) {
      t->ready_ms += mono_ms() - forked;
      t->ready_count++;
      if (!at_startup)
        deadline = mono_ms() + delay;
    }
  }
  close(fds[0]);
  if (!killed)
    kill(pid, SIGKILL);
  int status = 0;
  CHECK_INT(waitpid(pid, &status, 0), pid);
  /* The child only ever stops by our SIGKILL. */
  if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
    fprintf(stderr, "child %d ended by itself (status 0x%x)\n", kill_no, status);
    CHECK(0);
  }
  CHECK_INT(bad, 0);
  if (!ready)
    t->early++;
  /* Whatever followed the last report may have committed unreported: if
   * that is the edit of q0, its new value is as right as the old one. */
  if (last && last->round >= 0 && last->last_step == edit_step(last->round) - 1)
    value_for(last->edit_in_flight, kill_no, last->round, 0, 1);
}

int main(int argc, char **argv) {
  if (argc == 5 && strcmp(argv[1], "child") == 0)
    return child_main(argv[2], (int)strtol(argv[3], NULL, 10),
                      (int)strtol(argv[4], NULL, 10));

  const char *self = strchr(argv[0], '/') ? argv[0] : "/proc/self/exe";
  const char *env_seed = getenv("PV_CRASH_SEED");
  const char *env_kills = getenv("PV_CRASH_KILLS");
  uint64_t seed = 0;
  if (env_seed)
    seed = strtoull(env_seed, NULL, 0);
  else if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
    seed = (uint64_t)time(NULL);
  rng_state = seed;
  int kills = env_kills ? (int)strtol(env_kills, NULL, 10) : DEFAULT_KILLS;
  printf("crash: seed %" PRIu64 " (PV_CRASH_SEED=%" PRIu64 " replays it), %d kills\n",
         seed, seed, kills);
  fflush(stdout);

  char dir[256], path[512];
  snprintf(dir, sizeof dir, "%s", pv_test_tmpdir());
  snprintf(path, sizeof path, "%s/kiosk.db", dir);
  expectations ex = {0};
  tally t = {0};
  size_t checked = 0;
  int64_t started = mono_ms();
  for (int i = 0; i < kills && !pv_test_failed; i++) {
    run_child(self, path, i, 0, &ex, &t);
    checked += verify(path, &ex);
  }
  size_t final_checked = verify(path, &ex);
  printf(
      "crash: %d kills on one store (%d before the child was ready), %zu acknowledged "
      "puts over %zu responses, all verified after every kill (%zu checks; %zu "
      "answers and voice notes at the end), %.1f s\n",
      kills, t.early, t.acked, ex.count, checked, final_checked,
      (double)(mono_ms() - started) / 1000.0);
  CHECK(t.acked > 0);
  CHECK(final_checked > 0);
  free(ex.items);

  /* Kills while a store is being created: each on a new file, somewhere
   * between the fork and a little after the child usually is ready. */
  int64_t window = t.ready_count ? 2 * t.ready_ms / t.ready_count + 5 : 100;
  tally fresh = {0};
  started = mono_ms();
  for (int i = 0; i < CREATION_KILLS && !pv_test_failed; i++) {
    expectations one = {0};
    char fresh_path[600];
    snprintf(fresh_path, sizeof fresh_path, "%s/new-%d.db", dir, i);
    run_child(self, fresh_path, kills + i, window, &one, &fresh);
    verify(fresh_path, &one);
    free(one.items);
  }
  printf("crash: %d kills while creating a store (%d before ready, window %" PRId64
         " ms): each opened cleanly after, %.1f s\n",
         CREATION_KILLS, fresh.early, window, (double)(mono_ms() - started) / 1000.0);
  pv_test_rmtree(dir);
  return pv_test_done();
}
