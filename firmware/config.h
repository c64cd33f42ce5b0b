/* Compile-time configuration of the attune firmware, in one place (grbl's config.h idea).
 * Included by the register-free protocol files as well, so nothing here may touch hardware. */
#ifndef ATT_FW_CONFIG_H
#define ATT_FW_CONFIG_H

#define ATT_FW_VERSION_MAJOR 0u
#define ATT_FW_VERSION_MINOR 1u
#define ATT_FW_VERSION_PATCH 0u

#ifdef F_CPU
#define ATT_FW_F_CPU F_CPU
#else
#define ATT_FW_F_CPU 16000000ul /* native test builds: the Uno/Nano crystal */
#endif

/* AVcc reference: the sensors are powered from the same 5 V, so ratiometric readings cancel
 * supply drift. */
#define ATT_FW_VREF_MV  5000u
#define ATT_FW_ADC_BITS 10u
#define ATT_FW_ADC_MAX  1023u

#define ATT_FW_NAMES     "A-resp,A-PPG,B-resp,B-PPG"
#define ATT_FW_NAMES_LEN (sizeof(ATT_FW_NAMES) - 1u)

/* TX ring: a power of two up to 256 so uint8_t indices wrap with a mask. 128 bytes hold six
 * sample frames (21 bytes), i.e. 24 ms of stream at 250 Hz: enough to ride out a command answer
 * (info + ack, 53 bytes) without dropping samples. */
#define ATT_FW_TX_SIZE   128u
/* RX ring: a command is 9 bytes on the wire (ATT_WIRE_COMMAND_WIRE); 32 bytes hold three. */
#define ATT_FW_RX_SIZE   32u
/* Sample sets completed by the ADC ISR and not yet framed by the main loop (power of two). */
#define ATT_FW_SET_QUEUE 4u

#endif
