/* platform: runs pv-kiosk itself (not a subcommand): the touchscreen app,
 * fullscreen, windowed (--window WxH) or headless (--headless --script). */
#ifndef PV_KIOSK_PLATFORM_H
#define PV_KIOSK_PLATFORM_H

/* Parses argv and runs the kiosk. Returns the process exit code: 0, 1 on
 * a start-up failure, 2 on a usage error; headless: the script's code
 * (0 done, 2 bad script line, 3 failed expect). */
int pv_kiosk_main(int argc, char **argv);

#endif
