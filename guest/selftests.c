// SPDX-License-Identifier: GPL-2.0
/*
 * The init of the mm selftests guest: mounts what the tests look for, runs
 * the kernel's mm selftests from /mm one by one, each in a process group of
 * its own with a time limit, and powers the guest off.
 *
 * Mounts: proc, sysfs, devtmpfs on /dev, tmpfs (ramfs on a kernel without
 * CONFIG_TMPFS) on /tmp and /dev/shm, and where the kernel has them
 * hugetlbfs on /dev/hugepages and debugfs on /sys/kernel/debug.
 *
 * The runs are the lines of /mm/tests.list, or of the list named by
 * selftest_list=LIST on the kernel command line (scripts/selftests.sh
 * writes them), "BINARY [ARGUMENT...]" split at white space ('#' starts a
 * comment). A test runs in /mm, as root,
 * with its standard input from /dev/null and its output on the console.
 * After each run the init prints, after an empty line (the test's last line
 * may lack its newline),
 *
 *	selftest: NAME RESULT STATUS SECONDS
 *
 * NAME is the binary, followed by ":" and the arguments joined by ","
 * if there are any; RESULT is pass (exit status 0), skip (4, the kselftest
 * KSFT_SKIP), fail (any other exit status or a signal) or timeout; STATUS
 * is the exit status, or 128 plus the signal's number; SECONDS is the wall
 * time of the run. Then a count of each result and "selftest: done".
 *
 * The kernel command line sets the time limit of a run in seconds:
 * selftest_timeout=N (default 120). At the limit the whole process group
 * of the test gets SIGKILL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TEST_DIR	"/mm"
#define MAX_ARGS	32
#define KSFT_SKIP	4

enum result { PASS, FAIL, SKIP, TIMEOUT, NR_RESULTS };

static const char * const result_name[NR_RESULTS] = {
	[PASS] = "pass", [FAIL] = "fail", [SKIP] = "skip", [TIMEOUT] = "timeout",
};

static int counts[NR_RESULTS];
static long timeout_s = 120;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Mount @type on @dir if the kernel has it; say so if that fails. */
static void mount_fs(const char *type, const char *dir, const char *opts)
{
	mkdir(dir, 0755);
	if (mount(type, dir, type, 0, opts) && errno != EBUSY)
		printf("selftests-init: mount %s on %s: %s\n", type, dir,
		       strerror(errno));
}

/* Whether /proc/filesystems lists @type. */
static int have_fs(const char *type)
{
	char line[128], *name;
	int found = 0;
	FILE *f;

	f = fopen("/proc/filesystems", "r");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		name = strrchr(line, '\t');
		name = name ? name + 1 : line;
		name[strcspn(name, "\n")] = '\0';
		found = !strcmp(name, type);
	}
	fclose(f);
	return found;
}

/*
 * tmpfs on @dir, or ramfs: without CONFIG_TMPFS, /proc/filesystems lists
 * tmpfs but user space cannot mount it.
 */
static void mount_tmp(const char *dir)
{
	mkdir(dir, 01777);
	if (mount("tmpfs", dir, "tmpfs", 0, "mode=1777")) {
		printf("selftests-init: no tmpfs (%s), ramfs on %s\n",
		       strerror(errno), dir);
		mount_fs("ramfs", dir, NULL);
	}
	chmod(dir, 01777);
}

static void mount_all(void)
{
	mount_fs("proc", "/proc", NULL);
	mount_fs("sysfs", "/sys", NULL);
	mount_fs("devtmpfs", "/dev", NULL);
	mount_tmp("/tmp");
	mount_tmp("/dev/shm");
	if (have_fs("hugetlbfs"))
		mount_fs("hugetlbfs", "/dev/hugepages", NULL);
	if (have_fs("debugfs"))
		mount_fs("debugfs", "/sys/kernel/debug", NULL);
}

/* The time limit of a run, from selftest_timeout= of the command line. */
static void read_timeout(void)
{
	const char *s = getenv("selftest_timeout");
	char *end;
	long v;

	if (!s)
		return;
	v = strtol(s, &end, 10);
	if (*s && !*end && v > 0)
		timeout_s = v;
	else
		printf("selftests-init: bad selftest_timeout=%s, using %ld\n",
		       s, timeout_s);
}

