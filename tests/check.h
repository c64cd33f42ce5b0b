/* Minimal test harness: CHECK records a failure and goes on, so one run reports every broken
 * behaviour; att_check_done() turns the tally into the exit code meson reads. */
#ifndef ATT_CHECK_H
#define ATT_CHECK_H

#include <math.h>
#include <stdio.h>

static int att_check_failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
			att_check_failures++;                                                      \
		}                                                                                  \
	} while (0)

#define CHECK_NEAR(got, want, tol)                                                                 \
	do {                                                                                       \
		double got_ = (got), want_ = (want);                                               \
		if (!(fabs(got_ - want_) <= (tol))) {                                              \
			fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %g, want %g +- %g\n",      \
			        __FILE__, __LINE__, #got, got_, want_, (double)(tol));             \
			att_check_failures++;                                                      \
		}                                                                                  \
	} while (0)

static inline int att_check_done(const char *suite)
{
	if (att_check_failures)
		fprintf(stderr, "%s: %d check(s) failed\n", suite, att_check_failures);
	else
		printf("%s: all checks passed\n", suite);
	return att_check_failures ? 1 : 0;
}

#endif
