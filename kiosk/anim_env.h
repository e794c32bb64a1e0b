/* anim_env: the platform's side of animateur mode (kiosk/anim.h's
 * pv_anim_env) on a real device: the sync thread's status and "sync now",
 * free space beside the store, the battery from /sys/class/power_supply,
 * the mounted removable folders an export may go to, the export itself
 * (sync/usb.h) and the volume (kiosk/audio.h).
 *
 * Environment, for tests and the headless demo:
 *   PV_POWER_SUPPLY_DIR  replaces /sys/class/power_supply;
 *   PV_MOUNTINFO         replaces /proc/self/mountinfo;
 *   PV_USB_ROOTS="a:b"   replaces the folders whose entries are offered
 *                        (/media/$USER, /media, /run/media/<user>, /mnt);
 *                        their writable sub-folders are offered without
 *                        the mount-point check. */
#ifndef PV_KIOSK_ANIM_ENV_H
#define PV_KIOSK_ANIM_ENV_H

#include "core/store.h"
#include "kiosk/anim.h"
#include "kiosk/audio.h"
#include "sync/engine.h"

#define PV_ANIM_ENV_MAX_ROOTS 8 /* folders PV_USB_ROOTS may name */

/* What the callbacks work with; the caller keeps it (a field of its own
 * state) as long as the pv_anim_env is used. */
typedef struct pv_anim_platform {
  char store_dir[PV_ANIM_PATH]; /* the store's folder: its free space */
  pv_store *store;              /* the UI thread's store: what an export reads */
  pv_sync *sync;                /* NULL: no collector on this device */
  pv_audio_ctx *audio;          /* NULL: no sound */
} pv_anim_platform;

/* Fills *p (store, sync and audio borrowed; each may be NULL) and env
 * with callbacks over p: env->sync_now is NULL without a sync thread,
 * env->set_volume without audio, env->usb_export without a store. Warns
 * in the log when the store's folder is in memory. */
void pv_anim_env_init(pv_anim_env *env, pv_anim_platform *p, const char *store_path,
                      pv_store *store, pv_sync *sync, pv_audio_ctx *audio);

/* 1 when the folder dir is on a file system kept in memory (tmpfs,
 * ramfs, an overlay whose upper layer is one, such as Raspberry Pi OS's
 * read-only root): what is written there is lost at the next power-off.
 * 0 otherwise or unknown. */
int pv_anim_env_in_memory(const char *dir);

/* When the innermost mount holding dir is an overlay, writes its upper
 * layer's folder (from /proc/self/mountinfo, or the file $PV_MOUNTINFO
 * names, for tests) to out and returns 1; else 0. */
int pv_anim_env_overlay_upper(const char *dir, char *out, size_t cap);

#endif
