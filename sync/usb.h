/* usb: moving a device's data without network (issue 6, item 6).
 *
 * pv_usb_export copies what a kiosk holds into a fresh folder on a mounted
 * stick, in the sync protocol's own canonical JSON (sync/protocol.h), so
 * `pv-collector import` ingests it with the same rules as a network sync:
 *
 *   <dir>/porte-voix-<device uuid>-<YYYYMMDDTHHMMSSZ>[-N]/
 *     responses.jsonl       every finished response, one per line
 *     sessions.jsonl        every session, one per line
 *     attachments/<sha256>  each attachment an answer names
 *     manifest.json         written last: every file's SHA-256 and size
 *
 * A folder without manifest.json is unfinished. An export never changes
 * the device store (nothing is marked synced); a failure removes the
 * partial folder. pv_usb_verify checks a folder against its manifest
 * before anything is read from it; pv_usb_load then reads each listed
 * file whole and checks the very bytes it hands over. Only regular files
 * are ever opened, without blocking. Format: docs/animateur.md. */
#ifndef PV_USB_H
#define PV_USB_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/sha256.h"
#include "core/store.h"
#include "core/uuid.h"

#define PV_USB_FORMAT "porte-voix-usb" /* manifest "format" */
#define PV_USB_VERSION 1               /* manifest "version" this code writes */
#define PV_USB_PREFIX "porte-voix-"    /* export folder names start so */
#define PV_USB_MANIFEST "manifest.json"
#define PV_USB_RESPONSES "responses.jsonl"
#define PV_USB_SESSIONS "sessions.jsonl"
#define PV_USB_ATTACHMENTS "attachments"
#define PV_USB_MAX_ATTACHMENTS 65536   /* attachment files in one export */
#define PV_USB_MAX_MANIFEST (16 << 20) /* bytes of manifest.json */
#define PV_USB_MAX_LINE (4 << 20)      /* bytes of one .jsonl line */
#define PV_USB_MAX_JSONL (512 << 20)   /* bytes of one .jsonl: import holds it whole */
#define PV_USB_MAX_PATH 1024           /* bytes of a folder path */
#define PV_USB_MAX_REL 80              /* "attachments/<64 hex>" */
#define PV_USB_MAX_MESSAGE 300         /* bytes of a report message */
#define PV_USB_MAX_SUFFIX 99           /* "-2".."-99" when a name is taken */

/* What an export did, or why it failed: message for logs (English),
 * message_fr for the animateur's screen (short plain French). */
typedef struct pv_usb_report {
  char folder[PV_USB_MAX_PATH + 1]; /* the export folder; "" on failure */
  size_t responses, sessions, attachments;
  uint64_t bytes;   /* bytes written, manifest included */
  uint64_t missing; /* on PV_ERR_FULL: bytes lacking, 0 when unknown */
  char message[PV_USB_MAX_PATH + PV_USB_MAX_MESSAGE + 1];
  char message_fr[PV_USB_MAX_MESSAGE + 1];
} pv_usb_report;

/* One file a manifest lists. */
typedef struct pv_usb_file {
  char path[PV_USB_MAX_REL + 1]; /* "responses.jsonl", "attachments/<sha>" */
  char sha256[PV_SHA256_HEX + 1];
  uint64_t size;
  char media_type[PV_STORE_MAX_MEDIA_TYPE + 1]; /* attachments only, else "" */
} pv_usb_file;

/* A manifest as pv_usb_verify read it. */
typedef struct pv_usb_manifest {
  int version;
  char device[PV_UUID_LEN + 1];
  char created_at[PV_STORE_TIME_LEN + 1];
  size_t responses, sessions, attachments; /* its counts, checked */
  pv_usb_file *files;                      /* malloc'd, pv_usb_manifest_free */
  size_t n_files;
} pv_usb_manifest;

/* Writes a new export folder of st under dir (an existing, writable
 * folder: a mounted stick) and fills *rep (always, success or not).
 * PV_ERR_NOTFOUND: dir missing; PV_ERR_STATE: dir read-only (or not a
 * folder); PV_ERR_FULL: not enough room, checked first with statvfs and
 * again on every write (ENOSPC, EFBIG, EDQUOT). On any failure the partial
 * folder is removed. st is only read. */
pv_err pv_usb_export(pv_store *st, const char *dir, pv_usb_report *rep);

/* Reads export_dir/manifest.json strictly into *out (caller frees with
 * pv_usb_manifest_free, also after a failure) and checks the folder
 * against it: every listed file's size and SHA-256, the counts against
 * the .jsonl line counts, and that no unlisted file sits there (dot-files,
 * Thumbs.db and desktop.ini, left by macOS and Windows, aside). Failures
 * name the file in pv_err_detail(): PV_ERR_NOTFOUND (no manifest: an
 * unfinished export; a listed file missing), PV_ERR_CORRUPT (size or
 * hash mismatch, an unlisted file), PV_ERR_INVALID (manifest malformed),
 * PV_ERR_FOREIGN (a newer format version), PV_ERR_TOOBIG (past a bound). */
pv_err pv_usb_verify(const char *export_dir, pv_usb_manifest *out);

/* Reads the listed file f of export_dir whole into *out (malloc'd, caller
 * frees; a NUL follows its f->size bytes) and checks those very bytes
 * against f's size and SHA-256, so what a caller parses or stores is what
 * was hashed, whatever happens to the file meanwhile. Refuses what is not
 * a regular file (a FIFO or a device node never blocks the read; a
 * symbolic link is not followed). PV_ERR_CORRUPT (changed, damaged, not
 * a regular file), PV_ERR_NOTFOUND, PV_ERR_TOOBIG (past
 * PV_USB_MAX_JSONL or PV_STORE_MAX_ATTACHMENT), PV_ERR_IO; the detail
 * names f->path. */
pv_err pv_usb_load(const char *export_dir, const pv_usb_file *f, unsigned char **out);
void pv_usb_manifest_free(pv_usb_manifest *m);

#endif
