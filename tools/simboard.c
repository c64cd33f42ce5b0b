/* attune-simboard: the attune firmware running in simavr, as if an Arduino were plugged in.
 *
 * The ATmega328P at 16 MHz runs the firmware ELF; its UART is bridged to a pseudo-terminal published
 * at a stable path (simboard_link), its ADC pins A0..A3 see a generated couple or a recording
 * (simboard_feed), and the bytes it sends can be damaged on purpose (simboard_fault).
 *
 * Main invariant: simulated time only advances while the link can take the board's output (at most
 * the link's bound is buffered), and it never runs ahead of wall time x speed; so no byte is lost
 * however fast the simulation runs, except on purpose (faults, a pulled cable).
 *
 * One thread: the loop runs the AVR in short slices of simulated time and services the pty between
 * them. simavr calls our IRQ hooks from inside avr_run(), on this same thread. The only global is
 * the signal flag, which a signal handler needs. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <avr_adc.h>
#include <avr_uart.h>
#include <sim_avr.h>
#include <sim_elf.h>
#include <sim_io.h>
#include <sim_irq.h>
#include <sim_regbit.h>

#include "attune/clock.h"
#include "attune/couple.h"
#include "attune/err.h"
#include "simboard_fault.h"
#include "simboard_feed.h"
#include "simboard_link.h"

#ifndef ATT_SIMBOARD_FIRMWARE
#define ATT_SIMBOARD_FIRMWARE ""
#endif

#define PROG      "attune-simboard"
#define MCU       "atmega328p"
#define F_CPU_HZ  16000000u
#define VREF_MV   5000u
/* 1 MiB of unread output is ~90 s of streaming at 250 Hz: plenty for a slow host, bounded. */
#define OUT_BOUND (1024u * 1024u)

static volatile sig_atomic_t stop_signal;

/* Read by LeakSanitizer only (CI runs the suite under ASan). libsimavr 1.6 never frees the IRQ
 * tables and names it allocates in avr_init(), nor the symbol table of elf_read_firmware(): not
 * ours to free, and a one-off per run. The name is the sanitizer's hook, hence no att_ prefix. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libsimavr.so\n";
}

/* ... and without a report of the suppressions, so an error stays one line on stderr. */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}

static void on_signal(int sig)
{
	stop_signal = sig;
}

#define DEFAULT_LINK "/tmp/attune-sim"

struct opts {
	const char *firmware;
	const char *input;
	const char *link; /* NULL: DEFAULT_LINK, or a private one when that is taken */
	const char *stats;
	double speed;
	double duration; /* 0: forever (couple) or the input's length */
	enum att_couple_script script;
	uint32_t seed;
	int loop, volts, quiet;
	double garbage, drop, flip;
	double disconnect_at, reconnect_after; /* < 0: not set */
	size_t buffer; /* board->host bytes held before the board is paused */
};

struct board {
	avr_t *avr;
	avr_uart_t *uart;
	avr_irq_t *uart_in;
	avr_irq_t *adc_in[4];
	struct att_simboard_link *link;
	struct att_simboard_feed *feed;
	struct att_simboard_fault *fault;
	int xoff;
	uint64_t xoff_events; /* times the UART's input FIFO filled and injection had to wait */
	int feed_ended;
	uint64_t adc_samples;
};

