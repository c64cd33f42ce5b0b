/* attune live / demo / replay: the source the options ask for (live_source.h). */
#include "live_source.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attune/read_any.h"

/* attune demo --speed: through the simulated board up to this; the simulator manages about 80x
 * on one core, less under sanitizers, so faster or flat out plays in-process */
#define BOARD_SPEED_MAX 10.0
#define STAGE_HZ        10.0

static int open_port(const char *path, const struct att_live_opts *o, struct att_live_source *ls,
                     char *why, size_t why_len)
{
	struct att_source_status st;
	int rc = att_source_open_serial(
	        &(struct att_serial_cfg){.path = path,
	                                 .rate_hz = o->rate_set ? (unsigned)o->rate : 0,
	                                 .reset_wait_ms = -1},
	        &ls->src, why, why_len);

	if (rc != ATT_OK)
		return rc;
	att_source_status(ls->src, &st);
	ls->device = 1;
	snprintf(ls->name, sizeof ls->name, "%s", st.name);
	return ATT_OK;
}

static void open_stage(const struct att_live_opts *o, struct att_live_source *ls)
{
	/* best effort: without it the status line just shows no stage */
	att_couple_new(&(struct att_couple_cfg){.rate_hz = STAGE_HZ,
	                                        .script = att_live_scripts[o->script].script,
	                                        .seed = o->seed},
	               &ls->stage);
}

/* attune demo: the couple (or --input CSV) through the real firmware in the simulated board. */
static int open_board(const struct att_live_opts *o, struct att_live_source *ls, char *why,
                      size_t why_len)
{
	const char *script = o->input ? NULL : att_live_scripts[o->script].name;
	int rc = att_demo_board_start(
	        &(struct att_demo_board_cfg){
	                .script = script, .input = o->input, .seed = o->seed, .speed = o->speed},
	        &ls->board, why, why_len);

	if (rc != ATT_OK)
		return rc;
	rc = open_port(att_demo_board_link(ls->board), o, ls, why, why_len);
	if (rc != ATT_OK) {
		att_demo_board_stop(ls->board);
		ls->board = NULL;
		return rc;
	}
	snprintf(ls->name, sizeof ls->name, "simulated board");
	if (!o->input)
		open_stage(o, ls);
	return ATT_OK;
}

/* Keeps the file's markers and notes (EDF+ annotations, the raw capture's events) as the events
 * replay delivers when playback passes them; pacer changes, reconnects and gaps are events too,
 * but not marks on the timeline. */
static void keep_marks(const struct att_recording *rec, struct att_live_source *ls)
{
	ls->marks = calloc(rec->n_events ? rec->n_events : 1, sizeof *ls->marks);
	for (size_t i = 0; ls->marks && i < rec->n_events; i++) {
		const struct att_event *e = &rec->events[i];
		struct att_event *ev = &ls->marks[ls->n_marks];
		char label[ATT_EVENT_TEXT_MAX];
		if (e->kind != ATT_EV_MARKER && e->kind != ATT_EV_NOTE)
			continue;
		*ev = *e;
		ev->kind = ATT_EV_MARKER;
		att_event_label(e, label, sizeof label);
		att_event_set_text(ev, label);
		ls->n_marks++;
	}
}

static int open_file(const struct att_live_opts *o, const char *note, struct att_live_source *ls,
                     char *why, size_t why_len)
{
	struct att_recording *rec = NULL;
	char reason[300];
	/* CSV, EDF+ or a raw capture, whichever the file is */
	int rc = att_recording_read_any(o->input, &rec, reason, sizeof reason);

	if (rc != ATT_OK)
		return att_fail(why, why_len, rc, "%.100s: %.150s", o->input, reason);
	if (!rec->ch[0] || !rec->ch[2]) {
		att_recording_free(rec);
		return att_fail(why, why_len, ATT_ERR_FORMAT,
		                "%s has no a_resp or b_resp column; both chest belts are needed",
		                o->input);
	}
	if (o->mode == ATT_MODE_REPLAY)
		keep_marks(rec, ls); /* before the source takes the recording */
	snprintf(ls->name, sizeof ls->name, "%s%s", o->input, note);
	rc = att_source_open_recording(rec, ls->name, 0.0, &ls->src);
	if (rc != ATT_OK)
		return att_fail(why, why_len, rc, "cannot play %s: %s", o->input, att_strerror(rc));
	ls->file = 1;
	return ATT_OK;
}

int att_live_source_open(const struct att_live_opts *o, struct att_live_source *ls, char *why,
                         size_t why_len)
{
	const char *note = "";
	char fallback[600];
	int rc;

	memset(ls, 0, sizeof *ls);
	if (o->mode == ATT_MODE_DEMO && !o->port && o->speed > 0.0 && o->speed <= BOARD_SPEED_MAX) {
		if (open_board(o, ls, fallback, sizeof fallback) == ATT_OK)
			return ATT_OK;
		fprintf(stderr, "attune: no simulated board (%s); playing the %s in-process\n",
		        fallback, o->input ? "recording" : "generated couple");
		note = " (in-process: no simulated board)";
	}
	if (o->port)
		return open_port(o->port, o, ls, why, why_len);
	if (o->mode == ATT_MODE_ROOM)
		return ATT_OK; /* an observer: the room is the whole source (cmd_live.c opens it) */
	if (o->input)
		return open_file(o, note, ls, why, why_len);
	snprintf(ls->name, sizeof ls->name, "%s%s", att_live_scripts[o->script].label, note);
	rc = att_source_open_couple(
	        &(struct att_couple_cfg){.rate_hz = o->rate,
	                                 .script = att_live_scripts[o->script].script,
	                                 .seed = o->seed},
	        0.0, &ls->src);
	if (rc != ATT_OK)
		return att_fail(why, why_len, rc, "cannot generate the couple: %s",
		                att_strerror(rc));
	open_stage(o, ls);
	return ATT_OK;
}

const char *att_live_source_stage(void *ctx, double t)
{
	struct att_live_source *ls = ctx;
	uint64_t due = (uint64_t)(t * STAGE_HZ);
	float v[4];

	if (!ls->stage)
		return NULL;
	while (ls->stage_n < due) {
		att_couple_next(ls->stage, v);
		ls->stage_n++;
	}
	return att_couple_stage(ls->stage);
}

void att_live_source_close(struct att_live_source *ls)
{
	att_demo_board_stop(ls->board);
	att_couple_free(ls->stage);
	free(ls->marks);
	memset(ls, 0, sizeof *ls);
}
