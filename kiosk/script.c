/* script: see script.h. Commands dispatch from a table. */
#include "kiosk/script.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kiosk/keyboard.h"
#include "kiosk/metrics.h"
#include "kiosk/q_drawing.h"

#define FINGER 1
#define MAX_WORDS 66 /* a command and its words: draw takes 32 points */
#define STEP_MS 16   /* time between synthesised frames during a gesture */

void pv_script_frame(pv_script_env *env) {
  pv_metrics m;
  pv_app_tick(env->app, env->ui);
  pv_metrics_compute(&m, env->width, env->height, env->diagonal_in,
                     pv_app_rtl(env->app));
  pv_app_frame(env->app, env->ui, env->dl, &m, env->measure, env->measure_ud);
  if (env->render)
    env->render(env->ud, env->dl);
}

/* Moves the virtual clock by ms, drawing frames whenever the app asks for
 * one (animations, countdowns) or at least every second. */
static void advance(pv_script_env *env, int64_t ms) {
  int64_t end = *env->clock_ms + ms;
  while (*env->clock_ms < end) {
    int64_t next = pv_app_tick(env->app, env->ui);
    if (next <= 0 || next > 1000)
      next = next <= 0 ? 1 : 1000;
    *env->clock_ms += next < end - *env->clock_ms ? next : end - *env->clock_ms;
    pv_script_frame(env);
  }
}

static void pointer(pv_script_env *env, pv_ptr_kind kind, int x, int y) {
  pv_ui_pointer(env->ui, kind, FINGER, x, y, *env->clock_ms);
}

typedef struct args {
  int n;
  char *v[MAX_WORDS];
} args;

static int parse_int(const char *s, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi)
    return 0;
  *out = v;
  return 1;
}

typedef struct run {
  pv_script_env *env;
  const char *name;
  int line;
  FILE *err;
} run;

__attribute__((format(printf, 3, 4))) static int fail(run *r, int code, const char *fmt,
                                                      ...) {
  va_list ap;
  char screen[64];
  fprintf(r->err, "%s:%d: ", r->name, r->line);
  va_start(ap, fmt);
  vfprintf(r->err, fmt, ap);
  va_end(ap);
  if (code == PV_SCRIPT_FAILED)
    fprintf(r->err, " (on screen %s)",
            pv_app_screen_name(r->env->app, screen, sizeof screen));
  fputc('\n', r->err);
  return code;
}

/* Resolves "X Y" or "@ID" to a point; returns 0 (after reporting) if not. */
static int target(run *r, const args *a, int at, int *x, int *y, int *code) {
  if (a->v[at][0] == '@') {
    const pv_rect *rect = pv_ui_find(r->env->ui, a->v[at] + 1);
    if (!rect) {
      *code = fail(r, PV_SCRIPT_FAILED, "no widget %s on screen", a->v[at]);
      return 0;
    }
    *x = rect->x + rect->w / 2;
    *y = rect->y + rect->h / 2;
    return 1;
  }
  long lx, ly;
  if (at + 1 >= a->n || !parse_int(a->v[at], 0, 100000, &lx) ||
      !parse_int(a->v[at + 1], 0, 100000, &ly)) {
    *code = fail(r, PV_SCRIPT_BAD_LINE, "expected X Y or @ID");
    return 0;
  }
  *x = (int)lx;
  *y = (int)ly;
  return 1;
}

/* A finger down at (x, y), 80 ms, up. */
static void tap_at(pv_script_env *env, int x, int y) {
  pointer(env, PV_PTR_DOWN, x, y);
  pv_script_frame(env); /* the pressed look */
  advance(env, 80);
  pointer(env, PV_PTR_UP, x, y);
  pv_script_frame(env); /* reports the tap */
  pv_script_frame(env); /* shows the new state */
}

static int cmd_tap(run *r, const args *a) {
  int x, y, code = PV_SCRIPT_OK;
  if (a->n != 2 && a->n != 3)
    return fail(r, PV_SCRIPT_BAD_LINE, "usage: tap X Y | tap @ID");
  if (!target(r, a, 1, &x, &y, &code))
    return code;
  tap_at(r->env, x, y);
  return PV_SCRIPT_OK;
}

static int parse_unit(const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !(v >= 0.0 && v <= 1.0))
    return 0;
  *out = v;
  return 1;
}

