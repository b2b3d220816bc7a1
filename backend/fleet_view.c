#include "backend/fleet_view.h"

#include "backend/strbuf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Rows sorted by CTID, plus stand-ins for sources and dependencies that are
 * not rows themselves (a VM, a guest the file does not name). */
struct view {
	struct phx_fleet_row *v;
	size_t n;
	bool *drawn;
};

static int cmp_row(const void *a, const void *b)
{
	uint32_t x = ((const struct phx_fleet_row *)a)->ctid;
	uint32_t y = ((const struct phx_fleet_row *)b)->ctid;

	return x < y ? -1 : x > y;
}

static const struct phx_fleet_row *find(const struct view *w, uint32_t ctid)
{
	struct phx_fleet_row key = { .ctid = ctid };

	return bsearch(&key, w->v, w->n, sizeof(key), cmp_row);
}

static int view_init(struct view *w, const struct phx_fleet_row *rows, size_t n)
{
	size_t extra = 0, i, j, k;

	for (i = 0; i < n; i++)
		extra += 1 + rows[i].ndeps;
	w->v = calloc(n + extra + 1, sizeof(*w->v));
	w->drawn = calloc(n + extra + 1, sizeof(*w->drawn));
	if (!w->v || !w->drawn) {
		free(w->v);
		free(w->drawn);
		return -ENOMEM;
	}
	if (n)
		memcpy(w->v, rows, n * sizeof(*rows));
	w->n = n;
	qsort(w->v, w->n, sizeof(*w->v), cmp_row);
	/* referenced ids that are not rows: one stand-in each */
	k = w->n;
	for (i = 0; i < n; i++) {
		uint32_t want[1 + rows[i].ndeps];
		size_t nw = 0;

		if (rows[i].clone_from)
			want[nw++] = rows[i].clone_from;
		for (j = 0; j < rows[i].ndeps; j++)
			want[nw++] = rows[i].deps[j];
		for (j = 0; j < nw; j++) {
			bool have = find(w, want[j]) != NULL;

			for (size_t m = w->n; m < k && !have; m++)
				have = w->v[m].ctid == want[j];
			if (!have)
				w->v[k++] = (struct phx_fleet_row){ .ctid = want[j], .state = "?" };
		}
	}
	w->n = k;
	qsort(w->v, w->n, sizeof(*w->v), cmp_row);
	return 0;
}

static void view_free(struct view *w)
{
	free(w->v);
	free(w->drawn);
}

/* Display columns of UTF-8 text: one per character (the names and box
 * characters here are not double-width). */
static size_t columns(const char *s)
{
	size_t c = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			c++;
	return c;
}

static void label(struct strbuf *b, const struct phx_fleet_row *r, size_t *width)
{
	size_t start = b->len;

	strbuf_addf(b, "%u %s", r->ctid, r->state ? r->state : "?");
	if (r->name && *r->name)
		strbuf_addf(b, " %s", r->name);
	if (r->ndeps) {
		strbuf_adds(b, " [after");
		for (size_t i = 0; i < r->ndeps; i++)
			strbuf_addf(b, "%s %u", i ? "," : "", r->deps[i]);
		strbuf_adds(b, "]");
	}
	*width = b->failed ? 0 : columns(b->s + start);
}

static size_t kids(const struct view *w, uint32_t ctid, size_t *out)
{
	size_t n = 0;

	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].clone_from == ctid && w->v[i].ctid != ctid)
			out[n++] = i;
	return n;
}

static void cut(struct strbuf *b, size_t at)
{
	if (b->s && at <= b->len) {
		b->len = at;
		b->s[at] = '\0';
	}
}

/* pstree's layout: the first clone on the source's line, the others below
 * it, joined by ├─ and └─ under the ┬. `prefix` is what a continuation line
 * starts with at this depth. */
