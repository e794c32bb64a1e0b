/* admin: the kiosk's command-line chores for whoever installs it, beside
 * the touchscreen: `pv-kiosk set-pin` sets the animateur's PIN (core/pin)
 * in the device store. */
#ifndef PV_KIOSK_ADMIN_H
#define PV_KIOSK_ADMIN_H

#include <stdio.h>

#define PV_ADMIN_MAX_LINE 64 /* bytes of one line read from stdin */

/* `pv-kiosk set-pin [--db FILE]`: reads the new PIN twice from stdin (no
 * echo when it is a terminal) and stores it, clearing any lockout. Returns
 * the exit code: 0 saved, 1 refused (bad PIN, mismatch, no input, store
 * error; reason in French then English on err), 2 usage. */
int pv_admin_set_pin_main(int argc, char **argv, FILE *out, FILE *err);

#endif