static void child(char **argv)
{
	char path[PATH_MAX];
	int fd;

	setpgid(0, 0);
	signal(SIGCHLD, SIG_DFL);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		if (fd != STDIN_FILENO)
			close(fd);
	}
	if (chdir(TEST_DIR))
		perror("chdir " TEST_DIR);
	snprintf(path, sizeof(path), TEST_DIR "/%s", argv[0]);
	execv(path, argv);
	fprintf(stderr, "selftests-init: exec %s: %s\n", path,
		strerror(errno));
	_exit(127);
}

/*
 * Reap every child that has ended (the init inherits the orphans of the
 * tests); return 1 and the status if @pid (not 0) is one of them.
 */
static int reap(pid_t pid, int *status)
{
	int found = 0, st;
	pid_t p;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
		if (p == pid) {
			*status = st;
			found = 1;
		}
	}
	return found;
}

/* Run @argv, wait for it at most timeout_s, print its result line. */
static void run(char **argv, int argc)
{
	char name[256];
	double start, left;
	struct timespec ts;
	enum result res = TIMEOUT;	/* unless it ends in time */
	int i, status = 0, done = 0, code;
	sigset_t set;
	pid_t pid;

	snprintf(name, sizeof(name), "%s", argv[0]);
	for (i = 1; i < argc; i++)
		snprintf(name + strlen(name), sizeof(name) - strlen(name),
			 "%s%s", i == 1 ? ":" : ",", argv[i]);
	printf("# running: %s\n", name);
	fflush(stdout);

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	start = now();
	pid = fork();
	if (pid < 0) {
		printf("selftests-init: fork: %s\n", strerror(errno));
		return;
	}
	if (pid == 0) {
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		child(argv);
	}
	/* Both sides, so that the kill below cannot miss the group. */
	setpgid(pid, pid);

	while (!(done = reap(pid, &status))) {
		left = start + timeout_s - now();
		if (left <= 0)
			break;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
		sigtimedwait(&set, NULL, &ts);
	}
	/* The test is over: so is whatever it left running. */
	kill(-pid, SIGKILL);
	if (!done) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	/* Those of the group that are gone already; the rest come later. */
	reap(0, NULL);

	if (WIFEXITED(status))
		code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		code = 128 + WTERMSIG(status);
	else
		code = 255;
	if (done)
		res = code == 0 ? PASS : code == KSFT_SKIP ? SKIP : FAIL;
	counts[res]++;
	printf("\nselftest: %s %s %d %.1f\n", name, result_name[res], code,
	       now() - start);
	fflush(stdout);
}

/* Split @line at white space into @argv; return the count. */
static int split(char *line, char **argv)
{
	char *save, *w;
	int argc = 0;

	line[strcspn(line, "#\n")] = '\0';
	for (w = strtok_r(line, " \t", &save); w && argc < MAX_ARGS;
	     w = strtok_r(NULL, " \t", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	return argc;
}

/* Run the lines of /mm/LIST, LIST from selftest_list= or tests.list. */
static void from_list(void)
{
	char path[PATH_MAX], line[512], *argv[MAX_ARGS + 1];
	const char *list = getenv("selftest_list");
	FILE *f;
	int argc;

	snprintf(path, sizeof(path), TEST_DIR "/%s", list ? list : "tests.list");
	f = fopen(path, "r");
	if (!f) {
		printf("selftests-init: %s: %s\n", path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		argc = split(line, argv);
		if (argc)
			run(argv, argc);
	}
	fclose(f);
}

int main(void)
{
	sigset_t set;

	setvbuf(stdout, NULL, _IOLBF, 0);
	mount_all();
	read_timeout();
	/* SIGCHLD is taken with sigtimedwait() only. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);

	printf("selftests-init: timeout %ld s per test\n", timeout_s);
	from_list();

	printf("selftest-summary: pass %d fail %d skip %d timeout %d\n",
	       counts[PASS], counts[FAIL], counts[SKIP], counts[TIMEOUT]);
	printf("selftest: done\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
