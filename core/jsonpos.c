/* jsonpos: see jsonpos.h. The index walker is not a parser: it only runs
 * over text that cJSON has already accepted, skipping strings and scalars
 * to find where each value starts. */
#include "core/jsonpos.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Returns the length of the valid UTF-8 sequence at p (1..4), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t avail) {
  unsigned c = p[0];
  if (c < 0x80)
    return 1;
  size_t n;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (avail < n)
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

/* 1 for the bytes the pre-scan can step over without a second look:
 * printable ASCII other than quotes, backslash and brackets. */
static const unsigned char plain[256] = {
    [' '] = 1,         ['!'] = 1,         ['#' ... '+'] = 1, [',' ... '/'] = 1,
    ['0' ... '9'] = 1, [':' ... '@'] = 1, ['A' ... 'Z'] = 1, ['^' ... 'z'] = 1,
    ['|'] = 1,         ['~'] = 1,
};

pv_err pv_json_prescan(const char *data, size_t len, int max_depth, size_t *bad_off,
                       const char **why) {
  const unsigned char *p = (const unsigned char *)data;
  int depth = 0, in_string = 0, escaped = 0;
  for (size_t i = 0; i < len;) {
    unsigned c = p[i];
    /* Fast path: a run of printable ASCII that changes no state (most
     * bytes; the collector pre-scans every body it decodes). */
    if (plain[c] && !escaped) {
      while (++i < len && plain[p[i]])
        ;
      continue;
    }
    if (c == 0) {
      *bad_off = i;
      *why = "NUL byte: this is not a text file";
      return PV_ERR_INVALID;
    }
    size_t n = utf8_seq(p + i, len - i);
    if (n == 0) {
      *bad_off = i;
      *why = "invalid UTF-8: save the file as UTF-8";
      return PV_ERR_INVALID;
    }
    if (in_string) {
      if (escaped) {
        escaped = 0;
        if (c == 'u' && len - i >= 5 && memcmp(p + i + 1, "0000", 4) == 0) {
          *bad_off = i - 1;
          *why = "\\u0000 (an escaped NUL) is not allowed in a survey";
          return PV_ERR_INVALID;
        }
      } else if (c == '\\') {
        escaped = 1;
      } else if (c == '"') {
        in_string = 0;
      }
    } else if (c < 0x20 && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
      *bad_off = i;
      *why = "control character outside a string";
      return PV_ERR_INVALID;
    } else if (c == '"') {
      in_string = 1;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) {
        *bad_off = i;
        *why = "nested too deeply";
        return PV_ERR_INVALID;
      }
    } else if ((c == '}' || c == ']') && depth > 0) {
      depth--;
    }
    i += n;
  }
  return PV_OK;
}

int pv_json_unclosed(const char *data, size_t len) {
  int depth = 0, in_string = 0, escaped = 0;
  for (size_t i = 0; i < len; i++) {
    char c = data[i];
    if (in_string) {
      if (escaped)
        escaped = 0;
      else if (c == '\\')
        escaped = 1;
      else if (c == '"')
        in_string = 0;
    } else if (c == '"') {
      in_string = 1;
    } else if (c == '{' || c == '[') {
      depth++;
    } else if ((c == '}' || c == ']') && depth > 0) {
      depth--;
    }
  }
  return in_string || depth > 0;
}

void pv_json_linecol(const char *data, size_t len, size_t off, int *line, int *col) {
  int l = 1, c = 1;
  if (off > len)
    off = len;
  for (size_t i = 0; i < off; i++) {
    if (data[i] == '\n') {
      l++;
      c = 1;
    } else {
      c++;
    }
  }
  *line = l;
  *col = c;
}

typedef struct entry {
  const cJSON *node;
  size_t value_off, key_off;
} entry;

struct pv_jsonpos {
  entry *items;
  size_t count, cap;
};

