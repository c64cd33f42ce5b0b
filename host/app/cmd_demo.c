/* attune demo: the embedded default, a couple played into the live view without hardware: the
 * live session (cmd_live.c) with the simulated board (demo_board.c) as its device, falling back
 * to the generated couple in-process when the board cannot start. */
#include <stdio.h>
#include <unistd.h>

#include "cmd.h"

int att_cmd_demo(int argc, char **argv)
{
	return att_live_main(argc, argv, ATT_MODE_DEMO);
}

#ifndef ATT_HAVE_LIVE
/* Built without SDL2/SDL2_ttf/libpng/libsoundio: say what to install instead of failing oddly. */
int att_live_main(int argc, char **argv, enum att_live_mode mode)
{
	(void)argc;
	(void)argv;
	fprintf(stderr,
	        "attune %s: this build has no live view; %sapt-get install libsdl2-dev "
	        "libsdl2-ttf-dev libpng-dev libsoundio-dev, then meson setup --reconfigure "
	        "" ATT_BUILD_ROOT " && meson compile -C " ATT_BUILD_ROOT "\n",
	        mode == ATT_MODE_REPLAY ? "replay"
	        : mode == ATT_MODE_DEMO ? "demo"
	                                : "live",
	        geteuid() ? "sudo " : "");
	return 1;
}

int att_cmd_live(int argc, char **argv)
{
	return att_live_main(argc, argv, ATT_MODE_LIVE);
}

int att_cmd_replay(int argc, char **argv)
{
	return att_live_main(argc, argv, ATT_MODE_REPLAY);
}
#endif
