/* The display for attune's windows: SDL video and text rendering started, or one line saying why
 * not and what to do. Main thread. */
#ifndef ATT_DISPLAY_H
#define ATT_DISPLAY_H

#include <stddef.h>

/* The command as typed, "attune" and argv[0..argc) ("attune demo --names 'Anna,Björn O'\''Neil'"),
 * quoted for a shell into out, so a line suggesting another way to run it works when copied as
 * printed. Too long for len: "attune ARGV0 ...". */
void att_display_typed(int argc, char **argv, char *out, size_t len);

/* Starts SDL video (never SDL's invisible off-screen fallback unless SDL_VIDEODRIVER asks for
 * it) and SDL_ttf: 0, or 1 after one line on stderr. That line suggests running under Xvfb as
 * "xvfb-run -a TYPED": typed is the command as typed (att_display_typed; borrowed for the call;
 * NULL or "" gives "attune ..."), and --headless as well when headless_ok (the command has it).
 * The caller ends both with TTF_Quit() and SDL_Quit(). */
int att_display_open(const char *typed, int headless_ok);

#endif
