/* The display for attune's windows: SDL video and text rendering started, or one line saying why
 * not and what to do. Main thread. */
#ifndef ATT_DISPLAY_H
#define ATT_DISPLAY_H

/* Starts SDL video (never SDL's invisible off-screen fallback unless SDL_VIDEODRIVER asks for
 * it) and SDL_ttf: 0, or 1 after one line on stderr. That line suggests running under Xvfb as
 * "xvfb-run -a TYPED": typed is the command as typed, quoted for a shell (borrowed for the call;
 * NULL or "" gives "attune ..."). The caller ends both with TTF_Quit() and SDL_Quit(). */
int att_display_open(const char *typed);

#endif
