/* The pseudo-couple baseline (pseudo.h). */
#include "attune/pseudo.h"

#include <math.h>
#include <string.h>

#include "attune/analysis.h"
#include "attune/read_any.h"
#include "attune/wire.h"

/* Surrogates only feed the chance level, which the baseline does not use: few keep it quick. */
#define PSEUDO_SURROGATES 19

/* Where a recording's guide began: its first phase event, else its first sample. */
static size_t start_of(const struct att_recording *r)
{
	for (size_t i = 0; i < r->n_events; i++)
		if (r->events[i].kind == ATT_EV_PHASE)
			return (size_t)r->events[i].sample_index < r->n ? (size_t)r->events[i].sample_index
			                                                : 0;
	return 0;
}

/* A's channels of own from its start, B's of other from its start, cut to the shorter. */
static int pair(const struct att_recording *own, const struct att_recording *other,
                struct att_recording **out)
{
	size_t a0 = start_of(own), b0 = start_of(other);
	size_t n = own->n - a0 < other->n - b0 ? own->n - a0 : other->n - b0;
	unsigned mask = 0;
	int rc;

	*out = NULL;
	if (fabs(own->rate_hz - other->rate_hz) > 1e-9 || !own->ch[ATT_CH_A_RESP] ||
	    !other->ch[ATT_CH_B_RESP] || (double)n < ATT_ANALYSIS_MIN_S * own->rate_hz)
		return ATT_ERR_NO_DATA;
	mask |= 1u << ATT_CH_A_RESP | 1u << ATT_CH_B_RESP;
	mask |= own->ch[ATT_CH_A_PPG] ? 1u << ATT_CH_A_PPG : 0u;
	mask |= other->ch[ATT_CH_B_PPG] ? 1u << ATT_CH_B_PPG : 0u;
	if ((rc = att_recording_new(own->rate_hz, n, mask, out)))
		return rc;
	for (unsigned c = 0; c < ATT_WIRE_CHANNELS; c++) {
		const struct att_recording *from = c < ATT_CH_B_RESP ? own : other;
		size_t at = c < ATT_CH_B_RESP ? a0 : b0;
		if ((*out)->ch[c])
			memcpy((*out)->ch[c], from->ch[c] + at, n * sizeof *from->ch[c]);
	}
	return ATT_OK;
}

int att_pseudo_couple(const char *own, const char *const *strangers, size_t n,
                      struct att_pseudo *out, char *why, size_t why_len)
{
	struct att_analysis_cfg cfg = {.surrogates = PSEUDO_SURROGATES};
	struct att_recording *mine = NULL;
	double match = 0.0, fraction = 0.0;
	int rc;

	if (!own || !out || (n && !strangers))
		return ATT_ERR_ARG;
	memset(out, 0, sizeof *out);
	out->match = out->matched_fraction = NAN;
	if ((rc = att_recording_read_any(own, &mine, why, why_len)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct att_recording *other = NULL, *both = NULL;
		struct att_analysis *an = NULL;
		if (att_recording_read_any(strangers[i], &other, NULL, 0) == ATT_OK &&
		    pair(mine, other, &both) == ATT_OK &&
		    att_analyze(&cfg, both, &an, NULL, 0) == ATT_OK && isfinite(an->sync.match) &&
		    isfinite(an->sync.matched_fraction)) {
			match += an->sync.match;
			fraction += an->sync.matched_fraction;
			out->pairs++;
		}
		att_analysis_free(an);
		att_recording_free(both);
		att_recording_free(other);
	}
	att_recording_free(mine);
	if (out->pairs < ATT_PSEUDO_MIN_STRANGERS)
		return att_fail(why, why_len, ATT_ERR_NO_DATA,
		                "a baseline needs %d other couples' sessions of the same guide; %zu "
		                "could be paired",
		                ATT_PSEUDO_MIN_STRANGERS, out->pairs);
	out->match = match / (double)out->pairs;
	out->matched_fraction = fraction / (double)out->pairs;
	return ATT_OK;
}
