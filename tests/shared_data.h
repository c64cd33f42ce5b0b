/* The real recordings for the tests' data cases: they live in ../shared/data beside the project
 * (ATTUNE_DATA, set by tests/meson.build) and are never copied into the repo. One place decides
 * what a missing recording means: skip (meson's 77), or fail (1) when ATTUNE_REQUIRE_DATA=1, so
 * a run that must use the data cannot pass by skipping. Header-only (static inline) because each
 * test is its own executable; nothing here keeps state. */
#ifndef ATT_SHARED_DATA_H
#define ATT_SHARED_DATA_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The exit code for a recording that cannot be used, after one line on stderr naming `path`:
 * 1 under ATTUNE_REQUIRE_DATA=1, else 77 (skip). */
static inline int att_data_unavailable(const char *path)
{
	const char *req = getenv("ATTUNE_REQUIRE_DATA");
	int require = req && strcmp(req, "1") == 0;
	fprintf(stderr, "%s: real recording not found (set ATTUNE_DATA to ../shared/data)%s\n",
	        path, require ? "; ATTUNE_REQUIRE_DATA=1: failing instead of skipping" : "");
	return require ? 1 : 77;
}

/* Writes $ATTUNE_DATA/file into buf (len bytes; ../shared/data when ATTUNE_DATA is unset) and
 * returns 0 when it can be opened for reading, else att_data_unavailable()'s exit code. */
static inline int att_data_path(const char *file, char *buf, size_t len)
{
	const char *dir = getenv("ATTUNE_DATA");
	int w = snprintf(buf, len, "%s/%s", dir && *dir ? dir : "../shared/data", file);
	FILE *f = w >= 0 && (size_t)w < len ? fopen(buf, "r") : NULL;
	if (!f)
		return att_data_unavailable(buf);
	fclose(f);
	return 0;
}

/* The column headed `name` of a CSV file whose first line names the columns, as a malloc'd
 * array the caller frees, with its length in *n. NULL (and *n = 0) when the file cannot be
 * read, the column is absent or memory runs out. Rows too short for the column are skipped. */
static inline double *att_data_column(const char *path, const char *name, size_t *n)
{
	*n = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char line[4096];
	int col = -1;
	if (fgets(line, sizeof line, f)) {
		int c = 0;
		for (char *tok = strtok(line, ",\r\n"); tok; tok = strtok(NULL, ",\r\n"), c++)
			if (strcmp(tok, name) == 0)
				col = c;
	}
	size_t cap = 1 << 16, len = 0;
	double *v = col >= 0 ? malloc(cap * sizeof *v) : NULL;
	while (v && fgets(line, sizeof line, f)) {
		char *p = line;
		for (int c = 0; c < col && p; c++) {
			p = strchr(p, ',');
			if (p)
				p++;
		}
		if (!p)
			continue;
		if (len == cap) {
			double *nv = realloc(v, 2 * cap * sizeof *v);
			if (!nv) {
				free(v);
				v = NULL;
				break;
			}
			v = nv;
			cap *= 2;
		}
		v[len++] = strtod(p, NULL);
	}
	fclose(f);
	if (v)
		*n = len;
	return v;
}

#endif
