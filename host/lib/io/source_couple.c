/* A generated couple as a source: it looks like the device would, 10-bit counts of a 5 V ADC at
 * the requested rate, so everything downstream is exercised as with real hardware. */
#include "source_impl.h"

#include <math.h>
#include <stdio.h>

#include "attune/clock.h"

#define COUPLE_VREF_MV 5000.0
#define COUPLE_ADC_MAX 1023.0

static int couple_start(struct att_source *src)
{
	src->st.state = ATT_SOURCE_STREAMING;
	return ATT_OK;
}

static size_t couple_read(struct att_source *src, struct att_sample *out, size_t max)
{
	size_t n = att_source_due(src, src->st.samples, max);
	int64_t now = att_clock_ns();
	for (size_t i = 0; i < n; i++) {
		float volts[ATT_WIRE_CHANNELS];
		att_couple_next(src->impl, volts);
		out[i].host_ns = now;
		out[i].counter = (uint32_t)(src->st.samples + i);
		out[i].flags = 0;
		for (unsigned c = 0; c < ATT_WIRE_CHANNELS; c++) {
			/* as the ATmega328P converts: floor(mV * 1023 / Vref) */
			double count = floor(volts[c] * 1000.0 * COUPLE_ADC_MAX / COUPLE_VREF_MV);
			out[i].ch[c] = (uint16_t)fmin(COUPLE_ADC_MAX, fmax(0.0, count));
		}
	}
	return n;
}

static void couple_destroy(struct att_source *src)
{
	att_couple_free(src->impl);
}

static const struct att_source_ops couple_ops = {
        .start = couple_start,
        .read = couple_read,
        .destroy = couple_destroy,
};

int att_source_open_couple(const struct att_couple_cfg *cfg, double speed, struct att_source **out)
{
	struct att_couple *couple;
	int err;

	if (!out)
		return ATT_ERR_ARG;
	*out = NULL;
	if (!cfg || speed < 0.0)
		return ATT_ERR_ARG;
	err = att_couple_new(cfg, &couple);
	if (err)
		return err;
	err = att_source_alloc(&couple_ops, couple, out);
	if (err) {
		att_couple_free(couple);
		return err;
	}
	struct att_source_status *st = &(*out)->st;
	(*out)->speed = speed;
	snprintf(st->name, sizeof st->name, "generated couple");
	st->rate_hz = cfg->rate_hz;
	st->channel_mask = 0xF;
	st->adc_max = COUPLE_ADC_MAX;
	st->unit = "mV";
	for (unsigned c = 0; c < ATT_WIRE_CHANNELS; c++)
		st->gain[c] = COUPLE_VREF_MV / COUPLE_ADC_MAX;
	return ATT_OK;
}