static void usage(FILE *to)
{
	fprintf(to,
	        "Usage: " PROG " [options]\n"
	        "Runs the attune firmware in the AVR simulator (ATmega328P, 16 MHz); its serial port\n"
	        "appears as a pseudo-terminal at the link path, printed as the first line of stdout.\n"
	        "\n"
	        "  --firmware ELF        firmware image (default: %s)\n"
	        "  --input CSV           feed A0..A3 from a recording (columns t,a_resp,a_ppg,b_resp,b_ppg);\n"
	        "                        default: a generated couple\n"
	        "  --volts               the CSV values are volts (0-5); otherwise each channel's 1st..99th\n"
	        "                        percentile is scaled onto 0.5..4.5 V\n"
	        "  --loop                play the recording again at its end (default: stop at its end)\n"
	        "  --script NAME         generated couple: story (default), in-phase, anti-phase,\n"
	        "                        independent, switch\n"
	        "  --seed N              seed of the generated couple and of the faults (default 1)\n"
	        "  --link PATH           where the pty appears (default /tmp/attune-sim; when another\n"
	        "                        user holds that, a private directory's link, said on stderr)\n"
	        "  --speed X             simulated seconds per wall second (default 1; 0 = flat out)\n"
	        "  --duration S          stop after S simulated seconds (default: forever, or the input)\n"
	        "Fault injection (board -> host; RATE = probability per byte sent, 0..1):\n"
	        "  --garbage RATE        insert a random byte before a byte\n"
	        "  --drop RATE           drop a byte\n"
	        "  --flip RATE           flip one random bit of a byte\n"
	        "  --disconnect-at S     pull the cable at S simulated seconds: the link disappears and\n"
	        "                        what the board sends meanwhile is lost\n"
	        "  --reconnect-after S   plug it back S simulated seconds later, at the same path\n"
	        "  --buffer BYTES        output held for a host that does not read before the board is\n"
	        "                        paused (default 1048576; nothing is ever dropped)\n"
	        "  --stats FILE          write the run's counters as JSON at exit\n"
	        "  --quiet               no summary on stderr\n"
	        "  --help                this text\n"
	        "Exit status: 0 done, 1 bad input or environment, 2 bad usage.\n",
	        ATT_SIMBOARD_FIRMWARE[0] ? ATT_SIMBOARD_FIRMWARE : "none built; pass --firmware");
}

static void die_usage(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see " PROG " --help)\n");
	exit(2);
}

static double parse_num(const char *opt, const char *s, double lo, double hi)
{
	char *end;
	double v;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v < lo || v > hi)
		die_usage("%s: expected a number from %g to %g, got '%s'", opt, lo, hi, s);
	return v;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	enum {
		O_FIRMWARE = 256,
		O_INPUT,
		O_LINK,
		O_SPEED,
		O_DURATION,
		O_SCRIPT,
		O_SEED,
		O_LOOP,
		O_VOLTS,
		O_GARBAGE,
		O_DROP,
		O_FLIP,
		O_DISC,
		O_RECONN,
		O_STATS,
		O_QUIET,
		O_BUFFER,
		O_HELP
	};
	static const struct option longopts[] = {
	        {"firmware", required_argument, 0, O_FIRMWARE},
	        {"input", required_argument, 0, O_INPUT},
	        {"link", required_argument, 0, O_LINK},
	        {"speed", required_argument, 0, O_SPEED},
	        {"duration", required_argument, 0, O_DURATION},
	        {"script", required_argument, 0, O_SCRIPT},
	        {"seed", required_argument, 0, O_SEED},
	        {"loop", no_argument, 0, O_LOOP},
	        {"volts", no_argument, 0, O_VOLTS},
	        {"garbage", required_argument, 0, O_GARBAGE},
	        {"drop", required_argument, 0, O_DROP},
	        {"flip", required_argument, 0, O_FLIP},
	        {"disconnect-at", required_argument, 0, O_DISC},
	        {"reconnect-after", required_argument, 0, O_RECONN},
	        {"stats", required_argument, 0, O_STATS},
	        {"quiet", no_argument, 0, O_QUIET},
	        {"buffer", required_argument, 0, O_BUFFER},
	        {"help", no_argument, 0, O_HELP},
	        {0, 0, 0, 0},
	};
	static const struct {
		const char *name;
		enum att_couple_script script;
	} scripts[] = {
	        {"story", ATT_COUPLE_STORY},           {"in-phase", ATT_COUPLE_IN_PHASE},
	        {"anti-phase", ATT_COUPLE_ANTI_PHASE}, {"independent", ATT_COUPLE_INDEPENDENT},
	        {"switch", ATT_COUPLE_SWITCH},
	};
	int c;
	size_t k;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_FIRMWARE:
			o->firmware = optarg;
			break;
		case O_INPUT:
			o->input = optarg;
			break;
		case O_LINK:
			if (!optarg[0])
				die_usage("--link: expected a path");
			o->link = optarg;
			break;
		case O_SPEED:
			o->speed = parse_num("--speed", optarg, 0, 1e6);
			break;
		case O_DURATION:
			o->duration = parse_num("--duration", optarg, 1e-3, 1e9);
			break;
		case O_SCRIPT:
			for (k = 0; k < sizeof scripts / sizeof scripts[0]; k++)
				if (strcmp(optarg, scripts[k].name) == 0)
					break;
			if (k == sizeof scripts / sizeof scripts[0])
				die_usage(
				        "--script: expected story, in-phase, anti-phase, independent or switch, got '%s'",
				        optarg);
			o->script = scripts[k].script;
			break;
		case O_SEED:
			o->seed = (uint32_t)parse_num("--seed", optarg, 0, 4294967295.0);
			break;
		case O_LOOP:
			o->loop = 1;
			break;
		case O_VOLTS:
			o->volts = 1;
			break;
		case O_GARBAGE:
			o->garbage = parse_num("--garbage", optarg, 0, 1);
			break;
		case O_DROP:
			o->drop = parse_num("--drop", optarg, 0, 1);
			break;
		case O_FLIP:
			o->flip = parse_num("--flip", optarg, 0, 1);
			break;
		case O_DISC:
			o->disconnect_at = parse_num("--disconnect-at", optarg, 0, 1e9);
			break;
		case O_RECONN:
			o->reconnect_after = parse_num("--reconnect-after", optarg, 0, 1e9);
			break;
		case O_STATS:
			o->stats = optarg;
			break;
		case O_QUIET:
			o->quiet = 1;
			break;
		case O_BUFFER:
			o->buffer =
			        (size_t)parse_num("--buffer", optarg, 4096, 256.0 * 1024 * 1024);
			break;
		case 'h':
		case O_HELP:
			usage(stdout);
			exit(0);
		default:
			if (optopt)
				die_usage("unknown option or missing value near '%s'",
				          argv[optind - 1]);
			die_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (o->reconnect_after >= 0 && o->disconnect_at < 0)
		die_usage("--reconnect-after needs --disconnect-at");
	if ((o->volts || o->loop) && !o->input)
		die_usage("--volts and --loop apply to --input");
}