/* pin @KIND X Y: taps the palette's KIND, then the plan at (X, Y) in
 * 0..1 of the plan image; fails when a pin already covers that spot. */
static int cmd_pin(run *r, const args *a) {
  double nx, ny;
  if (a->n != 4 || a->v[1][0] != '@' || !parse_unit(a->v[2], &nx) ||
      !parse_unit(a->v[3], &ny))
    return fail(r, PV_SCRIPT_BAD_LINE, "usage: pin @KIND X Y (X, Y in 0..1)");
  char id[PV_UI_MAX_ID];
  snprintf(id, sizeof id, "pin:%s", a->v[1] + 1);
  const pv_rect *kind = pv_ui_find(r->env->ui, id);
  if (!kind)
    return fail(r, PV_SCRIPT_FAILED, "no pin kind %s on screen", a->v[1] + 1);
  tap_at(r->env, kind->x + kind->w / 2, kind->y + kind->h / 2);
  const pv_rect *plan = pv_ui_find(r->env->ui, "plan");
  if (!plan || plan->w < 1 || plan->h < 1)
    return fail(r, PV_SCRIPT_FAILED, "no plan on screen");
  int x = plan->x + (int)(nx * plan->w + 0.5), y = plan->y + (int)(ny * plan->h + 0.5);
  x = x < plan->x + plan->w ? x : plan->x + plan->w - 1;
  y = y < plan->y + plan->h ? y : plan->y + plan->h - 1;
  const char *under = pv_ui_hit(r->env->ui, x, y);
  if (!under || strcmp(under, "plan") != 0)
    return fail(r, PV_SCRIPT_FAILED, "pin %s %s: the spot is under %s", a->v[2],
                a->v[3], under ? under : "nothing");
  tap_at(r->env, x, y);
  return PV_SCRIPT_OK;
}

/* Taps widget id if it is on screen; returns 1 if it was. */
static int tap_id(pv_script_env *env, const char *id) {
  const pv_rect *rect = pv_ui_find(env->ui, id);
  if (!rect)
    return 0;
  tap_at(env, rect->x + rect->w / 2, rect->y + rect->h / 2);
  return 1;
}

/* key NAME: taps the text keyboard's key:NAME (backspace, shift, space,
 * lang, page). */
static int cmd_key(run *r, const args *a) {
  static const char *const names[] = {"backspace", "shift", "space", "lang", "page"};
  if (a->n != 2)
    return fail(r, PV_SCRIPT_BAD_LINE, "usage: key backspace|shift|space|lang|page");
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (strcmp(a->v[1], names[i]) == 0) {
      char id[PV_UI_MAX_ID];
      snprintf(id, sizeof id, "key:%s", names[i]);
      if (!tap_id(r->env, id))
        return fail(r, PV_SCRIPT_FAILED, "no key %s on screen (keyboard closed?)",
                    names[i]);
      return PV_SCRIPT_OK;
    }
  return fail(r, PV_SCRIPT_BAD_LINE,
              "key %s: expected backspace, shift, space, lang or page", a->v[1]);
}

/* Mode keys tapped in turn until a character's key shows: from any mode
 * this visits every layout, page and shift state (absent keys, such as
 * shift on the digits page, are passed over). */
static const char *const mode_walk[] = {"key:shift", "key:page",  "key:shift",
                                        "key:lang",  "key:shift", "key:page",
                                        "key:shift"};

/* type TEXT: types TEXT (UTF-8, the rest of the line) on the text
 * keyboard key by key, switching shift, page and language as a resident
 * would; opens the keyboard first if needed. Fails on a character no key
 * types. */
