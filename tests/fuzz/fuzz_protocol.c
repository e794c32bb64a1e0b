/* fuzz_protocol: libFuzzer target for the wire decoders (sync/protocol.h),
 * which read whatever a network peer sends: the collector decodes batches,
 * the device decodes results, errors and catalogues.
 *
 * Past the sanitizers, the harness checks the decoders' promises: a batch
 * is refused whole or gives one item per element, each either decoded or
 * carrying a reason; a decoded response re-encodes to canonical text that
 * decodes again to the very same text (so the collector's identity hash
 * is stable); every decoded catalogue path is safe. A broken promise
 * aborts with a one-line reason. Run through scripts/fuzz-smoke.sh. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PROMISE(cond)                                                                  \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      fprintf(stderr, "fuzz_protocol: broken promise: %s (%s:%d)\n", #cond, __FILE__,  \
              __LINE__);                                                               \
      abort();                                                                         \
    }                                                                                  \
  } while (0)

static void check_batch(const char *text, size_t size) {
  pv_proto_batch b;
  char why[PV_PROTO_MAX_REASON + 1] = "";
  pv_err err = pv_proto_batch_decode(text, size, &b, why, sizeof why);
  if (err != PV_OK) {
    PROMISE(why[0] != '\0');
    PROMISE(b.items == NULL && b.count == 0);
    return;
  }
  PROMISE(b.count >= 1 && b.count <= PV_PROTO_MAX_BATCH);
  for (size_t i = 0; i < b.count; i++) {
    pv_proto_item *it = &b.items[i];
    if (!it->ok) {
      PROMISE(it->result.outcome == PV_OUT_INVALID && it->result.reason[0]);
      continue;
    }
    char *canon = pv_proto_response_encode(&it->r);
    PROMISE(canon != NULL);
    pv_store_response again;
    PROMISE(pv_proto_response_decode(canon, strlen(canon), &again, why, sizeof why) ==
            PV_OK);
    char *twice = pv_proto_response_encode(&again);
    PROMISE(twice && strcmp(canon, twice) == 0);
    free(twice);
    free(canon);
    pv_store_response_free(&again);
  }
  pv_proto_batch_free(&b);
}

/* The sessions batch: the same promises as responses. */
static void check_sessions(const char *text, size_t size) {
  pv_proto_sessions b;
  char why[PV_PROTO_MAX_REASON + 1] = "";
  if (pv_proto_sessions_decode(text, size, &b, why, sizeof why) != PV_OK) {
    PROMISE(why[0] != '\0');
    PROMISE(b.items == NULL && b.count == 0);
    return;
  }
  PROMISE(b.count >= 1 && b.count <= PV_PROTO_MAX_SESSIONS);
  for (size_t i = 0; i < b.count; i++) {
    pv_proto_session_item *it = &b.items[i];
    if (!it->ok) {
      PROMISE(it->result.outcome == PV_OUT_INVALID && it->result.reason[0]);
      continue;
    }
    char *canon = pv_proto_session_encode(&it->s);
    PROMISE(canon != NULL);
    pv_store_session again;
    PROMISE(pv_proto_session_decode(canon, strlen(canon), &again, why, sizeof why) ==
            PV_OK);
    char *twice = pv_proto_session_encode(&again);
    PROMISE(twice && strcmp(canon, twice) == 0);
    free(twice);
    free(canon);
  }
  pv_proto_sessions_free(&b);
}

/* The recorded prompts, as a POST batch (list 0) or a GET reply (list 1):
 * an accepted item re-encodes to a text that decodes to the same record. */
static void check_prompts(const char *text, size_t size, int list) {
  pv_proto_prompts b;
  char why[PV_PROTO_MAX_REASON + 1] = "";
  if (pv_proto_prompts_decode(text, size, list, &b, why, sizeof why) != PV_OK) {
    PROMISE(why[0] != '\0' && b.items == NULL && b.count == 0);
    return;
  }
  PROMISE(b.count <= (list ? PV_PROTO_MAX_PROMPT_LIST : PV_PROTO_MAX_PROMPTS));
  for (size_t i = 0; i < b.count; i++) {
    const pv_proto_prompt_item *it = &b.items[i];
    char *canon = it->ok ? pv_proto_prompt_encode(&it->p) : NULL;
    pv_store_prompt again;
    PROMISE(it->ok ? canon &&
                         pv_proto_prompt_decode(canon, strlen(canon), &again, why,
                                                sizeof why) == PV_OK &&
                         pv_proto_prompt_cmp(&again, &it->p) == 0 &&
                         strcmp(again.sha256, it->p.sha256) == 0
                   : it->result.outcome == PV_OUT_INVALID && it->result.reason[0]);
    free(canon);
  }
  pv_proto_prompts_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  check_batch(text, size);
  check_sessions(text, size);
  check_prompts(text, size, 0);
  check_prompts(text, size, 1);

  pv_proto_result *res = NULL;
  size_t n = 0;
  if (pv_proto_results_decode(text, size, &res, &n) == PV_OK)
    PROMISE(n <= PV_PROTO_MAX_BATCH);
  free(res);

  pv_proto_catalog c;
  char why[PV_PROTO_MAX_REASON + 1];
  if (pv_proto_catalog_decode(text, size, &c, why, sizeof why) == PV_OK) {
    for (size_t i = 0; i < c.count; i++)
      for (size_t k = 0; k < c.surveys[i].n_files; k++)
        PROMISE(pv_proto_path_safe(c.surveys[i].files[k].path));
    pv_proto_catalog_free(&c);
  }

  char code[PV_PROTO_MAX_CODE + 1], reason[PV_PROTO_MAX_REASON + 1];
  (void)pv_proto_error_decode(text, size, code, reason);
  return 0;
}