/* simavr logs through one global hook; only its errors matter to a user, and stdout is reserved for
 * the link path. */
static void sim_logger(avr_t *avr, const int level, const char *fmt, va_list ap)
{
	(void)avr;
	if (level > LOG_ERROR)
		return;
	fprintf(stderr, PROG ": simavr: ");
	vfprintf(stderr, fmt, ap);
}

/* simavr's raw run loop sleeps in real time while the AVR sleeps; pacing is ours instead. */
static void sim_no_sleep(avr_t *avr, avr_cycle_count_t how_long)
{
	(void)avr;
	(void)how_long;
}

static double now_s(void)
{
	return 1e-9 * (double)att_clock_ns();
}

static double sim_time(const struct board *b)
{
	return (double)b->avr->cycle / (double)b->avr->frequency;
}

/* Feeds the host's bytes into the UART while the firmware can take them (XON), as a real UART
 * with flow control would; a byte offered while the receiver is off would be lost. */
static void inject(struct board *b)
{
	uint8_t byte;
	if (!avr_regbit_get(b->avr, b->uart->rxen))
		return;
	while (!b->xoff && att_simboard_link_peek(b->link, &byte)) {
		att_simboard_link_consume(b->link);
		avr_raise_irq(b->uart_in, byte);
	}
}

static void on_uart_out(struct avr_irq_t *irq, uint32_t value, void *param)
{
	struct board *b = param;
	uint8_t out[2];
	size_t n, i;
	(void)irq;
	n = att_simboard_fault_apply(b->fault, (uint8_t)value, out);
	for (i = 0; i < n; i++)
		att_simboard_link_put(b->link, out[i]);
}

static void on_uart_xon(struct avr_irq_t *irq, uint32_t value, void *param)
{
	struct board *b = param;
	(void)irq;
	(void)value;
	b->xoff = 0;
	inject(b);
}

static void on_uart_xoff(struct avr_irq_t *irq, uint32_t value, void *param)
{
	struct board *b = param;
	(void)irq;
	if (value && !b->xoff)
		b->xoff_events++;
	b->xoff = value != 0;
}

