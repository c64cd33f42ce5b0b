/* Streaming JSON writer; see json.h. The nesting stack is a fixed array inside the writer, so
 * writing never allocates. */
#include "attune/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attune/utf8.h"

enum { FRAME_OBJECT = 1, FRAME_ARRAY = 2 };

struct att_json {
	FILE *out;
	int indent;
	int digits;
	int err;
	int depth; /* open containers */
	unsigned char kind[ATT_JSON_MAX_DEPTH];
	unsigned char has_items[ATT_JSON_MAX_DEPTH];
	int top_written; /* a complete top-level value is out (until end_line) */
};

int att_json_new(const struct att_json_cfg *cfg, struct att_json **out)
{
	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if (!cfg || !cfg->out || cfg->indent < 0 || cfg->indent > 16 || cfg->digits < 0 ||
	    cfg->digits > 17)
		return ATT_ERR_ARG;
	struct att_json *j = calloc(1, sizeof *j);
	if (!j)
		return ATT_ERR_NOMEM;
	j->out = cfg->out;
	j->indent = cfg->indent;
	j->digits = cfg->digits ? cfg->digits : 9;
	*out = j;
	return ATT_OK;
}

void att_json_free(struct att_json *json)
{
	free(json);
}

int att_json_set_indent(struct att_json *json, int indent)
{
	if (!json || indent < 0 || indent > 16)
		return ATT_ERR_ARG;
	json->indent = indent;
	return ATT_OK;
}

int att_json_error(const struct att_json *json)
{
	return json ? json->err : ATT_ERR_ARG;
}

static void put(struct att_json *j, const char *s)
{
	if (!j->err && fputs(s, j->out) == EOF)
		j->err = ATT_ERR_IO;
}

static void putch(struct att_json *j, int c)
{
	if (!j->err && fputc(c, j->out) == EOF)
		j->err = ATT_ERR_IO;
}

static void newline_indent(struct att_json *j, int depth)
{
	if (!j->indent)
		return;
	putch(j, '\n');
	for (int i = 0; i < depth * j->indent; i++)
		putch(j, ' ');
}

static void put_escaped(struct att_json *j, const char *s)
{
	putch(j, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8];
		switch (*p) {
		case '"':
			put(j, "\\\"");
			break;
		case '\\':
			put(j, "\\\\");
			break;
		case '\n':
			put(j, "\\n");
			break;
		case '\r':
			put(j, "\\r");
			break;
		case '\t':
			put(j, "\\t");
			break;
		default:
			if (*p < 0x20) {
				snprintf(esc, sizeof esc, "\\u%04x", *p);
				put(j, esc);
			} else if (*p < 0x80) {
				putch(j, *p);
			} else { /* whole characters only; a byte that is none is U+FFFD */
				size_t l =
				        att_utf8_char((const char *)p, strnlen((const char *)p, 4));
				if (!l)
					put(j, "\\ufffd");
				for (size_t k = 0; k < l; k++)
					putch(j, p[k]);
				p += l ? l - 1 : 0;
			}
		}
	}
	putch(j, '"');
}

/* Checks that a value may go here and writes the separator and key before it. Misuse is
 * refused before anything is written, so the stream stays a prefix of valid JSON. */
static int value_prefix(struct att_json *j, const char *key)
{
	if (j->err)
		return j->err;
	if (j->depth == 0) {
		if (key || j->top_written)
			return j->err = ATT_ERR_ARG;
		return ATT_OK;
	}
	int d = j->depth - 1;
	if ((j->kind[d] == FRAME_OBJECT) != (key != NULL))
		return j->err = ATT_ERR_ARG;
	if (j->has_items[d])
		putch(j, ',');
	j->has_items[d] = 1;
	newline_indent(j, j->depth);
	if (key) {
		put_escaped(j, key);
		put(j, j->indent ? ": " : ":");
	}
	return j->err;
}

static int value_done(struct att_json *j)
{
	if (j->depth == 0)
		j->top_written = 1;
	return j->err;
}

static int begin(struct att_json *j, const char *key, int kind)
{
	if (!j)
		return ATT_ERR_ARG;
	if (j->depth >= ATT_JSON_MAX_DEPTH && !j->err)
		j->err = ATT_ERR_ARG;
	if (value_prefix(j, key))
		return j->err;
	putch(j, kind == FRAME_OBJECT ? '{' : '[');
	j->kind[j->depth] = (unsigned char)kind;
	j->has_items[j->depth] = 0;
	j->depth++;
	return j->err;
}

static int end(struct att_json *j, int kind)
{
	if (!j)
		return ATT_ERR_ARG;
	if (j->err)
		return j->err;
	if (j->depth == 0 || j->kind[j->depth - 1] != kind)
		return j->err = ATT_ERR_ARG;
	j->depth--;
	if (j->has_items[j->depth])
		newline_indent(j, j->depth);
	putch(j, kind == FRAME_OBJECT ? '}' : ']');
	return value_done(j);
}

int att_json_object_begin(struct att_json *json, const char *key)
{
	return begin(json, key, FRAME_OBJECT);
}

int att_json_object_end(struct att_json *json)
{
	return end(json, FRAME_OBJECT);
}

int att_json_array_begin(struct att_json *json, const char *key)
{
	return begin(json, key, FRAME_ARRAY);
}

int att_json_array_end(struct att_json *json)
{
	return end(json, FRAME_ARRAY);
}

int att_json_number(struct att_json *json, const char *key, double value)
{
	if (!json)
		return ATT_ERR_ARG;
	if (value_prefix(json, key))
		return json->err;
	if (!isfinite(value)) {
		put(json, "null");
	} else {
		char buf[40];
		/* %g never produces a form JSON rejects for finite values (no "inf", no leading
		 * "+", no bare "."), as long as the locale uses '.', which the C locale does. */
		snprintf(buf, sizeof buf, "%.*g", json->digits, value == 0 ? 0.0 : value);
		put(json, buf);
	}
	return value_done(json);
}

int att_json_int(struct att_json *json, const char *key, int64_t value)
{
	if (!json)
		return ATT_ERR_ARG;
	if (value_prefix(json, key))
		return json->err;
	char buf[24];
	snprintf(buf, sizeof buf, "%" PRId64, value);
	put(json, buf);
	return value_done(json);
}

int att_json_uint(struct att_json *json, const char *key, uint64_t value)
{
	if (!json)
		return ATT_ERR_ARG;
	if (value_prefix(json, key))
		return json->err;
	char buf[24];
	snprintf(buf, sizeof buf, "%" PRIu64, value);
	put(json, buf);
	return value_done(json);
}

int att_json_bool(struct att_json *json, const char *key, int value)
{
	if (!json)
		return ATT_ERR_ARG;
	if (value_prefix(json, key))
		return json->err;
	put(json, value ? "true" : "false");
	return value_done(json);
}

int att_json_null(struct att_json *json, const char *key)
{
	if (!json)
		return ATT_ERR_ARG;
	if (value_prefix(json, key))
		return json->err;
	put(json, "null");
	return value_done(json);
}

int att_json_string(struct att_json *json, const char *key, const char *value)
{
	if (!json)
		return ATT_ERR_ARG;
	if (value_prefix(json, key))
		return json->err;
	if (value)
		put_escaped(json, value);
	else
		put(json, "null");
	return value_done(json);
}

int att_json_end_line(struct att_json *json)
{
	if (!json)
		return ATT_ERR_ARG;
	if (json->err)
		return json->err;
	if (json->depth)
		return json->err = ATT_ERR_ARG;
	putch(json, '\n');
	json->top_written = 0;
	return json->err;
}
