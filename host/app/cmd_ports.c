/* attune ports: the serial ports of this computer (libserialport's list), with their USB
 * description, each USB port probed with identify to mark the attune boards; plus the simulated
 * board's link when it exists. Probing opens the port, which resets an Uno/Nano: that is why it
 * waits for the bootloader, and why --no-probe exists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "attune/decoder.h"
#include "attune/device.h"
#include "attune/serial_port.h"

#define SIM_LINK  "/tmp/attune-sim" /* attune-simboard's default --link; ATTUNE_SIM_LINK overrides */
#define MAX_PORTS 64

static void usage(FILE *to)
{
	fprintf(to,
	        "usage: attune ports [--no-probe]\n"
	        "\n"
	        "Lists serial ports (USB description, vendor:product id) and marks the ones running the\n"
	        "attune firmware. Probing opens each USB port, which resets an Arduino Uno/Nano (about\n"
	        "2 s per board). Also lists the simulated board at " SIM_LINK " when it runs\n"
	        "(another --link path: set ATTUNE_SIM_LINK).\n"
	        "  --no-probe   list only; do not open the ports\n");
}

int att_port_probe(const char *path, int reset_wait_ms, char *out, size_t len)
{
	struct att_serial_port *p = NULL;
	struct att_decoder *dec = NULL;
	struct att_wire_info info;
	char why[384];
	int rc = att_serial_port_open(path, ATT_SERIAL_AUTO, &p, why, sizeof why);

	if (rc == ATT_OK)
		rc = att_decoder_new(&dec);
	if (rc == ATT_OK)
		(void)att_serial_port_flush_input(p);
	if (rc == ATT_OK)
		rc = att_device_identify(p, dec, path, reset_wait_ms, NULL, &info, why, sizeof why,
		                         NULL, NULL);
	if (rc == ATT_OK)
		snprintf(out, len, "attune firmware %u.%u.%u, %u channels at %u Hz%s",
		         info.fw_major, info.fw_minor, info.fw_patch, info.channels, info.rate_hz,
		         info.streaming ? " (streaming)" : "");
	else if (rc == ATT_ERR_NOT_ATTUNE)
		snprintf(out, len, "not attune firmware (no answer)");
	else if (rc == ATT_ERR_BUSY)
		snprintf(out, len, "in use by another program");
	else if (rc == ATT_ERR_PERMISSION)
		snprintf(out, len, "no permission (join the dialout group)");
	else
		snprintf(out, len, "%s", why[0] ? why : att_strerror(rc));
	if (p && rc == ATT_OK)
		(void)att_device_stop(p, NULL, 0);
	att_decoder_free(dec);
	att_serial_port_close(p);
	return rc;
}

int att_cmd_ports(int argc, char **argv)
{
	static struct att_serial_port_info ports[MAX_PORTS];
	size_t n = 0;
	int do_probe = 1, rc;
	char what[448], target[256];
	struct stat st;
	const char *sim = getenv("ATTUNE_SIM_LINK");

	if (!sim || !sim[0])
		sim = SIM_LINK;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--no-probe")) {
			do_probe = 0;
		} else {
			fprintf(stderr,
			        "attune ports: unknown option '%s'; see attune ports --help\n",
			        argv[i]);
			return 2;
		}
	}
	rc = att_serial_list(ports, MAX_PORTS, &n);
	if (rc != ATT_OK) {
		fprintf(stderr, "attune ports: cannot list the serial ports (is /sys mounted?)\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct att_serial_port_info *p = &ports[i];
		char usb[160] = "";
		if (p->usb)
			snprintf(usb, sizeof usb, " [USB %04x:%04x%s%s%s%s]", p->vid, p->pid,
			         p->manufacturer[0] ? " " : "", p->manufacturer,
			         p->product[0] ? " " : "", p->product);
		if (!do_probe)
			snprintf(what, sizeof what, "not probed");
		else if (!p->usb)
			snprintf(what, sizeof what, "not probed (not a USB port)");
		else
			(void)att_port_probe(p->path, 2000, what, sizeof what);
		printf("%-16s %s%s  -- %s\n", p->path,
		       p->description[0] ? p->description : "serial port", usb, what);
	}
	/* anyone can put something at /tmp/attune-sim: only a link of ours is the simulator (its
	 * simboard, finding the name taken, said where its own link went) */
	if (lstat(sim, &st) == 0 && S_ISLNK(st.st_mode) && st.st_uid == geteuid()) {
		ssize_t k = readlink(sim, target, sizeof target - 1);
		target[k > 0 ? k : 0] = 0;
		if (stat(sim, &st) != 0)
			snprintf(what, sizeof what, "stale link (the simulator is not running)");
		else if (!do_probe)
			snprintf(what, sizeof what, "not probed");
		else
			(void)att_port_probe(sim, 0, what, sizeof what);
		printf("%-16s simulated board (attune-simboard)%s%s  -- %s\n", sim,
		       target[0] ? " -> " : "", target, what);
		n++;
	}
	if (n == 0)
		printf("no serial ports found: plug in the board (or start attune-simboard for the "
		       "simulated one)\n");
	return 0;
}
