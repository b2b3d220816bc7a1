#include "backend/schema_prefix.h"

#include <ctype.h>
#include <string.h>

/* The token of a one-word value: leading white space skipped; the token
 * ends at white space, after which only white space may follow (the value
 * is trimmed, and one word cannot hold a space). Returns false when
 * something follows the token. */
static bool one_token(const char *s, size_t len, const char **tok, size_t *tlen)
{
	size_t i = 0, start;

	while (i < len && isspace((unsigned char)s[i]))
		i++;
	start = i;
	while (i < len && !isspace((unsigned char)s[i]))
		i++;
	*tok = s + start;
	*tlen = i - start;
	for (; i < len; i++)
		if (!isspace((unsigned char)s[i]))
			return false;
	return true;
}

static bool chars_in(const char *s, size_t n, bool (*ok)(int c))
{
	for (size_t i = 0; i < n; i++)
		if (!ok((unsigned char)s[i]))
			return false;
	return true;
}

static bool host_char(int c) { return isalnum(c) || c == '-' || c == '.'; }
static bool label_char(int c) { return isalnum(c) || c == '-'; }
static bool storage_char(int c) { return isalnum(c) || c == '-' || c == '_' || c == '.'; }
static bool snap_char(int c) { return isalnum(c) || c == '-' || c == '_'; }
static bool addr_char(int c) { return isxdigit(c) || c == ':' || c == '.' || c == '/'; }
static bool sep_char(int c) { return c == ' ' || c == ',' || c == ';' || c == '\t'; }
static bool addrlist_char(int c) { return addr_char(c) || sep_char(c) || c == '\n'; }
static bool dnslist_char(int c) { return host_char(c) || sep_char(c) || c == '\n'; }

/* "12" may still become 120; 1234 in 100..999 cannot; a leading 0 before
 * another digit never parses; a sign only where negatives are allowed. */
static bool int_dead(const struct phx_attr *a, const char *t, size_t n)
{
	bool neg = false;
	unsigned long long v = 0;
	size_t i = 0;

	if (n > 0 && t[0] == '-') {
		if (a->type == PHX_T_CTID || a->min >= 0)
			return true;
		neg = true;
		i = 1;
	}
	if (i < n && t[i] == '0' && n > i + 1)
		return true;
	for (; i < n; i++) {
		if (!isdigit((unsigned char)t[i]))
			return true;
		if (v > 1000000000000000000ULL)
			return true; /* past every range of the table */
		v = v * 10 + (unsigned long long)(t[i] - '0');
	}
	if (!neg && a->max >= 0 && v > (unsigned long long)a->max)
		return true;
	if (neg && v > (unsigned long long)(-a->min))
		return true;
	return false;
}

static bool prefix_of_any(const char *t, size_t n, const char *const *words)
{
	for (; *words; words++)
		if (n <= strlen(*words) && memcmp(t, *words, n) == 0)
			return true;
	return false;
}

/* XX:XX:XX:XX:XX:XX, cut anywhere */
static bool mac_dead(const char *t, size_t n)
{
	if (n > 17)
		return true;
	for (size_t i = 0; i < n; i++)
		if (i % 3 == 2 ? t[i] != ':' : !isxdigit((unsigned char)t[i]))
			return true;
	return false;
}

bool phx_attr_prefix_dead(const struct phx_attr *a, const char *text, size_t len)
{
	static const char *const bools[] = { "true", "false", "1", "0", NULL };
	const char *t;
	size_t n;

	if (!a)
		return false;
	if (memchr(text, '\0', len))
		return true; /* no value of any type holds a NUL */
	switch (a->type) {
	case PHX_T_CTID:
	case PHX_T_INT:
	case PHX_T_BOOL:
	case PHX_T_HOSTNAME:
	case PHX_T_NODE:
	case PHX_T_STORAGE:
	case PHX_T_MAC:
	case PHX_T_SNAPNAME:
		if (!one_token(text, len, &t, &n))
			return true;
		break;
	case PHX_T_STRING: {
		/* one line: a newline may only end it */
		const char *nl = memchr(text, '\n', len);

		if (!nl)
			return false;
		for (const char *p = nl; p < text + len; p++)
			if (!isspace((unsigned char)*p))
				return true;
		return false;
	}
	case PHX_T_ADDRLIST:
		return !chars_in(text, len, addrlist_char);
	case PHX_T_DNSLIST:
		return !chars_in(text, len, dnslist_char);
	default:
		return false; /* JSON and templates: the tokener and the close decide */
	}
	switch (a->type) {
	case PHX_T_CTID:
	case PHX_T_INT:
		return int_dead(a, t, n);
	case PHX_T_BOOL:
		return !prefix_of_any(t, n, bools);
	case PHX_T_HOSTNAME:
		return !chars_in(t, n, host_char) || n > 253;
	case PHX_T_NODE:
		return !chars_in(t, n, label_char) || n > 63;
	case PHX_T_STORAGE:
		return (n > 0 && !isalpha((unsigned char)t[0])) || !chars_in(t, n, storage_char);
	case PHX_T_MAC:
		return mac_dead(t, n);
	case PHX_T_SNAPNAME:
		return (n > 0 && !isalpha((unsigned char)t[0])) || !chars_in(t, n, snap_char) || n > 40;
	default:
		return false;
	}
}
