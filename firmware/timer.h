/* Timer1 in CTC mode (TOP = OCR1A) ticks once per sample instant, so sample times come from the
 * crystal, not from code paths. The compare ISR numbers each instant with the 32-bit sample
 * counter and, while sampling, starts a set in the ADC.
 * Invariant: the counter advances by exactly one per tick while sampling; it restarts at 0 only in
 * att_fw_timer_restart (START, rate change). The timer keeps ticking when not sampling so the
 * main loop wakes regularly to reset the watchdog. */
#ifndef ATT_FW_TIMER_H
#define ATT_FW_TIMER_H

#include <stdint.h>

/* Programs Timer1 for rate_hz and enables its compare interrupt; not sampling. */
void att_fw_timer_init(uint16_t rate_hz);

/* Main loop: reprograms the rate, restarts the period and the counter at 0, and turns sampling
 * on or off. Takes effect at once (runs with interrupts off). */
void att_fw_timer_restart(uint16_t rate_hz, uint8_t sampling);

#endif
