/* uuid: random (version 4) UUIDs from getrandom(2), for responses,
 * sessions and devices. */
#ifndef PV_UUID_H
#define PV_UUID_H

#include "core/err.h"

#define PV_UUID_LEN 36 /* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" */

/* Writes a fresh lowercase UUID v4 and a NUL into out; PV_ERR_IO if the
 * kernel's random source fails. */
pv_err pv_uuid_v4(char out[PV_UUID_LEN + 1]);

/* Returns 1 if s is a well-formed lowercase UUID v4, else 0. */
int pv_uuid_valid(const char *s);

#endif
