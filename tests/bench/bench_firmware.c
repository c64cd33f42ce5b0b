/* Firmware benchmark in simavr: loads the real ELF (ATmega328P, 16 MHz), talks to it through the
 * simulated UART with the wire protocol, drives A0..A3 with known voltages and measures the share
 * of CPU cycles the firmware spends awake (timer, ADC and UART ISRs + framing in the main loop)
 * against sleeping in idle mode.
 *
 * It also checks what it measures, so a number is never reported from a broken run: the info
 * frame after reset, silence before START, answers to every command, one frame per sample
 * instant with consecutive sequence numbers and counters, the exact ADC counts of the applied
 * voltages on the right channels, the saturation flag, the frame rate, and that the watchdog
 * never fires while idle. Exit 0 when all hold and the CPU load at 250 Hz is under 10 %.
 *
 * Usage: bench_firmware [ELF]   (default: $ATTUNE_BUILD/firmware/attune.elf) */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attune/wire.h"

#include <avr_adc.h>
#include <avr_uart.h>
#include <sim_avr.h>
#include <sim_elf.h>

#define F_CPU_HZ       16000000u
#define CPU_BUDGET_PCT 10.0

struct sim {
	avr_t *avr;
	uint8_t enc[ATT_WIRE_MAX_ENCODED + 8];
	size_t len;
	int overlong;
	/* counts since the last reset_stats() */
	int infos, acks, samples, bad_frames;
	struct att_wire_info info;
	struct att_wire_ack ack[16];
	int seq_gaps, counter_gaps, overflow_flags, sat_frames, wrong_values;
	int have_last;
	uint16_t last_seq;
	uint32_t last_counter, first_counter;
	avr_cycle_count_t first_frame_cycle, last_frame_cycle;
	double max_jitter_us;
	uint16_t want[ATT_WIRE_CHANNELS]; /* expected ADC counts; 0xFFFF: any */
	uint8_t want_flags;
	unsigned rate_hz;
	avr_cycle_count_t busy, asleep;
	uint16_t min_sp; /* lowest stack pointer seen since power-up */
	/* conversion starts seen by the ADC: channel order and the spacing of sample instants */
	avr_cycle_count_t last_ch0_cycle;
	long long max_instant_dev; /* cycles between consecutive channel-0 starts minus period */
	int instants, wrong_order;
	unsigned next_mux;
	int after_ack; /* 1: an ack arrived, 2: a sample frame followed it */
	uint32_t first_counter_after_ack;
};

static int failures;

/* libsimavr 1.6 never frees the IRQ tables avr_init allocates (avr_terminate leaves them), so
 * LeakSanitizer in the sanitizer build would fail every run on the library's behalf. This hook,
 * read by LeakSanitizer only when it is linked in, ignores leaks allocated inside libsimavr;
 * leaks of this program still fail. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libsimavr.so\n";
}

#define EXPECT(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "bench_firmware: FAIL: " __VA_ARGS__);                     \
			fputc('\n', stderr);                                                       \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static void reset_stats(struct sim *s)
{
	s->infos = s->acks = s->samples = s->bad_frames = 0;
	s->seq_gaps = s->counter_gaps = s->overflow_flags = s->sat_frames = s->wrong_values = 0;
	s->have_last = 0;
	s->max_jitter_us = 0;
	s->busy = s->asleep = 0;
	s->after_ack = 0;
	s->last_ch0_cycle = 0;
	s->max_instant_dev = 0;
	s->instants = s->wrong_order = 0;
}

static void on_sample(struct sim *s, const struct att_wire_sample *m)
{
	unsigned c;
	avr_cycle_count_t now = s->avr->cycle;
	if (s->have_last) {
		if (m->seq != (uint16_t)(s->last_seq + 1))
			s->seq_gaps++;
		if (m->counter != s->last_counter + 1)
			s->counter_gaps++;
	} else {
		s->first_counter = m->counter;
		s->first_frame_cycle = now;
	}
	if (s->have_last && s->rate_hz) {
		/* The frame's last byte should leave one sample period after the previous
		 * frame's, give or take the UART: anything else means the clock is not the
		 * timer. */
		double expect = (double)(m->counter - s->first_counter) * F_CPU_HZ / s->rate_hz;
		double dev = fabs((double)(now - s->first_frame_cycle) - expect) / (F_CPU_HZ / 1e6);
		if (dev > s->max_jitter_us)
			s->max_jitter_us = dev;
	}
	if (s->after_ack == 1) {
		s->after_ack = 2;
		s->first_counter_after_ack = m->counter;
	}
	s->have_last = 1;
	s->last_seq = m->seq;
	s->last_counter = m->counter;
	s->last_frame_cycle = now;
	s->samples++;
	if (m->flags & ATT_FLAG_TX_OVERFLOW)
		s->overflow_flags++;
	if (m->flags & ATT_FLAG_SATURATED)
		s->sat_frames++;
	if ((m->flags & (uint8_t)~ATT_FLAG_TX_OVERFLOW) != s->want_flags)
		s->wrong_values++;
	for (c = 0; c < ATT_WIRE_CHANNELS; c++)
		if (s->want[c] != 0xFFFF && m->ch[c] != s->want[c])
			s->wrong_values++;
		else if (m->ch[c] > 1023)
			s->wrong_values++;
}

