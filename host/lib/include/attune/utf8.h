/* UTF-8 text as attune keeps it: names and notes are checked when they come in, never cut inside
 * a character, and never written out invalid (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF).
 *
 * Threads: any; no state. */
#ifndef ATT_UTF8_H
#define ATT_UTF8_H

#include <stddef.h>

/* Length in bytes of the valid UTF-8 character at s (n bytes available), or 0 when the bytes
 * there are not one. */
size_t att_utf8_char(const char *s, size_t n);

/* 1 when the NUL-terminated s is valid UTF-8. */
int att_utf8_valid(const char *s);

/* How many bytes of s fit in a buffer of cap bytes (NUL included) without cutting a character. */
size_t att_utf8_fit(const char *s, size_t cap);

/* s in plain ASCII for fields that allow nothing else (EDF headers): Latin letters lose their
 * accents (Björn -> Bjorn, Łukasz -> Lukasz, ß -> ss), other characters become '?', and spaces
 * become space_as. Writes at most cap - 1 bytes and a NUL into out. */
void att_utf8_to_ascii(const char *s, char space_as, char *out, size_t cap);

#endif
