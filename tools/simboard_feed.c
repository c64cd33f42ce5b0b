/* Analog input of the simulated board (see simboard_feed.h). */
#include "simboard_feed.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attune/csv.h"
#include "attune/err.h"
#include "attune/recording.h"

#define MID_MV 2500u

struct att_simboard_feed {
	struct att_simboard_feed_cfg cfg;
	double rate;
	/* recording: n samples of 4 channels, interleaved, already in millivolts */
	uint16_t *mv;
	size_t n;
	/* couple: the sample in force and its index */
	struct att_couple *couple;
	uint64_t couple_index; /* index of cur; UINT64_MAX before the first sample */
	uint16_t cur[4];
};

static uint16_t to_mv(double volts)
{
	if (!(volts > 0.0))
		return 0;
	if (volts >= 5.0)
		return 5000;
	return (uint16_t)lround(volts * 1000.0);
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* Fills channel c of f->mv from the recording, scaled as documented in the header. */
static int convert_channel(struct att_simboard_feed *f, const float *src, unsigned c, int volts)
{
	double lo = 0.0, hi = 0.0, gain = 0.0;
	uint16_t last = MID_MV;
	size_t i, m = 0;

	if (src && !volts) {
		float *tmp = malloc((f->n ? f->n : 1) * sizeof *tmp);
		if (!tmp)
			return ATT_ERR_NOMEM;
		for (i = 0; i < f->n; i++)
			if (isfinite(src[i]))
				tmp[m++] = src[i];
		if (m > 0) {
			qsort(tmp, m, sizeof *tmp, cmp_float);
			lo = tmp[(size_t)((double)(m - 1) * 0.01)];
			hi = tmp[(size_t)((double)(m - 1) * 0.99)];
		}
		free(tmp);
		gain = hi - lo > 1e-12 ? 4.0 / (hi - lo) : 0.0;
	}
	for (i = 0; i < f->n; i++) {
		uint16_t v = last;
		if (src && isfinite(src[i])) {
			if (volts)
				v = to_mv(src[i]);
			else if (gain > 0.0)
				v = to_mv(0.5 + (src[i] - lo) * gain);
			else
				v = MID_MV;
		}
		f->mv[i * 4 + c] = v;
		last = v;
	}
	return ATT_OK;
}

enum att_err att_simboard_feed_new(const struct att_simboard_feed_cfg *cfg,
                                   struct att_simboard_feed **out, char *why, size_t why_len)
{
	struct att_simboard_feed *f;
	int rc;
	unsigned c;

	if (out)
		*out = NULL;
	if (!cfg || !out) {
		snprintf(why, why_len, "invalid feed configuration");
		return ATT_ERR_ARG;
	}
	f = calloc(1, sizeof *f);
	if (!f) {
		snprintf(why, why_len, "out of memory");
		return ATT_ERR_NOMEM;
	}
	f->cfg = *cfg;
	f->cfg.csv_path = NULL; /* borrowed only during _new */
	f->couple_index = UINT64_MAX;
	if (cfg->csv_path) {
		struct att_recording *rec = NULL;
		char reason[256] = "";
		rc = att_csv_read(cfg->csv_path, &rec, reason, sizeof reason);
		if (rc != ATT_OK) {
			snprintf(why, why_len, "cannot use %s: %s", cfg->csv_path,
			         reason[0] ? reason : att_strerror(rc));
			att_simboard_feed_free(f);
			return rc;
		}
		if (rec->n == 0 || !(rec->rate_hz > 0.0)) {
			snprintf(why, why_len, "cannot use %s: it holds no samples", cfg->csv_path);
			att_recording_free(rec);
			att_simboard_feed_free(f);
			return ATT_ERR_FORMAT;
		}
		f->n = rec->n;
		f->rate = rec->rate_hz;
		f->mv = malloc(f->n * 4 * sizeof *f->mv);
		rc = f->mv ? ATT_OK : ATT_ERR_NOMEM;
		for (c = 0; c < 4 && rc == ATT_OK; c++)
			rc = convert_channel(f, rec->ch[c], c, cfg->volts);
		att_recording_free(rec);
		if (rc != ATT_OK) {
			snprintf(why, why_len, "out of memory for %s", cfg->csv_path);
			att_simboard_feed_free(f);
			return rc;
		}
	} else {
		struct att_couple_cfg cc = {
		        .rate_hz = cfg->couple_rate_hz > 0 ? cfg->couple_rate_hz : 1000.0,
		        .script = cfg->script,
		        .seed = cfg->seed,
		};
		rc = att_couple_new(&cc, &f->couple);
		if (rc != ATT_OK) {
			snprintf(why, why_len, "cannot generate the couple: %s", att_strerror(rc));
			att_simboard_feed_free(f);
			return rc;
		}
		f->rate = cc.rate_hz;
	}
	*out = f;
	return ATT_OK;
}

void att_simboard_feed_free(struct att_simboard_feed *f)
{
	if (!f)
		return;
	att_couple_free(f->couple);
	free(f->mv);
	free(f);
}

int att_simboard_feed_mv(struct att_simboard_feed *f, double t, uint16_t mv[4])
{
	/* floor: sample i holds for [i/R, (i+1)/R); the epsilon keeps t = i/R computed from cycles
	 * from landing on i-1 by rounding */
	double x = t * f->rate + 1e-9;
	uint64_t i = x > 0 ? (uint64_t)x : 0;
	unsigned c;
	int live = 1;

	if (f->couple) {
		float v[4];
		while (f->couple_index == UINT64_MAX || f->couple_index < i) {
			att_couple_next(f->couple, v);
			for (c = 0; c < 4; c++)
				f->cur[c] = to_mv(v[c]);
			f->couple_index = f->couple_index == UINT64_MAX ? 0 : f->couple_index + 1;
		}
		memcpy(mv, f->cur, sizeof f->cur);
		return 1;
	}
	if (i >= f->n) {
		if (f->cfg.loop) {
			i %= f->n;
		} else {
			i = f->n - 1;
			live = 0;
		}
	}
	memcpy(mv, f->mv + i * 4, 4 * sizeof *mv);
	return live;
}

double att_simboard_feed_duration(const struct att_simboard_feed *f)
{
	return f->couple ? 0.0 : (double)f->n / f->rate;
}

double att_simboard_feed_rate(const struct att_simboard_feed *f)
{
	return f->rate;
}
