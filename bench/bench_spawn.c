/* bench_spawn: runs one command and prints its exec-to-exit wall time and
 * its memory, for the kiosk's cold-start row (bench/kiosk-bench.sh).
 *
 * Memory is reported three ways, because a browser is many processes:
 * the main process's peak RSS (ru_maxrss from wait4, what GNU time's %M
 * prints), and the peak over time of the sum of RSS and of PSS over the
 * whole process tree (descendants, plus anything left in the command's
 * process group after a double fork), sampled from /proc every
 * POLL_MS by a second thread while the first blocks in wait4, so the wall
 * time is not rounded to the sampling period. Summed RSS counts shared
 * pages (libraries, the browser binary) once per process; summed PSS
 * splits them fairly, so it is the better "memory used" figure.
 *
 * With --watch FILE, it also reports when FILE was last closed after
 * writing (inotify on its folder, which must exist): for a command that
 * writes a screenshot of its first frame, exec to that moment is the time
 * to first frame, without the shutdown that exec-to-exit includes.
 *
 *   bench_spawn [--watch FILE] CMD [ARGS...]
 *   -> wall_ms=12.3 main_maxrss_kib=... tree_rss_kib=... tree_pss_kib=...
 *      procs=N exit=STATUS [file_ms=8.9 (-1: never written)] */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS 5
#define MAX_PROCS 4096 /* processes on the machine scanned per sample */

typedef struct sampler {
  pid_t root;
  atomic_int stop;
  long peak_rss_kib, peak_pss_kib;
  int max_procs;
} sampler;

typedef struct watcher {
  int fd;           /* inotify, watching the file's folder */
  const char *name; /* the file's base name */
  double t0, file_ms;
  atomic_int stop;
} watcher;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Records in w->file_ms when w->name is closed after writing (or renamed
 * into place), until w->stop. */
static void *watcher_main(void *ud) {
  watcher *w = ud;
  char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
  while (!atomic_load(&w->stop)) {
    struct pollfd pfd = {.fd = w->fd, .events = POLLIN};
    if (poll(&pfd, 1, 20) <= 0)
      continue;
    double t = now_ms();
    ssize_t n = read(w->fd, buf, sizeof buf);
    for (ssize_t off = 0; n > 0 && off < n;) {
      const struct inotify_event *ev = (const struct inotify_event *)(buf + off);
      if (ev->len && strcmp(ev->name, w->name) == 0)
        w->file_ms = t - w->t0;
      off += (ssize_t)(sizeof *ev + ev->len);
    }
  }
  return NULL;
}

/* Reads ppid and pgrp of pid from /proc/PID/stat; returns 0 on success. */
static int read_stat(pid_t pid, pid_t *ppid, pid_t *pgrp) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *p = strrchr(buf, ')'); /* the command name may hold spaces */
  int a, b;
  if (!p || sscanf(p + 1, " %*c %d %d", &a, &b) != 2)
    return -1;
  *ppid = a;
  *pgrp = b;
  return 0;
}

/* Adds pid's Rss and Pss (KiB, from smaps_rollup) to *rss and *pss. */
static void add_memory(pid_t pid, long *rss, long *pss) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return;
  while (fgets(line, sizeof line, f)) {
    long v;
    if (sscanf(line, "Rss: %ld kB", &v) == 1)
      *rss += v;
    else if (sscanf(line, "Pss: %ld kB", &v) == 1)
      *pss += v;
  }
  fclose(f);
}

/* One sample: finds the tree under s->root (and its process group) and
 * updates the peaks of summed RSS and PSS. */
