/* test_pin: the animateur PIN (core/pin) on a real store with a virtual
 * clock: bad PINs as a table, right and wrong tries, the 5-try lockout and
 * its expiry, the lockout across closing and reopening the store, the
 * stored record (salted, no digits in clear, bad records refused), and
 * `pv-kiosk set-pin` run as a process with the PIN piped on stdin. */
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/pin.h"
#include "core/store.h"
#include "tests/check.h"


#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */

static int64_t now_ms = T0;
static char dir[256];

static pv_store *open_store(const char *name) {
  char path[512];
  pv_clock clock = pv_clock_virtual(&now_ms);
  pv_store *st = NULL;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  pv_err err = pv_store_open(path, &clock, &st);
  if (err) {
    fprintf(stderr, "open %s: %s: %s\n", path, pv_strerror(err), pv_err_detail());
    abort();
  }
  return st;
}

/* Checks pin and returns the verdict, or -1 on an error. */
static int check_pin(pv_store *st, const char *pin, pv_pin_result *res) {
  pv_clock clock = pv_clock_virtual(&now_ms);
  pv_pin_result r;
  pv_err err = pv_pin_check(st, &clock, pin, res ? res : &r);
  if (err)
    return -1;
  return (int)(res ? res : &r)->verdict;
}

static int has_setting(pv_store *st, const char *key) {
  char *v = NULL;
  pv_err err = pv_store_setting_get(st, key, &v);
  free(v);
  return err == PV_OK;
}

/* ---- which PINs are accepted ------------------------------------------- */

static void test_validate(void) {
  static const struct {
    const char *pin;
    int ok;
  } cases[] = {
      {"0000", 1},
      {"1234", 1},
      {"12345678", 1},
      {"", 0},
      {"123", 0},
      {"123456789", 0},
      {"12a4", 0},
      {" 1234", 0},
      {"1234 ", 0},
      {"12-34", 0},
      {"1234\n", 0},
      {"+123", 0},
      {"\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4", 0}, /* Arabic-Indic digits */
      {"1234567890123456789012345678901234567890", 0},
  };
  pv_store *st = open_store("validate.db");
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    pv_err want = cases[i].ok ? PV_OK : PV_ERR_INVALID;
    CHECK_INT(pv_pin_validate(cases[i].pin), want);
    if (!cases[i].ok) {
      CHECK_CONTAINS(pv_err_detail(), "PIN");
      CHECK_INT(pv_pin_set(st, cases[i].pin), PV_ERR_INVALID);
      CHECK(!pv_pin_is_set(st));
    }
  }
  CHECK_INT(pv_pin_validate(NULL), PV_ERR_INVALID);
  pv_store_close(st);
}

/* ---- right and wrong tries ---------------------------------------------- */

static void test_right_wrong(void) {
  pv_store *st = open_store("check.db");
  pv_pin_result res;
  pv_clock clock = pv_clock_virtual(&now_ms);
  CHECK(!pv_pin_is_set(st));
  CHECK_INT(pv_pin_check(st, &clock, "2468", &res), PV_ERR_NOTFOUND);
  CHECK_INT(pv_pin_set(st, "2468"), PV_OK);
  CHECK(pv_pin_is_set(st));
  CHECK_INT(check_pin(st, "2468", &res), PV_PIN_RIGHT);
  CHECK_INT(check_pin(st, "1357", &res), PV_PIN_WRONG);
  CHECK_INT(res.tries_left, 4);
  CHECK(has_setting(st, PV_PIN_KEY_FAILURES));
  /* A right PIN clears the count: four more wrong ones do not lock. */
  CHECK_INT(check_pin(st, "2468", &res), PV_PIN_RIGHT);
  CHECK(!has_setting(st, PV_PIN_KEY_FAILURES));
  static const char *const wrong[] = {"2469", "24680", "12", "abcd"};
  for (int i = 0; i < 4; i++) {
    CHECK_INT(check_pin(st, wrong[i], &res), PV_PIN_WRONG);
    CHECK_INT(res.tries_left, 4 - i);
  }
  CHECK_INT(check_pin(st, "2468", &res), PV_PIN_RIGHT);
  /* A new PIN replaces the old one. */
  CHECK_INT(pv_pin_set(st, "97531"), PV_OK);
  CHECK_INT(check_pin(st, "2468", NULL), PV_PIN_WRONG);
  CHECK_INT(check_pin(st, "97531", NULL), PV_PIN_RIGHT);
  pv_store_close(st);
}

