/* palette: the kiosk's colours (UI.md), RGBA, shared by the screens in
 * app.c and every question widget (q_*.c) so they cannot drift. */
#ifndef PV_KIOSK_PALETTE_H
#define PV_KIOSK_PALETTE_H

#define COL_BG 0xFFF8ECFFu       /* warm paper */
#define COL_INK 0x1B1B1FFFu      /* text, outlines */
#define COL_MUTED 0x6B6B70FFu    /* secondary text */
#define COL_ACCENT 0x00796BFFu   /* the way forward */
#define COL_SELECT 0x1565C0FFu   /* chosen: ring + check, never colour alone */
#define COL_CARD 0xFFFFFFFFu     /* tappable cards */
#define COL_EDGE 0xE3D7C3FFu     /* card borders */
#define COL_PRESSED 0xE8F0FBFFu  /* under a finger */
#define COL_DISABLED 0xD9D4CCFFu /* not available now */
#define COL_BAD 0xD84315FFu      /* refusal, worst smiley */
#define COL_MID 0xF9A825FFu      /* middle smiley */
#define COL_GOOD 0x2E7D32FFu     /* best smiley */
#define COL_VEIL 0x1B1B1FC8u     /* behind full-screen overlays */

#endif
