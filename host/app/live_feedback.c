/* The view's history and the sound cues, as sinks of the live session (live_feedback.h). */
#include "live_feedback.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attune/quality.h"
#include "attune/sync.h"

#define CHIME_GAP_S 6.0 /* at most one chime per 6 s: a cue, not a slot machine */
#define ALARM_GAP_S 10.0
#define CLOSER      0.4  /* the match zone "coming together" starts here */
#define HYSTERESIS  0.05 /* a match hovering at a boundary does not ring on every snapshot */
#define EASE_S      1.5  /* the picture settles within a breath, without snapshot flicker */
#define NOTICE_S    4.0

int att_live_feedback_init(struct att_live_feedback *f, const struct att_sonify_params *sound)
{
	memset(f, 0, sizeof *f);
	f->sound = *sound;
	f->zone = -1;
	f->last_chime = f->last_alarm = -1e9;
	f->hist_match = calloc(ATT_FEEDBACK_HIST_MAX, sizeof(float));
	f->hist_chance = calloc(ATT_FEEDBACK_HIST_MAX, sizeof(float));
	f->hist_hr_a = calloc(ATT_FEEDBACK_HIST_MAX, sizeof(float));
	f->hist_hr_b = calloc(ATT_FEEDBACK_HIST_MAX, sizeof(float));
	if (!f->hist_match || !f->hist_chance || !f->hist_hr_a || !f->hist_hr_b) {
		att_live_feedback_clear(f);
		return ATT_ERR_NOMEM;
	}
	return ATT_OK;
}

void att_live_feedback_clear(struct att_live_feedback *f)
{
	free(f->hist_match);
	free(f->hist_chance);
	free(f->hist_hr_a);
	free(f->hist_hr_b);
	memset(f, 0, sizeof *f);
}

void att_live_say(struct att_live_feedback *f, double t, const char *msg)
{
	size_t n = strlen(msg);

	if (n >= sizeof f->notice_buf)
		n = sizeof f->notice_buf - 1; /* a notice is one short line; longer ones are cut */
	memcpy(f->notice_buf, msg, n);
	f->notice_buf[n] = 0;
	f->notice = f->notice_buf;
	f->notice_until = t + NOTICE_S;
}

static void add_history(struct att_live_feedback *f, const struct att_snapshot *p)
{
	while (f->hist_n < ATT_FEEDBACK_HIST_MAX &&
	       (double)f->hist_n * ATT_FEEDBACK_HIST_DT <= p->t) {
		f->hist_match[f->hist_n] = (float)p->match;
		f->hist_chance[f->hist_n] = (float)p->plv_chance;
		f->hist_hr_a[f->hist_n] = (float)p->a.heart_rate_bpm;
		f->hist_hr_b[f->hist_n] = (float)p->b.heart_rate_bpm;
		f->hist_n++;
	}
}

static void add_marker(struct att_live_feedback *f, const struct att_event *ev, double t)
{
	char buf[200];
	long sec = (long)ev->t;

	if (f->n_markers == ATT_FEEDBACK_MARKERS) {
		att_live_say(f, t, "marker list full");
		return;
	}
	f->markers[f->n_markers++] = ev->t;
	snprintf(buf, sizeof buf, "marker %zu at %ld:%02ld%s%.120s", f->n_markers, sec / 60,
	         sec % 60, ev->text[0] ? ": " : "", ev->text);
	att_live_say(f, t, buf);
}

static int view_receive(void *ctx, const struct att_packet *p, char *why, size_t why_len)
{
	struct att_live_feedback *f = ctx;

	(void)why;
	(void)why_len;
	if (p->type == ATT_PACKET_SNAPSHOT)
		add_history(f, p->u.snapshot);
	else if (p->type == ATT_PACKET_EVENT && p->u.event->kind == ATT_EV_MARKER)
		add_marker(f, p->u.event, p->t);
	return ATT_OK;
}

static int zone_of(double m, int old)
{
	double h = HYSTERESIS;
	if (old < 0)
		return m >= ATT_MATCHED ? 2 : m >= CLOSER ? 1 : 0;
	if (m >= ATT_MATCHED + (old < 2 ? h : -h))
		return 2;
	if (m >= CLOSER + (old < 1 ? h : -h))
		return 1;
	return 0;
}

static unsigned problem_bits(const struct att_snapshot *p)
{
	const unsigned probl = ATT_Q_FLAT | ATT_Q_SATURATED;
	return (p->a.resp_quality & probl ? 1u : 0u) | (p->a.ppg_quality & probl ? 2u : 0u) |
	       (p->b.resp_quality & probl ? 4u : 0u) | (p->b.ppg_quality & probl ? 8u : 0u);
}

static int cues_receive(void *ctx, const struct att_packet *p, char *why, size_t why_len)
{
	struct att_live_feedback *f = ctx;
	const struct att_snapshot *s = p->u.snapshot;
	unsigned bad;

	(void)why;
	(void)why_len;
	if (p->type != ATT_PACKET_SNAPSHOT)
		return ATT_OK;
	if (isfinite(s->match)) {
		int z = zone_of(s->match, f->zone);
		if (f->zone >= 0 && z != f->zone && p->t - f->last_chime >= CHIME_GAP_S &&
		    !f->cues_hidden) {
			f->sound.chime_seq++;
			f->sound.chime_up = z > f->zone;
			f->last_chime = p->t;
		}
		if (f->zone < 0 || p->t - f->last_chime >= CHIME_GAP_S || f->last_chime == p->t)
			f->zone = z;
	}
	bad = problem_bits(s);
	if ((bad & ~f->bad_bits) && p->t - f->last_alarm >= ALARM_GAP_S) {
		f->sound.alarm_seq++;
		f->last_alarm = p->t;
	}
	f->bad_bits = bad;
	return ATT_OK;
}

const struct att_sink att_live_view_sink = {.name = "view", .receive = view_receive};
const struct att_sink att_live_cues_sink = {.name = "sound cues", .receive = cues_receive};

void att_live_feedback_ease(struct att_live_feedback *f, const struct att_snapshot *snap, double t,
                            double dt)
{
	double m = snap && isfinite(snap->match) ? snap->match : 0.0;

	f->match_smooth += (m - f->match_smooth) * (1.0 - exp(-dt / EASE_S));
	if (snap && isfinite(snap->match) && snap->match >= ATT_MATCHED)
		f->together_s += dt;
	if (f->notice && t >= f->notice_until)
		f->notice = NULL;
}

void att_live_feedback_seek(struct att_live_feedback *f, double t)
{
	while (f->n_markers && f->markers[f->n_markers - 1] > t)
		f->n_markers--;
	if ((double)f->hist_n * ATT_FEEDBACK_HIST_DT > t)
		f->hist_n = (size_t)(t / ATT_FEEDBACK_HIST_DT);
	f->zone = -1;
}
