/* anim_env: the platform's callbacks for animateur mode (see anim_env.h).
 * Everything here is read when the status or USB screen draws a frame or
 * the animateur taps: small files in /sys, one statvfs, a few directory
 * listings, each bounded. */
#include "kiosk/anim_env.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/log.h"
#include "sync/usb.h"

#define POWER_SUPPLY_DIR "/sys/class/power_supply"
#define MAX_ENTRIES 64  /* entries looked at in one folder */
#define SYS_VALUE 64    /* bytes read of one /sys attribute */
#define ROOTS_TEXT 2048 /* bytes of PV_USB_ROOTS */

/* ---- battery --------------------------------------------------------------------- */

/* Reads the small text file dir/name into buf (trailing white space
 * removed); returns 0, or -1 when it cannot be read. */
static int read_attr(const char *dir, const char *name, char *buf, size_t cap) {
  char path[PV_ANIM_PATH];
  if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
    return -1;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, cap - 1);
  close(fd);
  if (n < 0)
    return -1;
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
    n--;
  buf[n] = '\0';
  return 0;
}

/* Returns the first battery's charge (0..100) under root and writes
 * whether it is plugged in to *charging; -1 when there is none. */
static int battery_of(const char *root, int *charging) {
  struct dirent **names = NULL;
  int n = scandir(root, &names, NULL, alphasort), percent = -1;
  *charging = 0;
  for (int i = 0; i < n; i++) {
    char dir[PV_ANIM_PATH], value[SYS_VALUE], *end = NULL;
    if (percent < 0 && i < MAX_ENTRIES && names[i]->d_name[0] != '.' &&
        snprintf(dir, sizeof dir, "%s/%s", root, names[i]->d_name) < (int)sizeof dir &&
        read_attr(dir, "type", value, sizeof value) == 0 && !strcmp(value, "Battery") &&
        read_attr(dir, "capacity", value, sizeof value) == 0) {
      errno = 0;
      long v = strtol(value, &end, 10);
      if (!errno && end != value && !*end && v >= 0 && v <= 100) {
        percent = (int)v;
        /* "Not charging" is plugged in too (full, or held by a charge limit) */
        *charging = read_attr(dir, "status", value, sizeof value) == 0 &&
                    (!strcmp(value, "Charging") || !strcmp(value, "Full") ||
                     !strcmp(value, "Not charging"));
      }
    }
    free(names[i]);
  }
  free(names);
  return percent;
}

/* ---- folders for an export ------------------------------------------------------- */

typedef struct found {
  char (*dirs)[PV_ANIM_PATH];
  size_t n, max;
} found;

/* 1 when path is a mount point (another device than its parent's). */
static int is_mount(const char *path) {
  char parent[PV_ANIM_PATH + 4];
  struct stat a, b;
  snprintf(parent, sizeof parent, "%s/..", path);
  if (stat(path, &a) != 0 || stat(parent, &b) != 0)
    return 0;
  return a.st_dev != b.st_dev;
}

static void add_dir(found *fd, const char *path) {
  for (size_t i = 0; i < fd->n; i++)
    if (!strcmp(fd->dirs[i], path))
      return;
  if (fd->n < fd->max)
    snprintf(fd->dirs[fd->n++], PV_ANIM_PATH, "%s", path);
}

/* Offers root's writable sub-folders; with check_mount, only mount points,
 * looking depth - 1 levels further into folders that are not. */
static void scan_root(found *fd, const char *root, int check_mount, int depth) {
  struct dirent **names = NULL;
  int n = scandir(root, &names, NULL, alphasort);
  for (int i = 0; i < n; i++) {
    char path[PV_ANIM_PATH];
    struct stat st;
    if (i < MAX_ENTRIES && fd->n < fd->max && names[i]->d_name[0] != '.' &&
        snprintf(path, sizeof path, "%s/%s", root, names[i]->d_name) <
            (int)sizeof path &&
        stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
      if (!check_mount || is_mount(path)) {
        if (access(path, W_OK) == 0)
          add_dir(fd, path);
      } else if (depth > 1) {
        scan_root(fd, path, check_mount, depth - 1);
      }
    }
    free(names[i]);
  }
  free(names);
}