/* A conversion starts: the pin's voltage at this instant is what the ADC holds. */
static void on_adc_trigger(struct avr_irq_t *irq, uint32_t value, void *param)
{
	struct board *b = param;
	union {
		avr_adc_mux_t mux;
		uint32_t v;
	} e;
	uint16_t mv[4];
	(void)irq;
	e.v = value;
	if (e.mux.kind != ADC_MUX_SINGLE || e.mux.src >= 4)
		return;
	if (!att_simboard_feed_mv(b->feed, sim_time(b), mv))
		b->feed_ended = 1;
	avr_raise_irq(b->adc_in[e.mux.src], mv[e.mux.src]);
	b->adc_samples++;
}

static avr_uart_t *find_uart0(avr_t *avr)
{
	avr_io_t *io;
	for (io = avr->io_port; io; io = io->next)
		if (io->kind && strcmp(io->kind, "uart") == 0 &&
		    io->irq_ioctl_get == AVR_IOCTL_UART_GETIRQ('0'))
			return (avr_uart_t *)io;
	return NULL;
}

static int is_avr_elf(const char *path)
{
	unsigned char h[20];
	FILE *f = fopen(path, "rb");
	size_t n;
	if (!f)
		return 0;
	n = fread(h, 1, sizeof h, f);
	fclose(f);
	/* ELF magic, 32-bit, little-endian, e_machine EM_AVR (83) */
	return n == sizeof h && memcmp(h, "\177ELF", 4) == 0 && h[4] == 1 && h[5] == 1 &&
	       (h[18] | h[19] << 8) == 83;
}

static int load_board(const struct opts *o, struct board *b, elf_firmware_t *fw)
{
	uint32_t flags = 0;
	uint16_t mv[4];
	unsigned c;

	if (access(o->firmware, R_OK) != 0) {
		fprintf(stderr,
		        PROG
		        ": cannot read the firmware %s: %s (build it: meson compile -C " ATT_BUILD_ROOT
		        ", or pass --firmware ELF)\n",
		        o->firmware, strerror(errno));
		return 1;
	}
	/* Checked here so a wrong file gets one clear line, not simavr's and libelf's messages. */
	if (!is_avr_elf(o->firmware)) {
		fprintf(stderr,
		        PROG
		        ": %s is not an AVR ELF firmware image (pass --firmware " ATT_BUILD_ROOT
		        "/firmware/attune.elf, which meson compile -C " ATT_BUILD_ROOT " builds)\n",
		        o->firmware);
		return 1;
	}
	memset(fw, 0, sizeof *fw);
	if (elf_read_firmware(o->firmware, fw) != 0 || fw->flashsize == 0) {
		fprintf(stderr,
		        PROG
		        ": %s is not an AVR ELF firmware image (pass --firmware " ATT_BUILD_ROOT
		        "/firmware/attune.elf, which meson compile -C " ATT_BUILD_ROOT " builds)\n",
		        o->firmware);
		return 1;
	}
	if (fw->mmcu[0] && strcmp(fw->mmcu, MCU) != 0) {
		fprintf(stderr, PROG ": %s is built for %s; the simulated board is an " MCU "\n",
		        o->firmware, fw->mmcu);
		return 1;
	}
	b->avr = avr_make_mcu_by_name(MCU);
	if (!b->avr || avr_init(b->avr) != 0) {
		fprintf(stderr,
		        PROG ": simavr cannot create an " MCU " (is libsimavr complete?)\n");
		return 1;
	}
	avr_load_firmware(b->avr, fw);
	b->avr->frequency = F_CPU_HZ;
	b->avr->vcc = b->avr->avcc = b->avr->aref = VREF_MV;
	b->avr->sleep = sim_no_sleep;
	b->avr->log = LOG_ERROR;

	b->uart = find_uart0(b->avr);
	if (!b->uart) {
		fprintf(stderr, PROG ": simavr's " MCU " has no UART0\n");
		return 1;
	}
	/* no usleep on polled reads, no echo of the board's bytes to our stdout */
	avr_ioctl(b->avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
	b->uart_in = avr_io_getirq(b->avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
	avr_irq_register_notify(avr_io_getirq(b->avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT),
	                        on_uart_out, b);
	avr_irq_register_notify(avr_io_getirq(b->avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XON),
	                        on_uart_xon, b);
	avr_irq_register_notify(
	        avr_io_getirq(b->avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XOFF), on_uart_xoff,
	        b);
	for (c = 0; c < 4; c++)
		b->adc_in[c] = avr_io_getirq(b->avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_ADC0 + (int)c);
	avr_irq_register_notify(avr_io_getirq(b->avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_OUT_TRIGGER),
	                        on_adc_trigger, b);
	/* pins hold the input at t = 0 even before the first conversion */
	att_simboard_feed_mv(b->feed, 0.0, mv);
	for (c = 0; c < 4; c++)
		avr_raise_irq(b->adc_in[c], mv[c]);
	return 0;
}

static void write_stats(const char *path, const struct board *b, double sim_s, double wall_s)
{
	struct att_simboard_fault_stats fs;
	struct att_simboard_link_stats ls;
	char tmp[4200];
	FILE *f;

	att_simboard_fault_stats(b->fault, &fs);
	att_simboard_link_stats(b->link, &ls);
	/* written aside and renamed, so a reader never sees half a file */
	snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, PROG ": cannot write --stats %s: %s\n", path, strerror(errno));
		return;
	}
	fprintf(f,
	        "{\"sim_s\": %.6f, \"wall_s\": %.6f, \"speed\": %.3f, \"bytes_out\": %llu, "
	        "\"frames_out\": %llu, \"bytes_to_host\": %llu, \"bytes_from_host\": %llu, "
	        "\"garbage_bytes\": %llu, \"dropped_bytes\": %llu, \"flipped_bits\": %llu, "
	        "\"frames_affected\": %llu, \"bytes_lost_unplugged\": %llu, \"unplugs\": %u, "
	        "\"plugs\": %u, \"max_buffered\": %llu, \"congested_polls\": %llu, "
	        "\"adc_conversions\": %llu, \"uart_xoff\": %llu}\n",
	        sim_s, wall_s, wall_s > 0 ? sim_s / wall_s : 0.0, (unsigned long long)fs.bytes_in,
	        (unsigned long long)fs.frames, (unsigned long long)ls.bytes_to_host,
	        (unsigned long long)ls.bytes_from_host, (unsigned long long)fs.garbage_bytes,
	        (unsigned long long)fs.dropped_bytes, (unsigned long long)fs.flipped_bits,
	        (unsigned long long)fs.frames_affected, (unsigned long long)ls.bytes_lost_unplugged,
	        ls.unplugs, ls.plugs, (unsigned long long)ls.max_buffered,
	        (unsigned long long)ls.congested_polls, (unsigned long long)b->adc_samples,
	        (unsigned long long)b->xoff_events);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, PROG ": cannot write --stats %s: %s\n", path, strerror(errno));
		unlink(tmp);
	}
}