/* ---- the lockout --------------------------------------------------------- */

static void lock_out(pv_store *st) {
  pv_pin_result res;
  for (int i = 0; i < PV_PIN_MAX_TRIES - 1; i++)
    CHECK_INT(check_pin(st, "0000", &res), PV_PIN_WRONG);
  CHECK_INT(check_pin(st, "0000", &res), PV_PIN_LOCKED);
  CHECK_INT(res.seconds_left, 300);
}

static void test_lockout(void) {
  pv_store *st = open_store("lock.db");
  pv_pin_result res;
  char *rec = NULL;
  now_ms = T0;
  CHECK_INT(pv_pin_set(st, "4321"), PV_OK);
  lock_out(st);
  /* The 6th try, even right, is refused with the time left. */
  CHECK_INT(check_pin(st, "4321", &res), PV_PIN_LOCKED);
  CHECK_INT(res.seconds_left, 300);
  now_ms += 60 * 1000;
  CHECK_INT(check_pin(st, "4321", &res), PV_PIN_LOCKED);
  CHECK_INT(res.seconds_left, 240);
  /* Refused without hashing: even a broken record is not read. */
  CHECK_INT(pv_store_setting_get(st, PV_PIN_KEY_HASH, &rec), PV_OK);
  CHECK_INT(pv_store_setting_set(st, PV_PIN_KEY_HASH, "garbage"), PV_OK);
  CHECK_INT(check_pin(st, "4321", &res), PV_PIN_LOCKED);
  CHECK_INT(pv_store_setting_set(st, PV_PIN_KEY_HASH, rec), PV_OK);
  free(rec);
  now_ms = T0 + PV_PIN_LOCK_MS - 500;
  CHECK_INT(check_pin(st, "4321", &res), PV_PIN_LOCKED);
  CHECK_INT(res.seconds_left, 1);
  /* Five virtual minutes later: accepted again. */
  now_ms = T0 + PV_PIN_LOCK_MS;
  CHECK_INT(check_pin(st, "4321", &res), PV_PIN_RIGHT);
  /* After a lock ends, wrong tries start from zero even with no right one. */
  lock_out(st);
  now_ms += PV_PIN_LOCK_MS;
  CHECK_INT(check_pin(st, "0000", &res), PV_PIN_WRONG);
  CHECK_INT(res.tries_left, 4);
  CHECK_INT(check_pin(st, "4321", &res), PV_PIN_RIGHT);
  /* The clock set back a day cannot stretch the lock past 5 minutes. */
  lock_out(st);
  now_ms -= 24LL * 3600 * 1000;
  CHECK_INT(check_pin(st, "4321", &res), PV_PIN_LOCKED);
  CHECK_INT(res.seconds_left, 300);
  now_ms += PV_PIN_LOCK_MS;
  CHECK_INT(check_pin(st, "4321", &res), PV_PIN_RIGHT);
  /* An unreadable lock time locks for the full 5 minutes, no longer. */
  CHECK_INT(pv_store_setting_set(st, PV_PIN_KEY_LOCKED_UNTIL, "tomorrow"), PV_OK);
  CHECK_INT(check_pin(st, "4321", &res), PV_PIN_LOCKED);
  CHECK_INT(res.seconds_left, 300);
  now_ms += PV_PIN_LOCK_MS;
  CHECK_INT(check_pin(st, "4321", &res), PV_PIN_RIGHT);
  /* Setting the PIN again lifts a lock. */
  lock_out(st);
  CHECK_INT(pv_pin_set(st, "4321"), PV_OK);
  CHECK_INT(check_pin(st, "4321", &res), PV_PIN_RIGHT);
  pv_store_close(st);
}

