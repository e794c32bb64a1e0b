/* check: `pv-kiosk check PATH...`, the survey linter. Loads every survey
 * found under the paths with the core loader, prints every problem as
 * file:line:col, and the audio coverage per survey and language. */
#ifndef PV_KIOSK_CHECK_H
#define PV_KIOSK_CHECK_H

#include <stdio.h>

/* Runs the linter on argv (argv[0] is "check"); writes reports to out and
 * problems to err. Returns 0 when every survey is valid and fully voiced,
 * 1 when any is not, 2 on a usage error. */
int pv_check_main(int argc, char **argv, FILE *out, FILE *err);

#endif
