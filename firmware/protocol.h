/* The firmware's protocol logic, free of register access so the host tests compile it natively:
 * command handling, stream state (streaming, rate, frame sequence, drop accounting), framing into
 * the TX ring, the RX frame assembler and the Timer1 settings for a rate.
 *
 * Invariants: the frame sequence number advances once per sample frame sent OR dropped, so the
 * host sees every loss as a gap; after a drop, the next sample frame that fits carries
 * ATT_FLAG_TX_OVERFLOW; no sample frame is queued unless streaming. Replies to commands are
 * queued whole (the caller makes room for ATT_FW_REPLY_MAX bytes first).
 *
 * Threads: everything here runs in the main loop only; the ring's consumer is the UDRE ISR. */
#ifndef ATT_FW_PROTOCOL_H
#define ATT_FW_PROTOCOL_H

#include <stdint.h>

#include "attune/wire.h"
#include "config.h"
#include "ring.h"

#define ATT_FW_INFO_WIRE ATT_WIRE_ON_WIRE(ATT_WIRE_INFO_BODY_MIN + ATT_FW_NAMES_LEN)
#define ATT_FW_ACK_WIRE  ATT_WIRE_ON_WIRE(ATT_WIRE_ACK_BODY)
/* Ring room the main loop must see before it hands a command to att_fw_proto_command. */
#define ATT_FW_REPLY_MAX (ATT_FW_INFO_WIRE + ATT_FW_ACK_WIRE)

ATT_WIRE_ASSERT(ATT_FW_NAMES_LEN <= ATT_WIRE_NAMES_MAX, names_fit_the_info_frame);
ATT_WIRE_ASSERT(ATT_FW_REPLY_MAX < ATT_FW_TX_SIZE, a_reply_fits_the_tx_ring);

struct att_fw_proto {
	uint16_t rate_hz;  /* current sample rate */
	uint16_t seq;      /* sequence number of the next sample frame */
	uint16_t dropped;  /* sample frames dropped since reset (saturates at 65535) */
	uint8_t streaming; /* 1 between START and STOP */
	uint8_t overflow;  /* 1 when a frame was dropped since the last one sent */
};

/* What the hardware layer must do after a command (bit mask). */
enum att_fw_action {
	ATT_FW_ACT_NONE = 0,
	ATT_FW_ACT_START = 1, /* restart the sample clock and counter at 0, then sample */
	ATT_FW_ACT_STOP = 2,  /* stop sampling */
	ATT_FW_ACT_RATE = 4,  /* reprogram the sample clock to rate_hz (and restart the counter) */
};

/* Power-up state: not streaming, ATT_WIRE_RATE_DEFAULT, sequence 0. */
void att_fw_proto_init(struct att_fw_proto *p);

/* Queues the info frame. Returns 1, or 0 when the ring has no room (nothing queued). */
uint8_t att_fw_proto_info(const struct att_fw_proto *p, struct att_fw_ring *tx);

/* Handles one received frame, enc[0 .. len-1] COBS bytes without the delimiter (borrowed for the
 * call). Commands are answered with an ack (identify: info frame, then ack); an unknown command
 * gets ATT_ACK_UNKNOWN_COMMAND, a rate outside ATT_WIRE_RATE_MIN..MAX gets ATT_ACK_BAD_ARGUMENT
 * and changes nothing. Damaged frames, other versions and non-command frames get no answer (the
 * host retries after its timeout). Returns the enum att_fw_action bits to apply. */
uint8_t att_fw_proto_command(struct att_fw_proto *p, const uint8_t *enc, uint8_t len,
                             struct att_fw_ring *tx);

/* Saturation flags for one sample set: ATT_FLAG_SATURATED plus bit (ATT_FLAG_SAT_SHIFT + c) for
 * each channel c reading 0 or ATT_FW_ADC_MAX. */
uint8_t att_fw_proto_sat_flags(const uint16_t ch[ATT_WIRE_CHANNELS]);

/* Frames one sample set taken at sample instant `counter` and queues it, leaving at least
 * `reserve` bytes of room: the main loop passes ATT_FW_REPLY_MAX while a command waits, so a
 * saturated link cannot starve command answers. Not streaming: does nothing and returns 0. Not
 * enough room: drops the frame, counts it and returns 0. Returns 1 when queued. ch is borrowed
 * for the call. */
uint8_t att_fw_proto_sample(struct att_fw_proto *p, uint32_t counter,
                            const uint16_t ch[ATT_WIRE_CHANNELS], uint8_t reserve,
                            struct att_fw_ring *tx);

/* Accounts for n sample frames lost before framing (the ADC ISR found its queue full). Ignored
 * when not streaming. */
void att_fw_proto_drop(struct att_fw_proto *p, uint8_t n);

/* Timer1 settings (CTC on OCR1A) for a rate: the smallest prescaler, 8 or 64, whose period fits
 * 16 bits, so the rate is as exact as the crystal allows (error < 0.013 % from 31 Hz up). */
struct att_fw_timer {
	uint8_t prescaler; /* 8 or 64 */
	uint16_t top;      /* OCR1A: timer ticks per sample minus one */
};
void att_fw_timer_for_rate(uint16_t rate_hz, struct att_fw_timer *t);

/* Assembles received bytes into frames. buf holds the current frame; a frame longer than
 * ATT_WIRE_MAX_ENCODED is discarded up to its delimiter. */
struct att_fw_rx {
	uint8_t buf[ATT_WIRE_MAX_ENCODED];
	uint8_t len;
	uint8_t overlong;
};

void att_fw_rx_init(struct att_fw_rx *rx);

/* Feeds one byte. Returns the frame length (> 0) when b is the delimiter closing a frame, whose
 * bytes are then rx->buf[0 .. length-1] until the next call; returns 0 otherwise. */
uint8_t att_fw_rx_byte(struct att_fw_rx *rx, uint8_t b);

#endif
