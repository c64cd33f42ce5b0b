/* The guides the program knows: built in (host/guides/NAME.json, embedded at build time) or a file
 * the user gives. Main thread. */
#ifndef ATT_GUIDES_H
#define ATT_GUIDES_H

#include <stddef.h>

#include "attune/guide.h"

struct att_builtin_guide {
	const char *name; /* "first", "daily", "resonance", "therapist" */
	const char *json;
};
extern const struct att_builtin_guide att_builtin_guides[];
extern const size_t att_builtin_guides_n;

/* A built-in guide by name, else the file at name_or_path. ATT_OK, or one line in why. */
int att_guides_find(const char *name_or_path, struct att_guide *out, char *why, size_t why_len);

#endif