static void print_summary(const struct board *b, double sim_s, double wall_s)
{
	struct att_simboard_fault_stats fs;
	struct att_simboard_link_stats ls;
	att_simboard_fault_stats(b->fault, &fs);
	att_simboard_link_stats(b->link, &ls);
	fprintf(stderr,
	        PROG ": %.3f s simulated in %.3f s (%.1fx real time); board sent %llu bytes "
	             "(%llu frames), %llu reached the host, %llu came from it\n",
	        sim_s, wall_s, wall_s > 0 ? sim_s / wall_s : 0.0, (unsigned long long)fs.bytes_in,
	        (unsigned long long)fs.frames, (unsigned long long)ls.bytes_to_host,
	        (unsigned long long)ls.bytes_from_host);
	fprintf(stderr,
	        PROG ": injected %llu garbage bytes, dropped %llu bytes, flipped %llu bits; %llu "
	             "frames affected; %llu bytes lost while unplugged (%u unplug, %u replug)\n",
	        (unsigned long long)fs.garbage_bytes, (unsigned long long)fs.dropped_bytes,
	        (unsigned long long)fs.flipped_bits, (unsigned long long)fs.frames_affected,
	        (unsigned long long)ls.bytes_lost_unplugged, ls.unplugs, ls.plugs);
}

