/* The live view under Xvfb, judged from its pixels: screenshots of a generated couple breathing in
 * phase and one breathing in anti-phase, and one with the help key pressed. And, drawn in this
 * process (SDL's dummy video driver, so no display is needed), the status line of a source with a
 * very long name at every width the view supports: its parts never overlap or leave the window.
 *
 * usage: test_view_screens ATTUNE   (skips with 77 when xvfb-run is missing) */
#define _POSIX_C_SOURCE 200809L
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "view_impl.h" /* the view's insides: the status layout */

struct image {
	int w, h;
	unsigned char *px; /* RGB */
};

static int read_png(const char *path, struct image *img)
{
	png_image pi;

	memset(&pi, 0, sizeof pi);
	pi.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(&pi, path))
		return -1;
	pi.format = PNG_FORMAT_RGB;
	img->w = (int)pi.width;
	img->h = (int)pi.height;
	img->px = malloc(PNG_IMAGE_SIZE(pi));
	if (!img->px || !png_image_finish_read(&pi, NULL, img->px, 0, NULL)) {
		png_image_free(&pi);
		free(img->px);
		return -1;
	}
	return 0;
}

static int run(const char *cmd)
{
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Pixels within tol of colour c in the box [x0,x1) x [y0,y1) given as fractions of the image. */
static long count_near(const struct image *im, double x0, double y0, double x1, double y1,
                       unsigned c, int tol)
{
	long n = 0;
	int r = (int)(c >> 16), g = (int)(c >> 8 & 0xff), b = (int)(c & 0xff);
	for (int y = (int)(y0 * im->h); y < (int)(y1 * im->h); y++)
		for (int x = (int)(x0 * im->w); x < (int)(x1 * im->w); x++) {
			const unsigned char *p = im->px + ((size_t)y * im->w + x) * 3;
			if (abs(p[0] - r) <= tol && abs(p[1] - g) <= tol && abs(p[2] - b) <= tol)
				n++;
		}
	return n;
}

/* Mean "green glow" (G minus the mean of R and B, floored at 0) over a box: the shared element
 * that grows when the pair matches is bluish green (#009E73) blended over the background. */
static double greenness(const struct image *im, double x0, double y0, double x1, double y1)
{
	double s = 0.0;
	long n = 0;
	for (int y = (int)(y0 * im->h); y < (int)(y1 * im->h); y++)
		for (int x = (int)(x0 * im->w); x < (int)(x1 * im->w); x++) {
			const unsigned char *p = im->px + ((size_t)y * im->w + x) * 3;
			double e = p[1] - (p[0] + p[2]) / 2.0;
			s += e > 0 ? e : 0;
			n++;
		}
	return n ? s / n : 0.0;
}

/* A model with a 300-character source name (a deep recording path) and, when `problems`, a long
 * sensor line in the middle and a reconnecting source. */
static void long_source_model(struct att_view_model *m, char *source, size_t len, int problems)
{
	size_t n = 0;

	n += (size_t)snprintf(source, len, "/home/therapist/recordings/");
	for (; n < 300 && n + 1 < len; n++)
		source[n] = (char)('a' + n % 26);
	snprintf(source + n - 12, len - (n - 12), "/session.csv");
	memset(m, 0, sizeof *m);
	m->t = 83.0;
	m->source = source;
	m->rate_hz = 250.0;
	m->frames_lost = 0;
	m->audio_off = 1;
	m->have_snapshot = 1;
	if (problems) {
		m->reconnecting = 1;
		m->snap.a.resp_quality = ATT_Q_FLAT;
		m->snap.b.ppg_quality = ATT_Q_SATURATED;
	}
}

/* Lays out the status line of m in a w x h window and checks its parts keep apart, inside it. */
static void check_status_at(const struct att_view_model *m, int w, int h)
{
	static const char *part[] = {"left", "middle", "right"};
	struct att_view_cfg cfg = {.width = w, .height = h, .show_strip = 1};
	struct att_view_status st;
	struct att_view *v;
	char why[256];
	double prev_x1 = 0.0;

	if (att_view_new(&cfg, &v, why, sizeof why) != 0) {
		fprintf(stderr, "%s\n", why);
		CHECK(!"view opens");
		return;
	}
	att_view_render(v, m);
	att_view_status_layout(v, m, w, &st);
	for (int i = 0; i < ATT_STATUS_PARTS; i++) {
		if (st.x1[i] <= st.x0[i])
			continue; /* nothing drawn */
		printf("%dx%d %s [%.0f, %.0f) %s\n", w, h, part[i], st.x0[i], st.x1[i], st.text[i]);
		CHECK(st.x0[i] >= 0.0 && st.x1[i] <= w);
		CHECK(st.x0[i] >= prev_x1 + 4.0); /* a gap, not "lostsensors ok" */
		prev_x1 = st.x1[i];
	}
	/* the clock and recording state always show, and from a laptop width on the source's tail */
	CHECK(st.x1[ATT_STATUS_RIGHT] > st.x0[ATT_STATUS_RIGHT]);
	CHECK(strstr(st.text[ATT_STATUS_RIGHT], "recording") != NULL);
	if (w >= 1024)
		CHECK(strstr(st.text[ATT_STATUS_LEFT], "frames lost") != NULL);
	att_view_free(v);
}

static void status_never_overlaps(void)
{
	static const int sizes[][2] = {{320, 240},  {480, 300},  {640, 400},   {800, 600},
	                               {1024, 640}, {1280, 800}, {1920, 1080}, {2560, 1440}};
	struct att_view_model m;
	char source[400];

	/* a hint, not the environment: the screenshots' attune processes keep using X */
	SDL_SetHint(SDL_HINT_VIDEODRIVER, "dummy");
	if (SDL_VideoInit("dummy") != 0 || TTF_Init() != 0) {
		fprintf(stderr, "cannot start SDL's dummy video (%s)\n", SDL_GetError());
		CHECK(!"SDL starts");
		return;
	}
	for (int problems = 0; problems < 2; problems++) {
		long_source_model(&m, source, sizeof source, problems);
		CHECK(strlen(m.source) == 300);
		for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
			check_status_at(&m, sizes[i][0], sizes[i][1]);
	}
	TTF_Quit();
	SDL_VideoQuit();
}

/* In phase: both colours and a green glow; anti-phase: hardly any green; h: the help panel. */
static void check_screens(const struct image *a, const struct image *b, const struct image *h)
{
	/* both partners' colours in the breath area (the centre third of the window) */
	for (int i = 0; i < 2; i++) {
		const struct image *im = i ? b : a;
		long orange = count_near(im, 0.3, 0.1, 0.7, 0.75, 0xE69F00, 12);
		long blue = count_near(im, 0.3, 0.1, 0.7, 0.75, 0x0072B2, 12);
		printf("%s: orange %ld px, blue %ld px in the breath area\n", i ? "anti" : "in",
		       orange, blue);
		CHECK(orange > 300);
		CHECK(blue > 150);
		/* names: A on the left in orange, B on the right in blue */
		CHECK(count_near(im, 0.0, 0.1, 0.27, 0.75, 0xE69F00, 12) > 50);
		CHECK(count_near(im, 0.73, 0.1, 1.0, 0.75, 0x0072B2, 30) > 50);
	}

	/* the score region (the shared glow and leaves around the rings) differs: green when they
	 * breathe together, hardly any when they breathe against each other */
	{
		double ga = greenness(a, 0.25, 0.08, 0.75, 0.72);
		double gb = greenness(b, 0.25, 0.08, 0.75, 0.72);
		long la = count_near(a, 0.25, 0.08, 0.75, 0.72, 0x009E73, 10);
		long lb = count_near(b, 0.25, 0.08, 0.75, 0.72, 0x009E73, 10);
		printf("greenness in-phase %.2f anti-phase %.2f; leaf pixels %ld vs %ld\n", ga, gb,
		       la, lb);
		CHECK(ga > 1.6 * gb + 0.5);
		CHECK(la > lb + 200);
	}

	/* h shows the help overlay: a panel over the middle of the window */
	{
		long ph = count_near(h, 0.32, 0.35, 0.68, 0.65, 0x1b2127, 8);
		long pa = count_near(a, 0.32, 0.35, 0.68, 0.65, 0x1b2127, 8);
		long area = (long)(0.36 * h->w) * (long)(0.30 * h->h);
		printf("help panel pixels %ld of %ld (without help: %ld)\n", ph, area, pa);
		CHECK(ph > area / 2);
		CHECK(pa < area / 5);
	}
}

int main(int argc, char **argv)
{
	char cmd[2048], dir[] = "/tmp/attune-ui-XXXXXX", in[300], anti[300], help[300];
	const char *xvfb = "xvfb-run -a -s '-screen 0 1280x800x24'";
	const char *common = "--no-audio --size 1280x800 --after 45";
	struct image a = {0}, b = {0}, h = {0};

	if (argc < 2) {
		fprintf(stderr, "usage: test_view_screens ATTUNE\n");
		return 2;
	}
	if (run("command -v xvfb-run >/dev/null 2>&1") != 0) {
		fprintf(stderr, "skip: xvfb-run not installed (apt-get install xvfb xauth)\n");
		return 77;
	}
	if (!mkdtemp(dir))
		return 1;
	status_never_overlaps();
	/* The software renderer: the same pixels on every machine, and no GL driver in the process
	 * (so sanitizer builds see only attune's own memory, plus libdbus, suppressed here). */
	setenv("SDL_RENDER_DRIVER", "software", 1);
	if (getenv("ATTUNE_SOURCE")) {
		char supp[600];
		snprintf(supp, sizeof supp,
		         "print_suppressions=0:suppressions=%s/tests/ui/lsan.supp",
		         getenv("ATTUNE_SOURCE"));
		setenv("LSAN_OPTIONS", supp, 0);
	}
	snprintf(in, sizeof in, "%s/in-phase.png", dir);
	snprintf(anti, sizeof anti, "%s/anti-phase.png", dir);
	snprintf(help, sizeof help, "%s/help.png", dir);

	snprintf(cmd, sizeof cmd, "%s %s live --synthetic in-phase %s --screenshot %s", xvfb,
	         argv[1], common, in);
	CHECK(run(cmd) == 0);
	snprintf(cmd, sizeof cmd, "%s %s live --synthetic anti-phase %s --screenshot %s", xvfb,
	         argv[1], common, anti);
	CHECK(run(cmd) == 0);
	snprintf(cmd, sizeof cmd, "%s %s live --synthetic in-phase %s --press h --screenshot %s",
	         xvfb, argv[1], common, help);
	CHECK(run(cmd) == 0);
	if (read_png(in, &a) || read_png(anti, &b) || read_png(help, &h)) {
		fprintf(stderr, "cannot read the screenshots in %s\n", dir);
		return 1;
	}
	CHECK(a.w == 1280 && a.h == 800);

	check_screens(&a, &b, &h);
	free(a.px);
	free(b.px);
	free(h.px);
	if (!att_check_failures) {
		remove(in);
		remove(anti);
		remove(help);
		rmdir(dir);
	} else {
		fprintf(stderr, "screenshots kept in %s\n", dir);
	}
	return att_check_done("view_screens");
}
