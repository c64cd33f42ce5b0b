/* The parts of `attune app` (cmd_app.c): its windows, the board watcher, the end card with its
 * reflection, and the text fields both screens share. Main thread unless said. */
#ifndef ATT_APP_H
#define ATT_APP_H

#include <stddef.h>

#include "view.h"

struct att_app_cfg {
	const char *db; /* the practice database (resolved path) */
	int width, height, fullscreen;
	const char *shots; /* F12 saves the screen here (for the README and tests); NULL = off */
	const char *typed; /* the command as typed, quoted for a shell (att_display_typed) */
};

/* Opens the display and a view for one screen: 0, or 1 after one line on stderr. */
int att_app_window_open(const struct att_app_cfg *cfg, struct att_view **out);
/* Frees the view and ends SDL (the live session opens its own). NULL is a no-op. */
void att_app_window_close(struct att_view *view);
/* F12: the frame just drawn into cfg->shots/NAME.png (NAME-2.png, ... when that exists). */
void att_app_screenshot(struct att_app_cfg *cfg, struct att_view *view, const char *name);

/* Text typed into a field of cap bytes: whole UTF-8 characters only, never cut. */
void att_app_text_add(char *buf, size_t cap, const char *utf8);
void att_app_text_backspace(char *buf);

/* Watches the serial ports from a thread of its own and probes each USB port that appears (and
 * $ATTUNE_SIM_LINK when set) for an attune board; probing opens a port, so a port is probed
 * again only when the set of ports changes. */
struct att_app_board;
int att_app_board_start(struct att_app_board **out); /* ATT_OK or ATT_ERR_NOMEM */
/* 1 with the board's port in path when one answered, else 0; line says what is seen. Any time. */
int att_app_board_get(struct att_app_board *b, char *path, size_t path_len, char *line,
                      size_t line_len);
/* Stops watching (waits for a probe under way, at most a few seconds) and frees. NULL: no-op. */
void att_app_board_stop(struct att_app_board *b);

/* The end card of the session whose NAME.json is json_path, recorded for couple: its result
 * beside the couple's recent sessions, then a reflection for the journal. Returns 0 to go back
 * to the start screen, 1 when the window was closed. */
int att_app_end_card(struct att_app_cfg *cfg, struct att_view *view, const char *couple,
                     const char *json_path);

#endif
