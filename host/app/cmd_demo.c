/* attune demo: the embedded default, a couple played into the live view without hardware. It is
 * the live session (cmd_live.c) with the generated couple's story as the default source. */
#include <stdio.h>

#include "cmd.h"

#ifdef ATT_HAVE_LIVE
int att_cmd_demo(int argc, char **argv)
{
	return att_live_main(argc, argv, 1);
}
#else
/* Built without SDL2/SDL2_ttf/libpng/libsoundio: say what to install instead of failing oddly. */
int att_live_main(int argc, char **argv, int demo)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "attune %s: this build has no live view; install libsdl2-dev libsdl2-ttf-dev "
	                "libpng-dev libsoundio-dev and rebuild\n",
	        demo == 2 ? "replay" : demo ? "demo" : "live");
	return 1;
}

int att_cmd_demo(int argc, char **argv)
{
	return att_live_main(argc, argv, 1);
}

int att_cmd_live(int argc, char **argv)
{
	return att_live_main(argc, argv, 0);
}

int att_cmd_replay(int argc, char **argv)
{
	return att_live_main(argc, argv, 2);
}
#endif
