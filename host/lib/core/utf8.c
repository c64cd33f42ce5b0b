/* UTF-8 text (utf8.h). */
#include "attune/utf8.h"

#include <string.h>

size_t att_utf8_char(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	size_t len;

	if (!n)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		len = 2, cp = p[0] & 0x1Fu;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF)
		len = 3, cp = p[0] & 0x0Fu;
	else if (p[0] >= 0xF0 && p[0] <= 0xF4)
		len = 4, cp = p[0] & 0x07u;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3Fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0; /* overlong, beyond Unicode, or a surrogate */
	return len;
}

int att_utf8_valid(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n;) {
		size_t l = att_utf8_char(s + i, n - i);
		if (!l)
			return 0;
		i += l;
	}
	return 1;
}

size_t att_utf8_fit(const char *s, size_t cap)
{
	size_t n = s ? strlen(s) : 0, used = 0;

	if (!cap)
		return 0;
	while (used < n) {
		size_t l = att_utf8_char(s + used, n - used);
		if (!l)
			l = 1; /* an invalid byte stands for itself */
		if (used + l > cap - 1)
			break;
		used += l;
	}
	return used;
}

/* U+00C0..U+017F (Latin-1 Supplement letters and Latin Extended-A) without their marks:
 * Unicode's canonical decompositions, plus the letters that have none (Ø, Ł, Đ, ß, Æ, Œ, ...). */
static const char *const latin[0x180 - 0xC0] = {
        "A", "A", "A",  "A",  "A", "A", "AE", "C", "E", "E", "E", "E", "I", "I", "I",  "I",
        "D", "N", "O",  "O",  "O", "O", "O",  "x", "O", "U", "U", "U", "U", "Y", "Th", "ss",
        "a", "a", "a",  "a",  "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
        "d", "n", "o",  "o",  "o", "o", "o",  "/", "o", "u", "u", "u", "u", "y", "th", "y",
        "A", "a", "A",  "a",  "A", "a", "C",  "c", "C", "c", "C", "c", "C", "c", "D",  "d",
        "D", "d", "E",  "e",  "E", "e", "E",  "e", "E", "e", "E", "e", "G", "g", "G",  "g",
        "G", "g", "G",  "g",  "H", "h", "H",  "h", "I", "i", "I", "i", "I", "i", "I",  "i",
        "I", "i", "IJ", "ij", "J", "j", "K",  "k", "k", "L", "l", "L", "l", "L", "l",  "L",
        "l", "L", "l",  "N",  "n", "N", "n",  "N", "n", "n", "N", "n", "O", "o", "O",  "o",
        "O", "o", "OE", "oe", "R", "r", "R",  "r", "R", "r", "S", "s", "S", "s", "S",  "s",
        "S", "s", "T",  "t",  "T", "t", "T",  "t", "U", "u", "U", "u", "U", "u", "U",  "u",
        "U", "u", "U",  "u",  "W", "w", "Y",  "y", "Y", "Z", "z", "Z", "z", "Z", "z",  "s",
};

void att_utf8_to_ascii(const char *s, char space_as, char *out, size_t cap)
{
	size_t n = strlen(s), o = 0;

	if (!cap)
		return;
	for (size_t i = 0; i < n && o + 1 < cap;) {
		size_t l = att_utf8_char(s + i, n - i);
		const unsigned char *p = (const unsigned char *)s + i;
		const char *rep = "?";
		char one[2] = {0, 0};
		if (l == 1 && p[0] >= 0x20 && p[0] < 0x7F) {
			one[0] = p[0] == ' ' ? space_as : (char)p[0];
			rep = one;
		} else if (l == 2) {
			unsigned long cp = (p[0] & 0x1Fu) << 6 | (p[1] & 0x3Fu);
			if (cp >= 0xC0 && cp < 0x180)
				rep = latin[cp - 0xC0];
		}
		for (size_t k = 0; rep[k] && o + 1 < cap; k++)
			out[o++] = rep[k];
		i += l ? l : 1;
	}
	out[o] = 0;
}
