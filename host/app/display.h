/* The display for attune's windows: SDL video and text rendering started, or one line saying why
 * not and what to do. Main thread. */
#ifndef ATT_DISPLAY_H
#define ATT_DISPLAY_H

/* Starts SDL video (never SDL's invisible off-screen fallback unless SDL_VIDEODRIVER asks for
 * it) and SDL_ttf: 0, or 1 after one line on stderr. The caller ends both with TTF_Quit() and
 * SDL_Quit(). */
int att_display_open(void);

#endif