static int cmd_type(run *r, const char *text) {
  pv_script_env *env = r->env;
  if (!*text)
    return fail(r, PV_SCRIPT_BAD_LINE, "usage: type TEXT");
  if (pv_kb_utf8_count(text) < 0)
    return fail(r, PV_SCRIPT_BAD_LINE, "type: the text is not valid UTF-8");
  if (!pv_ui_find(env->ui, "key:backspace") && !tap_id(env, "keyboard"))
    return fail(r, PV_SCRIPT_FAILED, "type: no keyboard on screen");
  for (const char *p = text; *p;) {
    int l = pv_kb_utf8_len(p);
    char cp[8], id[PV_UI_MAX_ID];
    memcpy(cp, p, (size_t)l);
    cp[l] = '\0';
    p += l;
    pv_kb where = {0, 0, 0};
    if (!pv_kb_locate(cp, &where))
      return fail(r, PV_SCRIPT_FAILED, "type: no key types \"%s\"", cp);
    snprintf(id, sizeof id, "key:%s", strcmp(cp, " ") == 0 ? "space" : cp);
    size_t step = 0;
    while (!pv_ui_find(env->ui, id) && step < sizeof mode_walk / sizeof *mode_walk)
      tap_id(env, mode_walk[step++]);
    if (!tap_id(env, id))
      return fail(r, PV_SCRIPT_FAILED, "type: the key for \"%s\" never showed", cp);
  }
  return PV_SCRIPT_OK;
}

/* record MS [keep]: taps the record button (or record again), lets MS of
 * sound in on the virtual clock, then taps stop (unless the countdown ran
 * out); with keep, leaves the microphone live (a shot of the recording;
 * `tap @stop` ends it). Works wherever the voice widget is: a resident's
 * voice question, the animateur's prompts panel. */
static int cmd_record(run *r, const args *a) {
  long ms;
  if (a->n < 2 || a->n > 3 || !parse_int(a->v[1], 1, PV_SCRIPT_MAX_WAIT_MS, &ms) ||
      (a->n == 3 && strcmp(a->v[2], "keep")))
    return fail(r, PV_SCRIPT_BAD_LINE, "usage: record MS [keep] (MS 1 to %lld)",
                (long long)PV_SCRIPT_MAX_WAIT_MS);
  const pv_rect *b = pv_ui_find(r->env->ui, "record");
  if (!b)
    b = pv_ui_find(r->env->ui, "rerecord");
  if (!b)
    return fail(r, PV_SCRIPT_FAILED, "no record button on screen");
  tap_at(r->env, b->x + b->w / 2, b->y + b->h / 2);
  if (!pv_ui_find(r->env->ui, "stop"))
    return fail(r, PV_SCRIPT_FAILED, "the recording did not start");
  advance(r->env, ms);
  const pv_rect *s = pv_ui_find(r->env->ui, "stop");
  if (s && a->n == 2)
    tap_at(r->env, s->x + s->w / 2, s->y + s->h / 2);
  return PV_SCRIPT_OK;
}

static int cmd_drag(run *r, const args *a) {
  int x0, y0, tx, ty, code = PV_SCRIPT_OK;
  if (!((a->n == 4 || (a->n == 3 && a->v[2][0] == '@')) && a->v[1][0] == '@'))
    return fail(r, PV_SCRIPT_BAD_LINE, "usage: drag @ID X Y | drag @ID @ID");
  if (!target(r, a, 1, &x0, &y0, &code) || !target(r, a, 2, &tx, &ty, &code))
    return code;
  long x1 = tx, y1 = ty;
  pointer(r->env, PV_PTR_DOWN, x0, y0);
  pv_script_frame(r->env);
  for (int i = 1; i <= 10; i++) {
    *r->env->clock_ms += STEP_MS;
    pointer(r->env, PV_PTR_MOVE, x0 + (int)((x1 - x0) * i / 10),
            y0 + (int)((y1 - y0) * i / 10));
    pv_script_frame(r->env);
  }
  pointer(r->env, PV_PTR_UP, (int)x1, (int)y1);
  pv_script_frame(r->env);
  pv_script_frame(r->env);
  return PV_SCRIPT_OK;
}

static int cmd_hold(run *r, const args *a) {
  int x, y, code = PV_SCRIPT_OK;
  long ms;
  if (a->n != 3 || a->v[1][0] != '@' || !parse_int(a->v[2], 1, 600000, &ms))
    return fail(r, PV_SCRIPT_BAD_LINE, "usage: hold @ID MS");
  if (!target(r, a, 1, &x, &y, &code))
    return code;
  pointer(r->env, PV_PTR_DOWN, x, y);
  pv_script_frame(r->env);
  advance(r->env, ms);
  pointer(r->env, PV_PTR_UP, x, y);
  pv_script_frame(r->env);
  pv_script_frame(r->env);
  return PV_SCRIPT_OK;
}

