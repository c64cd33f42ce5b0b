/* Session export and analysis of a 1-hour session, the recording issue's benchmark: a generated
 * 4-channel 250 Hz session (the demo's story couple, with markers and pacer changes) exported
 * to EDF+ by the recorder's writer, then the EDF+ file through `attune analyze --json` and
 * `attune report -o .png / .pdf` as a user runs them, then the report's own stages in process.
 *
 *   bench_session ATTUNE [--minutes M] [--runs N] [--keep DIR]
 *
 * Prints wall time of each step (median and min over N runs of the commands), CPU time and peak
 * memory (max RSS of the child process), file sizes. --keep writes the files into DIR and leaves
 * them there (to look at the page); otherwise a temporary directory is removed. */
#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "attune/analysis.h"
#include "attune/couple.h"
#include "attune/record_edf.h"
#include "attune/record_raw.h"
#include "attune/recorder.h"
#include "attune/report.h"

#define RATE     250u
#define MAX_RUNS 15

extern char **environ;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static long long file_size(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 ? (long long)sb.st_size : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct run {
	double wall, cpu, rss_mb;
};

/* Runs argv with stdout to out_path (NULL: /dev/null); wall time, child CPU and max RSS. */
static int spawn(char *const argv[], const char *out_path, struct run *r)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_path ? out_path : "/dev/null",
	                                 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	pid_t pid;
	double t = now_s();
	int e = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e) {
		fprintf(stderr, "bench_session: cannot run %s: %s\n", argv[0], strerror(e));
		return -1;
	}
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0)
		return -1;
	r->wall = now_s() - t;
	r->cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
	         (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
	r->rss_mb = (double)ru.ru_maxrss / 1024.0;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bench_session: %s %s failed (status %d)\n", argv[0], argv[1],
		        status);
		return -1;
	}
	return 0;
}

static int bench_cmd(const char *label, char *const argv[], const char *out_path, int runs,
                     double session_s)
{
	double wall[MAX_RUNS], cpu = 0, rss = 0;
	for (int i = 0; i < runs; i++) {
		struct run r;
		if (spawn(argv, out_path, &r))
			return -1;
		wall[i] = r.wall;
		cpu += r.cpu / runs;
		rss = fmax(rss, r.rss_mb);
	}
	qsort(wall, (size_t)runs, sizeof wall[0], cmp_double);
	double med = runs % 2 ? wall[runs / 2] : (wall[runs / 2 - 1] + wall[runs / 2]) / 2;
	printf("%-34s wall median %6.2f s (min %5.2f, %d runs) = %5.0fx real time, CPU %5.2f s, "
	       "max RSS %5.0f MB\n",
	       label, med, wall[0], runs, session_s / med, cpu, rss);
	return 0;
}

/* The demo's story couple as the device would have sent it (10-bit counts, 5 V reference),
 * with what a therapist does during a session: a marker every 10 minutes, the pacer switched
 * on at 20 min and off at 35 min. */
static struct att_capture *make_session(double minutes)
{
	struct att_capture *s = calloc(1, sizeof *s);
	struct att_couple_cfg cc = {RATE, ATT_COUPLE_STORY, 3};
	struct att_couple *c = NULL;
	size_t n = (size_t)(minutes * 60 * RATE);
	if (!s || !(s->samples = malloc(n * sizeof *s->samples)) ||
	    !(s->events = calloc(16, sizeof *s->events)) || att_couple_new(&cc, &c)) {
		att_capture_free(s);
		return NULL;
	}
	s->info.channels = 4;
	s->info.adc_bits = 10;
	s->info.rate_hz = RATE;
	s->info.vref_mv = 5000;
	s->meta.start_unix_ns = 1764000000LL * 1000000000LL;
	s->meta.start_host_ns = 0;
	snprintf(s->meta.label_a, sizeof s->meta.label_a, "Anna");
	snprintf(s->meta.label_b, sizeof s->meta.label_b, "Ben");
	snprintf(s->meta.note, sizeof s->meta.note, "benchmark session (generated story couple)");
	for (size_t i = 0; i < n; i++) {
		float v[4];
		att_couple_next(c, v);
		s->samples[i].host_ns = (int64_t)i * (1000000000LL / RATE);
		s->samples[i].counter = (uint32_t)i;
		s->samples[i].flags = 0;
		for (int ch = 0; ch < 4; ch++)
			s->samples[i].ch[ch] =
			        (uint16_t)lrintf(fminf(fmaxf(v[ch], 0), 5) / 5.0f * 1023.0f);
	}
	att_couple_free(c);
	s->n_samples = n;
	for (double m = 10; m < minutes && s->n_events < 12; m += 10) {
		struct att_event *e = &s->events[s->n_events++];
		e->sample_index = (uint64_t)(m * 60 * RATE);
		e->host_ns = (int64_t)(m * 60e9);
		e->kind = ATT_EV_MARKER;
		snprintf(e->text, sizeof e->text, "minute %.0f", m);
	}
	for (int k = 0; k < 2 && minutes > 36; k++) {
		struct att_event *e = &s->events[s->n_events++];
		e->sample_index = (uint64_t)((k ? 35 : 20) * 60 * RATE);
		e->host_ns = (int64_t)((k ? 35 : 20) * 60e9);
		e->kind = ATT_EV_PACER;
		e->value = k ? 0 : 6;
	}
	/* events in recording order, as a capture holds them */
	for (size_t i = 1; i < s->n_events; i++)
		for (size_t j = i;
		     j > 0 && s->events[j].sample_index < s->events[j - 1].sample_index; j--) {
			struct att_event t = s->events[j];
			s->events[j] = s->events[j - 1];
			s->events[j - 1] = t;
		}
	s->clean_end = 1;
	return s;
}

