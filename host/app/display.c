/* Opening the display for a window (display.h). */
#include "display.h"

#include <SDL.h>
#include <SDL_ttf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

int att_display_open(const char *typed)
{
	const char *asked = getenv("SDL_VIDEODRIVER"), *d = getenv("DISPLAY");
	int muted = att_stderr_mute(); /* libwayland prints its own complaints while probed */
	int init = SDL_Init(SDL_INIT_VIDEO);
	att_stderr_restore(muted);
	const char *driver = init == 0 ? SDL_GetCurrentVideoDriver() : NULL;
	/* with no display SDL falls back to drawing off screen: an invisible session nobody asked
	 * for (unless SDL_VIDEODRIVER says so, as tests do) */
	if (init != 0 || (!(asked && *asked) && driver &&
	                  (!strcmp(driver, "offscreen") || !strcmp(driver, "dummy")))) {
		fprintf(stderr,
		        "attune: cannot open a window%s%s (%s); use --headless, or run under "
		        "Xvfb: xvfb-run -a %s\n",
		        d && *d ? " on DISPLAY=" : "", d && *d ? d : "",
		        init != 0 ? SDL_GetError() : "no display server answers",
		        typed && *typed ? typed : "attune ...");
		SDL_Quit();
		return 1;
	}
	if (TTF_Init() != 0) {
		fprintf(stderr, "attune: cannot start text rendering (%s)\n", TTF_GetError());
		return 1;
	}
	return 0;
}
