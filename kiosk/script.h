/* script: the headless runner's language, driving the app with no SDL.
 *
 * One command per line (docs/headless.md): `tap X Y`, `tap @ID`,
 * `drag @ID X Y`, `hold @ID MS`, `wait MS` (virtual time, instant),
 * `expect SCREEN`, `shot NAME`, `pin @KIND X Y` (map), `type TEXT` and
 * `key NAME` (text keyboard), `press @ID MS` and `release` (a long press
 * left down, for shots); `#` starts a comment (not in `type`). Each
 * command feeds pointer events to the ui context at the virtual clock's time and draws
 * frames between them, as the real loop would. Rendering and screenshots
 * are callbacks, so tests run scripts without a display and pv-kiosk
 * --headless runs the same scripts through SDL. */
#ifndef PV_KIOSK_SCRIPT_H
#define PV_KIOSK_SCRIPT_H

#include <stdint.h>
#include <stdio.h>

#include "kiosk/app.h"

#define PV_SCRIPT_MAX_LINE 512
#define PV_SCRIPT_MAX_WAIT_MS (24LL * 3600 * 1000) /* one wait, one virtual day */

/* Exit codes of a script run (pv-kiosk --headless returns them). */
enum { PV_SCRIPT_OK = 0, PV_SCRIPT_BAD_LINE = 2, PV_SCRIPT_FAILED = 3 };

typedef struct pv_script_env {
  pv_app *app;
  pv_ui *ui;
  pv_draw_list *dl;
  int width, height;
  double diagonal_in; /* for metrics; 0 = unknown */
  int64_t *clock_ms;  /* the virtual clock the app reads */
  pv_measure_fn measure;
  void *measure_ud;
  /* Optional: draw the list (after every frame) and save a PNG. */
  void (*render)(void *ud, const pv_draw_list *dl);
  pv_err (*shot)(void *ud, const char *name);
  void *ud;
} pv_script_env;

/* Draws one frame now (tick, metrics for the current direction, frame,
 * render). */
void pv_script_frame(pv_script_env *env);

/* Runs one script line (no newline); line_no is for messages written to
 * err. Returns PV_SCRIPT_OK, _BAD_LINE or _FAILED. */
int pv_script_line(pv_script_env *env, const char *line, int line_no, const char *name,
                   FILE *err);

/* Runs a script file; stops at the first bad line or failed expect.
 * Returns PV_SCRIPT_OK, _BAD_LINE (also for an unreadable file) or
 * _FAILED, with a one-line reason on err. */
int pv_script_run(pv_script_env *env, const char *path, FILE *err);

#endif
