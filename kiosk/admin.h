/* admin: the kiosk's command-line chores for whoever installs it, beside
 * the touchscreen: `pv-kiosk set-pin` sets the animateur's PIN (core/pin)
 * in the device store; `pv-kiosk export-usb` copies the store to a mounted
 * folder for `pv-collector import` (sync/usb). */
#ifndef PV_KIOSK_ADMIN_H
#define PV_KIOSK_ADMIN_H

#include <stdio.h>

#define PV_ADMIN_MAX_LINE 64 /* bytes of one line read from stdin */

/* `pv-kiosk set-pin [--db FILE]`: reads the new PIN twice from stdin (no
 * echo when it is a terminal) and stores it, clearing any lockout. Returns
 * the exit code: 0 saved, 1 refused (bad PIN, mismatch, no input, store
 * error; reason in French then English on err), 2 usage. */
int pv_admin_set_pin_main(int argc, char **argv, FILE *out, FILE *err);

/* `pv-kiosk export-usb --db FILE --out DIR`: writes a new export folder
 * under DIR (pv_usb_export) and prints its path and counts. Returns the
 * exit code: 0 written, 1 refused (no store, folder missing, read-only or
 * full; reason in French then English on err, nothing left behind), 2
 * usage. The store is only read: nothing is marked synced. */
int pv_admin_export_usb_main(int argc, char **argv, FILE *out, FILE *err);

#endif