/* Runs the board until the duration, the end of the input or a signal. Returns the exit status. */
static int run(const struct opts *o, struct board *b, double *sim_s, double *wall_s)
{
	const double f = (double)b->avr->frequency;
	/* short slices keep the pty serviced often: 1 ms simulated is ~12 bytes at 115200 baud */
	const avr_cycle_count_t slice =
	        (avr_cycle_count_t)(f * (o->speed > 0 && o->speed <= 2 ? 0.001 : 0.002));
	const double t_end =
	        o->duration > 0 ? o->duration
	                        : (o->input && !o->loop ? att_simboard_feed_duration(b->feed) : 0);
	const avr_cycle_count_t c0 = b->avr->cycle;
	const double w0 = now_s();
	int unplugged_once = 0, status = 0;
	char why[512];

	for (;;) {
		double t = (double)(b->avr->cycle - c0) / f;
		int wait_ms = 0, ahead = 0, rc;

		if (stop_signal)
			break;
		if ((t_end > 0 && t >= t_end) || b->feed_ended)
			break;
		if (o->disconnect_at >= 0 && !unplugged_once && t >= o->disconnect_at) {
			att_simboard_link_unplug(b->link);
			unplugged_once = 1;
			if (!o->quiet)
				fprintf(stderr, PROG ": cable pulled at %.3f s (simulated)\n", t);
		}
		if (unplugged_once && !att_simboard_link_plugged(b->link) &&
		    o->reconnect_after >= 0 && t >= o->disconnect_at + o->reconnect_after) {
			if (att_simboard_link_plug(b->link, why, sizeof why) != ATT_OK) {
				fprintf(stderr, PROG ": %s\n", why);
				status = 1;
				break;
			}
			if (!o->quiet)
				fprintf(stderr,
				        PROG ": cable plugged back at %.3f s (simulated): %s\n", t,
				        att_simboard_link_slave(b->link));
		}
		if (o->speed > 0) {
			double lead = t / o->speed - (now_s() - w0);
			if (lead > 0.0002) {
				ahead = 1;
				wait_ms = lead > 0.02 ? 20 : (int)ceil(lead * 1000.0);
			}
		}
		if (att_simboard_link_congested(b->link))
			wait_ms = 20; /* backpressure: the board waits for the host */
		rc = att_simboard_link_service(b->link, wait_ms);
		if (rc != ATT_OK) {
			fprintf(stderr, PROG ": the pseudo-terminal failed: %s\n", strerror(errno));
			status = 1;
			break;
		}
		inject(b);
		if (ahead || att_simboard_link_congested(b->link))
			continue;
		{
			avr_cycle_count_t target = b->avr->cycle + slice;
			while (b->avr->cycle < target) {
				int state = avr_run(b->avr);
				if (state == cpu_Done || state == cpu_Crashed) {
					fprintf(stderr,
					        PROG
					        ": the firmware stopped at %.3f s simulated (%s); "
					        "check that %s is the attune firmware for the " MCU
					        "\n",
					        sim_time(b),
					        state == cpu_Done ? "halted" : "crashed",
					        o->firmware);
					status = 1;
					goto out;
				}
			}
		}
	}
out:
	*sim_s = (double)(b->avr->cycle - c0) / f;
	*wall_s = now_s() - w0;
	/* An orderly end lets a reading host have everything the board sent before the pty goes;
	 * a host that stops reading for 2 s (or none at all) gets no more waiting. */
	if (!stop_signal && status == 0 && att_simboard_link_plugged(b->link)) {
		size_t left = att_simboard_link_unread(b->link);
		double progress = now_s();
		while (left > 0 && now_s() - progress < 2.0 && !stop_signal) {
			size_t now_left;
			if (att_simboard_link_service(b->link, 20) != ATT_OK)
				break;
			now_left = att_simboard_link_unread(b->link);
			if (now_left < left)
				progress = now_s();
			left = now_left;
		}
	}
	return status;
}

/* Publishes the board's link: --link PATH as asked; by default DEFAULT_LINK, unless another
 * user (or a file) holds that name, which anyone on the machine can do in /tmp: then a link in a
 * directory of our own (mkdtemp under $XDG_RUNTIME_DIR, $TMPDIR or /tmp), said on stderr; the
 * first line of stdout names it either way. 0, or -1 after one line on stderr. */