static void test_restart(void) {
  pv_store *st = open_store("restart.db");
  pv_pin_result res;
  now_ms = T0;
  CHECK_INT(pv_pin_set(st, "8642"), PV_OK);
  /* The failure count survives: 3 wrong, restart, 2 wrong -> locked. */
  for (int i = 0; i < 3; i++)
    CHECK_INT(check_pin(st, "1111", NULL), PV_PIN_WRONG);
  pv_store_close(st);
  st = open_store("restart.db");
  CHECK_INT(check_pin(st, "1111", &res), PV_PIN_WRONG);
  CHECK_INT(res.tries_left, 1);
  CHECK_INT(check_pin(st, "1111", &res), PV_PIN_LOCKED);
  /* So does the lock. */
  pv_store_close(st);
  now_ms += 120 * 1000;
  st = open_store("restart.db");
  CHECK_INT(check_pin(st, "8642", &res), PV_PIN_LOCKED);
  CHECK_INT(res.seconds_left, 180);
  pv_store_close(st);
  now_ms += 180 * 1000;
  st = open_store("restart.db");
  CHECK_INT(check_pin(st, "8642", &res), PV_PIN_RIGHT);
  /* A count past the limit (a write lost mid-lock) locks on the next wrong
   * try; garbage counts as one short of the lock. */
  CHECK_INT(pv_store_setting_set(st, PV_PIN_KEY_FAILURES, "7"), PV_OK);
  CHECK_INT(check_pin(st, "1111", NULL), PV_PIN_LOCKED);
  now_ms += PV_PIN_LOCK_MS;
  CHECK_INT(pv_store_setting_set(st, PV_PIN_KEY_FAILURES, "x"), PV_OK);
  CHECK_INT(check_pin(st, "1111", NULL), PV_PIN_LOCKED);
  now_ms += PV_PIN_LOCK_MS;
  CHECK_INT(check_pin(st, "8642", NULL), PV_PIN_RIGHT);
  pv_store_close(st);
}

/* ---- the stored record ---------------------------------------------------- */

static void test_record(void) {
  static const char pin[] = "73916482";
  pv_store *a = open_store("salt-a.db"), *b = open_store("salt-b.db");
  char *ra = NULL, *rb = NULL, prefix[64];
  CHECK_INT(pv_pin_set(a, pin), PV_OK);
  CHECK_INT(pv_pin_set(b, pin), PV_OK);
  CHECK_INT(pv_store_setting_get(a, PV_PIN_KEY_HASH, &ra), PV_OK);
  CHECK_INT(pv_store_setting_get(b, PV_PIN_KEY_HASH, &rb), PV_OK);
  snprintf(prefix, sizeof prefix, "pbkdf2-sha256$%d$", PV_PIN_ITERATIONS);
  CHECK(ra && strncmp(ra, prefix, strlen(prefix)) == 0);
  CHECK_INT(ra ? strlen(ra) : 0, strlen(prefix) + 32 + 1 + 64);
  CHECK(ra && !strstr(ra, pin));
  /* Same PIN, different salts, different hashes. */
  CHECK(ra && rb && strcmp(ra, rb) != 0);
  CHECK(ra && rb && strncmp(ra, rb, strlen(prefix) + 32) != 0);
  pv_store_close(a);
  pv_store_close(b);
  free(ra);
  free(rb);
}

/* A record made elsewhere (Python's hashlib.pbkdf2_hmac("sha256", b"1234",
 * bytes(range(16)), 1000)) checks: the format is standard PBKDF2 and the
 * count in the record is the one used, so older records keep working when
 * PV_PIN_ITERATIONS rises. */
static void test_known_record(void) {
  static const char kat[] =
      "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0f$"
      "2240ea2a22754a3c4610356ef8e4d7acf25af2ac3d2d11866de97a8b7812c52c";
  pv_store *st = open_store("kat.db");
  now_ms = T0;
  CHECK_INT(pv_store_setting_set(st, PV_PIN_KEY_HASH, kat), PV_OK);
  CHECK_INT(check_pin(st, "1235", NULL), PV_PIN_WRONG);
  CHECK_INT(check_pin(st, "12340", NULL), PV_PIN_WRONG);
  CHECK_INT(check_pin(st, "1234", NULL), PV_PIN_RIGHT);
  pv_store_close(st);
}

