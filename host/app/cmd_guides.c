/* attune guides [--show NAME]: the built-in guides (name, length, one line), or one of them as
 * JSON to copy and edit; and the lookup --guide NAME|FILE uses (guides.h). */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "guides.h"

int att_guides_find(const char *name_or_path, struct att_guide *out, char *why, size_t why_len)
{
	for (size_t i = 0; i < att_builtin_guides_n; i++)
		if (!strcmp(name_or_path, att_builtin_guides[i].name))
			return att_guide_parse(att_builtin_guides[i].json,
			                       strlen(att_builtin_guides[i].json), out, why,
			                       why_len);
	if (!strchr(name_or_path, '/') && !strstr(name_or_path, ".json"))
		return att_fail(why, why_len, ATT_ERR_ARG,
		                "no guide '%s'; attune guides lists them (or give a FILE.json)",
		                name_or_path);
	return att_guide_load(name_or_path, out, why, why_len);
}

static void usage(FILE *to)
{
	fprintf(to,
	        "usage: attune guides [--show NAME]\n"
	        "Lists the built-in guides (timed session plans) for --guide NAME on attune live,\n"
	        "demo and replay; --show prints one as JSON, to copy into a file and edit\n"
	        "(--guide FILE.json then follows it).\n");
}

int att_cmd_guides(int argc, char **argv)
{
	static struct att_guide g;
	char why[300];

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--show")) {
		for (size_t i = 0; i < att_builtin_guides_n; i++)
			if (!strcmp(argv[2], att_builtin_guides[i].name)) {
				fputs(att_builtin_guides[i].json, stdout);
				return 0;
			}
		return att_usage_error("guides", "no built-in guide '%s'", argv[2]);
	}
	if (argc > 1)
		return att_usage_error("guides", "unknown option '%s'", argv[1]);
	for (size_t i = 0; i < att_builtin_guides_n; i++) {
		if (att_guides_find(att_builtin_guides[i].name, &g, why, sizeof why) != ATT_OK) {
			fprintf(stderr, "attune guides: %s: %s\n", att_builtin_guides[i].name, why);
			return 1;
		}
		printf("%-10s %3.0f min  %s\n", att_builtin_guides[i].name,
		       att_guide_length(&g) / 60.0, g.about);
	}
	return 0;
}