static void on_frame(struct sim *s)
{
	struct att_wire_frame f;
	if (att_wire_parse(s->enc, s->len, &f) != ATT_WIRE_OK) {
		s->bad_frames++;
		return;
	}
	switch (f.type) {
	case ATT_WIRE_INFO:
		s->info = f.u.info;
		s->infos++;
		break;
	case ATT_WIRE_ACK:
		if (s->acks < 16)
			s->ack[s->acks] = f.u.ack;
		s->acks++;
		s->after_ack = 1;
		break;
	case ATT_WIRE_SAMPLE:
		on_sample(s, &f.u.sample);
		break;
	default:
		s->bad_frames++;
	}
}

static void uart_out(struct avr_irq_t *irq, uint32_t value, void *param)
{
	struct sim *s = param;
	(void)irq;
	if (value == ATT_WIRE_DELIMITER) {
		if (s->len && !s->overlong)
			on_frame(s);
		else if (s->overlong)
			s->bad_frames++;
		s->len = 0;
		s->overlong = 0;
	} else if (s->len < sizeof s->enc) {
		s->enc[s->len++] = (uint8_t)value;
	} else {
		s->overlong = 1;
	}
}

/* Called by simavr when the firmware starts a conversion: channel 0 marks a sample instant,
 * and the channels must follow in order 0, 1, 2, 3. */
static void adc_started(struct avr_irq_t *irq, uint32_t value, void *param)
{
	struct sim *s = param;
	union {
		avr_adc_mux_t mux;
		uint32_t v;
	} e;
	(void)irq;
	e.v = value;
	if (e.mux.kind != ADC_MUX_SINGLE || e.mux.src != s->next_mux % ATT_WIRE_CHANNELS)
		s->wrong_order++;
	s->next_mux = (unsigned)e.mux.src + 1;
	if (e.mux.src != 0)
		return;
	if (s->last_ch0_cycle && s->rate_hz) {
		long long period = F_CPU_HZ / s->rate_hz;
		long long dev = (long long)(s->avr->cycle - s->last_ch0_cycle) - period;
		if (dev < 0)
			dev = -dev;
		if (dev > s->max_instant_dev)
			s->max_instant_dev = dev;
	}
	s->last_ch0_cycle = s->avr->cycle;
	s->instants++;
}

/* Nothing to wait for: simulated time runs as fast as the host allows. */
static void no_sleep(avr_t *avr, avr_cycle_count_t how_long)
{
	(void)avr;
	(void)how_long;
}

static void set_inputs_mv(struct sim *s, const unsigned mv[ATT_WIRE_CHANNELS])
{
	unsigned c;
	for (c = 0; c < ATT_WIRE_CHANNELS; c++) {
		avr_raise_irq(avr_io_getirq(s->avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_ADC0 + c), mv[c]);
		/* simavr's conversion: counts = mV * 1023 / AVcc */
		s->want[c] = (uint16_t)(mv[c] >= 5000 ? 1023 : mv[c] * 1023u / 5000u);
	}
}

/* Runs simulated time, charging each step's cycles to awake or asleep. Returns 0, or -1 when the
 * core stopped (crash, watchdog reset, sleeping with interrupts off). */
