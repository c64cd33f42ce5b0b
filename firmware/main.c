/* attune firmware for the ATmega328P (Arduino Uno/Nano): samples A0..A3 (A-resp, A-PPG, B-resp,
 * B-PPG) on a Timer1 clock and streams them as include/attune/wire.h frames over the UART.
 *
 * The main loop owns the protocol state and is the only producer of the TX ring: it frames sample
 * sets queued by the ADC ISR, answers commands assembled from the RX ring, and otherwise sleeps in
 * idle mode (timers, ADC and UART keep running and wake it). Invariant: the watchdog is reset only
 * here, so a stuck main loop resets the board; the Timer1 tick (25-500 Hz, also when not
 * streaming) wakes the loop far more often than the 500 ms watchdog period. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/power.h>
#include <avr/sleep.h>
#include <avr/wdt.h>

#include "adc.h"
#include "protocol.h"
#include "timer.h"
#include "uart.h"

static struct att_fw_proto proto;
static struct att_fw_rx rx;
static uint8_t cmd_len; /* > 0: a received frame waits in rx.buf for room in the TX ring */

static void apply(uint8_t act)
{
	if (act & ATT_FW_ACT_START)
		att_fw_timer_restart(proto.rate_hz, 1);
	else if (act & ATT_FW_ACT_STOP)
		att_fw_timer_restart(proto.rate_hz, 0);
	else if (act & ATT_FW_ACT_RATE)
		att_fw_timer_restart(proto.rate_hz, proto.streaming);
}

static uint8_t work_pending(struct att_fw_ring *tx)
{
	if (att_fw_adc_pending())
		return 1;
	if (cmd_len)
		return att_fw_ring_room(tx) >= ATT_FW_REPLY_MAX;
	return att_fw_uart_rx_pending();
}

int main(void)
{
	struct att_fw_ring *tx;
	struct att_fw_set set;
	uint8_t b, n;

	/* After a watchdog reset the watchdog stays on at its shortest period: take it over first. */
	MCUSR = 0;
	wdt_enable(WDTO_500MS);

	/* Timer0, Timer2, SPI and TWI are unused. */
	power_timer0_disable();
	power_timer2_disable();
	power_spi_disable();
	power_twi_disable();

	att_fw_proto_init(&proto);
	att_fw_rx_init(&rx);
	cmd_len = 0;
	att_fw_uart_init();
	att_fw_adc_init();
	att_fw_timer_init(proto.rate_hz);
	tx = att_fw_uart_tx();
	set_sleep_mode(SLEEP_MODE_IDLE);
	sei();

	/* A delimiter first: the host discards whatever precedes the first 0x00 it sees (it may open
	 * the port mid-frame), and the info frame after reset is the one it waits for. */
	{
		static const uint8_t delimiter = ATT_WIRE_DELIMITER;
		(void)att_fw_ring_put(tx, &delimiter, 1);
	}
	(void)att_fw_proto_info(&proto, tx);
	att_fw_uart_kick();

	for (;;) {
		wdt_reset();

		n = att_fw_adc_take_missed();
		if (n)
			att_fw_proto_drop(&proto, n);
		while (att_fw_adc_take(&set))
			(void)att_fw_proto_sample(&proto, set.counter, set.ch,
			                          cmd_len ? ATT_FW_REPLY_MAX : 0, tx);

		while (!cmd_len && att_fw_uart_getc(&b))
			cmd_len = att_fw_rx_byte(&rx, b);
		if (cmd_len && att_fw_ring_room(tx) >= ATT_FW_REPLY_MAX) {
			apply(att_fw_proto_command(&proto, rx.buf, cmd_len, tx));
			cmd_len = 0;
		}
		att_fw_uart_kick();

		/* Sleep until an interrupt brings work. Checked with interrupts off so no wake-up
		 * is lost between the check and `sleep`: the AVR (and simavr) takes an interrupt
		 * only after the instruction that follows sei, so sei; sleep always sleeps first
		 * and the pending interrupt then wakes it. Most wake-ups (one per UART byte) bring
		 * no work, so they go straight back to sleep here instead of running the loop. */
		cli();
		while (!work_pending(tx)) {
			wdt_reset();
			sleep_enable();
			sei();
			sleep_cpu();
			sleep_disable();
			cli();
		}
		sei();
	}
}
