/* Session metadata in the report's and replay's words (input.h). */
#include "input.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attune/err.h"

void att_input_meta_clear(struct att_input_meta *meta)
{
	if (!meta)
		return;
	free(meta->marks);
	memset(meta, 0, sizeof *meta);
	meta->frames_lost = -1;
}

int att_input_meta_from(const struct att_recording *rec, struct att_input_meta *meta)
{
	const struct att_recording_meta *m = &rec->meta;
	time_t secs = (time_t)(m->start_unix_ns / 1000000000LL);
	struct tm tm;

	memset(meta, 0, sizeof *meta);
	if (m->start_unix_ns > 0 && gmtime_r(&secs, &tm))
		strftime(meta->start, sizeof meta->start, "%Y-%m-%d %H:%M UTC", &tm);
	snprintf(meta->label_a, sizeof meta->label_a, "%s", m->label_a);
	snprintf(meta->label_b, sizeof meta->label_b, "%s", m->label_b);
	snprintf(meta->note, sizeof meta->note, "%s", m->note);
	meta->frames_lost = m->frames_lost;
	if (rec->n_events && !(meta->marks = calloc(rec->n_events, sizeof *meta->marks)))
		return ATT_ERR_NOMEM;
	for (size_t i = 0; i < rec->n_events; i++) {
		struct att_event *mk = &meta->marks[meta->n_marks];
		char label[ATT_EVENT_TEXT_MAX];
		if (rec->events[i].kind == ATT_EV_GAP)
			continue;
		*mk = rec->events[i];
		att_event_label(mk, label, sizeof label);
		att_event_set_text(mk, label);
		meta->n_marks++;
	}
	return ATT_OK;
}
