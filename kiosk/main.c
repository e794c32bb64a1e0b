/* pv-kiosk: the resident-facing program. Subcommands dispatch from a
 * table; without one, it runs the touchscreen app (kiosk/platform). */
#include <stdio.h>
#include <string.h>

#include "kiosk/admin.h"
#include "kiosk/check.h"
#include "kiosk/link.h"
#include "kiosk/platform.h"

static const struct command {
  const char *name;
  const char *help;
  int (*run)(int argc, char **argv, FILE *out, FILE *err);
} commands[] = {
    {"check", "check PATH...   lint survey files and folders, report audio coverage",
     pv_check_main},
    {"sync", "sync --once --config FILE [--db FILE]   send what is waiting, once",
     pv_link_main},
    {"set-pin", "set-pin [--db FILE]   set the animateur PIN (read twice on stdin)",
     pv_admin_set_pin_main},
    {"export-usb", "export-usb --db FILE --out DIR   copy responses to a USB folder",
     pv_admin_export_usb_main},
};

static int usage(FILE *f) {
  fprintf(f, "usage: pv-kiosk [--window WxH | --headless ...] (the kiosk)\n"
             "       pv-kiosk COMMAND [ARGS]\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    fprintf(f, "  %s\n", commands[i].help);
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 2 || argv[1][0] == '-') {
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
      usage(stdout);
      return 0;
    }
    return pv_kiosk_main(argc, argv);
  }
  if (strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      return commands[i].run(argc - 1, argv + 1, stdout, stderr);
  fprintf(stderr, "pv-kiosk: unknown command \"%s\"\n", argv[1]);
  return usage(stderr);
}
