/* keyboard: see keyboard.h. The layouts are static tables: one row of
 * keys per line, widths in quarters of a letter key (a row fills the
 * keyboard's width on screen, so rows of different lengths all stretch).
 * No row is wider than twelve letter keys, so that a key keeps 12 mm on a
 * 7-inch 800x480 panel: hence œ beside n (the accents take a row of
 * twelve) and ذ at the end of the Arabic home row (on a PC it sits left of
 * the digits, a row the letters pages do not have). */
#include "kiosk/keyboard.h"

#include <string.h>

#define ROW(a)                                                                         \
  { (a), (int)(sizeof(a) / sizeof *(a)) }
#define K(t, s)                                                                        \
  { PV_KB_CHAR, (t), (s), 4 }
#define SHIFT(w)                                                                       \
  { PV_KB_SHIFT, NULL, NULL, (w) }
#define BACKSPACE(w)                                                                   \
  { PV_KB_BACKSPACE, NULL, NULL, (w) }
#define SPACE(w)                                                                       \
  { PV_KB_SPACE, NULL, NULL, (w) }
#define LANG                                                                           \
  { PV_KB_LANG, NULL, NULL, 6 }
#define PAGE                                                                           \
  { PV_KB_PAGE, NULL, NULL, 6 }

/* ---- French AZERTY ---------------------------------------------------------- */

static const pv_kb_key fr_accents[] = {
    K("é", "É"), K("è", "È"), K("à", "À"), K("ç", "Ç"), K("ù", "Ù"), K("â", "Â"),
    K("ê", "Ê"), K("î", "Î"), K("ô", "Ô"), K("û", "Û"), K("ë", "Ë"), K("ï", "Ï"),
};
static const pv_kb_key fr_top[] = {
    K("a", "A"), K("z", "Z"), K("e", "E"), K("r", "R"), K("t", "T"),
    K("y", "Y"), K("u", "U"), K("i", "I"), K("o", "O"), K("p", "P"),
};
static const pv_kb_key fr_home[] = {
    K("q", "Q"), K("s", "S"), K("d", "D"), K("f", "F"), K("g", "G"),
    K("h", "H"), K("j", "J"), K("k", "K"), K("l", "L"), K("m", "M"),
};
static const pv_kb_key fr_bottom[] = {
    SHIFT(6),    K("w", "W"), K("x", "X"), K("c", "C"),  K("v", "V"),
    K("b", "B"), K("n", "N"), K("œ", "Œ"), K("'", "\""), BACKSPACE(6),
};
static const pv_kb_key fr_space[] = {
    PAGE, LANG, K(",", "?"), SPACE(16), K(".", "!"), K("-", ":"),
};

/* ---- Arabic (the standard Arabic PC layout's letters) ---------------------- */

/* Shifted as on that layout: vowel marks, hamza forms, Arabic punctuation. */
static const pv_kb_key ar_top[] = {
    K("ض", "َ"),   K("ص", "ً"),   K("ث", "ُ"),   K("ق", "ٌ"),   K("ف", "لإ"), K("غ", "إ"),
    K("ع", NULL), K("ه", NULL), K("خ", NULL), K("ح", NULL), K("ج", NULL), K("د", NULL),
};
static const pv_kb_key ar_home[] = {
    K("ش", "ِ"),  K("س", "ٍ"),  K("ي", NULL), K("ب", NULL), K("ل", "لأ"), K("ا", "أ"),
    K("ت", "ـ"), K("ن", "،"), K("م", NULL), K("ك", NULL), K("ط", NULL), K("ذ", "ّ"),
};
static const pv_kb_key ar_bottom[] = {
    SHIFT(4),    K("ئ", NULL), K("ء", "ْ"),   K("ؤ", NULL), K("ر", NULL), K("لا", "لآ"),
    K("ى", "آ"), K("ة", NULL), K("و", NULL), K("ز", NULL), K("ظ", NULL), BACKSPACE(4),
};
static const pv_kb_key ar_space[] = {
    PAGE, LANG, K("،", NULL), SPACE(16), K(".", NULL), K("؟", NULL),
};

/* ---- digits and punctuation (both layouts) ----------------------------------- */