static void sample(sampler *s) {
  static pid_t pids[MAX_PROCS], ppids[MAX_PROCS];
  static char in_tree[MAX_PROCS];
  int n = 0;
  DIR *d = opendir("/proc");
  if (!d)
    return;
  struct dirent *e;
  while ((e = readdir(d)) && n < MAX_PROCS) {
    if (!isdigit((unsigned char)e->d_name[0]))
      continue;
    pid_t pid = (pid_t)strtol(e->d_name, NULL, 10), ppid, pgrp;
    if (read_stat(pid, &ppid, &pgrp) != 0)
      continue;
    pids[n] = pid;
    ppids[n] = ppid;
    in_tree[n] = pid == s->root || pgrp == s->root;
    n++;
  }
  closedir(d);
  for (int changed = 1; changed;) { /* close over parent -> child */
    changed = 0;
    for (int i = 0; i < n; i++)
      if (!in_tree[i])
        for (int j = 0; j < n; j++)
          if (in_tree[j] && ppids[i] == pids[j]) {
            in_tree[i] = 1;
            changed = 1;
            break;
          }
  }
  long rss = 0, pss = 0;
  int procs = 0;
  for (int i = 0; i < n; i++)
    if (in_tree[i]) {
      add_memory(pids[i], &rss, &pss);
      procs++;
    }
  if (rss > s->peak_rss_kib)
    s->peak_rss_kib = rss;
  if (pss > s->peak_pss_kib)
    s->peak_pss_kib = pss;
  if (procs > s->max_procs)
    s->max_procs = procs;
}

static void *sampler_main(void *ud) {
  sampler *s = ud;
  struct timespec ts = {0, POLL_MS * 1000000L};
  while (!atomic_load(&s->stop)) {
    sample(s);
    nanosleep(&ts, NULL);
  }
  return NULL;
}

int main(int argc, char **argv) {
  watcher w = {.fd = -1, .file_ms = -1};
  int cmd = 1;
  char dir[PATH_MAX];
  if (argc > 2 && strcmp(argv[1], "--watch") == 0) {
    snprintf(dir, sizeof dir, "%s", argv[2]);
    char *slash = strrchr(dir, '/');
    w.name = slash ? slash + 1 : dir;
    if (slash)
      *slash = '\0';
    w.fd = inotify_init1(IN_CLOEXEC);
    if (w.fd < 0 ||
        inotify_add_watch(w.fd, slash ? dir : ".", IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
      perror("bench_spawn: inotify");
      return 1;
    }
    cmd = 3;
  }
  if (argc <= cmd) {
    fprintf(stderr, "usage: bench_spawn [--watch FILE] CMD [ARGS...]\n");
    return 2;
  }
  pthread_t wth;
  int have_watcher = 0;
  double t0 = now_ms();
  w.t0 = t0;
  if (w.fd >= 0)
    have_watcher = pthread_create(&wth, NULL, watcher_main, &w) == 0;
  pid_t pid = fork();
  if (pid < 0) {
    perror("bench_spawn: fork");
    return 1;
  }
  if (pid == 0) {
    setpgid(0, 0); /* its own group: double-forked helpers stay findable */
    execvp(argv[cmd], argv + cmd);
    perror(argv[cmd]);
    _exit(127);
  }
  setpgid(pid, pid);
  sampler s = {.root = pid};
  pthread_t th;
  int have_thread = pthread_create(&th, NULL, sampler_main, &s) == 0;
  int status = 0;
  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  pid_t got = wait4(pid, &status, 0, &ru);
  double wall = now_ms() - t0;
  if (have_thread) {
    atomic_store(&s.stop, 1);
    pthread_join(th, NULL);
  }
  if (have_watcher) {
    struct timespec settle = {0, 30 * 1000000L}; /* events already queued */
    nanosleep(&settle, NULL);
    atomic_store(&w.stop, 1);
    pthread_join(wth, NULL);
  }
  if (w.fd >= 0)
    close(w.fd);
  if (got != pid) {
    perror("bench_spawn: wait4");
    return 1;
  }
  kill(-pid, SIGKILL); /* helpers left in the group do not outlive a run */
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  printf("wall_ms=%.1f main_maxrss_kib=%ld tree_rss_kib=%ld tree_pss_kib=%ld procs=%d "
         "exit=%d",
         wall, ru.ru_maxrss, s.peak_rss_kib, s.peak_pss_kib, s.max_procs, code);
  if (w.fd >= 0)
    printf(" file_ms=%.1f", w.file_ms);
  printf("\n");
  return code == 0 ? 0 : 1;
}