typedef struct walker {
  const char *s;
  size_t len, i;
  pv_jsonpos *pos;
  int broken;
} walker;

static void skip_ws(walker *w) {
  while (w->i < w->len && (w->s[w->i] == ' ' || w->s[w->i] == '\t' ||
                           w->s[w->i] == '\n' || w->s[w->i] == '\r'))
    w->i++;
}

static void skip_string(walker *w) {
  w->i++; /* opening quote */
  while (w->i < w->len && w->s[w->i] != '"')
    w->i += w->s[w->i] == '\\' ? 2 : 1;
  w->i++; /* closing quote */
}

static int expect(walker *w, char c) {
  skip_ws(w);
  if (w->i < w->len && w->s[w->i] == c) {
    w->i++;
    return 1;
  }
  w->broken = 1;
  return 0;
}

static void add(walker *w, const cJSON *node, size_t value_off, size_t key_off) {
  pv_jsonpos *p = w->pos;
  if (p->count == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 64;
    entry *items = realloc(p->items, cap * sizeof *items);
    if (!items) {
      w->broken = 1;
      return;
    }
    p->items = items;
    p->cap = cap;
  }
  p->items[p->count++] = (entry){node, value_off, key_off};
}

static void walk(walker *w, const cJSON *node, size_t key_off, int has_key);

static void walk_children(walker *w, const cJSON *node, char close, int keyed) {
  const cJSON *child = node->child;
  for (int first = 1; child && !w->broken; child = child->next, first = 0) {
    if (!first && !expect(w, ','))
      return;
    skip_ws(w);
    size_t key_off = w->i;
    if (keyed) {
      if (w->i >= w->len || w->s[w->i] != '"') {
        w->broken = 1;
        return;
      }
      skip_string(w);
      if (!expect(w, ':'))
        return;
    }
    walk(w, child, key_off, keyed);
  }
  expect(w, close);
}

static void walk(walker *w, const cJSON *node, size_t key_off, int has_key) {
  skip_ws(w);
  size_t at = w->i;
  add(w, node, at, has_key ? key_off : at);
  if (w->broken || at >= w->len)
    return;
  if (cJSON_IsObject(node)) {
    w->i++;
    walk_children(w, node, '}', 1);
  } else if (cJSON_IsArray(node)) {
    w->i++;
    walk_children(w, node, ']', 0);
  } else if (cJSON_IsString(node)) {
    skip_string(w);
  } else {
    /* number, true, false, null: runs to the next delimiter */
    while (w->i < w->len && !strchr(",]} \t\r\n", w->s[w->i]))
      w->i++;
  }
}

static int by_node(const void *a, const void *b) {
  uintptr_t x = (uintptr_t)((const entry *)a)->node;
  uintptr_t y = (uintptr_t)((const entry *)b)->node;
  return x < y ? -1 : x > y;
}

pv_jsonpos *pv_jsonpos_build(const char *data, size_t len, const cJSON *root) {
  pv_jsonpos *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  walker w = {data, len, 0, p, 0};
  walk(&w, root, 0, 0);
  if (w.broken) {
    pv_jsonpos_free(p);
    return NULL;
  }
  qsort(p->items, p->count, sizeof *p->items, by_node);
  return p;
}

static const entry *find(const pv_jsonpos *p, const cJSON *node) {
  if (!p || !node)
    return NULL;
  entry key = {node, 0, 0};
  return bsearch(&key, p->items, p->count, sizeof key, by_node);
}

size_t pv_jsonpos_value(const pv_jsonpos *p, const cJSON *node) {
  const entry *e = find(p, node);
  return e ? e->value_off : 0;
}

size_t pv_jsonpos_key(const pv_jsonpos *p, const cJSON *node) {
  const entry *e = find(p, node);
  return e ? e->key_off : 0;
}

void pv_jsonpos_free(pv_jsonpos *p) {
  if (!p)
    return;
  free(p->items);
  free(p);
}