static const pv_kb_key sym_digits[] = {
    K("1", NULL), K("2", NULL), K("3", NULL), K("4", NULL), K("5", NULL),
    K("6", NULL), K("7", NULL), K("8", NULL), K("9", NULL), K("0", NULL),
};
static const pv_kb_key sym_signs[] = {
    K("@", NULL), K("#", NULL), K("€", NULL), K("%", NULL), K("&", NULL),
    K("*", NULL), K("-", NULL), K("+", NULL), K("=", NULL), K("/", NULL),
};
static const pv_kb_key sym_punct[] = {
    K("(", NULL), K(")", NULL), K("\"", NULL), K("'", NULL), K(":", NULL),
    K(";", NULL), K("!", NULL), K("?", NULL),  BACKSPACE(8),
};
static const pv_kb_key sym_space[] = {
    PAGE, LANG, K(",", NULL), SPACE(20), K(".", NULL),
};

static const pv_kb_page pages[PV_KB_LAYOUTS][PV_KB_PAGES] = {
    [PV_KB_FR] =
        {
            [PV_KB_LETTERS] = {{ROW(fr_accents), ROW(fr_top), ROW(fr_home),
                                ROW(fr_bottom), ROW(fr_space)},
                               5},
            [PV_KB_SYMBOLS] = {{ROW(sym_digits), ROW(sym_signs), ROW(sym_punct),
                                ROW(sym_space)},
                               4},
        },
    [PV_KB_AR] =
        {
            [PV_KB_LETTERS] = {{ROW(ar_top), ROW(ar_home), ROW(ar_bottom),
                                ROW(ar_space)},
                               4},
            [PV_KB_SYMBOLS] = {{ROW(sym_digits), ROW(sym_signs), ROW(sym_punct),
                                ROW(sym_space)},
                               4},
        },
};

static const char *const layout_names[PV_KB_LAYOUTS] = {"FR", "ع"};

const pv_kb_page *pv_kb_page_get(int layout, int page) {
  if (layout < 0 || layout >= PV_KB_LAYOUTS)
    layout = PV_KB_FR;
  if (page < 0 || page >= PV_KB_PAGES)
    page = PV_KB_LETTERS;
  return &pages[layout][page];
}

int pv_kb_layout_for(const char *lang) {
  return lang && strncmp(lang, "ar", 2) == 0 && (lang[2] == '\0' || lang[2] == '-')
             ? PV_KB_AR
             : PV_KB_FR;
}

const char *pv_kb_layout_name(int layout) {
  return layout_names[layout == PV_KB_AR ? PV_KB_AR : PV_KB_FR];
}

const char *pv_kb_key_output(const pv_kb_key *k, int shift) {
  if (k->kind == PV_KB_SPACE)
    return " ";
  if (k->kind != PV_KB_CHAR)
    return NULL;
  return shift && k->shifted ? k->shifted : k->text;
}

void pv_kb_reset(pv_kb *kb, int layout) {
  kb->layout = layout == PV_KB_AR ? PV_KB_AR : PV_KB_FR;
  kb->page = PV_KB_LETTERS;
  kb->shift = 0;
}

pv_kb_result pv_kb_press(pv_kb *kb, pv_kb_buf *b, const pv_kb_key *k) {
  switch (k->kind) {
  case PV_KB_SHIFT:
    kb->shift = !kb->shift;
    return PV_KB_MODE;
  case PV_KB_LANG:
    pv_kb_reset(kb, kb->layout == PV_KB_FR ? PV_KB_AR : PV_KB_FR);
    return PV_KB_MODE;
  case PV_KB_PAGE:
    kb->page = kb->page == PV_KB_LETTERS ? PV_KB_SYMBOLS : PV_KB_LETTERS;
    kb->shift = 0;
    return PV_KB_MODE;
  case PV_KB_BACKSPACE:
    return pv_kb_buf_backspace(b) ? PV_KB_TYPED : PV_KB_REFUSED;
  case PV_KB_CHAR:
  case PV_KB_SPACE:
    break;
  }
  if (!pv_kb_buf_insert(b, pv_kb_key_output(k, kb->shift)))
    return PV_KB_REFUSED;
  kb->shift = 0; /* one-shot, as phones do */
  return PV_KB_TYPED;
}

/* Returns 1 when page pg has a key typing cp in shift state sh. */
static int page_types(const pv_kb_page *pg, const char *cp, int sh) {
  for (int r = 0; r < pg->n_rows; r++)
    for (int i = 0; i < pg->rows[r].n; i++) {
      const pv_kb_key *k = &pg->rows[r].keys[i];
      if (sh && (k->kind != PV_KB_CHAR || !k->shifted))
        continue;
      const char *out = pv_kb_key_output(k, sh);
      if (out && strcmp(out, cp) == 0)
        return 1;
    }
  return 0;
}