static void test_bad_records(void) {
  static const char *const bad[] = {
      "",
      "garbage",
      "md5$1000$000102030405060708090a0b0c0d0e0f$"
      "00000000000000000000000000000000000000000000000000000000000000000",
      "pbkdf2-sha256$0$000102030405060708090a0b0c0d0e0f$"
      "0000000000000000000000000000000000000000000000000000000000000000",
      "pbkdf2-sha256$-5$000102030405060708090a0b0c0d0e0f$"
      "0000000000000000000000000000000000000000000000000000000000000000",
      "pbkdf2-sha256$99999999$000102030405060708090a0b0c0d0e0f$"
      "0000000000000000000000000000000000000000000000000000000000000000",
      "pbkdf2-sha256$1000$0001020304$"
      "0000000000000000000000000000000000000000000000000000000000000000",
      "pbkdf2-sha256$1000$000102030405060708090A0B0C0D0E0F$"
      "0000000000000000000000000000000000000000000000000000000000000000",
      "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0f$"
      "000000000000000000000000000000000000000000000000000000000000000",
      "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0f$"
      "0000000000000000000000000000000000000000000000000000000000000000$",
      "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0f$"
      "000000000000000000000000000000000000000000000000000000000000000g",
  };
  pv_store *st = open_store("bad.db");
  pv_pin_result res;
  pv_clock clock = pv_clock_virtual(&now_ms);
  now_ms = T0;
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    CHECK_INT(pv_store_setting_set(st, PV_PIN_KEY_HASH, bad[i]), PV_OK);
    CHECK(pv_pin_is_set(st));
    CHECK_INT(pv_pin_check(st, &clock, "1234", &res), PV_ERR_CORRUPT);
  }
  /* A bad record costs no try. */
  CHECK(!has_setting(st, PV_PIN_KEY_FAILURES));
  pv_store_close(st);
}

/* One check's cost, printed for the record (not asserted: machines vary). */
static void report_cost(void) {
  pv_store *st = open_store("cost.db");
  struct timespec a, b;
  CHECK_INT(pv_pin_set(st, "5555"), PV_OK);
  clock_gettime(CLOCK_MONOTONIC, &a);
  CHECK_INT(check_pin(st, "5555", NULL), PV_PIN_RIGHT);
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("one pv_pin_check at %d iterations: %.1f ms (under ASan: "
         "4 to 6 times a plain build's)\n",
         PV_PIN_ITERATIONS,
         (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6);
  pv_store_close(st);
}

/* ---- pv-kiosk set-pin ------------------------------------------------------ */

/* Runs argv with input on a pipe to its stdin, stdout and stderr to log;
 * returns its exit code or -1. */
static int run_with_input(char *const argv[], const char *input, const char *log) {
  posix_spawn_file_actions_t fa;
  pid_t pid;
  int status, p[2];
  if (pipe(p) != 0)
    return -1;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[0], 0);
  posix_spawn_file_actions_addclose(&fa, p[0]);
  posix_spawn_file_actions_addclose(&fa, p[1]);
  posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  int rc = pv_test_spawn(&pid, &fa, argv);
  posix_spawn_file_actions_destroy(&fa);
  close(p[0]);
  if (rc != 0) {
    close(p[1]);
    return -1;
  }
  size_t len = strlen(input), off = 0;
  while (off < len) {
    ssize_t n = write(p[1], input + off, len - off);
    if (n <= 0)
      break; /* the child may stop reading early: EPIPE is fine */
    off += (size_t)n;
  }
  close(p[1]);
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
    return -1;
  return WEXITSTATUS(status);
}

