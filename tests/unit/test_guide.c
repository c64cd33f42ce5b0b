/* Guides: a guide file is read or refused with one line naming the key and the problem; the
 * player follows the phases on signal time, with pause, skip and back; the shipped guides load. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "attune/guide.h"

static struct att_guide g;

static const char *two_phases =
        "{\"name\": \"t\", \"about\": \"a\", \"future_key\": 1, \"phases\": ["
        "{\"name\": \"settle\", \"seconds\": 60, \"pacer\": null, \"feedback\": false,"
        " \"say\": \"Sit\", \"colour\": \"ignored\"},"
        "{\"name\": \"paced\", \"seconds\": 120, \"pacer\": {\"bpm\": 5.5, \"exhale_ratio\": 2},"
        " \"feedback\": true}]}";

static void a_guide_is_read_with_unknown_keys_ignored(void)
{
	char why[300] = "";

	CHECK(att_guide_parse(two_phases, strlen(two_phases), &g, why, sizeof why) == ATT_OK);
	CHECK(g.n == 2 && !strcmp(g.name, "t") && !strcmp(g.about, "a"));
	CHECK(!strcmp(g.phase[0].say, "Sit") && g.phase[0].pacer_bpm == 0.0 &&
	      !g.phase[0].feedback);
	CHECK(g.phase[1].pacer_bpm == 5.5 && g.phase[1].exhale_ratio == 2.0 && g.phase[1].feedback);
	CHECK(g.phase[1].say[0] == 0);
	CHECK(att_guide_length(&g) == 180.0);
}

/* Each malformed guide is refused with a line that contains `want`. */
static void refused(const char *text, const char *want)
{
	char why[300] = "";
	int rc = att_guide_parse(text, strlen(text), &g, why, sizeof why);

	CHECK(rc == ATT_ERR_FORMAT);
	if (!strstr(why, want)) {
		fprintf(stderr, "for %s\n  got '%s', want '%s'\n", text, why, want);
		CHECK(strstr(why, want) != NULL);
	}
	CHECK(strchr(why, '\n') == NULL);
}

static void malformed_guides_are_refused_naming_the_key(void)
{
	refused("{\"name\": \"x\", \"phases\": [", "not JSON");
	refused("[1, 2]", "a guide is an object");
	refused("{\"phases\": []}", "name: missing");
	refused("{\"name\": \"x\"}", "phases: missing");
	refused("{\"name\": \"x\", \"phases\": []}", "phases: must be a list of 1 to");
	refused("{\"name\": \"x\", \"phases\": [{\"name\": \"a\", \"pacer\": null, \"feedback\": true}]}",
	        "phases[0].seconds: missing");
	refused("{\"name\": \"x\", \"phases\": [{\"name\": \"a\", \"seconds\": 0, \"pacer\": null,"
	        " \"feedback\": true}]}",
	        "phases[0].seconds: 0 is not within 10..3600");
	refused("{\"name\": \"x\", \"phases\": [{\"name\": \"a\", \"seconds\": \"60\", \"pacer\": null,"
	        " \"feedback\": true}]}",
	        "phases[0].seconds: must be a number");
	refused("{\"name\": \"x\", \"phases\": [{\"name\": \"a\", \"seconds\": 60, \"pacer\": {\"bpm\":"
	        " 30}, \"feedback\": true}]}",
	        "phases[0].pacer.bpm: 30 is not within 3..10");
	refused("{\"name\": \"x\", \"phases\": [{\"name\": \"a\", \"seconds\": 60, \"pacer\": {\"bpm\":"
	        " 6, \"exhale_ratio\": 4}, \"feedback\": true}]}",
	        "phases[0].pacer.exhale_ratio: 4 is not within 1..3");
	refused("{\"name\": \"x\", \"phases\": [{\"name\": \"a\", \"seconds\": 60, \"feedback\": true}]}",
	        "phases[0].pacer: missing");
	refused("{\"name\": \"x\", \"phases\": [{\"name\": \"a\", \"seconds\": 60, \"pacer\": null,"
	        " \"feedback\": 1}]}",
	        "phases[0].feedback: must be true or false");
	refused("{\"name\": \"x\", \"phases\": [{\"name\": \"a\", \"seconds\": 60, \"pacer\": null}]}",
	        "phases[0].feedback: missing");
	refused("{\"name\": \"x\", \"name\": \"y\", \"phases\": []}", "not JSON");
}

