/* USART0 at 115200 8N1, interrupt driven both ways (grbl serial style).
 * TX: the main loop fills the ring returned by att_fw_uart_tx() and calls att_fw_uart_kick();
 * the UDRE interrupt owns the tail and switches itself off when the ring is empty.
 * RX: the RX interrupt stores bytes in a small ring the main loop drains with att_fw_uart_getc();
 * a byte arriving when that ring is full is dropped (the command frame then fails its CRC and the
 * host retries). */
#ifndef ATT_FW_UART_H
#define ATT_FW_UART_H

#include <stdint.h>

#include "ring.h"

/* Configures the USART and enables its interrupts (global interrupts stay as they are). */
void att_fw_uart_init(void);

/* The TX ring; the main loop is its only producer. Valid for the program's life. */
struct att_fw_ring *att_fw_uart_tx(void);

/* Starts the UDRE interrupt if bytes wait in the TX ring. Main loop only. */
void att_fw_uart_kick(void);

/* Takes one received byte into *b; returns 0 when none waits. Main loop only. */
uint8_t att_fw_uart_getc(uint8_t *b);

/* 1 when a received byte waits. Main loop, interrupts may be off. */
uint8_t att_fw_uart_rx_pending(void);

#endif
