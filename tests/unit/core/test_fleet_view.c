/* The fleet drawn as a tree and as DOT: layout, stand-ins for guests the
 * file does not name, cycles an outside edit made, escaping. */
#include "backend/fleet_view.h"
#include "backend/strbuf.h"
#include "tests/unit/check_run.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static const uint32_t dep_103[] = { 103 };
static const uint32_t dep_1002[] = { 1002 };

/* 900 -> {901 -> {910, 911 -> 801}, 103, 101 (after 103)} and a loner */
static const struct phx_fleet_row forest[] = {
	{ 911, "infer-a", "running", 901, NULL, 0 },
	{ 900, "base", "template", 0, NULL, 0 },
	{ 901, "gpu", "template", 900, dep_1002, 1 },
	{ 910, "infer-dual", "queued", 901, NULL, 0 },
	{ 801, "embed", "failed", 911, NULL, 0 },
	{ 103, "ca", "running", 900, NULL, 0 },
	{ 101, "edge", "stopped", 900, dep_103, 1 },
	{ 150, "loner", "absent", 0, NULL, 0 },
};

START_TEST(tree_layout)
{
	char *t;
	size_t len;

	ck_assert_int_eq(phx_fleet_tree(forest, sizeof(forest) / sizeof(forest[0]), &t, &len), 0);
	ck_assert_uint_eq(len, strlen(t));
	ck_assert_str_eq(t,
		"150 absent loner\n"
		"900 template base ─┬─ 101 stopped edge [after 103]\n"
		"                   ├─ 103 running ca\n"
		"                   └─ 901 template gpu [after 1002] ─┬─ 910 queued infer-dual\n"
		"                                                     └─ 911 running infer-a ─── 801 failed embed\n"
		"1002 ?\n");
	free(t);
}
END_TEST

START_TEST(tree_cycle_and_missing_source)
{
	/* an outside edit made 300 and 301 clone each other; 302 clones 555,
	 * which nothing names */
	static const struct phx_fleet_row rows[] = {
		{ 300, NULL, "absent", 301, NULL, 0 },
		{ 301, NULL, "absent", 300, NULL, 0 },
		{ 302, "x", "absent", 555, NULL, 0 },
	};
	char *t;

	ck_assert_int_eq(phx_fleet_tree(rows, 3, &t, NULL), 0);
	ck_assert_str_eq(t,
		"555 ? ─── 302 absent x\n"
		"300 absent ─── 301 absent ─── 300 absent (cycle)\n");
	free(t);
}
END_TEST

START_TEST(tree_empty)
{
	char *t;
	size_t len = 99;

	ck_assert_int_eq(phx_fleet_tree(NULL, 0, &t, &len), 0);
	ck_assert_str_eq(t, "");
	ck_assert_uint_eq(len, 0);
	free(t);
}
END_TEST

START_TEST(dot_graph)
{
	static const struct phx_fleet_row rows[] = {
		{ 900, "base \"gold\"\\", "template", 0, NULL, 0 },
		{ 101, "edge", "failed", 900, dep_103, 1 },
	};
	char *t;

	ck_assert_int_eq(phx_fleet_dot(rows, 2, &t, NULL), 0);
	ck_assert_ptr_nonnull(strstr(t, "digraph fleet {\n"));
	ck_assert_ptr_nonnull(strstr(t, "\t\"900\" [label=\"900\\nbase \\\"gold\\\"\\\\\\ntemplate\", fillcolor=\"#9ecae1\"];\n"));
	ck_assert_ptr_nonnull(strstr(t, "\t\"101\" [label=\"101\\nedge\\nfailed\", fillcolor=\"#fc9272\"];\n"));
	ck_assert_ptr_nonnull(strstr(t, "\t\"103\" [label=\"103\\n?\""));
	ck_assert_ptr_nonnull(strstr(t, "\t\"900\" -> \"101\";\n"));
	ck_assert_ptr_nonnull(strstr(t, "\t\"103\" -> \"101\" [style=dashed"));
	ck_assert_str_eq(t + strlen(t) - 2, "}\n");
	free(t);
}
END_TEST

START_TEST(strbuf_sticky_failure)
{
	struct strbuf b = STRBUF_INIT;
	char *out = (char *)1;
	size_t len = 7;

	strbuf_addf(&b, "%d-%s", 42, "x");
	ck_assert_str_eq(b.s, "42-x");
	b.failed = true; /* as after a failed realloc */
	strbuf_adds(&b, "more");
	ck_assert_str_eq(b.s, "42-x");
	ck_assert_int_eq(strbuf_finish(&b, &out, &len), -12);
	ck_assert_ptr_null(out);
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_null(b.s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fleet_view");
	TCase *tc = tcase_create("fleet_view");

	tcase_add_test(tc, tree_layout);
	tcase_add_test(tc, tree_cycle_and_missing_source);
	tcase_add_test(tc, tree_empty);
	tcase_add_test(tc, dot_graph);
	tcase_add_test(tc, strbuf_sticky_failure);
	suite_add_tcase(s, tc);
	return phx_check_run(s);
}
