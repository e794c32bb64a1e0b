/* check: the tests' tiny harness. CHECK* record a failure with file:line
 * and carry on; pv_test_done() prints "N passed, N failed" and returns the
 * exit code. Helpers make temporary folders and files. */
#ifndef PV_TEST_CHECK_H
#define PV_TEST_CHECK_H

#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

extern int pv_test_passed, pv_test_failed;

void pv_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define CHECK(cond)                                                                    \
  do {                                                                                 \
    if (cond)                                                                          \
      pv_test_passed++;                                                                \
    else                                                                               \
      pv_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                            \
  } while (0)

#define CHECK_INT(a, b)                                                                \
  do {                                                                                 \
    long long va_ = (long long)(a), vb_ = (long long)(b);                              \
    if (va_ == vb_)                                                                    \
      pv_test_passed++;                                                                \
    else                                                                               \
      pv_test_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, va_, #b, \
                   vb_);                                                               \
  } while (0)

#define CHECK_STR(a, b)                                                                \
  do {                                                                                 \
    const char *sa_ = (a), *sb_ = (b);                                                 \
    if (sa_ && sb_ && strcmp(sa_, sb_) == 0)                                           \
      pv_test_passed++;                                                                \
    else                                                                               \
      pv_test_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a,            \
                   sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");                        \
  } while (0)

/* Checks that haystack contains needle. */
#define CHECK_CONTAINS(hay, needle)                                                    \
  do {                                                                                 \
    const char *h_ = (hay), *n_ = (needle);                                            \
    if (h_ && n_ && strstr(h_, n_))                                                    \
      pv_test_passed++;                                                                \
    else                                                                               \
      pv_test_fail(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"",               \
                   h_ ? h_ : "(null)", n_ ? n_ : "(null)");                            \
  } while (0)

/* Prints the summary line; returns 0 when nothing failed (for main). */
int pv_test_done(void);

/* Makes a fresh temporary folder; returns its path (static storage per
 * call slot: the caller copies it if it needs several). Aborts on failure. */
const char *pv_test_tmpdir(void);

/* Writes len bytes to path (creating folders above it); aborts on failure. */
void pv_test_write(const char *path, const void *data, size_t len);

/* Removes a folder tree; ignores errors. */
void pv_test_rmtree(const char *path);

/* Returns the whole file, NUL-terminated (caller frees), its size in *len
 * (may be NULL; 0 on failure), or NULL when it cannot be opened. */
char *pv_test_read(const char *path, size_t *len);

/* full = 1: from now every file write of this process past offset 0
 * fails (RLIMIT_FSIZE at 1 byte, SIGXFSZ ignored), as writes fail on a
 * full disk; full = 0 lifts it. */
void pv_test_disk_full(int full);

/* Makes a fresh, empty PostgreSQL database dbname (dropped first if there)
 * on the test server that the ctest fixture "pg" started (its conninfo in
 * the file named by PV_TEST_PG_CONNINFO_FILE), and writes a conninfo for
 * it to out. Returns 0; or records a FAILURE (never a skip: CI must run
 * PostgreSQL) and returns -1. Tests run in parallel: one name per test. */
int pv_test_pg_conninfo(char *out, size_t len, const char *dbname);

/* ---- the real programs (end-to-end tests) ---- */

/* Built programs (ELF files of the test's own architecture; others, like
 * /usr/bin/openssl, run as they are) are run through the emulator ctest
 * runs the tests with when the build is cross-compiled ($PV_TEST_EMULATOR, words split
 * on spaces, e.g. "/usr/bin/qemu-aarch64 -L /", set by tests/CMakeLists.txt from
 * CMAKE_CROSSCOMPILING_EMULATOR): without binfmt_misc the kernel cannot exec an arm64
 * program. Every test starts programs with these. pv_test_execv replaces the process
 * (returns only on failure); pv_test_spawn is posix_spawn with the environment, fa may
 * be NULL. */
int pv_test_execv(char *const argv[]);
int pv_test_spawn(pid_t *pid, const posix_spawn_file_actions_t *fa, char *const argv[]);

/* Runs argv (argv[0] a path) with SDL's dummy drivers and leak checks on,
 * its stdout (and stderr too when both) into out (NUL-terminated, cap
 * bytes); returns the exit status, or -1. */
int pv_test_run(char *out, size_t cap, const char *const *argv, int both);

/* Runs `bin args... --db db` (args NULL-terminated, at most 12) by
 * pv_test_run into out and checks its exit status is want: a pass, or a
 * failure at file:line quoting the output. Returns the status. */
int pv_test_tool(const char *bin, const char *const *args, const char *db, int want,
                 char *out, size_t cap, int both, const char *file, int line);

/* Removes the line ends at the end of s. */
void pv_test_chomp(char *s);

/* Starts `collector_bin serve --listen 127.0.0.1:0 --db db` and reads its
 * "listening on URL" line: returns its pid (the caller kills and waits
 * for it) and writes URL to url ("" when it did not say so). */
pid_t pv_test_serve(const char *collector_bin, const char *db, char *url, size_t cap);

#endif
