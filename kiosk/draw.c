/* draw: see draw.h. */
#include "kiosk/draw.h"

#include <string.h>

void pv_draw_clear(pv_draw_list *dl) {
  dl->count = 0;
  dl->dropped = 0;
}

void pv_draw_push(pv_draw_list *dl, const pv_draw_cmd *cmd) {
  if (dl->count >= PV_DRAW_MAX_COMMANDS) {
    dl->dropped++;
    return;
  }
  dl->cmds[dl->count++] = *cmd;
}

void pv_draw_rect(pv_draw_list *dl, pv_rect r, pv_color c, int radius) {
  pv_draw_push(dl, &(pv_draw_cmd){
                       .kind = PV_DRAW_RECT, .rect = r, .color = c, .radius = radius});
}

void pv_draw_frame(pv_draw_list *dl, pv_rect r, pv_color c, int radius, int thickness) {
  pv_draw_push(dl, &(pv_draw_cmd){.kind = PV_DRAW_FRAME,
                                  .rect = r,
                                  .color = c,
                                  .radius = radius,
                                  .thickness = thickness});
}

void pv_draw_circle(pv_draw_list *dl, pv_rect r, pv_color c) {
  pv_draw_push(dl, &(pv_draw_cmd){.kind = PV_DRAW_CIRCLE, .rect = r, .color = c});
}

void pv_draw_ring(pv_draw_list *dl, pv_rect r, pv_color c, int thickness) {
  pv_draw_push(
      dl, &(pv_draw_cmd){
              .kind = PV_DRAW_RING, .rect = r, .color = c, .thickness = thickness});
}

void pv_draw_arc(pv_draw_list *dl, pv_rect r, pv_color c, int thickness, int angle0,
                 int angle1) {
  pv_draw_push(dl, &(pv_draw_cmd){.kind = PV_DRAW_ARC,
                                  .rect = r,
                                  .color = c,
                                  .thickness = thickness,
                                  .angle0 = angle0,
                                  .angle1 = angle1});
}

void pv_draw_text(pv_draw_list *dl, pv_rect r, pv_color c, const char *text,
                  const pv_text_style *style) {
  pv_draw_push(
      dl,
      &(pv_draw_cmd){
          .kind = PV_DRAW_TEXT, .rect = r, .color = c, .text = text, .style = *style});
}

void pv_draw_image(pv_draw_list *dl, pv_rect r, const char *path) {
  pv_draw_push(dl, &(pv_draw_cmd){.kind = PV_DRAW_IMAGE, .rect = r, .path = path});
}

void pv_draw_clip(pv_draw_list *dl, pv_rect r) {
  pv_draw_push(dl, &(pv_draw_cmd){.kind = PV_DRAW_CLIP, .rect = r});
}

void pv_draw_pixels(pv_draw_list *dl, pv_rect r, const uint32_t *pixels, int pw,
                    int ph) {
  pv_draw_push(
      dl, &(pv_draw_cmd){
              .kind = PV_DRAW_PIXELS, .rect = r, .pixels = pixels, .pw = pw, .ph = ph});
}