static void the_player_follows_signal_time_with_pause_skip_and_back(void)
{
	struct att_guide_player p;
	struct att_guide_state st;
	char why[300];

	CHECK(att_guide_parse(two_phases, strlen(two_phases), &g, why, sizeof why) == ATT_OK);
	att_guide_player_start(&p, &g, 10.0);
	CHECK(att_guide_player_at(&p, 10.0, &st) == 1 && st.phase == 0 && st.left == 180.0);
	CHECK(att_guide_player_at(&p, 69.9, &st) == 0 && st.phase == 0);
	CHECK_NEAR(st.phase_left, 0.1, 1e-9);
	CHECK(att_guide_player_at(&p, 70.0, &st) == 1 && st.phase == 1 && st.phase_t == 0.0);
	/* a 30 s pause does not count */
	att_guide_player_pause(&p, 80.0, 1);
	CHECK(att_guide_player_at(&p, 95.0, &st) == 0 && st.paused && st.phase_t == 10.0);
	att_guide_player_pause(&p, 110.0, 0);
	CHECK(att_guide_player_at(&p, 110.0, &st) == 0 && !st.paused && st.phase_t == 10.0);
	CHECK(att_guide_player_at(&p, 219.9, &st) == 0 && st.phase == 1);
	CHECK(att_guide_player_at(&p, 220.0, &st) == 1 && st.done && st.phase == 2);
	/* back from the end: the last phase from its start */
	att_guide_player_back(&p, 230.0);
	CHECK(att_guide_player_at(&p, 230.0, &st) == 1 && st.phase == 1 && st.phase_t == 0.0);
	/* back within its first 3 s: the phase before */
	att_guide_player_back(&p, 231.0);
	CHECK(att_guide_player_at(&p, 231.0, &st) == 1 && st.phase == 0 && st.phase_t == 0.0);
	/* back later in a phase: its own start, no change */
	att_guide_player_back(&p, 241.0);
	CHECK(att_guide_player_at(&p, 241.0, &st) == 0 && st.phase == 0 && st.phase_t == 0.0);
	att_guide_player_skip(&p, 250.0);
	CHECK(att_guide_player_at(&p, 250.0, &st) == 1 && st.phase == 1 && st.phase_t == 0.0);
	att_guide_player_skip(&p, 251.0);
	CHECK(att_guide_player_at(&p, 251.0, &st) == 1 && st.done);
}

static void the_shipped_guides_load(void)
{
	static const char *names[] = {"first", "daily", "resonance", "therapist"};
	const char *src = getenv("ATTUNE_SOURCE");
	char path[1024], why[300];

	CHECK(src != NULL);
	for (size_t i = 0; src && i < sizeof names / sizeof names[0]; i++) {
		snprintf(path, sizeof path, "%s/host/guides/%s.json", src, names[i]);
		if (att_guide_load(path, &g, why, sizeof why) != ATT_OK) {
			fprintf(stderr, "%s\n", why);
			CHECK(!"a shipped guide loads");
		}
	}
	/* the resonance check: settle, then 6.5 -> 4.5 in 0.5 steps, 2 minutes each, no feedback */
	snprintf(path, sizeof path, "%s/host/guides/resonance.json", src ? src : ".");
	CHECK(att_guide_load(path, &g, why, sizeof why) == ATT_OK && g.n == 6);
	for (size_t i = 1; i < g.n; i++)
		CHECK(g.phase[i].pacer_bpm == 7.0 - 0.5 * (double)i &&
		      g.phase[i].seconds == 120.0 && !g.phase[i].feedback);
	CHECK(att_guide_load("/nonexistent/g.json", &g, why, sizeof why) == ATT_ERR_IO &&
	      strstr(why, "/nonexistent/g.json"));
}

int main(void)
{
	a_guide_is_read_with_unknown_keys_ignored();
	malformed_guides_are_refused_naming_the_key();
	the_player_follows_signal_time_with_pause_skip_and_back();
	the_shipped_guides_load();
	return att_check_done("guide");
}
