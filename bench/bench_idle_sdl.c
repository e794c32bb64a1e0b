/* bench_idle_sdl: the idle-CPU baseline for the kiosk (bench/kiosk-bench.sh).
 *
 * The smallest SDL program that idles the way pv-kiosk's loop does: a
 * window of the given size with a renderer (software under the dummy video
 * driver), one frame presented, then SDL_WaitEvent until SDL_QUIT (SDL
 * turns SIGTERM into SDL_QUIT). Whatever CPU it burns is SDL's own cost of
 * waiting with that video driver, not the kiosk's. */
#include <SDL2/SDL.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  long w = 800, h = 480;
  if (argc > 1) {
    char *end;
    w = strtol(argv[1], &end, 10);
    h = *end == 'x' ? strtol(end + 1, &end, 10) : 0;
    if (w < 100 || h < 100 || w > 8192 || h > 8192 || *end) {
      fprintf(stderr, "usage: bench_idle_sdl [WxH]\n");
      return 2;
    }
  }
  int code = 1;
  SDL_Window *win = NULL;
  SDL_Renderer *ren = NULL;
  if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
    fprintf(stderr, "bench_idle_sdl: %s\n", SDL_GetError());
    return 1;
  }
  win = SDL_CreateWindow("bench_idle_sdl", SDL_WINDOWPOS_CENTERED,
                         SDL_WINDOWPOS_CENTERED, (int)w, (int)h, 0);
  ren = win ? SDL_CreateRenderer(win, -1, 0) : NULL;
  if (!ren) {
    fprintf(stderr, "bench_idle_sdl: %s\n", SDL_GetError());
    goto out;
  }
  SDL_SetRenderDrawColor(ren, 255, 255, 255, 255);
  SDL_RenderClear(ren);
  SDL_RenderPresent(ren);
  SDL_Event e;
  while (SDL_WaitEvent(&e))
    if (e.type == SDL_QUIT)
      break;
  code = 0;
out:
  if (ren)
    SDL_DestroyRenderer(ren);
  if (win)
    SDL_DestroyWindow(win);
  SDL_Quit();
  return code;
}
