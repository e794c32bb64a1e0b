/* keyboard: the on-screen keyboards of the `text` question, as data, and
 * the UTF-8 edit buffer they type into. No SDL, no drawing.
 *
 * Two layouts: French AZERTY (with a row of accented letters and a shift
 * for capitals) and Arabic (the letters of the standard Arabic PC layout,
 * shift for the hamza forms, vowel marks and Arabic punctuation); each has
 * a letters page and shares one page of digits and punctuation. A key
 * either types text (its own, or its shifted text while shift is on) or
 * acts: shift, backspace, space, language, page. The buffer counts code
 * points, never splits a UTF-8 sequence, and refuses what would pass the
 * question's max_length (in code points). */
#ifndef PV_KIOSK_KEYBOARD_H
#define PV_KIOSK_KEYBOARD_H

#include <stddef.h>

#define PV_KB_MAX_CHARS 2000 /* the format's largest max_length */
#define PV_KB_MAX_BYTES (PV_KB_MAX_CHARS * 4 + 1)
#define PV_KB_MAX_ROWS 5
#define PV_KB_MAX_KEYS 14 /* per row */

typedef enum pv_kb_kind {
  PV_KB_CHAR,      /* types `text` (or `shifted` while shift is on) */
  PV_KB_SHIFT,     /* next key in its shifted form (one-shot) */
  PV_KB_BACKSPACE, /* removes the last code point */
  PV_KB_SPACE,     /* types " " */
  PV_KB_LANG,      /* the other layout (FR <-> ع) */
  PV_KB_PAGE,      /* letters <-> digits and punctuation */
} pv_kb_kind;

typedef struct pv_kb_key {
  pv_kb_kind kind;
  const char *text;    /* CHAR: UTF-8 typed (one or two code points) */
  const char *shifted; /* CHAR: typed while shift is on (NULL: as text) */
  int width;           /* in quarters of a letter key (4 = one key) */
} pv_kb_key;

typedef struct pv_kb_row {
  const pv_kb_key *keys;
  int n;
} pv_kb_row;

typedef struct pv_kb_page {
  pv_kb_row rows[PV_KB_MAX_ROWS];
  int n_rows;
} pv_kb_page;

enum { PV_KB_FR, PV_KB_AR, PV_KB_LAYOUTS };
enum { PV_KB_LETTERS, PV_KB_SYMBOLS, PV_KB_PAGES };

/* The keyboard's mode. */
typedef struct pv_kb {
  int layout; /* PV_KB_FR or PV_KB_AR */
  int page;   /* PV_KB_LETTERS or PV_KB_SYMBOLS */
  int shift;  /* 0 or 1 */
} pv_kb;

/* The text being written: NUL-terminated UTF-8, at most max code points. */
typedef struct pv_kb_buf {
  char s[PV_KB_MAX_BYTES];
  size_t len; /* bytes */
  int chars;  /* code points */
  int max;    /* code points, 1..PV_KB_MAX_CHARS */
} pv_kb_buf;

/* What a key press did. */
typedef enum pv_kb_result {
  PV_KB_TYPED,   /* the buffer changed */
  PV_KB_REFUSED, /* it would pass max (or nothing to erase): unchanged */
  PV_KB_MODE,    /* shift, page or layout changed */
} pv_kb_result;

/* Returns the page of a layout (static, never NULL for valid indices). */
const pv_kb_page *pv_kb_page_get(int layout, int page);

/* Returns the layout for a BCP 47 language ("ar..." -> Arabic, else FR). */
int pv_kb_layout_for(const char *lang);

/* Returns the language key's label for a layout ("FR", "ع"); static. */
const char *pv_kb_layout_name(int layout);

/* Returns what a CHAR key types in the given shift state (static), or
 * NULL for other keys. */
const char *pv_kb_key_output(const pv_kb_key *k, int shift);

/* Sets kb to the letters page of layout, shift off. */
void pv_kb_reset(pv_kb *kb, int layout);

/* Applies a key press to the mode and the buffer; a typed key releases
 * shift. */
pv_kb_result pv_kb_press(pv_kb *kb, pv_kb_buf *b, const pv_kb_key *k);

/* Finds a mode whose page has a key typing exactly `cp` (one code point,
 * UTF-8, " " for the space bar); fills *out and returns 1, or returns 0
 * when no key types it. Prefers the current layout of *out. */
int pv_kb_locate(const char *cp, pv_kb *out);

/* Empties b and bounds it to max code points (clamped to 1..PV_KB_MAX_CHARS). */
void pv_kb_buf_init(pv_kb_buf *b, int max);

/* Replaces b's text with s, keeping whole valid code points up to max;
 * returns 1 when all of s was kept. */
int pv_kb_buf_set(pv_kb_buf *b, const char *s);

/* Appends s (valid UTF-8) when the result stays within max; returns 1, or
 * 0 (b unchanged) when it would not fit or s is not valid UTF-8. */
int pv_kb_buf_insert(pv_kb_buf *b, const char *s);

/* Removes the last code point; returns 0 when b is empty. */
int pv_kb_buf_backspace(pv_kb_buf *b);

/* Returns the number of code points in s, or -1 if s is not valid UTF-8. */
int pv_kb_utf8_count(const char *s);

/* Returns the byte length of the code point starting at s (1..4), or 0
 * when s does not start a valid UTF-8 sequence (or is empty). */
int pv_kb_utf8_len(const char *s);

/* Returns 1 when the first strong character of s is right-to-left
 * (Arabic, Hebrew), 0 when it is left-to-right, dflt when s has none. */
int pv_kb_text_rtl(const char *s, int dflt);

#endif
