// SPDX-License-Identifier: GPL-2.0
/*
 * The init of the demo guest: says which kernel runs on how many CPUs,
 * exercises the converted page-table walkers once from threads on every CPU
 * (mprotect, mremap, MADV_DONTNEED, munmap, fork), checks the data, and
 * powers the guest off.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGES	4096

static long page_size;
static int failures;

static void check(int ok, const char *what)
{
	printf("demo: %s: %s\n", what, ok ? "ok" : "FAILED");
	failures += !ok;
}

/* Run a thread on every other CPU, so that the mm is attached to them. */
static void *touch_cpu(void *arg)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET((long)arg, &set);
	sched_setaffinity(0, sizeof(set), &set);
	return NULL;
}

static void attach_all_cpus(int ncpus)
{
	pthread_t t;
	long cpu;

	for (cpu = 1; cpu < ncpus; cpu++) {
		if (pthread_create(&t, NULL, touch_cpu, (void *)cpu) == 0)
			pthread_join(t, NULL);
	}
}

static int pattern_ok(const unsigned char *p, unsigned long pages, int seed)
{
	unsigned long i;

	for (i = 0; i < pages; i++)
		if (p[i * page_size] != (unsigned char)(i + seed))
			return 0;
	return 1;
}

static unsigned char *map_filled(unsigned long pages, int seed)
{
	unsigned char *p;
	unsigned long i;

	p = mmap(NULL, pages * page_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	for (i = 0; i < pages; i++)
		p[i * page_size] = (unsigned char)(i + seed);
	return p;
}

static void walkers(void)
{
	unsigned long len = PAGES * page_size;
	unsigned char *p, *q;
	pid_t pid;
	int status;

	p = map_filled(PAGES, 1);
	check(p != NULL, "mmap and fill 4096 pages");
	if (!p)
		return;
	check(mprotect(p, len, PROT_READ) == 0 &&
	      mprotect(p, len, PROT_READ | PROT_WRITE) == 0 &&
	      pattern_ok(p, PAGES, 1), "mprotect RW->RO->RW keeps the data");

	pid = fork();
	if (pid == 0)
		_exit(pattern_ok(p, PAGES, 1) ? 0 : 1);
	check(pid > 0 && waitpid(pid, &status, 0) == pid &&
	      WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "fork: the child sees the parent's data");

	/* Move into a reserved hole of the same size. */
	q = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q != MAP_FAILED)
		q = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, q);
	check(q != MAP_FAILED && pattern_ok(q, PAGES, 1),
	      "mremap (move) keeps the data");
	if (q == MAP_FAILED)
		q = p;
	check(madvise(q, len, MADV_DONTNEED) == 0 && q[0] == 0 &&
	      q[len - page_size] == 0, "MADV_DONTNEED pages read zero");
	check(munmap(q, len) == 0, "munmap");
}

int main(void)
{
	struct utsname u;
	int ncpus;

	page_size = sysconf(_SC_PAGESIZE);
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	uname(&u);
	printf("demo: Linux %s %s on %s, %d CPUs\n", u.release, u.version,
	       u.machine, ncpus);
	attach_all_cpus(ncpus);
	walkers();
	printf("demo: %s\n", failures ? "FAILED" : "all checks passed");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
