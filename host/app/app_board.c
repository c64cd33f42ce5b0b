/* The start screen's board watcher (app.h): a thread lists the serial ports twice a second and
 * probes the USB ones when the list changes, so plugging the board in while the screen is shown
 * is noticed, and a board is not reset by probing it over and over. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "app.h"
#include "cmd.h"
#include "attune/err.h"
#include "attune/serial_port.h"

#define MAX_PORTS 64
#define LIST_MAX  4096

struct att_app_board {
	pthread_t thread;
	atomic_int stop;
	pthread_mutex_t mu;
	int found;
	char path[256], line[600];
	/* the watcher's own */
	struct att_serial_port_info ports[MAX_PORTS];
	char list[LIST_MAX], probed[LIST_MAX];
};

static void publish(struct att_app_board *b, int found, const char *path, const char *line)
{
	pthread_mutex_lock(&b->mu);
	b->found = found;
	snprintf(b->path, sizeof b->path, "%s", path);
	snprintf(b->line, sizeof b->line, "%s", line);
	pthread_mutex_unlock(&b->mu);
}

/* The ports worth probing, one per line into list: USB serial ports, then the simulated
 * board's link when $ATTUNE_SIM_LINK names one that exists. */
static void candidates(struct att_app_board *b, char *list, size_t len)
{
	struct att_serial_port_info *ports = b->ports;
	const char *sim = getenv("ATTUNE_SIM_LINK");
	size_t n = 0, used = 0;
	struct stat st;

	list[0] = 0;
	if (att_serial_list(ports, MAX_PORTS, &n) != ATT_OK)
		n = 0;
	for (size_t i = 0; i < n; i++)
		if (ports[i].usb && used + strlen(ports[i].path) + 2 < len)
			used += (size_t)snprintf(list + used, len - used, "%s\n", ports[i].path);
	if (sim && sim[0] && stat(sim, &st) == 0 && used + strlen(sim) + 2 < len)
		snprintf(list + used, len - used, "%s\n", sim);
}

static void probe_all(struct att_app_board *b, const char *list)
{
	char path[256], what[448], line[600], first[600] = "";
	const char *p = list;

	if (!*p) {
		publish(b, 0, "", "no board found: plug it in");
		return;
	}
	publish(b, 0, "", "looking for the board\xe2\x80\xa6");
	while (*p && !atomic_load(&b->stop)) {
		const char *nl = strchr(p, '\n');
		size_t k = (size_t)(nl - p);
		snprintf(path, sizeof path, "%.*s", (int)(k < sizeof path ? k : sizeof path - 1), p);
		p = nl + 1;
		if (att_port_probe(path, strstr(path, "/dev/tty") ? 2000 : 0, what, sizeof what) ==
		    ATT_OK) {
			snprintf(line, sizeof line, "board on %.200s: %.300s", path, what);
			publish(b, 1, path, line);
			return;
		}
		if (!first[0])
			snprintf(first, sizeof first, "no attune board: %.200s is %.300s", path, what);
	}
	publish(b, 0, "", first[0] ? first : "no board found");
}

static void *watch(void *arg)
{
	struct att_app_board *b = arg;
	int first = 1;

	while (!atomic_load(&b->stop)) {
		candidates(b, b->list, sizeof b->list);
		if (first || strcmp(b->list, b->probed)) {
			probe_all(b, b->list);
			memcpy(b->probed, b->list, sizeof b->probed);
			first = 0;
		}
		nanosleep(&(struct timespec){0, 500000000L}, NULL);
	}
	return NULL;
}

int att_app_board_start(struct att_app_board **out)
{
	struct att_app_board *b = calloc(1, sizeof *b);

	*out = NULL;
	if (!b)
		return ATT_ERR_NOMEM;
	pthread_mutex_init(&b->mu, NULL);
	snprintf(b->line, sizeof b->line, "looking for the board\xe2\x80\xa6");
	if (pthread_create(&b->thread, NULL, watch, b) != 0) {
		pthread_mutex_destroy(&b->mu);
		free(b);
		return ATT_ERR_NOMEM;
	}
	*out = b;
	return ATT_OK;
}

int att_app_board_get(struct att_app_board *b, char *path, size_t path_len, char *line,
                      size_t line_len)
{
	int found;

	pthread_mutex_lock(&b->mu);
	found = b->found;
	snprintf(path, path_len, "%s", b->path);
	snprintf(line, line_len, "%s", b->line);
	pthread_mutex_unlock(&b->mu);
	return found;
}

void att_app_board_stop(struct att_app_board *b)
{
	if (!b)
		return;
	atomic_store(&b->stop, 1);
	pthread_join(b->thread, NULL);
	pthread_mutex_destroy(&b->mu);
	free(b);
}
