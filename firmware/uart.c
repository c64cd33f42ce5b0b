/* USART0 driver; see uart.h. U2X with UBRR = 16 gives 117647 baud at 16 MHz (+2.1 %), the
 * closest the crystal gets to 115200 (without U2X: UBRR = 8, -3.5 %, outside the 8N1 margin). */
#include <avr/interrupt.h>
#include <avr/io.h>

#include "attune/wire.h"
#include "uart.h"

#define ATT_FW_UBRR    ((ATT_FW_F_CPU + 4u * ATT_WIRE_BAUD) / (8u * ATT_WIRE_BAUD) - 1u)
#define ATT_FW_RX_MASK (ATT_FW_RX_SIZE - 1u)

#if (ATT_FW_RX_SIZE & ATT_FW_RX_MASK) != 0 || ATT_FW_RX_SIZE > 256u
#error "ATT_FW_RX_SIZE must be a power of two no larger than 256"
#endif

static struct att_fw_ring tx;
static uint8_t rx_buf[ATT_FW_RX_SIZE];
static volatile uint8_t rx_head; /* written by the RX ISR only */
static volatile uint8_t rx_tail; /* written by the main loop only */

void att_fw_uart_init(void)
{
	att_fw_ring_init(&tx);
	rx_head = 0;
	rx_tail = 0;
	/* U2X before the divisor: simavr computes its byte time when UBRR0L is written. */
	UCSR0A = _BV(U2X0);
	UBRR0H = (uint8_t)(ATT_FW_UBRR >> 8);
	UBRR0L = (uint8_t)ATT_FW_UBRR;
	UCSR0C = _BV(UCSZ01) | _BV(UCSZ00); /* 8 data bits, no parity, 1 stop bit */
	UCSR0B = _BV(RXEN0) | _BV(TXEN0) | _BV(RXCIE0);
}

struct att_fw_ring *att_fw_uart_tx(void)
{
	return &tx;
}

void att_fw_uart_kick(void)
{
	/* This read-modify-write of UCSR0B can race with the ISR clearing UDRIE0 (the ISR may
	 * empty the ring between the read and the write): the ISR then runs once more, finds the
	 * ring empty and clears UDRIE0 again, which is why it checks before sending. */
	if (att_fw_ring_used(&tx))
		UCSR0B |= _BV(UDRIE0);
}

uint8_t att_fw_uart_getc(uint8_t *b)
{
	uint8_t t = rx_tail;
	if (t == rx_head)
		return 0;
	*b = rx_buf[t];
	rx_tail = (uint8_t)((t + 1u) & ATT_FW_RX_MASK);
	return 1;
}

uint8_t att_fw_uart_rx_pending(void)
{
	return rx_tail != rx_head;
}

ISR(USART_RX_vect)
{
	uint8_t b = UDR0;
	uint8_t h = rx_head;
	uint8_t next = (uint8_t)((h + 1u) & ATT_FW_RX_MASK);
	if (next != rx_tail) {
		rx_buf[h] = b;
		rx_head = next;
	}
}

ISR(USART_UDRE_vect)
{
	uint8_t t = tx.tail;
	if (t == tx.head) {
		UCSR0B &= (uint8_t)~_BV(UDRIE0);
		return;
	}
	UDR0 = tx.buf[t];
	t = (uint8_t)((t + 1u) & ATT_FW_TX_MASK);
	tx.tail = t;
	if (t == tx.head)
		UCSR0B &= (uint8_t)~_BV(UDRIE0);
}
