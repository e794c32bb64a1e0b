/* lang: BCP 47 language tags, the little the project needs of them:
 * checking the form authors may write, comparing tags, right-to-left. */
#ifndef PV_LANG_H
#define PV_LANG_H

#include <stddef.h>

#define PV_LANG_MAX_TAG 35

/* Returns 1 when tag is of the checked form: a lower-case 2-3 letter
 * language subtag, then '-'-separated subtags of 1-8 letters or digits, at
 * most PV_LANG_MAX_TAG bytes; else 0. */
int pv_lang_tag_valid(const char *tag);

/* Returns 1 when the n bytes at a are the whole tag b, ASCII case ignored
 * (strcasecmp would follow the locale: the Turkish dotless i). */
int pv_lang_eq_n(const char *a, size_t n, const char *b);

/* Returns the length of tag's primary subtag ("ar" in "ar-MA"). */
size_t pv_lang_primary_len(const char *tag);

/* Returns 1 for right-to-left scripts (ar, he, fa, ur, ps, ...), else 0. */
int pv_lang_is_rtl(const char *lang);

#endif