/* The folders an export may go to: PV_USB_ROOTS's sub-folders, or the
 * mounted removable media (/media/<user>/X, /media/X, /run/media/<user>/X)
 * and then /mnt/X. */
static size_t usb_dirs(void *ud, char dirs[][PV_ANIM_PATH], size_t max) {
  (void)ud;
  found fd = {dirs, 0, max};
  const char *env = getenv("PV_USB_ROOTS");
  if (env && *env) {
    char roots[ROOTS_TEXT];
    snprintf(roots, sizeof roots, "%s", env);
    char *p = roots;
    for (int i = 0; p && i < PV_ANIM_ENV_MAX_ROOTS; i++) {
      char *colon = strchr(p, ':');
      if (colon)
        *colon = '\0';
      if (*p)
        scan_root(&fd, p, 0, 1);
      p = colon ? colon + 1 : NULL;
    }
    return fd.n;
  }
  scan_root(&fd, "/media", 1, 2);
  scan_root(&fd, "/run/media", 1, 2);
  scan_root(&fd, "/mnt", 1, 1);
  return fd.n;
}

/* Copies src into dst (cap bytes), cut on a character if too long. */
static void copy_text(char *dst, size_t cap, const char *src) {
  size_t len = strlen(src);
  if (len >= cap)
    for (len = cap - 1; len > 0 && (src[len] & 0xC0) == 0x80; len--)
      ;
  memcpy(dst, src, len);
  dst[len] = '\0';
}

/* ---- the store's file system ------------------------------------------------------
 */

#define FS_TMPFS 0x01021994UL /* linux/magic.h */
#define FS_RAMFS 0x858458f6UL
#define FS_OVERLAY 0x794c7630UL

static int octal(char c) {
  return c >= '0' && c <= '7';
}

/* Copies mountinfo's field f (spaces written \040) into out (cap bytes). */
static void unescape(const char *f, size_t len, char *out, size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < len && n + 1 < cap; i++) {
    if (f[i] == '\\' && i + 3 < len && octal(f[i + 1]) && octal(f[i + 2]) &&
        octal(f[i + 3])) {
      out[n++] =
          (char)((f[i + 1] - '0') << 6 | (f[i + 2] - '0') << 3 | (f[i + 3] - '0'));
      i += 3;
    } else {
      out[n++] = f[i];
    }
  }
  out[n] = '\0';
}

int pv_anim_env_overlay_upper(const char *dir, char *out, size_t cap) {
  char real[PATH_MAX], best[PATH_MAX] = "", *line = NULL;
  size_t line_cap = 0;
  out[0] = '\0';
  if (!realpath(dir, real))
    return 0;
  const char *info = getenv("PV_MOUNTINFO");
  FILE *f = fopen(info && *info ? info : "/proc/self/mountinfo", "re");
  while (f && getline(&line, &line_cap, f) > 0) { /* overlay lines can be long */
    /* id parent major:minor root MOUNT-POINT options... - TYPE SOURCE SUPER */
    char *save = NULL, *field = strtok_r(line, " \n", &save);
    char mnt[PATH_MAX] = "";
    for (int i = 1; field && i <= 4; i++)
      field = strtok_r(NULL, " \n", &save);
    if (!field)
      continue;
    unescape(field, strlen(field), mnt, sizeof mnt);
    while ((field = strtok_r(NULL, " \n", &save)) && strcmp(field, "-") != 0)
      ;
    const char *type = strtok_r(NULL, " \n", &save);
    strtok_r(NULL, " \n", &save); /* the source */
    const char *super = strtok_r(NULL, " \n", &save);
    size_t n = strlen(mnt);
    int under = strcmp(mnt, "/") == 0 ||
                (strncmp(real, mnt, n) == 0 && (real[n] == '/' || real[n] == '\0'));
    if (!under || n < strlen(best) || !type || !super)
      continue;
    snprintf(best, sizeof best, "%s", mnt); /* the innermost mount holding dir */
    out[0] = '\0';
    const char *up = strcmp(type, "overlay") == 0 ? strstr(super, "upperdir=") : NULL;
    if (up) {
      up += strlen("upperdir=");
      unescape(up, strcspn(up, ","), out, cap);
    }
  }
  free(line);
  if (f)
    fclose(f);
  return out[0] != '\0';
}

