/* ADC: one sample set = the four channels A0..A3 converted back to back, AVcc reference,
 * prescaler 128 (125 kHz ADC clock, inside the 50-200 kHz the datasheet asks for full 10-bit
 * accuracy; 13 ADC clocks = 104 us per conversion, 416 us per set, well inside the 2 ms period at
 * 500 Hz).
 *
 * Why conversions are chained in the ADC ISR rather than done in the timer ISR: the timer ISR
 * only starts channel 0, so the sample instant is the timer compare (jitter: the few cycles of
 * interrupt latency), and no ISR ever busy-waits 416 us with interrupts off, which would delay
 * UART bytes. Each ADC completion stores its result, moves the multiplexer and starts the next
 * channel; the fourth queues the finished set for the main loop.
 *
 * Invariant: a set is queued whole with the sample counter of its timer tick; when the queue is
 * full, or a tick finds the previous set still converting, the set is lost and counted in
 * att_fw_adc_take_missed() so the protocol can account for it. */
#ifndef ATT_FW_ADC_H
#define ATT_FW_ADC_H

#include <stdint.h>

#include "attune/wire.h"

struct att_fw_set {
	uint32_t counter;
	uint16_t ch[ATT_WIRE_CHANNELS];
};

/* Enables the ADC (AVcc, prescaler 128, interrupt) and disables the digital inputs of A0..A3. */
void att_fw_adc_init(void);

/* Timer ISR only: starts a set for sample instant `counter`. */
void att_fw_adc_begin(uint32_t counter);

/* Main loop with interrupts off: forgets queued sets and makes a set still converting be
 * discarded, so a restarted stream never carries a sample of the previous one. */
void att_fw_adc_reset(void);

/* Takes the oldest finished set into *s; 0 when none. Main loop only. */
uint8_t att_fw_adc_take(struct att_fw_set *s);

/* Number of sets lost since the last call, and resets it. Main loop only. */
uint8_t att_fw_adc_take_missed(void);

/* 1 when a set or a loss waits for the main loop. Main loop, interrupts may be off. */
uint8_t att_fw_adc_pending(void);

#endif
