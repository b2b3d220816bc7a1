/* Dead prefixes: refused at the write that brings them. Sound (no valid
 * value has a dead prefix, checked against phx_attr_parse over every row
 * and many generated texts) and useful (the common mistakes are caught
 * before close). */
#include "backend/schema_prefix.h"
#include "tests/unit/check_run.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static const struct phx_attr *row(const char *file)
{
	const struct phx_attr *a = phx_attr_by_file(file);

	ck_assert_msg(a != NULL, "no row %s", file);
	return a;
}

static bool dead(const char *file, const char *s)
{
	return phx_attr_prefix_dead(row(file), s, strlen(s));
}

START_TEST(common_mistakes_are_dead)
{
	ck_assert(dead("memory_mb", "abc"));
	ck_assert(dead("memory_mb", "4096M"));
	ck_assert(dead("memory_mb", "-1"));
	ck_assert(dead("memory_mb", "40 96"));
	ck_assert(dead("memory_mb", "0123"));
	ck_assert(dead("memory_mb", "999999999999"));   /* past 268435456 */
	ck_assert(dead("cores", "9000"));                /* past 8192 */
	ck_assert(dead("clone_from", "9x"));
	ck_assert(dead("is_template", "yes"));
	ck_assert(dead("is_template", "truex"));
	ck_assert(dead("name", "web server"));
	ck_assert(dead("name", "web_server"));
	ck_assert(dead("storage_pool", "1local"));
	ck_assert(dead("storage_pool", "local lvm"));
	ck_assert(dead("mac_address", "52:54:00:AA:BB:CC:DD"));
	ck_assert(dead("mac_address", "52-54"));
	ck_assert(dead("mac_address", "5G"));
	ck_assert(dead("template_snapshot_name", "9golden"));
	ck_assert(dead("template_snapshot_name", "gold en"));
	ck_assert(dead("node", "pve.example"));
	ck_assert(dead("nameservers", "8.8.8.8 dns.google"));
	ck_assert(phx_attr_prefix_dead(row("memory_mb"), "12\0" "3", 4));
}
END_TEST

START_TEST(still_possible_is_alive)
{
	ck_assert(!dead("memory_mb", ""));
	ck_assert(!dead("memory_mb", "  "));
	ck_assert(!dead("memory_mb", "1"));          /* 16 is the minimum: "1" may become 16 */
	ck_assert(!dead("memory_mb", "4096\n"));
	ck_assert(!dead("memory_mb", "4096 \n "));
	ck_assert(!dead("cores", "819"));
	ck_assert(!dead("is_template", "tr"));
	ck_assert(!dead("is_template", "f"));
	ck_assert(!dead("name", "web-01.lan"));
	ck_assert(!dead("mac_address", "52:54:0"));
	ck_assert(!dead("mac_address", "52:54:00:AA:BB:CC\n"));
	ck_assert(!dead("storage_pool", "FastPool-CT"));
	ck_assert(!dead("template_snapshot_name", "golden"));
	ck_assert(!dead("nameservers", "10.0.0.1, 2001:db8::1;"));
	ck_assert(!dead("template", "/srv/images/template/cache/x.tar.zst"));
}
END_TEST

/* Every prefix of a text the parser accepts must be alive. */
static void check_sound(const struct phx_attr *a, const char *s, size_t len)
{
	json_object *out = NULL;
	char err[512];

	if (phx_attr_parse(a, s, len, NULL, &out, err, sizeof(err)) < 0)
		return;
	json_object_put(out);
	for (size_t k = 0; k <= len; k++)
		ck_assert_msg(!phx_attr_prefix_dead(a, s, k), "%s: valid '%.*s' has a dead prefix '%.*s'",
			      a->file, (int)len, s, (int)k, s);
}

START_TEST(sound_over_generated_texts)
{
	static const char alphabet[] = "0123456789abcdefABCDEF:-_. ,;\n/xyzTtrueflsFALSE";
	static const char *const seeds[] = {
		"4096\n", "16", "268435456", "8192", "100", "999999999", "true\n", "false", "1", "0",
		"web-01.lan\n", "a", "local-lvm", "FastPool-CT-Disks", "52:54:00:AA:BB:CC",
		"golden", "pre-configured", "pve2", "10.0.0.1 8.8.8.8", "lan example.com",
		"local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", "free text here",
	};
	unsigned seed = 12345;
	char s[48];

	for (size_t i = 0; i < phx_nattrs; i++) {
		const struct phx_attr *a = &phx_attrs[i];

		if (!a->file)
			continue;
		for (size_t k = 0; k < sizeof(seeds) / sizeof(seeds[0]); k++)
			check_sound(a, seeds[k], strlen(seeds[k]));
		for (int n = 0; n < 4000; n++) {
			size_t len = (size_t)(rand_r(&seed) % 20);

			for (size_t j = 0; j < len; j++)
				s[j] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
			s[len] = '\0';
			check_sound(a, s, len);
		}
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("schema_prefix");
	TCase *tc = tcase_create("schema_prefix");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, common_mistakes_are_dead);
	tcase_add_test(tc, still_possible_is_alive);
	tcase_add_test(tc, sound_over_generated_texts);
	suite_add_tcase(s, tc);
	return phx_check_run(s);
}