/* press @ID MS: finger down on ID for MS milliseconds, left down (a shot
 * can show what a long press shows); `release` lifts it. */
static int cmd_press(run *r, const args *a) {
  int x, y, code = PV_SCRIPT_OK;
  long ms;
  if (a->n != 3 || a->v[1][0] != '@' || !parse_int(a->v[2], 1, 600000, &ms))
    return fail(r, PV_SCRIPT_BAD_LINE, "usage: press @ID MS");
  if (r->env->ui->down)
    return fail(r, PV_SCRIPT_FAILED, "press: a finger is already down (release it)");
  if (!target(r, a, 1, &x, &y, &code))
    return code;
  pointer(r->env, PV_PTR_DOWN, x, y);
  pv_script_frame(r->env);
  advance(r->env, ms);
  return PV_SCRIPT_OK;
}

/* corners MS [keep]: two fingers held on the top-left and bottom-right
 * corners for MS milliseconds (animateur mode opens at 3 s), lifted unless
 * `keep` (then `release` lifts both). */
static int cmd_corners(run *r, const args *a) {
  long ms;
  if (a->n < 2 || a->n > 3 || !parse_int(a->v[1], 1, 600000, &ms) ||
      (a->n == 3 && strcmp(a->v[2], "keep")))
    return fail(r, PV_SCRIPT_BAD_LINE, "usage: corners MS [keep]");
  if (r->env->ui->down)
    return fail(r, PV_SCRIPT_FAILED, "corners: a finger is already down (release it)");
  int inset = r->env->width < r->env->height ? r->env->width / 40 : r->env->height / 40;
  int x2 = r->env->width - 1 - inset, y2 = r->env->height - 1 - inset;
  pointer(r->env, PV_PTR_DOWN, inset, inset);
  pv_ui_pointer(r->env->ui, PV_PTR_DOWN, FINGER + 1, x2, y2, *r->env->clock_ms);
  pv_script_frame(r->env);
  advance(r->env, ms);
  if (a->n == 3)
    return PV_SCRIPT_OK;
  pv_ui_pointer(r->env->ui, PV_PTR_UP, FINGER + 1, x2, y2, *r->env->clock_ms);
  pointer(r->env, PV_PTR_UP, inset, inset);
  pv_script_frame(r->env);
  pv_script_frame(r->env);
  return PV_SCRIPT_OK;
}

/* code DIGITS: on the animateur's PIN pad, taps each digit, then OK. */
static int cmd_code(run *r, const args *a) {
  if (a->n != 2 || strspn(a->v[1], "0123456789") != strlen(a->v[1]) ||
      strlen(a->v[1]) > 8)
    return fail(r, PV_SCRIPT_BAD_LINE, "usage: code DIGITS (at most 8)");
  char id[16];
  for (const char *d = a->v[1];; d++) {
    snprintf(id, sizeof id, "key:%s", *d ? (char[]){*d, 0} : "ok");
    const pv_rect *rect = pv_ui_find(r->env->ui, id);
    if (!rect)
      return fail(r, PV_SCRIPT_FAILED, "code: no widget %s on screen", id);
    tap_at(r->env, rect->x + rect->w / 2, rect->y + rect->h / 2);
    if (!*d)
      return PV_SCRIPT_OK;
  }
}

static int cmd_release(run *r, const args *a) {
  if (a->n != 1)
    return fail(r, PV_SCRIPT_BAD_LINE, "usage: release");
  if (!r->env->ui->down)
    return fail(r, PV_SCRIPT_FAILED, "release: no finger is down");
  for (int i = 0; i < PV_UI_MAX_EXTRA; i++)
    if (r->env->ui->extra[i].down)
      pv_ui_pointer(r->env->ui, PV_PTR_UP, r->env->ui->extra[i].id,
                    r->env->ui->extra[i].x, r->env->ui->extra[i].y, *r->env->clock_ms);
  pointer(r->env, PV_PTR_UP, r->env->ui->x, r->env->ui->y);
  pv_script_frame(r->env);
  pv_script_frame(r->env);
  return PV_SCRIPT_OK;
}

