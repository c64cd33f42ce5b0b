/* Byte ring between one producer and one consumer on the AVR (grbl serial style): the main loop
 * owns head, the UDRE interrupt owns tail, both are volatile uint8_t so each is read and written
 * in one instruction and needs no lock.
 * Invariant: the ring is empty when head == tail and holds at most ATT_FW_TX_SIZE - 1 bytes;
 * att_fw_ring_put writes a whole frame or nothing, so the consumer never sends half a frame.
 * No register access: the host tests compile this file natively. */
#ifndef ATT_FW_RING_H
#define ATT_FW_RING_H

#include <stdint.h>

#include "config.h"

#define ATT_FW_TX_MASK (ATT_FW_TX_SIZE - 1u)

#if (ATT_FW_TX_SIZE & ATT_FW_TX_MASK) != 0 || ATT_FW_TX_SIZE > 256u
#error "ATT_FW_TX_SIZE must be a power of two no larger than 256"
#endif

struct att_fw_ring {
	uint8_t buf[ATT_FW_TX_SIZE];
	volatile uint8_t head; /* next byte to write; written only by the producer */
	volatile uint8_t tail; /* next byte to send; written only by the consumer */
};

/* Empties the ring. Call before the consumer runs (or with its interrupt off). */
static inline void att_fw_ring_init(struct att_fw_ring *r)
{
	r->head = 0;
	r->tail = 0;
}

/* Bytes the producer may still write. Producer side; the consumer only makes it grow. */
static inline uint8_t att_fw_ring_room(const struct att_fw_ring *r)
{
	return (uint8_t)((uint8_t)(r->tail - r->head - 1u) & ATT_FW_TX_MASK);
}

/* Bytes waiting to be sent. Either side. */
static inline uint8_t att_fw_ring_used(const struct att_fw_ring *r)
{
	return (uint8_t)((uint8_t)(r->head - r->tail) & ATT_FW_TX_MASK);
}

/* Appends n bytes if they all fit and returns 1; otherwise writes nothing and returns 0.
 * Producer only. head is published once, after the bytes, so the consumer never sees a
 * partial frame. */
static inline uint8_t att_fw_ring_put(struct att_fw_ring *r, const uint8_t *p, uint8_t n)
{
	uint8_t h = r->head, i;
	if (n > att_fw_ring_room(r))
		return 0;
	for (i = 0; i < n; i++) {
		r->buf[h] = p[i];
		h = (uint8_t)((h + 1u) & ATT_FW_TX_MASK);
	}
	r->head = h;
	return 1;
}

/* Takes the oldest byte into *b and returns 1, or returns 0 when empty. Consumer only (the UDRE
 * interrupt on the device, the test on the host). */
static inline uint8_t att_fw_ring_get(struct att_fw_ring *r, uint8_t *b)
{
	uint8_t t = r->tail;
	if (t == r->head)
		return 0;
	*b = r->buf[t];
	r->tail = (uint8_t)((t + 1u) & ATT_FW_TX_MASK);
	return 1;
}

#endif
