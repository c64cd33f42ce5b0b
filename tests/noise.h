/* Deterministic test noise: xorshift64* uniforms and Box-Muller normals. Each test keeps its own
 * state (its seed), so its signals are the same on every run. */
#ifndef ATT_TEST_NOISE_H
#define ATT_TEST_NOISE_H

#include <math.h>
#include <stdint.h>

static inline double att_uniform(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return (double)((*state * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static inline double att_gauss(uint64_t *state)
{
	double u = att_uniform(state), v = att_uniform(state);
	return sqrt(-2 * log(u + 1e-300)) * cos(2 * 3.14159265358979323846 * v);
}

#endif