int pv_kb_locate(const char *cp, pv_kb *out) {
  int first = out->layout == PV_KB_AR ? PV_KB_AR : PV_KB_FR;
  for (int n = 0; n < PV_KB_LAYOUTS; n++) {
    int l = (first + n) % PV_KB_LAYOUTS;
    for (int p = 0; p < PV_KB_PAGES; p++)
      for (int sh = 0; sh < 2; sh++) {
        if (sh && p == PV_KB_SYMBOLS)
          continue; /* the symbols page has no shift key */
        if (page_types(&pages[l][p], cp, sh)) {
          *out = (pv_kb){l, p, sh};
          return 1;
        }
      }
  }
  return 0;
}

/* ---- UTF-8 ------------------------------------------------------------------- */

int pv_kb_utf8_len(const char *s) {
  const unsigned char *u = (const unsigned char *)s;
  int n;
  unsigned long cp;
  if (u[0] < 0x80)
    return u[0] ? 1 : 0;
  if (u[0] >= 0xC2 && u[0] <= 0xDF) {
    n = 2;
    cp = u[0] & 0x1Fu;
  } else if (u[0] >= 0xE0 && u[0] <= 0xEF) {
    n = 3;
    cp = u[0] & 0x0Fu;
  } else if (u[0] >= 0xF0 && u[0] <= 0xF4) {
    n = 4;
    cp = u[0] & 0x07u;
  } else {
    return 0;
  }
  for (int i = 1; i < n; i++) {
    if ((u[i] & 0xC0) != 0x80)
      return 0;
    cp = cp << 6 | (u[i] & 0x3Fu);
  }
  static const unsigned long least[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < least[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0; /* overlong, out of range, surrogate */
  return n;
}

int pv_kb_utf8_count(const char *s) {
  int n = 0;
  while (*s) {
    int l = pv_kb_utf8_len(s);
    if (!l)
      return -1;
    s += l;
    n++;
  }
  return n;
}

/* Decodes the code point at s (valid, l bytes long). */
static unsigned long decode(const char *s, int l) {
  const unsigned char *u = (const unsigned char *)s;
  static const unsigned char lead_mask[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  unsigned long cp = u[0] & lead_mask[l];
  for (int i = 1; i < l; i++)
    cp = cp << 6 | (u[i] & 0x3Fu);
  return cp;
}

int pv_kb_text_rtl(const char *s, int dflt) {
  while (*s) {
    int l = pv_kb_utf8_len(s);
    if (!l)
      return dflt;
    unsigned long c = decode(s, l);
    if ((c >= 0x0590 && c <= 0x08FF) || (c >= 0xFB1D && c <= 0xFDFF) ||
        (c >= 0xFE70 && c <= 0xFEFF))
      return 1;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
        (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7))
      return 0;
    s += l;
  }
  return dflt;
}

/* ---- the buffer ---------------------------------------------------------------- */

void pv_kb_buf_init(pv_kb_buf *b, int max) {
  b->s[0] = '\0';
  b->len = 0;
  b->chars = 0;
  b->max = max < 1 ? 1 : max > PV_KB_MAX_CHARS ? PV_KB_MAX_CHARS : max;
}

int pv_kb_buf_set(pv_kb_buf *b, const char *s) {
  b->s[0] = '\0';
  b->len = 0;
  b->chars = 0;
  while (s && *s) {
    int l = pv_kb_utf8_len(s);
    if (!l || b->chars >= b->max)
      return 0;
    memcpy(b->s + b->len, s, (size_t)l);
    b->len += (size_t)l;
    b->chars++;
    b->s[b->len] = '\0';
    s += l;
  }
  return 1;
}

int pv_kb_buf_insert(pv_kb_buf *b, const char *s) {
  int n = s ? pv_kb_utf8_count(s) : -1;
  size_t l = s ? strlen(s) : 0;
  if (n <= 0 || b->chars + n > b->max || b->len + l >= sizeof b->s)
    return 0;
  memcpy(b->s + b->len, s, l + 1);
  b->len += l;
  b->chars += n;
  return 1;
}

int pv_kb_buf_backspace(pv_kb_buf *b) {
  if (b->len == 0)
    return 0;
  size_t i = b->len - 1;
  while (i > 0 && ((unsigned char)b->s[i] & 0xC0) == 0x80)
    i--; /* back to the sequence's lead byte */
  b->len = i;
  b->s[i] = '\0';
  b->chars--;
  return 1;
}