int main(int argc, char **argv)
{
	const char *attune = NULL, *keep = NULL;
	double minutes = 60;
	int runs = 3;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--minutes") && i + 1 < argc)
			minutes = atof(argv[++i]);
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--keep") && i + 1 < argc)
			keep = argv[++i];
		else
			attune = argv[i];
	}
	if (!attune || !(minutes >= 1) || runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr,
		        "usage: bench_session ATTUNE [--minutes M >= 1] [--runs 1-%d] "
		        "[--keep DIR]\n",
		        MAX_RUNS);
		return 2;
	}
	char dir[300], edf[400], json[400], png[400], pdf[400], why[512];
	if (keep) {
		snprintf(dir, sizeof dir, "%s", keep);
		if (mkdir(dir, 0755) && errno != EEXIST) {
			fprintf(stderr, "bench_session: cannot create %s: %s\n", dir,
			        strerror(errno));
			return 1;
		}
	} else {
		const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
		snprintf(dir, sizeof dir, "%s/att_bench_session_XXXXXX", tmp);
		if (!mkdtemp(dir)) {
			fprintf(stderr, "bench_session: cannot create a directory in %s\n", tmp);
			return 1;
		}
	}
	snprintf(edf, sizeof edf, "%s/session.edf", dir);
	snprintf(json, sizeof json, "%s/session.json", dir);
	snprintf(png, sizeof png, "%s/session.png", dir);
	snprintf(pdf, sizeof pdf, "%s/session.pdf", dir);
	remove(edf);

	double t = now_s();
	struct att_capture *s = make_session(minutes);
	if (!s) {
		fprintf(stderr, "bench_session: out of memory generating the session\n");
		return 1;
	}
	double session_s = (double)s->n_samples / RATE;
	printf("session: %.0f min, 4 channels at %u Hz, %zu samples, %zu events; generated in %.2f s\n",
	       minutes, RATE, s->n_samples, s->n_events, now_s() - t);

	/* 1. EDF+ export: the recorder's writer (grid, then att_edf_write, fsync and rename) */
	t = now_s();
	struct att_grid *g = NULL;
	int e = att_grid_new(s, 3600, &g);
	double t_grid = now_s() - t;
	if (!e)
		e = att_edf_write(edf, s, g, NULL, why, sizeof why);
	double t_edf = now_s() - t;
	att_grid_free(g);
	att_capture_free(s);
	if (e) {
		fprintf(stderr, "bench_session: EDF+ export: %s\n", why);
		return 1;
	}
	printf("%-34s wall %6.2f s (grid %.2f s) = %5.0fx real time, %lld bytes\n",
	       "1. EDF+ export (att_edf_write)", t_edf, t_grid, session_s / t_edf, file_size(edf));

	/* 2-4. the commands a user runs on that file */
	char *analyze_argv[] = {(char *)attune, "analyze", edf, "--json", NULL};
	char *png_argv[] = {(char *)attune, "report", edf, "-o", png, NULL};
	char *pdf_argv[] = {(char *)attune, "report", edf, "-o", pdf, NULL};
	if (bench_cmd("2. attune analyze EDF --json", analyze_argv, json, runs, session_s) ||
	    bench_cmd("3. attune report EDF -o PNG", png_argv, NULL, runs, session_s) ||
	    bench_cmd("4. attune report EDF -o PDF", pdf_argv, NULL, runs, session_s))
		return 1;
	printf("   sizes: JSON %lld bytes, PNG %lld bytes, PDF %lld bytes\n", file_size(json),
	       file_size(png), file_size(pdf));

	/* 5. where the report's time goes, in process */
	struct att_recording *rec = NULL;
	struct att_analysis *an = NULL;
	struct att_analysis_cfg acfg = {0};
	double t0 = now_s();
	if (att_edf_read(edf, &rec, why, sizeof why)) {
		fprintf(stderr, "bench_session: reading the EDF+: %s\n", why);
		return 1;
	}
	double t1 = now_s();
	if (att_analyze(&acfg, rec, &an, why, sizeof why)) {
		fprintf(stderr, "bench_session: analysis: %s\n", why);
		return 1;
	}
	double t2 = now_s();
	struct att_report_info info = {
	        .file_name = "session.edf", .frames_lost = 0, .version = "bench"};
	char page[420];
	snprintf(page, sizeof page, "%s/inproc.png", dir);
	struct att_report_cfg pc = {.format = ATT_REPORT_PNG};
	e = att_report_write(&pc, rec, an, &info, page, why, sizeof why);
	double t3 = now_s();
	snprintf(page, sizeof page, "%s/inproc.pdf", dir);
	pc.format = ATT_REPORT_PDF;
	if (!e)
		e = att_report_write(&pc, rec, an, &info, page, why, sizeof why);
	double t4 = now_s();
	att_analysis_free(an);
	att_recording_free(rec);
	if (e) {
		fprintf(stderr, "bench_session: drawing: %s\n", why);
		return 1;
	}
	printf("5. report stages in process: read EDF+ %.2f s, analysis %.2f s, draw PNG %.2f s, "
	       "draw PDF %.2f s\n",
	       t1 - t0, t2 - t1, t3 - t2, t4 - t3);
	if (keep) {
		printf("files kept in %s\n", dir);
	} else {
		const char *names[] = {edf, json, png, pdf};
		for (size_t i = 0; i < 4; i++)
			remove(names[i]);
		snprintf(page, sizeof page, "%s/inproc.png", dir);
		remove(page);
		snprintf(page, sizeof page, "%s/inproc.pdf", dir);
		remove(page);
		rmdir(dir);
	}
	return 0;
}