static void test_cli(void) {
  static const struct {
    const char *input;
    int code;
    const char *says_fr, *says_en;
    const char *pin; /* the PIN that checks afterwards, or NULL: none stored */
  } cases[] = {
      {"13572468\n13572468\n", 0, "Code PIN enregistré", "PIN saved", "13572468"},
      {"1234\r\n1234\r\n", 0, "Code PIN enregistré", "PIN saved", "1234"},
      {"1234\n4321\n", 1, "les deux saisies diffèrent", "differ", NULL},
      {"1234\n", 1, "les deux saisies diffèrent", "differ", NULL},
      {"12a4\n12a4\n", 1, "4 à 8 chiffres", "4 to 8 digits", NULL},
      {"123\n123\n", 1, "4 à 8 chiffres", "4 to 8 digits", NULL},
      {"123456789\n123456789\n", 1, "4 à 8 chiffres", "4 to 8 digits", NULL},
      {"1234567812345678123456781234567812345678123456781234567812345678"
       "1234567812345678\n1234\n",
       1, "4 à 8 chiffres", "4 to 8 digits", NULL},
      {"", 1, "aucun code lu", "no PIN read", NULL},
  };
  char log[600], db[600];
  snprintf(log, sizeof log, "%s/cli.log", dir);
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    snprintf(db, sizeof db, "%s/cli-%zu.db", dir, i);
    char *argv[] = {PV_KIOSK_BIN, "set-pin", "--db", db, NULL};
    CHECK_INT(run_with_input(argv, cases[i].input, log), cases[i].code);
    {
      char *t_ = pv_test_read(log, NULL);
      CHECK_CONTAINS(t_, cases[i].says_fr);
      free(t_);
    }
    {
      char *t_ = pv_test_read(log, NULL);
      CHECK_CONTAINS(t_, cases[i].says_en);
      free(t_);
    }
    if (!cases[i].pin) {
      CHECK(access(db, F_OK) != 0); /* refused: nothing written, not even a store */
      continue;
    }
    pv_clock clock = pv_clock_virtual(&now_ms);
    pv_store *st = NULL;
    CHECK_INT(pv_store_open(db, &clock, &st), PV_OK);
    if (st) {
      CHECK_INT(check_pin(st, cases[i].pin, NULL), PV_PIN_RIGHT);
      pv_store_close(st);
    }
  }
  /* Over a locked store: the new PIN is stored and the lock lifted. */
  snprintf(db, sizeof db, "%s/cli-lock.db", dir);
  char *argv[] = {PV_KIOSK_BIN, "set-pin", "--db", db, NULL};
  CHECK_INT(run_with_input(argv, "9999\n9999\n", log), 0);
  pv_store *st = open_store("cli-lock.db");
  CHECK(!has_setting(st, PV_PIN_KEY_LOCKED_UNTIL));
  CHECK_INT(check_pin(st, "9999", NULL), PV_PIN_RIGHT);
  lock_out(st);
  pv_store_close(st);
  CHECK_INT(run_with_input(argv, "2222\n2222\n", log), 0);
  st = open_store("cli-lock.db");
  CHECK(has_setting(st, PV_PIN_KEY_HASH));
  CHECK(!has_setting(st, PV_PIN_KEY_LOCKED_UNTIL));
  CHECK_INT(check_pin(st, "2222", NULL), PV_PIN_RIGHT);
  pv_store_close(st);
  /* Usage errors exit 2. */
  char *bad[] = {PV_KIOSK_BIN, "set-pin", "--db", NULL};
  CHECK_INT(run_with_input(bad, "1234\n1234\n", log), 2);
  {
    char *t_ = pv_test_read(log, NULL);
    CHECK_CONTAINS(t_, "usage: pv-kiosk set-pin");
    free(t_);
  }
  char *bad2[] = {PV_KIOSK_BIN, "set-pin", "1234", NULL};
  CHECK_INT(run_with_input(bad2, "1234\n1234\n", log), 2);
}

int main(void) {
  snprintf(dir, sizeof dir, "%s", pv_test_tmpdir());
  test_validate();
  test_right_wrong();
  test_lockout();
  test_restart();
  test_record();
  test_known_record();
  test_bad_records();
  report_cost();
  test_cli();
  pv_test_rmtree(dir);
  return pv_test_done();
}
