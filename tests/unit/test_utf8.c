/* UTF-8 text: strict validity, cutting only between characters, the ASCII form for EDF headers,
 * and the JSON writer never emitting invalid UTF-8 whatever bytes it is given. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "attune/event.h"
#include "attune/json.h"
#include "attune/utf8.h"

static void validity(void)
{
	CHECK(att_utf8_valid("Anna") && att_utf8_valid("Björn") && att_utf8_valid("Жанна"));
	CHECK(att_utf8_valid("李小龙") && att_utf8_valid("\xF0\x9F\x98\x80")); /* an emoji */
	CHECK(!att_utf8_valid("Bj\xF6rn"));                                     /* Latin-1 */
	CHECK(!att_utf8_valid("\xC0\xAF"));         /* overlong '/' */
	CHECK(!att_utf8_valid("\xED\xA0\x80"));     /* a surrogate */
	CHECK(!att_utf8_valid("\xF4\x90\x80\x80")); /* beyond U+10FFFF */
	CHECK(!att_utf8_valid("\xE2\x82"));         /* cut short */
}

static void cutting(void)
{
	char name[64 * 2 + 1] = "";
	struct att_event ev;

	for (int i = 0; i < 64; i++)
		strcat(name, "\xD0\x96"); /* Ж, 2 bytes each */
	CHECK(att_utf8_fit(name, 64) == 62); /* 31 whole characters, not 31.5 */
	CHECK(att_utf8_fit("\xE6\x9D\x8E\xE5\xB0\x8F", 6) == 3);
	att_event_set_text(&ev, name);
	CHECK(att_utf8_valid(ev.text) && strlen(ev.text) == ATT_EVENT_TEXT_MAX - 2);
}

static void ascii(void)
{
	char out[64];

	att_utf8_to_ascii("Björn Åsa", '_', out, sizeof out);
	CHECK(!strcmp(out, "Bjorn_Asa"));
	att_utf8_to_ascii("Łukasz Øre Straße Œuvre", ' ', out, sizeof out);
	CHECK(!strcmp(out, "Lukasz Ore Strasse OEuvre"));
	att_utf8_to_ascii("李小龙 Жанна", '_', out, sizeof out);
	CHECK(!strcmp(out, "???_?????"));
	att_utf8_to_ascii("Bj\xF6rn", '_', out, 4);
	CHECK(!strcmp(out, "Bj?"));
}

/* Every byte string through the writer comes out as valid UTF-8. */
static void json_stays_valid(void)
{
	static const char *const inputs[] = {"Bj\xF6rn", "\xC0\xAF", "\xED\xA0\x80x", "ok \xE2\x82",
	                                     "\xFF\xFE", "Жанна \xD0"};
	char buf[4096];

	for (size_t k = 0; k < sizeof inputs / sizeof inputs[0]; k++) {
		FILE *f = fmemopen(buf, sizeof buf, "w");
		struct att_json *j = NULL;
		CHECK(f && att_json_new(&(struct att_json_cfg){.out = f}, &j) == ATT_OK);
		if (!j) {
			if (f)
				fclose(f);
			continue;
		}
		att_json_object_begin(j, NULL);
		att_json_string(j, "name", inputs[k]);
		att_json_object_end(j);
		att_json_end_line(j);
		att_json_free(j);
		fclose(f);
		CHECK(att_utf8_valid(buf));
		CHECK(strstr(buf, "\\ufffd") != NULL);
	}
}

int main(void)
{
	validity();
	cutting();
	ascii();
	json_stays_valid();
	return att_check_done("utf8");
}
