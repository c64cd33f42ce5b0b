/* Opening the display for a window (display.h). */
#include "display.h"

#include <SDL.h>
#include <SDL_ttf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

void att_display_typed(int argc, char **argv, char *out, size_t len)
{
	size_t n = (size_t)snprintf(out, len, "attune");

	for (int i = 0; i < argc && n < len; i++) {
		const char *a = argv[i];
		int plain = a[0] != 0;
		for (const char *c = a; *c && plain; c++)
			plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			               "-_./:,=+@%",
			               *c) != NULL;
		n += (size_t)snprintf(out + n, len - n, plain ? " %s" : " '", a);
		for (const char *c = a; !plain && *c && n < len; c++)
			n += (size_t)snprintf(out + n, len - n, *c == '\'' ? "'\\''" : "%c", *c);
		if (!plain && n < len)
			n += (size_t)snprintf(out + n, len - n, "'");
	}
	if (n >= len) /* too long to repeat: the pattern, not a cut command */
		snprintf(out, len, "attune %s ...", argc > 0 ? argv[0] : "demo");
}

int att_display_open(const char *typed, int headless_ok)
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
		        "attune: cannot open a window%s%s (%s); %sXvfb: xvfb-run -a %s\n",
		        d && *d ? " on DISPLAY=" : "", d && *d ? d : "",
		        init != 0 ? SDL_GetError() : "no display server answers",
		        headless_ok ? "use --headless, or run under " : "run under ",
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
