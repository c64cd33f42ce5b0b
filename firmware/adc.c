/* ADC driver: conversions chained in the ADC ISR; see adc.h. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <util/atomic.h>

#include "adc.h"
#include "config.h"

#define ATT_FW_SET_MASK (ATT_FW_SET_QUEUE - 1u)
#define ADMUX_BASE      _BV(REFS0) /* AVcc reference, right-adjusted result */
/* ADSC set in a plain write (not |=): a read-modify-write would also write back ADIF. */
#define ADCSRA_ON       (_BV(ADEN) | _BV(ADIE) | _BV(ADPS2) | _BV(ADPS1) | _BV(ADPS0))

static struct att_fw_set queue[ATT_FW_SET_QUEUE];
static volatile uint8_t q_head;  /* ADC ISR */
static volatile uint8_t q_tail;  /* main loop */
static volatile uint8_t missed;  /* ISRs increment, main loop takes */
static volatile uint8_t busy;    /* a set is converting */
static volatile uint8_t discard; /* the set converting belongs to a stream that was reset */
static struct att_fw_set cur;    /* the set being converted; ISRs only */
static uint8_t cur_ch;

void att_fw_adc_init(void)
{
	DIDR0 = _BV(ADC0D) | _BV(ADC1D) | _BV(ADC2D) | _BV(ADC3D);
	ADMUX = ADMUX_BASE;
	ADCSRA = ADCSRA_ON;
}

void att_fw_adc_begin(uint32_t counter)
{
	if (busy) {
		if (missed != 0xFFu)
			missed++;
		return;
	}
	busy = 1;
	cur.counter = counter;
	cur_ch = 0;
	ADCSRA = ADCSRA_ON | _BV(ADSC);
}

void att_fw_adc_reset(void)
{
	q_tail = q_head;
	missed = 0;
	if (busy)
		discard = 1;
}

ISR(ADC_vect)
{
	uint8_t h, next;
	cur.ch[cur_ch] = ADC;
	if (++cur_ch < ATT_WIRE_CHANNELS) {
		ADMUX = (uint8_t)(ADMUX_BASE | cur_ch);
		ADCSRA = ADCSRA_ON | _BV(ADSC);
		return;
	}
	ADMUX = ADMUX_BASE; /* channel 0 ready for the next tick */
	busy = 0;
	if (discard) {
		discard = 0;
		return;
	}
	h = q_head;
	next = (uint8_t)((h + 1u) & ATT_FW_SET_MASK);
	if (next == q_tail) {
		if (missed != 0xFFu)
			missed++;
		return;
	}
	queue[h] = cur;
	q_head = next;
}

uint8_t att_fw_adc_take(struct att_fw_set *s)
{
	uint8_t t = q_tail;
	if (t == q_head)
		return 0;
	*s = queue[t];
	q_tail = (uint8_t)((t + 1u) & ATT_FW_SET_MASK);
	return 1;
}

uint8_t att_fw_adc_take_missed(void)
{
	uint8_t n;
	ATOMIC_BLOCK(ATOMIC_RESTORESTATE)
	{
		n = missed;
		missed = 0;
	}
	return n;
}

uint8_t att_fw_adc_pending(void)
{
	return q_tail != q_head || missed != 0;
}