static int open_link(struct opts *o, struct board *b, char *dir, size_t len)
{
	static char link[PATH_MAX + 8];
	const char *bases[] = {getenv("XDG_RUNTIME_DIR"), getenv("TMPDIR"), "/tmp"};
	char why[512], taken[512];
	int rc;

	rc = att_simboard_link_new(
	        &(struct att_simboard_link_cfg){.path = o->link ? o->link : DEFAULT_LINK,
	                                        .out_bound = o->buffer},
	        &b->link, why, sizeof why);
	if (rc == ATT_OK || o->link || (rc != ATT_ERR_ARG && rc != ATT_ERR_PERMISSION)) {
		if (rc != ATT_OK)
			fprintf(stderr, PROG ": %s\n", why);
		o->link = o->link ? o->link : DEFAULT_LINK;
		return rc == ATT_OK ? 0 : -1;
	}
	/* "PATH exists and is ...; choose another path with --link": the first half is the news */
	snprintf(taken, sizeof taken, "%.*s", (int)strcspn(why, ";"), why);
	for (size_t i = 0; i < sizeof bases / sizeof bases[0] && !dir[0]; i++)
		if (bases[i] && bases[i][0] == '/' &&
		    snprintf(dir, len, "%s/attune-sim-XXXXXX", bases[i]) < (int)len &&
		    !mkdtemp(dir))
			dir[0] = 0;
	if (!dir[0]) {
		fprintf(stderr, PROG ": %s, and no private directory could be made: %s\n", taken,
		        strerror(errno));
		return -1;
	}
	snprintf(link, sizeof link, "%s/board", dir);
	if (att_simboard_link_new(
	            &(struct att_simboard_link_cfg){.path = link, .out_bound = o->buffer}, &b->link,
	            why, sizeof why) != ATT_OK) {
		fprintf(stderr, PROG ": %s\n", why);
		return -1;
	}
	fprintf(stderr, PROG ": %s; the link is %s instead\n", taken, link);
	o->link = link;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {
	        .firmware = ATT_SIMBOARD_FIRMWARE,
	        .speed = 1.0,
	        .script = ATT_COUPLE_STORY,
	        .seed = 1,
	        .disconnect_at = -1,
	        .reconnect_after = -1,
	        .buffer = OUT_BOUND,
	};
	struct board b;
	elf_firmware_t fw;
	struct sigaction sa;
	char why[512], private_dir[PATH_MAX] = "";
	double sim_s = 0, wall_s = 0;
	int status = 1;

	memset(&b, 0, sizeof b);
	memset(&fw, 0, sizeof fw);
	parse_args(argc, argv, &o);
	if (!o.firmware[0])
		die_usage("no firmware was built with this program; pass --firmware ELF");

	avr_global_logger_set(sim_logger);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	{
		struct att_simboard_feed_cfg fc = {
		        .csv_path = o.input,
		        .volts = o.volts,
		        .loop = o.loop,
		        .script = o.script,
		        .seed = o.seed,
		        .couple_rate_hz = 1000.0,
		};
		if (att_simboard_feed_new(&fc, &b.feed, why, sizeof why) != ATT_OK) {
			fprintf(stderr, PROG ": %s\n", why);
			goto done;
		}
	}
	{
		struct att_simboard_fault_cfg fc = {
		        .garbage = o.garbage,
		        .drop = o.drop,
		        .flip = o.flip,
		        .seed = o.seed,
		};
		if (att_simboard_fault_new(&fc, &b.fault) != ATT_OK) {
			fprintf(stderr, PROG ": out of memory\n");
			goto done;
		}
	}
	if (load_board(&o, &b, &fw) != 0)
		goto done;
	if (open_link(&o, &b, private_dir, sizeof private_dir) != 0)
		goto done;
	printf("%s\n", o.link);
	fflush(stdout);

	status = run(&o, &b, &sim_s, &wall_s);
	if (!o.quiet)
		print_summary(&b, sim_s, wall_s);
	if (o.stats)
		write_stats(o.stats, &b, sim_s, wall_s);
done:
	att_simboard_link_free(b.link);
	if (private_dir[0])
		rmdir(private_dir);
	if (b.avr)
		avr_terminate(b.avr);
	free(b.avr);
	free(fw.flash);
	free(fw.eeprom);
	att_simboard_feed_free(b.feed);
	att_simboard_fault_free(b.fault);
	return status;
}
