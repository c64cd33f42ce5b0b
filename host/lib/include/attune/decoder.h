/* Stream decoder: turns the byte stream from the device into frames of include/attune/wire.h.
 *
 * Answers like a libsigrok packet parser: each call to att_decoder_feed() returns VALID (a frame),
 * INVALID (a damaged or rejected frame was dropped) or NEED_MORE (all input consumed), so a caller
 * loops until NEED_MORE. Damage never spreads past the delimiter that ends it: after any corruption
 * the decoder is back in step at the next 0x00.
 *
 * Main invariant: every byte fed is accounted for exactly once, either as part of an accepted frame
 * (its COBS bytes and delimiter), as discarded, or as pending (buffered, waiting for its delimiter):
 *   bytes == bytes_ok + bytes_discarded + bytes_pending.
 * The decoder holds one fixed buffer of ATT_WIRE_MAX_ENCODED bytes, never allocates after
 * att_decoder_new() and never reads or writes outside the caller's buffers.
 *
 * Threads: a decoder belongs to one thread at a time (the acquisition thread); no locking inside.
 */
#ifndef ATT_DECODER_H
#define ATT_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include "attune/wire.h"
#include "attune/err.h"

enum att_decode_result {
	ATT_DECODE_NEED_MORE = 0, /* all input consumed, no frame completed */
	ATT_DECODE_VALID = 1,     /* *frame holds an accepted frame */
	ATT_DECODE_INVALID = 2,   /* a frame was dropped; stats say why (last_reject) */
};

struct att_decoder_stats {
	uint64_t bytes;    /* every byte fed */
	uint64_t bytes_ok; /* bytes of accepted frames, delimiters included */
	uint64_t
	        bytes_discarded; /* bytes of dropped frames, garbage, idle delimiters, and the partial
	                             frame before the first delimiter */
	uint64_t bytes_pending;      /* buffered, waiting for a delimiter */
	uint64_t frames_ok;          /* frames returned as VALID (any type) */
	uint64_t crc_errors;         /* damaged bytes: CRC mismatch */
	uint64_t framing_errors;     /* bad COBS, bad length for the type, or a run over
	                             ATT_WIRE_MAX_ENCODED bytes without a delimiter */
	uint64_t version_errors;     /* intact frames of another protocol version */
	uint64_t unknown_type;       /* intact frames of this version with an unknown type */
	uint64_t seq_gaps;           /* times a sample frame's seq was not the expected one */
	uint64_t samples_lost;       /* sample frames missing per the 16-bit seq numbers */
	uint64_t tx_overflow_frames; /* sample frames carrying ATT_FLAG_TX_OVERFLOW */
	uint64_t version_streak; /* version errors in a row with the same version and no accepted
	                             frame between: a damaged piece passes the CRC by chance (2^-16
	                             per piece) and may land in version_errors, so tell the user
	                             "firmware protocol version mismatch" only when this reaches 2 */
	uint8_t last_foreign_version; /* version byte of the last version error; 0 if none */
	uint8_t last_reject; /* enum att_wire_parse_result of the last INVALID; 0 if none */
};

struct att_decoder;

/* Creates a decoder that starts as after att_decoder_reset(). *out is set to NULL first.
 * Caller frees with att_decoder_free(). Returns ATT_OK, ATT_ERR_ARG or ATT_ERR_NOMEM. Any thread. */
enum att_err att_decoder_new(struct att_decoder **out);

/* Frees the decoder; NULL is a no-op. The decoder's thread, once it is done with it. */
void att_decoder_free(struct att_decoder *dec);

/* Feeds up to len bytes (buf may be NULL when len is 0). Stops after the first completed frame:
 * *consumed says how many bytes of buf were used (the rest must be fed again); on VALID *frame is
 * filled, otherwise *frame may have been written. buf and frame are borrowed for the call only.
 * Bytes of an unfinished frame are copied into the decoder, so buf may be reused after the call.
 * Never fails: bad input is counted, dropped and reported as INVALID. Not allocating; O(len).
 * The decoder's thread (real-time safe: no locks, no allocation, no system calls). */
enum att_decode_result att_decoder_feed(struct att_decoder *dec, const uint8_t *buf, size_t len,
                                        size_t *consumed, struct att_wire_frame *frame);

/* Copies the counters into *out. The decoder's thread. */
void att_decoder_stats(const struct att_decoder *dec, struct att_decoder_stats *out);

/* Forgets the sequence: the next sample frame establishes it without counting a gap. Call it after
 * a reconnect, or when the device restarted (it sends an info frame after a reset). The decoder's
 * thread. */
void att_decoder_reset_sequence(struct att_decoder *dec);

/* Drops any buffered bytes (counted as discarded) and treats the bytes up to the next delimiter as a
 * partial frame, as at start; also resets the sequence. Counters are kept. Use it when the port was
 * reopened: the first bytes may be the tail of a frame sent earlier. The decoder's thread. */
void att_decoder_reset(struct att_decoder *dec);

#endif
