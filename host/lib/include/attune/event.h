/* Events: the one type for everything that happens in a session besides samples — markers,
 * pacer changes, gaps, reconnects, notes, (guides) phase changes, (rooms) partners joining and
 * leaving. The same struct travels from the live session to its sinks, into the raw capture,
 * EDF+ annotations and the session JSON, and back from every reader into struct att_recording,
 * so analysis, the report and replay see what the live session saw.
 *
 * Kinds are stored as numbers in the raw capture: never renumber, only add. */
#ifndef ATT_EVENT_H
#define ATT_EVENT_H

#include <stddef.h>
#include <stdint.h>

#define ATT_EVENT_TEXT_MAX 128u /* bytes kept of an event's text, NUL included */

enum att_event_kind {
	ATT_EV_MARKER = 1,    /* someone marked the moment (space key, OSC); text says what */
	ATT_EV_RECONNECT = 2, /* the device was reconnected; samples may restart their counter */
	ATT_EV_PACER = 3,     /* pacer changed; value = breaths per minute (0 = pacer off) */
	ATT_EV_NOTE = 4,      /* any other timestamped note (text) */
	ATT_EV_GAP = 5,       /* samples went missing; value = how many, before sample_index */
	ATT_EV_PHASE = 6,     /* a guide's phase began; value = its index, text = its name */
	ATT_EV_JOIN = 7,      /* a partner joined a room; text = who */
	ATT_EV_LEAVE = 8,     /* a partner left a room; text = who */
	ATT_EV_GUIDE = 9,     /* a guide: value = enum att_guide_control, text = the guide's name */
};
#define ATT_EV_LAST ATT_EV_GUIDE /* the highest kind a recording keeps */

/* What an ATT_EV_GUIDE says (its value). */
enum att_guide_control {
	ATT_GUIDE_BEGAN = 0,     /* this session began following the guide (before its first
	                            phase); text = its name as recordings and the history know it */
	/* a room's observer steering the guide for everyone (text = its --guide) */
	ATT_GUIDE_CTL_START = 1, /* the guide named in the text, from its first phase, now */
	ATT_GUIDE_CTL_PAUSE = 2,
	ATT_GUIDE_CTL_RESUME = 3,
	ATT_GUIDE_CTL_SKIP = 4, /* to the next phase */
	ATT_GUIDE_CTL_BACK = 5, /* to this phase's start (the previous one within its first 3 s) */
};
/* "began", "start", "pause", "resume", "skip", "back"; "?" for others. Static string; any
 * thread. */
const char *att_guide_control_name(int control);

struct att_event {
	double t;              /* seconds of signal since the session's first sample */
	uint64_t sample_index; /* samples before the event: it sits just before that one */
	int64_t host_ns;       /* CLOCK_MONOTONIC when it happened; 0 when unknown (files) */
	uint8_t kind;          /* enum att_event_kind */
	double value;
	char text[ATT_EVENT_TEXT_MAX]; /* UTF-8, NUL-terminated; may be empty */
};

/* "marker", "reconnect", "pacer", "note", "gap", "phase", "join", "leave", "guide"; "event" for
 * others.
 * Static string; any thread. */
const char *att_event_kind_name(unsigned kind);

/* Short words for ev as the report, replay and EDF+ label it: "pacer 6.0/min", "pacer off",
 * "reconnect", "guide Daily practice" (began), "guide pause (daily)" (an observer's control),
 * else its text, else its kind's name. Any thread. */
void att_event_label(const struct att_event *ev, char *buf, size_t len);

/* Sets ev's text to text (NULL = empty), cut at a UTF-8 character boundary so it stays valid. */
void att_event_set_text(struct att_event *ev, const char *text);

#endif