static void draw(struct view *w, size_t i, struct strbuf *b, struct strbuf *prefix)
{
	size_t width, *k, nk, keep;

	label(b, &w->v[i], &width);
	if (w->drawn[i]) { /* a cycle an outside edit made: draw it once */
		strbuf_adds(b, " (cycle)\n");
		return;
	}
	w->drawn[i] = true;
	k = malloc(w->n * sizeof(*k));
	if (!k) {
		b->failed = true;
		return;
	}
	nk = kids(w, w->v[i].ctid, k);
	if (nk == 0)
		strbuf_adds(b, "\n");
	keep = prefix->len;
	strbuf_repeat(prefix, " ", width);
	for (size_t j = 0; j < nk && !b->failed && !prefix->failed; j++) {
		bool last = j + 1 == nk;
		size_t at = prefix->len;

		if (j == 0)
			strbuf_adds(b, nk == 1 ? " ─── " : " ─┬─ ");
		else {
			strbuf_add(b, prefix->s, prefix->len);
			strbuf_adds(b, last ? "  └─ " : "  ├─ ");
		}
		strbuf_adds(prefix, last || nk == 1 ? "     " : "  │  ");
		draw(w, k[j], b, prefix);
		cut(prefix, at);
	}
	if (prefix->failed)
		b->failed = true;
	cut(prefix, keep);
	free(k);
}

int phx_fleet_tree(const struct phx_fleet_row *rows, size_t n, char **out, size_t *len)
{
	struct strbuf b = STRBUF_INIT, prefix = STRBUF_INIT;
	struct view w;

	if (view_init(&w, rows, n) < 0)
		return -ENOMEM;
	/* roots: no source, or a source that is itself (never valid, but
	 * drawn rather than lost) */
	for (size_t i = 0; i < w.n; i++)
		if (!w.v[i].clone_from || w.v[i].clone_from == w.v[i].ctid)
			draw(&w, i, &b, &prefix);
	/* what is left hangs in a cycle of clone sources */
	for (size_t i = 0; i < w.n; i++)
		if (!w.drawn[i])
			draw(&w, i, &b, &prefix);
	strbuf_release(&prefix);
	view_free(&w);
	return strbuf_finish(&b, out, len);
}

/* Fill colours by state: settled good states green/blue, work in progress
 * yellow, failures red, nothing yet white. */
static const char *colour(const char *state)
{
	static const struct {
		const char *state, *colour;
	} map[] = {
		{ "running", "#a1d99b" }, { "template", "#9ecae1" },
		{ "stopped", "#d9d9d9" }, { "failed", "#fc9272" },
		{ "absent", "#ffffff" },  { "?", "#f0f0f0" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (state && strcmp(state, map[i].state) == 0)
			return map[i].colour;
	return "#fee391"; /* queued, creating, cloning, starting, ... */
}

/* A DOT string: quotes and backslashes escaped, control characters dropped. */
static void dot_str(struct strbuf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			strbuf_add(b, "\\", 1);
		if ((unsigned char)*s >= 0x20)
			strbuf_add(b, s, 1);
	}
}

int phx_fleet_dot(const struct phx_fleet_row *rows, size_t n, char **out, size_t *len)
{
	struct strbuf b = STRBUF_INIT;
	struct view w;

	if (view_init(&w, rows, n) < 0)
		return -ENOMEM;
	strbuf_adds(&b, "digraph fleet {\n"
			"\trankdir=LR;\n"
			"\tnode [shape=box, style=\"rounded,filled\", fontname=\"sans-serif\"];\n");
	for (size_t i = 0; i < w.n; i++) {
		const struct phx_fleet_row *r = &w.v[i];

		strbuf_addf(&b, "\t\"%u\" [label=\"%u", r->ctid, r->ctid);
		if (r->name && *r->name) {
			strbuf_adds(&b, "\\n");
			dot_str(&b, r->name);
		}
		strbuf_adds(&b, "\\n");
		dot_str(&b, r->state ? r->state : "?");
		strbuf_addf(&b, "\", fillcolor=\"%s\"];\n", colour(r->state));
	}
	for (size_t i = 0; i < w.n; i++) {
		const struct phx_fleet_row *r = &w.v[i];

		if (r->clone_from)
			strbuf_addf(&b, "\t\"%u\" -> \"%u\";\n", r->clone_from, r->ctid);
		for (size_t j = 0; j < r->ndeps; j++)
			strbuf_addf(&b, "\t\"%u\" -> \"%u\" [style=dashed, label=\"before\"];\n",
				    r->deps[j], r->ctid);
	}
	strbuf_adds(&b, "}\n");
	view_free(&w);
	return strbuf_finish(&b, out, len);
}
