/* admin: see admin.h. */
#include "kiosk/admin.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/pin.h"
#include "core/store.h"
#include "sync/usb.h"

#define DEFAULT_DB "porte-voix.db" /* as pv-kiosk itself */

/* The terminal's settings while echo is off, restored if a signal ends us
 * mid-entry so the shell is not left blind. */
static struct termios saved_tty;
static volatile sig_atomic_t echo_is_off;

static void restore_and_reraise(int sig) {
  if (echo_is_off)
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
  signal(sig, SIG_DFL);
  raise(sig);
}

static const int restore_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};

static void echo_off(void) {
  struct termios t;
  if (tcgetattr(STDIN_FILENO, &saved_tty) != 0)
    return;
  for (size_t i = 0; i < sizeof restore_signals / sizeof *restore_signals; i++)
    signal(restore_signals[i], restore_and_reraise);
  t = saved_tty;
  t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
  if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0)
    echo_is_off = 1;
}

static void echo_on(void) {
  if (echo_is_off)
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
  echo_is_off = 0;
  for (size_t i = 0; i < sizeof restore_signals / sizeof *restore_signals; i++)
    signal(restore_signals[i], SIG_DFL);
}

enum line_result { LINE_OK, LINE_EOF, LINE_TOOLONG };

/* Reads one line of stdin into buf (size bytes) without its "\n" or
 * "\r\n", prompting on errf when stdin is a terminal. A longer line is
 * read to its end and refused. */
static enum line_result read_line(const char *prompt, char *buf, size_t size, int tty,
                                  FILE *errf) {
  enum line_result res = LINE_OK;
  if (tty) {
    fputs(prompt, errf);
    fflush(errf);
    echo_off();
  }
  if (!fgets(buf, (int)size, stdin)) {
    res = LINE_EOF;
  } else {
    size_t len = strlen(buf);
    if (len > 0 && buf[len - 1] == '\n') {
      buf[--len] = '\0';
    } else if (!feof(stdin)) {
      int c;
      while ((c = getchar()) != EOF && c != '\n')
        ;
      res = LINE_TOOLONG;
    }
    if (len > 0 && buf[len - 1] == '\r')
      buf[--len] = '\0';
  }
  if (tty) {
    echo_on();
    fputc('\n', errf); /* the Enter the terminal did not echo */
  }
  return res;
}

static int usage(FILE *f) {
  fprintf(f, "usage: pv-kiosk set-pin [--db FILE]   (the PIN twice on stdin)\n");
  return 2;
}

static const char bad_pin_msg[] =
    "pv-kiosk set-pin : le code doit compter de 4 à 8 chiffres (0 à 9) ; rien n'a "
    "changé.\n"
    "pv-kiosk set-pin: the PIN must be 4 to 8 digits (0-9); nothing changed.\n";

int pv_admin_set_pin_main(int argc, char **argv, FILE *out, FILE *errf) {
  const char *db = DEFAULT_DB;
  char pin[PV_ADMIN_MAX_LINE], again[PV_ADMIN_MAX_LINE];
  int code = 1, tty = isatty(STDIN_FILENO);
  pv_store *st = NULL;
  pv_clock clock = pv_clock_system();
  enum line_result lr;
  pv_err err;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
      db = argv[++i];
    else
      return usage(errf);
  }
  memset(pin, 0, sizeof pin);
  memset(again, 0, sizeof again);
  lr = read_line("Nouveau code PIN (4 à 8 chiffres) / New PIN (4 to 8 digits): ", pin,
                 sizeof pin, tty, errf);
  if (lr == LINE_EOF) {
    fprintf(errf, "pv-kiosk set-pin : aucun code lu ; rien n'a changé.\n"
                  "pv-kiosk set-pin: no PIN read on stdin; nothing changed.\n");
    goto out;
  }
  if (lr == LINE_TOOLONG || pv_pin_validate(pin) != PV_OK) {
    fputs(bad_pin_msg, errf);
    goto out;
  }
  lr = read_line("Confirmez le code / Confirm the PIN: ", again, sizeof again, tty,
                 errf);
  if (lr != LINE_OK || strcmp(pin, again) != 0) {
    fprintf(errf, "pv-kiosk set-pin : les deux saisies diffèrent ; rien n'a changé.\n"
                  "pv-kiosk set-pin: the two entries differ; nothing changed.\n");
    goto out;
  }
  if ((err = pv_store_open(db, &clock, &st)) || (err = pv_pin_set(st, pin))) {
    fprintf(errf,
            "pv-kiosk set-pin : le code n'a pas pu être enregistré dans %s.\n"
            "pv-kiosk set-pin: %s: %s (%s)\n",
            db, db, pv_strerror(err), pv_err_detail());
    goto out;
  }
  fprintf(out, "Code PIN enregistré dans %s.\nPIN saved in %s.\n", db, db);
  code = 0;
out:
  explicit_bzero(pin, sizeof pin);
  explicit_bzero(again, sizeof again);
  pv_store_close(st);
  return code;
}

/* ---- export-usb ---- */

int pv_admin_export_usb_main(int argc, char **argv, FILE *out, FILE *errf) {
  const char *db = NULL, *dir = NULL;
  pv_store *st = NULL;
  pv_clock clock = pv_clock_system();
  pv_usb_report rep;
  struct stat sb;
  int code = 1, bad = 0;
  pv_err err;
  for (int i = 1; i < argc && !bad; i++) {
    if (strcmp(argv[i], "--db") == 0 && i + 1 < argc && !db)
      db = argv[++i];
    else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc && !dir)
      dir = argv[++i];
    else
      bad = 1;
  }
  if (bad || !db || !dir) {
    fprintf(errf, "usage: pv-kiosk export-usb --db FILE --out DIR\n");
    return 2;
  }
  /* Opening creates a missing store: an export needs an existing one. */
  if (stat(db, &sb) != 0) {
    fprintf(errf,
            "pv-kiosk export-usb : la base %s est introuvable ; rien n'a été écrit.\n"
            "pv-kiosk export-usb: %s: %s\n",
            db, db, strerror(errno));
    return 1;
  }
  if ((err = pv_store_open(db, &clock, &st))) {
    fprintf(errf,
            "pv-kiosk export-usb : la base %s n'a pas pu être ouverte ; rien n'a été "
            "écrit.\npv-kiosk export-usb: %s: %s (%s)\n",
            db, db, pv_strerror(err), pv_err_detail());
    goto out;
  }
  if ((err = pv_usb_export(st, dir, &rep))) {
    fprintf(errf, "pv-kiosk export-usb : %s\npv-kiosk export-usb: %s: %s\n",
            rep.message_fr, dir, rep.message);
    goto out;
  }
  fprintf(out, "%s\n%s\n", rep.folder, rep.message_fr);
  fprintf(out, "%zu responses, %zu sessions, %zu attachments, %llu bytes\n",
          rep.responses, rep.sessions, rep.attachments, (unsigned long long)rep.bytes);
  code = 0;
out:
  pv_store_close(st);
  return code;
}
