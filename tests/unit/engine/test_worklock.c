/* Work locks between mounts (engine/worklock.c) on a plain directory:
 * take, held, renew, expire, steal, and N processes stealing one expired
 * lock at once: exactly one wins. */
#include "backend/engine/worklock.h"
#include "tests/unit/check_run.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64], why[512];

static void setup(void)
{
	/* in the build directory (meson runs tests there), not /tmp */
	snprintf(dir, sizeof(dir), "worklock-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* the lock's mtime set `ago` seconds back: as if its holder stopped */
static void age(const char *name, int ago)
{
	char p[256];
	struct timespec ts[2];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - ago;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
}

static time_t mtime_of(const char *name)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (stat(p, &st) != 0)
		return -1;
	return st.st_mtime;
}

/* entries of dir other than . and .. */
static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

START_TEST(take_hold_release)
{
	struct phx_worklock a, b;

	ck_assert_int_eq(phx_worklock_peek(dir, "phoenixfs-100", 5), 0);
	ck_assert_int_eq(phx_worklock_take(&a, dir, "phoenixfs-100", 5, false, why, sizeof(why)), 1);
	ck_assert(!a.stolen);
	ck_assert_int_eq(phx_worklock_peek(dir, "phoenixfs-100", 5), 1);
	/* a second taker finds it held and fresh */
	ck_assert_int_eq(phx_worklock_take(&b, dir, "phoenixfs-100", 5, false, why, sizeof(why)), 0);
	phx_worklock_free(&b);
	ck_assert_int_eq(phx_worklock_peek(dir, "phoenixfs-100", 5), 1);
	phx_worklock_free(&a);
	ck_assert_int_eq(phx_worklock_peek(dir, "phoenixfs-100", 5), 0);
	ck_assert_int_eq(phx_worklock_take(&b, dir, "phoenixfs-100", 5, false, why, sizeof(why)), 1);
	phx_worklock_free(&b);
	ck_assert_int_eq(entries(), 0);
}
END_TEST

START_TEST(renew_sets_now)
{
	struct phx_worklock a;

	ck_assert_int_eq(phx_worklock_take(&a, dir, "phoenixfs-101", 5, false, why, sizeof(why)), 1);
	age("phoenixfs-101", 4);
	ck_assert_int_le(mtime_of("phoenixfs-101"), time(NULL) - 4);
	ck_assert_int_eq(phx_worklock_renew(&a, why, sizeof(why)), 0);
	ck_assert_int_ge(mtime_of("phoenixfs-101"), time(NULL) - 1);
	ck_assert_int_eq(phx_worklock_peek(dir, "phoenixfs-101", 5), 1);
	phx_worklock_free(&a);
}
END_TEST

START_TEST(expired_is_stolen_and_the_old_holder_knows)
{
	struct phx_worklock a, b;

	ck_assert_int_eq(phx_worklock_take(&a, dir, "phoenixfs-102", 5, false, why, sizeof(why)), 1);
	age("phoenixfs-102", 4);
	/* not expired yet: held */
	ck_assert_int_eq(phx_worklock_take(&b, dir, "phoenixfs-102", 5, false, why, sizeof(why)), 0);
	phx_worklock_free(&b);
	age("phoenixfs-102", 6);
	ck_assert_int_eq(phx_worklock_peek(dir, "phoenixfs-102", 5), 2);
	ck_assert_int_eq(phx_worklock_take(&b, dir, "phoenixfs-102", 5, false, why, sizeof(why)), 1);
	ck_assert(b.stolen);
	/* the old holder learns at its renewal, and its release leaves the
	 * new holder's lock alone */
	ck_assert_int_eq(phx_worklock_renew(&a, why, sizeof(why)), -ESTALE);
	phx_worklock_free(&a);
	ck_assert_int_eq(phx_worklock_peek(dir, "phoenixfs-102", 5), 1);
	ck_assert_int_eq(phx_worklock_renew(&b, why, sizeof(why)), 0);
	phx_worklock_free(&b);
	ck_assert_int_eq(entries(), 0); /* the stale one moved aside is gone too */
}
END_TEST

START_TEST(removed_lock_is_not_ours)
{
	struct phx_worklock a;
	char p[256];

	ck_assert_int_eq(phx_worklock_take(&a, dir, "phoenixfs-103", 5, false, why, sizeof(why)), 1);
	snprintf(p, sizeof(p), "%s/phoenixfs-103", dir);
	ck_assert_int_eq(rmdir(p), 0);
	ck_assert_int_eq(phx_worklock_renew(&a, why, sizeof(why)), -ESTALE);
	/* another one made under the same name is not ours either */
	ck_assert_int_eq(mkdir(p, 0700), 0);
	ck_assert_int_eq(phx_worklock_renew(&a, why, sizeof(why)), -ESTALE);
	phx_worklock_free(&a);
	ck_assert_int_eq(phx_worklock_peek(dir, "phoenixfs-103", 5), 1); /* left alone */
}
END_TEST

START_TEST(error_is_said)
{
	struct phx_worklock a;
	char missing[128];

	snprintf(missing, sizeof(missing), "%s/no-such-dir", dir);
	ck_assert_int_eq(phx_worklock_take(&a, missing, "phoenixfs-104", 5, false, why, sizeof(why)),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(why, "cannot make the lock"));
	phx_worklock_free(&a);
}
END_TEST

/* N processes, released at once, each try to take one expired lock: exactly
 * one wins; the others find it held. Repeated to catch an unlucky order. */
#define RACERS 12
START_TEST(many_stealers_one_winner)
{
	for (int round = 0; round < 20; round++) {
		struct phx_worklock a;
		int go[2], winners = 0;
		pid_t pids[RACERS];

		ck_assert_int_eq(phx_worklock_take(&a, dir, "phoenixfs-105", 3, false, why,
						   sizeof(why)), 1);
		phx_worklock_release(&a); /* let go without removing: as if killed */
		free(a.path);
		/* ... recreate it as the dead holder left it */
		{
			char p[256];

			snprintf(p, sizeof(p), "%s/phoenixfs-105", dir);
			rmdir(p);
			ck_assert_int_eq(mkdir(p, 0700), 0);
		}
		age("phoenixfs-105", 10);
		ck_assert_int_eq(pipe(go), 0);
		for (int i = 0; i < RACERS; i++) {
			pids[i] = fork();
			ck_assert_int_ge(pids[i], 0);
			if (pids[i] == 0) {
				struct phx_worklock l;
				char c;
				int rc;

				close(go[1]);
				(void)!read(go[0], &c, 1); /* EOF: everyone goes */
				rc = phx_worklock_take(&l, dir, "phoenixfs-105", 3, false, why,
						       sizeof(why));
				/* a winner keeps it (no release) so that late racers
				 * find it held, as a live holder would */
				_exit(rc == 1 ? 1 : rc == 0 ? 0 : 2);
			}
		}
		close(go[0]);
		close(go[1]);
		for (int i = 0; i < RACERS; i++) {
			int st;

			ck_assert_int_eq(waitpid(pids[i], &st, 0), pids[i]);
			ck_assert(WIFEXITED(st));
			ck_assert_int_ne(WEXITSTATUS(st), 2);
			winners += WEXITSTATUS(st);
		}
		ck_assert_int_eq(winners, 1);
		/* the winner's lock is there, fresh; nothing moved aside is left */
		ck_assert_int_eq(phx_worklock_peek(dir, "phoenixfs-105", 3), 1);
		ck_assert_int_eq(entries(), 1);
		{
			char p[256];

			snprintf(p, sizeof(p), "%s/phoenixfs-105", dir);
			ck_assert_int_eq(rmdir(p), 0);
		}
	}
}
END_TEST

START_TEST(pmxcfs_is_only_priv_lock_on_fuse)
{
	ck_assert(!phx_worklock_dir_is_pmxcfs(dir));
	ck_assert(!phx_worklock_dir_is_pmxcfs("/etc/pve/priv/lock-not"));
	/* the path alone is not enough: not a FUSE filesystem here */
	ck_assert(!phx_worklock_dir_is_pmxcfs("/"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("worklock");
	TCase *tc = tcase_create("plain directory");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, take_hold_release);
	tcase_add_test(tc, renew_sets_now);
	tcase_add_test(tc, expired_is_stolen_and_the_old_holder_knows);
	tcase_add_test(tc, removed_lock_is_not_ours);
	tcase_add_test(tc, error_is_said);
	tcase_add_test(tc, many_stealers_one_winner);
	tcase_add_test(tc, pmxcfs_is_only_priv_lock_on_fuse);
	suite_add_tcase(s, tc);
	return phx_check_run(s);
}
