/* Timer1 sample clock; see timer.h. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <util/atomic.h>

#include "adc.h"
#include "protocol.h"
#include "timer.h"

static volatile uint8_t sampling;
static uint32_t counter; /* timer ISR, or main loop with interrupts off */

static void program(uint16_t rate_hz)
{
	struct att_fw_timer t;
	att_fw_timer_for_rate(rate_hz, &t);
	TCCR1B = _BV(WGM12); /* clock stopped while the period changes */
	TCCR1A = 0;
	TCNT1 = 0;
	OCR1A = t.top;
	TIFR1 = _BV(OCF1A); /* a compare pending from the old period must not count */
	TCCR1B = (uint8_t)(_BV(WGM12) | (t.prescaler == 8 ? _BV(CS11) : (_BV(CS11) | _BV(CS10))));
}

void att_fw_timer_init(uint16_t rate_hz)
{
	sampling = 0;
	counter = 0;
	program(rate_hz);
	TIMSK1 = _BV(OCIE1A);
}

void att_fw_timer_restart(uint16_t rate_hz, uint8_t on)
{
	ATOMIC_BLOCK(ATOMIC_RESTORESTATE)
	{
		program(rate_hz);
		counter = 0;
		att_fw_adc_reset();
		sampling = on;
	}
}

ISR(TIMER1_COMPA_vect)
{
	if (sampling)
		att_fw_adc_begin(counter++);
}
