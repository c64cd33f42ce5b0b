/* attune demo: the embedded default, a couple played into the live view without hardware. */
#include <stdio.h>

#include "cmd.h"

int att_cmd_demo(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "attune demo: the live view is not built yet; nothing to show\n");
	return 1;
}
