/* lang: see lang.h. */
#include "core/lang.h"

#include <string.h>

int pv_lang_tag_valid(const char *s) {
  size_t n = strlen(s), i = 0;
  if (n == 0 || n > PV_LANG_MAX_TAG)
    return 0;
  while (i < n && s[i] >= 'a' && s[i] <= 'z')
    i++;
  if (i < 2 || i > 3)
    return 0;
  while (i < n) {
    if (s[i++] != '-')
      return 0;
    size_t start = i;
    while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                     (s[i] >= '0' && s[i] <= '9')))
      i++;
    if (i - start < 1 || i - start > 8)
      return 0;
  }
  return 1;
}

int pv_lang_eq_n(const char *a, size_t n, const char *b) {
  if (strlen(b) != n)
    return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char ca = (unsigned char)a[i], cb = (unsigned char)b[i];
    if (ca >= 'A' && ca <= 'Z')
      ca = (unsigned char)(ca - 'A' + 'a');
    if (cb >= 'A' && cb <= 'Z')
      cb = (unsigned char)(cb - 'A' + 'a');
    if (ca != cb)
      return 0;
  }
  return 1;
}

size_t pv_lang_primary_len(const char *tag) {
  return strcspn(tag, "-_");
}

int pv_lang_is_rtl(const char *lang) {
  static const char *const rtl[] = {"ar", "arc", "ckb", "dv", "fa", "he",
                                    "ks", "ps",  "sd",  "ug", "ur", "yi"};
  size_t n = pv_lang_primary_len(lang);
  for (size_t i = 0; i < sizeof rtl / sizeof *rtl; i++)
    if (strlen(rtl[i]) == n && strncmp(lang, rtl[i], n) == 0)
      return 1;
  return 0;
}