static int cmd_wait(run *r, const args *a) {
  long ms;
  if (a->n != 2 || !parse_int(a->v[1], 0, PV_SCRIPT_MAX_WAIT_MS, &ms))
    return fail(r, PV_SCRIPT_BAD_LINE, "usage: wait MS (0 to %lld)",
                (long long)PV_SCRIPT_MAX_WAIT_MS);
  advance(r->env, ms);
  return PV_SCRIPT_OK;
}

static int cmd_expect(run *r, const args *a) {
  char screen[64];
  if (a->n != 2)
    return fail(r, PV_SCRIPT_BAD_LINE, "usage: expect SCREEN");
  pv_app_screen_name(r->env->app, screen, sizeof screen);
  if (strcmp(screen, a->v[1]) != 0)
    return fail(r, PV_SCRIPT_FAILED, "expected %s", a->v[1]);
  return PV_SCRIPT_OK;
}

static int cmd_shot(run *r, const args *a) {
  if (a->n != 2 || strchr(a->v[1], '/') || a->v[1][0] == '.')
    return fail(r, PV_SCRIPT_BAD_LINE, "usage: shot NAME (a file name, no '/')");
  pv_script_frame(r->env);
  if (r->env->shot) {
    pv_err err = r->env->shot(r->env->ud, a->v[1]);
    if (err != PV_OK)
      return fail(r, PV_SCRIPT_FAILED, "shot %s: %s: %s", a->v[1], pv_strerror(err),
                  pv_err_detail());
  }
  return PV_SCRIPT_OK;
}

/* draw X1 Y1 X2 Y2 ...: one stroke on the canvas through the points, in
 * 0..1 of the canvas (x from the left, y from the top), one frame per
 * point as a finger would give; a single point is a dot. */
static int cmd_draw(run *r, const args *a) {
  if (a->n < 3 || a->n % 2 == 0)
    return fail(r, PV_SCRIPT_BAD_LINE, "usage: draw X1 Y1 [X2 Y2 ...] (in 0..1)");
  const pv_rect *c = pv_ui_find(r->env->ui, "canvas");
  if (!c || c->w < 1 || c->h < 1)
    return fail(r, PV_SCRIPT_FAILED, "no canvas on screen");
  pv_rect rect = *c; /* the table changes as frames go */
  for (int i = 1; i < a->n; i += 2) {
    double nx, ny;
    if (!parse_unit(a->v[i], &nx) || !parse_unit(a->v[i + 1], &ny))
      return fail(r, PV_SCRIPT_BAD_LINE, "draw: %s %s is not in 0..1", a->v[i],
                  a->v[i + 1]);
    int x = rect.x + (int)(nx * rect.w), y = rect.y + (int)(ny * rect.h);
    x = x < rect.x + rect.w ? x : rect.x + rect.w - 1;
    y = y < rect.y + rect.h ? y : rect.y + rect.h - 1;
    if (i == 1) {
      pointer(r->env, PV_PTR_DOWN, x, y);
    } else {
      *r->env->clock_ms += STEP_MS;
      pointer(r->env, PV_PTR_MOVE, x, y);
    }
    pv_script_frame(r->env);
    if (i + 2 >= a->n) {
      pointer(r->env, PV_PTR_UP, x, y);
      pv_script_frame(r->env);
      pv_script_frame(r->env);
    }
  }
  return PV_SCRIPT_OK;
}

/* Taps the widget PREFIX:N for `colour N` and `brush N`. */
static int tap_numbered(run *r, const args *a, const char *prefix, int most) {
  long n;
  char id[PV_UI_MAX_ID];
  if (a->n != 2 || !parse_int(a->v[1], 1, most, &n))
    return fail(r, PV_SCRIPT_BAD_LINE, "usage: %s N (1 to %d)", a->v[0], most);
  snprintf(id, sizeof id, "%s:%ld", prefix, n);
  const pv_rect *w = pv_ui_find(r->env->ui, id);
  if (!w)
    return fail(r, PV_SCRIPT_FAILED, "no %s on screen", id);
  tap_at(r->env, w->x + w->w / 2, w->y + w->h / 2);
  return PV_SCRIPT_OK;
}

static int cmd_colour(run *r, const args *a) {
  return tap_numbered(r, a, "colour", PV_QDRAW_COLOURS);
}

static int cmd_brush(run *r, const args *a) {
  return tap_numbered(r, a, "brush", PV_QDRAW_BRUSHES);
}