static int run_for(struct sim *s, double seconds)
{
	avr_cycle_count_t end = s->avr->cycle + (avr_cycle_count_t)(seconds * F_CPU_HZ);
	while (s->avr->cycle < end) {
		int was = s->avr->state;
		avr_cycle_count_t c0 = s->avr->cycle;
		int st = avr_run(s->avr);
		avr_cycle_count_t d = s->avr->cycle - c0;
		uint16_t sp = (uint16_t)(s->avr->data[R_SPL] | (s->avr->data[R_SPH] << 8));
		if (sp < s->min_sp)
			s->min_sp = sp;
		/* simavr adds the time asleep in the same step that executes `sleep`, so a
		 * step that ends asleep was asleep (but for that one instruction). */
		if (was == cpu_Sleeping || st == cpu_Sleeping)
			s->asleep += d;
		else
			s->busy += d;
		if (st == cpu_Done || st == cpu_Crashed) {
			fprintf(stderr,
			        "bench_firmware: FAIL: the simulated core stopped (state %d) at "
			        "%.3f s\n",
			        st, (double)s->avr->cycle / F_CPU_HZ);
			failures++;
			return -1;
		}
	}
	return 0;
}

static void send_command(struct sim *s, uint8_t cmd, uint16_t arg)
{
	struct att_wire_command c = {cmd, arg};
	uint8_t out[ATT_WIRE_MAX_FRAME];
	size_t n = att_wire_encode_command(&c, out), i;
	avr_irq_t *in = avr_io_getirq(s->avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
	for (i = 0; i < n; i++)
		avr_raise_irq(in, out[i]);
}

static double busy_pct(const struct sim *s)
{
	avr_cycle_count_t total = s->busy + s->asleep;
	return total ? 100.0 * (double)s->busy / (double)total : 0;
}

/* One command, answered within 50 ms of simulated time by exactly one ack (after `infos` info
 * frames). */
static void command_expect(struct sim *s, uint8_t cmd, uint16_t arg, uint8_t status, uint16_t value,
                           int infos, const char *what)
{
	reset_stats(s);
	send_command(s, cmd, arg);
	if (run_for(s, 0.05))
		return;
	EXPECT(s->infos == infos, "%s: %d info frames, want %d", what, s->infos, infos);
	EXPECT(s->acks == 1, "%s: %d acks, want 1", what, s->acks);
	if (s->acks >= 1) {
		EXPECT(s->ack[0].command == cmd && s->ack[0].status == status &&
		               s->ack[0].value == value,
		       "%s: ack {command %u, status %u, value %u}, want {%u, %u, %u}", what,
		       s->ack[0].command, s->ack[0].status, s->ack[0].value, cmd, status, value);
	}
	EXPECT(s->bad_frames == 0, "%s: %d damaged frames", what, s->bad_frames);
	/* START and a rate change restart the sample counter: the first frame after the ack
	 * is instant 0 (frames queued before the command may still precede the ack). */
	if ((cmd == ATT_CMD_START || cmd == ATT_CMD_SET_RATE) && status == ATT_ACK_OK &&
	    s->rate_hz) {
		EXPECT(s->after_ack == 2 && s->first_counter_after_ack == 0,
		       "%s: first sample frame after the ack has counter %lu, want 0", what,
		       s->after_ack == 2 ? (unsigned long)s->first_counter_after_ack : 999999ul);
	}
}

/* Streams for `seconds` at the current rate and checks every frame. */
static void stream_window(struct sim *s, double seconds, const char *what, int strict)
{
	int want;
	double rate_meas;
	reset_stats(s);
	if (run_for(s, seconds))
		return;
	want = (int)(seconds * s->rate_hz + 0.5);
	rate_meas = s->samples > 1 ? (double)(s->samples - 1) * F_CPU_HZ /
	                                     (double)(s->last_frame_cycle - s->first_frame_cycle)
	                           : 0;
	printf("%-24s %3u Hz  frames %4d/%4d  %.2f Hz  CPU awake %5.2f %%  sample instants "
	       "+-%lld cycles  frame jitter %.0f us  seq gaps %d  overflows %d\n",
	       what, s->rate_hz, s->samples, want, rate_meas, busy_pct(s), s->max_instant_dev,
	       s->max_jitter_us, s->seq_gaps, s->overflow_flags);
	/* The timer ISR starts channel 0: its latency may vary by one short ISR finishing
	 * (UDRE, ~50 cycles), never by a code path's length. 160 cycles = 10 us. */
	EXPECT(s->max_instant_dev <= 160, "%s: sample instants off the %u Hz grid by %lld cycles",
	       what, s->rate_hz, s->max_instant_dev);
	EXPECT(abs(s->instants - want) <= 1, "%s: %d sample instants, want %d", what, s->instants,
	       want);
	EXPECT(s->wrong_order == 0, "%s: %d conversions out of channel order", what,
	       s->wrong_order);
	EXPECT(abs(s->samples - want) <= 1, "%s: %d frames in %.1f s, want %d", what, s->samples,
	       seconds, want);
	EXPECT(s->counter_gaps == 0, "%s: the sample counter skipped %d times", what,
	       s->counter_gaps);
	EXPECT(s->bad_frames == 0, "%s: %d damaged frames", what, s->bad_frames);
	EXPECT(s->wrong_values == 0, "%s: %d wrong channel values or flags", what, s->wrong_values);
	EXPECT(fabs(rate_meas - s->rate_hz) < 0.01 * s->rate_hz, "%s: frames at %.2f Hz", what,
	       rate_meas);
	if (strict) {
		EXPECT(s->seq_gaps == 0, "%s: %d sequence gaps", what, s->seq_gaps);
		EXPECT(s->overflow_flags == 0, "%s: %d TX overflows", what, s->overflow_flags);
	}
}

int main(int argc, char **argv)
{
	static struct sim sim;
	struct sim *s = &sim;
	elf_firmware_t fw;
	char path[4096];
	const char *elf = argc > 1 ? argv[1] : NULL;
	uint32_t flags = 0;
	double idle_pct, pct250, pct500;
	static const unsigned mv1[ATT_WIRE_CHANNELS] = {1000, 2500, 4000, 5000};
	static const unsigned mv2[ATT_WIRE_CHANNELS] = {3000, 1, 600, 2222};

	if (!elf) {
		const char *build = getenv("ATTUNE_BUILD");
		snprintf(path, sizeof path, "%s/firmware/attune.elf", build ? build : "build");
		elf = path;
	}
	memset(&fw, 0, sizeof fw);
	if (elf_read_firmware(elf, &fw) != 0) {
		fprintf(stderr,
		        "bench_firmware: cannot load %s: build the firmware (meson compile) "
		        "or pass the ELF path\n",
		        elf);
		return 1;
	}
	s->avr = avr_make_mcu_by_name("atmega328p");
	if (!s->avr) {
		fprintf(stderr, "bench_firmware: this simavr has no atmega328p core\n");
		return 1;
	}
	avr_init(s->avr);
	fw.frequency = F_CPU_HZ;
	avr_load_firmware(s->avr, &fw);
	s->avr->frequency = F_CPU_HZ;
	s->avr->vcc = s->avr->avcc = s->avr->aref = 5000;
	s->avr->sleep = no_sleep;
	/* No console echo of the binary stream, no host sleeps when the firmware polls. */
	avr_ioctl(s->avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
	avr_irq_register_notify(avr_io_getirq(s->avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT),
	                        uart_out, s);
	avr_irq_register_notify(avr_io_getirq(s->avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_OUT_TRIGGER),
	                        adc_started, s);
	s->min_sp = 0xFFFF;
	set_inputs_mv(s, mv1);
	s->want_flags = ATT_FLAG_SATURATED | (1u << (ATT_FLAG_SAT_SHIFT + 3)); /* B-PPG at 5 V */

	/* After reset: one info frame, then silence (no streaming before START). The second
	 * lets the 500 ms watchdog expire several times over if the idle loop did not feed it. */
	reset_stats(s);
	if (run_for(s, 2.0))
		return 1;
	idle_pct = busy_pct(s);
	EXPECT(s->infos == 1, "after reset: %d info frames, want 1", s->infos);
	EXPECT(s->samples == 0, "after reset: %d sample frames before START", s->samples);
	EXPECT(s->info.rate_hz == 250 && s->info.channels == 4 && s->info.adc_bits == 10 &&
	               s->info.vref_mv == 5000 && s->info.streaming == 0 &&
	               s->info.board == ATT_BOARD_ATMEGA328P,
	       "info frame fields (rate %u, channels %u, bits %u, vref %u)", s->info.rate_hz,
	       s->info.channels, s->info.adc_bits, s->info.vref_mv);
	EXPECT(s->info.names_len == 25 &&
	               memcmp(s->info.names, "A-resp,A-PPG,B-resp,B-PPG", 25) == 0,
	       "info frame channel names");
	printf("%-24s %3u Hz  CPU awake %5.2f %% (not streaming)\n", "idle after reset", 250u,
	       idle_pct);

	command_expect(s, ATT_CMD_IDENTIFY, 0, ATT_ACK_OK, 250, 1, "identify");
	command_expect(s, ATT_CMD_PING, 0xA55A, ATT_ACK_OK, 0xA55A, 0, "ping");
	command_expect(s, 42, 0, ATT_ACK_UNKNOWN_COMMAND, 0, 0, "unknown command");
	command_expect(s, ATT_CMD_SET_RATE, 501, ATT_ACK_BAD_ARGUMENT, 250, 0, "rate 501");
	command_expect(s, ATT_CMD_SET_RATE, 24, ATT_ACK_BAD_ARGUMENT, 250, 0, "rate 24");

	s->rate_hz = 250;
	command_expect(s, ATT_CMD_START, 0, ATT_ACK_OK, 250, 0, "start");
	stream_window(s, 2.0, "stream 250 Hz", 1);
	pct250 = busy_pct(s);

	/* Change the inputs (one channel at the bottom of the range) while streaming. */
	set_inputs_mv(s, mv2);
	s->want_flags = ATT_FLAG_SATURATED | (1u << (ATT_FLAG_SAT_SHIFT + 1));
	run_for(s, 0.01);
	stream_window(s, 1.0, "stream 250 Hz, new input", 1);

	s->rate_hz = 500;
	command_expect(s, ATT_CMD_SET_RATE, 500, ATT_ACK_OK, 500, 0, "rate 500");
	stream_window(s, 2.0, "stream 500 Hz", 0);
	pct500 = busy_pct(s);

	s->rate_hz = 25;
	command_expect(s, ATT_CMD_SET_RATE, 25, ATT_ACK_OK, 25, 0, "rate 25");
	stream_window(s, 2.0, "stream 25 Hz", 1);

	command_expect(s, ATT_CMD_STOP, 0, ATT_ACK_OK, 25, 0, "stop");
	reset_stats(s);
	run_for(s, 1.0);
	EXPECT(s->samples == 0, "after STOP: %d sample frames", s->samples);

	printf("\nfirmware CPU awake share (ISRs + framing), simavr atmega328p @ 16 MHz:\n");
	printf("  idle (not streaming, 250 Hz tick): %.2f %%\n", idle_pct);
	printf("  streaming 250 Hz:                  %.2f %%  (budget < %.0f %%)\n", pct250,
	       CPU_BUDGET_PCT);
	printf("  streaming 500 Hz:                  %.2f %%\n", pct500);
	/* RAMEND of the ATmega328P is 0x8FF; the stack grows down from it. */
	printf("stack peak: %u bytes (SRAM 2048 = data+bss + stack + free)\n",
	       s->min_sp <= 0x8FFu ? 0x8FFu - s->min_sp : 0u);
	EXPECT(pct250 < CPU_BUDGET_PCT, "CPU at 250 Hz is %.2f %%, budget %.0f %%", pct250,
	       CPU_BUDGET_PCT);
	avr_terminate(s->avr);
	free(s->avr);
	/* elf_read_firmware allocates these; the loaded core keeps its own copy of the flash. */
	free(fw.flash);
	free(fw.eeprom);
	free(fw.fuse);
	free(fw.lockbits);
	for (uint32_t i = 0; i < fw.symbolcount; i++)
		free(fw.symbol[i]);
	free(fw.symbol);
	if (failures)
		fprintf(stderr, "bench_firmware: %d check(s) failed\n", failures);
	else
		printf("bench_firmware: all checks passed\n");
	return failures ? 1 : 0;
}
