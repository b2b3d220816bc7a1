/* The one growable text buffer. A failed allocation is sticky: every later
 * append is a no-op and strbuf_finish() reports it, so a caller checks once
 * at the end instead of after every append, and never hands out a text that
 * was silently cut short. */
#ifndef PHX_STRBUF_H
#define PHX_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *s;     /* NUL-terminated once anything was appended */
	size_t len;
	size_t cap;
	bool failed; /* an allocation failed: the contents are incomplete */
};

#define STRBUF_INIT { NULL, 0, 0, false }

void strbuf_add(struct strbuf *b, const char *s, size_t n);
void strbuf_adds(struct strbuf *b, const char *s);
void strbuf_addf(struct strbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *b, const char *fmt, va_list ap);
/* n copies of s (indentation, padding). */
void strbuf_repeat(struct strbuf *b, const char *s, size_t n);

/* Hand over the text (an empty string when nothing was added) and its
 * length. Returns 0, or -ENOMEM (and frees) when any append failed. */
int strbuf_finish(struct strbuf *b, char **out, size_t *len);
void strbuf_release(struct strbuf *b);

#endif
