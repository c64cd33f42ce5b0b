/* Events (event.h). */
#include "attune/event.h"

#include <stdio.h>
#include <string.h>

#include "attune/utf8.h"

const char *att_event_kind_name(unsigned kind)
{
	static const char *const names[] = {
	        [ATT_EV_MARKER] = "marker", [ATT_EV_RECONNECT] = "reconnect",
	        [ATT_EV_PACER] = "pacer",   [ATT_EV_NOTE] = "note",
	        [ATT_EV_GAP] = "gap",       [ATT_EV_PHASE] = "phase",
	        [ATT_EV_JOIN] = "join",     [ATT_EV_LEAVE] = "leave",
	        [ATT_EV_GUIDE] = "guide",
	};
	return kind < sizeof names / sizeof names[0] && names[kind] ? names[kind] : "event";
}

const char *att_guide_control_name(int control)
{
	static const char *const names[] = {
	        [ATT_GUIDE_BEGAN] = "began",     [ATT_GUIDE_CTL_START] = "start",
	        [ATT_GUIDE_CTL_PAUSE] = "pause",
	        [ATT_GUIDE_CTL_RESUME] = "resume", [ATT_GUIDE_CTL_SKIP] = "skip",
	        [ATT_GUIDE_CTL_BACK] = "back",
	};
	return control >= 0 && control < (int)(sizeof names / sizeof names[0]) ? names[control] : "?";
}

void att_event_label(const struct att_event *ev, char *buf, size_t len)
{
	if (!buf || !len)
		return;
	if (ev->kind == ATT_EV_PACER && ev->value > 0)
		snprintf(buf, len, "pacer %.1f/min", ev->value);
	else if (ev->kind == ATT_EV_PACER)
		snprintf(buf, len, "pacer off");
	else if (ev->kind == ATT_EV_RECONNECT) /* the text only says the device came back */
		snprintf(buf, len, "reconnect");
	else if (ev->kind == ATT_EV_GUIDE && (int)ev->value == ATT_GUIDE_BEGAN)
		snprintf(buf, len, "guide %s", ev->text);
	else if (ev->kind == ATT_EV_GUIDE)
		snprintf(buf, len, "guide %s%s%s%s", att_guide_control_name((int)ev->value),
		         ev->text[0] ? " (" : "", ev->text, ev->text[0] ? ")" : "");
	else
		snprintf(buf, len, "%s", ev->text[0] ? ev->text : att_event_kind_name(ev->kind));
}

void att_event_set_text(struct att_event *ev, const char *text)
{
	size_t n = att_utf8_fit(text, sizeof ev->text); /* no character cut in half */
	if (n)
		memcpy(ev->text, text, n);
	ev->text[n] = 0;
}