static int cmd_undo(run *r, const args *a) {
  const pv_rect *w = pv_ui_find(r->env->ui, "undo");
  if (a->n != 1)
    return fail(r, PV_SCRIPT_BAD_LINE, "usage: undo");
  if (!w)
    return fail(r, PV_SCRIPT_FAILED, "no undo on screen");
  tap_at(r->env, w->x + w->w / 2, w->y + w->h / 2);
  return PV_SCRIPT_OK;
}

/* clear: holds the bin past PV_QDRAW_CLEAR_MS, as a resident must. */
static int cmd_clear(run *r, const args *a) {
  const pv_rect *w = pv_ui_find(r->env->ui, "clear");
  if (a->n != 1)
    return fail(r, PV_SCRIPT_BAD_LINE, "usage: clear");
  if (!w)
    return fail(r, PV_SCRIPT_FAILED, "no clear on screen");
  int x = w->x + w->w / 2, y = w->y + w->h / 2;
  pointer(r->env, PV_PTR_DOWN, x, y);
  pv_script_frame(r->env);
  advance(r->env, PV_QDRAW_CLEAR_MS + 100);
  pointer(r->env, PV_PTR_UP, x, y);
  pv_script_frame(r->env);
  pv_script_frame(r->env);
  return PV_SCRIPT_OK;
}

static const struct command {
  const char *name;
  int (*run)(run *r, const args *a);
} commands[] = {
    {"tap", cmd_tap},       {"drag", cmd_drag},       {"hold", cmd_hold},
    {"wait", cmd_wait},     {"expect", cmd_expect},   {"shot", cmd_shot},
    {"pin", cmd_pin},       {"draw", cmd_draw},       {"colour", cmd_colour},
    {"brush", cmd_brush},   {"undo", cmd_undo},       {"clear", cmd_clear},
    {"key", cmd_key},       {"press", cmd_press},     {"release", cmd_release},
    {"record", cmd_record}, {"corners", cmd_corners}, {"code", cmd_code},
};

int pv_script_line(pv_script_env *env, const char *line, int line_no, const char *name,
                   FILE *err) {
  run r = {env, name, line_no, err};
  char buf[PV_SCRIPT_MAX_LINE];
  if (strlen(line) >= sizeof buf)
    return fail(&r, PV_SCRIPT_BAD_LINE, "line too long");
  snprintf(buf, sizeof buf, "%s", line);
  buf[strcspn(buf, "\r\n")] = '\0';
  if (strncmp(buf, "type", 4) == 0 && (buf[4] == ' ' || buf[4] == '\t'))
    return cmd_type(&r, buf + 5); /* the rest of the line, '#' included */
  char *hash = strchr(buf, '#');
  if (hash)
    *hash = '\0';
  args a = {0};
  char *save = NULL;
  for (char *tok = strtok_r(buf, " \t\r\n", &save); tok;
       tok = strtok_r(NULL, " \t\r\n", &save)) {
    if (a.n == MAX_WORDS)
      return fail(&r, PV_SCRIPT_BAD_LINE, "too many words");
    a.v[a.n++] = tok;
  }
  if (a.n == 0)
    return PV_SCRIPT_OK;
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    if (strcmp(a.v[0], commands[i].name) == 0)
      return commands[i].run(&r, &a);
  return fail(&r, PV_SCRIPT_BAD_LINE, "unknown command \"%s\"", a.v[0]);
}

int pv_script_run(pv_script_env *env, const char *path, FILE *err) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(err, "%s: cannot open: %s\n", path, strerror(errno));
    return PV_SCRIPT_BAD_LINE;
  }
  char line[PV_SCRIPT_MAX_LINE + 2];
  int line_no = 0, code = PV_SCRIPT_OK;
  pv_script_frame(env); /* the first screen, so @IDs resolve */
  while (code == PV_SCRIPT_OK && fgets(line, sizeof line, f)) {
    line_no++;
    size_t n = strlen(line);
    if (n > PV_SCRIPT_MAX_LINE && line[n - 1] != '\n') {
      fprintf(err, "%s:%d: line too long\n", path, line_no);
      code = PV_SCRIPT_BAD_LINE;
      break;
    }
    code = pv_script_line(env, line, line_no, path, err);
  }
  fclose(f);
  return code;
}
