/* jsondoc: see jsondoc.h. */
#include "core/jsondoc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reports a syntax error where cJSON stopped, in words people read. */
static void syntax_error(const char *name, const char *text, size_t len,
                         const char *end, pv_diags *diags) {
  size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
  int line, col;
  char msg[128];
  if (pv_json_unclosed(text, len))
    off = len; /* truncated: say so, at the end, whatever cJSON tripped on */
  /* cJSON may stop just past the bad byte: point at the byte itself */
  if (off < len && strchr(" \t\r\n", text[off]))
    while (off > 0 && strchr(" \t\r\n", text[off]))
      off--;
  pv_json_linecol(text, len, off, &line, &col);
  if (off >= len)
    snprintf(msg, sizeof msg,
             "JSON syntax error: unexpected end of file "
             "(a string, object or array is not closed)");
  else if ((unsigned char)text[off] >= 0x20 && (unsigned char)text[off] < 0x7F)
    snprintf(msg, sizeof msg, "JSON syntax error near '%c'", text[off]);
  else
    snprintf(msg, sizeof msg, "JSON syntax error");
  pv_diags_add(diags, name, line, col, msg);
}

pv_err pv_jsondoc_parse(pv_jsondoc *doc, const char *name, const char *data, size_t len,
                        const pv_jsondoc_kind *kind, pv_diags *diags) {
  char msg[160];
  memset(doc, 0, sizeof *doc);
  doc->name = name;
  doc->diags = diags;
  if (len > kind->max_bytes) {
    snprintf(msg, sizeof msg, "file too large for %s (limit %s)", kind->what,
             kind->limit);
    pv_diags_add(diags, name, 1, 1, msg);
    return PV_ERR_INVALID;
  }
  size_t bad;
  const char *why;
  if (pv_json_prescan(data, len, kind->max_depth, &bad, &why) != PV_OK) {
    int line, col;
    pv_json_linecol(data, len, bad, &line, &col);
    if (strcmp(why, "nested too deeply") == 0)
      snprintf(msg, sizeof msg, "%s (limit %d levels)", why, kind->max_depth);
    else
      snprintf(msg, sizeof msg, "%s", why);
    pv_diags_add(diags, name, line, col, msg);
    return PV_ERR_INVALID;
  }
  doc->text = malloc(len + 1); /* cJSON wants a terminating NUL */
  if (!doc->text)
    return pv_fail(PV_ERR_NOMEM, "%s: cannot allocate %zu bytes", name, len + 1);
  memcpy(doc->text, data, len);
  doc->text[len] = '\0';
  doc->len = len;
  /* A UTF-8 byte-order mark (Windows editors) reads as white space, so
   * cJSON, the position index and the columns all agree. */
  if (len >= 3 && memcmp(doc->text, "\xEF\xBB\xBF", 3) == 0)
    memset(doc->text, ' ', 3);
  const char *end = NULL;
  doc->root = cJSON_ParseWithLengthOpts(doc->text, len + 1, &end, 1);
  if (!doc->root) {
    syntax_error(name, doc->text, len, end, diags);
    pv_jsondoc_free(doc);
    return PV_ERR_INVALID;
  }
  doc->pos = pv_jsonpos_build(doc->text, len, doc->root);
  if (!doc->pos) { /* the pre-scan keeps cJSON and the index in step */
    pv_diags_add(diags, name, 1, 1, "cannot index this JSON text (please report it)");
    pv_jsondoc_free(doc);
    return PV_ERR_INVALID;
  }
  return PV_OK;
}

pv_err pv_jsondoc_read(const char *path, const pv_jsondoc_kind *kind, char **data,
                       size_t *len, pv_diags *diags) {
  char msg[512];
  struct stat st = {0};
  char *buf = NULL;
  size_t got = 0;
  *data = NULL;
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    return PV_ERR_NOTFOUND;
  if (fd < 0) {
    snprintf(msg, sizeof msg, "cannot read: %s", strerror(errno));
    goto invalid;
  }
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    snprintf(msg, sizeof msg, "%s",
             S_ISDIR(st.st_mode) ? "is a directory; expected a file"
                                 : "not a regular file");
    goto invalid;
  }
  if ((size_t)st.st_size > kind->max_bytes) {
    snprintf(msg, sizeof msg,
             "file too large for %s: the file is %lld bytes; the limit is %s",
             kind->what, (long long)st.st_size, kind->limit);
    goto invalid;
  }
  buf = malloc(kind->max_bytes + 1);
  if (!buf) {
    close(fd);
    return pv_fail(PV_ERR_NOMEM, "%s: cannot allocate %zu bytes", path,
                   kind->max_bytes);
  }
  while (got <= kind->max_bytes) {
    ssize_t n = read(fd, buf + got, kind->max_bytes + 1 - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      snprintf(msg, sizeof msg, "cannot read: %s", strerror(errno));
      goto invalid;
    }
    if (n == 0)
      break;
    got += (size_t)n;
  }
  /* Grown past the bound while we read: the parser reports it. */
  close(fd);
  *data = buf;
  *len = got;
  return PV_OK;
invalid:
  free(buf);
  if (fd >= 0)
    close(fd);
  pv_diags_add(diags, path, 1, 1, msg);
  return PV_ERR_INVALID;
}

void pv_jsondoc_free(pv_jsondoc *doc) {
  pv_jsonpos_free(doc->pos);
  cJSON_Delete(doc->root);
  free(doc->text);
  doc->pos = NULL;
  doc->root = NULL;
  doc->text = NULL;
}

void pv_jsondoc_verror(pv_jsondoc *doc, const cJSON *node, int at_key, const char *fmt,
                       va_list ap) {
  char msg[512];
  int line, col;
  vsnprintf(msg, sizeof msg, fmt, ap);
  size_t off =
      at_key ? pv_jsonpos_key(doc->pos, node) : pv_jsonpos_value(doc->pos, node);
  pv_json_linecol(doc->text, doc->len, off, &line, &col);
  pv_diags_add(doc->diags, doc->name, line, col, msg);
  doc->errors++;
}

void pv_jsondoc_error(pv_jsondoc *doc, const cJSON *node, int at_key, const char *fmt,
                      ...) {
  va_list ap;
  va_start(ap, fmt);
  pv_jsondoc_verror(doc, node, at_key, fmt, ap);
  va_end(ap);
}

const char *pv_json_kind(const cJSON *v) {
  if (cJSON_IsObject(v))
    return "an object";
  if (cJSON_IsArray(v))
    return "an array";
  if (cJSON_IsString(v))
    return "a string";
  if (cJSON_IsNumber(v))
    return "a number";
  if (cJSON_IsBool(v))
    return "a boolean";
  return "null";
}