int pv_anim_env_in_memory(const char *dir) {
  struct statfs sf;
  if (statfs(dir, &sf) != 0)
    return 0;
  unsigned long type = (unsigned long)sf.f_type;
  if (type == FS_TMPFS || type == FS_RAMFS)
    return 1;
  if (type != FS_OVERLAY)
    return 0;
  /* An overlay keeps its changes in its upper layer: overlayroot's is a
   * tmpfs it leaves visible (/media/root-rw); a container's is on disk
   * and out of sight, so unknown, and not warned about. */
  char upper[PV_ANIM_PATH];
  if (!pv_anim_env_overlay_upper(dir, upper, sizeof upper) || statfs(upper, &sf) != 0)
    return 0;
  type = (unsigned long)sf.f_type;
  return type == FS_TMPFS || type == FS_RAMFS;
}

/* ---- the callbacks -----------------------------------------------------------------
 */

static void status(void *ud, pv_anim_status *out) {
  pv_anim_platform *p = ud;
  memset(out, 0, sizeof *out);
  out->sync_configured = p->sync != NULL;
  if (p->sync) {
    pv_sync_status s;
    pv_sync_status_get(p->sync, &s);
    if (s.last_success_ms > 0)
      pv_time_iso(s.last_success_ms, out->last_sync);
    copy_text(out->problem, sizeof out->problem, s.last_error);
  }
  struct statvfs sv;
  out->storage_free = statvfs(p->store_dir, &sv) == 0
                          ? (int64_t)sv.f_bavail * (int64_t)sv.f_frsize
                          : -1;
  out->storage_in_memory = pv_anim_env_in_memory(p->store_dir);
  const char *root = getenv("PV_POWER_SUPPLY_DIR");
  out->battery = battery_of(root && *root ? root : POWER_SUPPLY_DIR, &out->charging);
}

static void sync_now(void *ud) {
  pv_anim_platform *p = ud;
  pv_sync_kick(p->sync);
}

static pv_err usb_export(void *ud, const char *dir, char *msg, size_t cap) {
  pv_anim_platform *p = ud;
  pv_usb_report rep;
  memset(&rep, 0, sizeof rep);
  pv_err err = pv_usb_export(p->store, dir, &rep);
  if (err != PV_OK) {
    PV_WARN("anim: %s", rep.message);
    snprintf(msg, cap, "%s Rien n'a été effacé sur la tablette.",
             rep.message_fr[0] ? rep.message_fr : "L'export n'a pas pu se faire.");
  } else {
    PV_INFO("anim: %s", rep.message);
    snprintf(msg, cap, "%s", rep.message_fr[0] ? rep.message_fr : "Export terminé.");
  }
  return err;
}

static void set_volume(void *ud, int volume) {
  pv_anim_platform *p = ud;
  pv_audio_set_volume(p->audio, volume);
}

void pv_anim_env_init(pv_anim_env *env, pv_anim_platform *p, const char *store_path,
                      pv_store *store, pv_sync *sync, pv_audio_ctx *audio) {
  memset(p, 0, sizeof *p);
  const char *slash = store_path ? strrchr(store_path, '/') : NULL;
  if (!slash)
    snprintf(p->store_dir, sizeof p->store_dir, ".");
  else if (slash == store_path)
    snprintf(p->store_dir, sizeof p->store_dir, "/");
  else
    snprintf(p->store_dir, sizeof p->store_dir, "%.*s", (int)(slash - store_path),
             store_path);
  p->store = store;
  p->sync = sync;
  p->audio = audio;
  if (pv_anim_env_in_memory(p->store_dir))
    PV_WARN("kiosk: %s is in memory (tmpfs or overlay): answers not yet sent are lost "
            "at power-off; put the store on a disk partition (docs/raspberry-pi.md)",
            p->store_dir);
  *env = (pv_anim_env){.ud = p,
                       .status = status,
                       .sync_now = sync ? sync_now : NULL,
                       .usb_dirs = usb_dirs,
                       .usb_export = store ? usb_export : NULL,
                       .set_volume = audio ? set_volume : NULL};
}
