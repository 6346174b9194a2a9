// SPDX-License-Identifier: GPL-2.0
/*
 * The init of the benchmark guest. Runs every scenario of the benchmark,
 * each between two phase markers of the IPTE counting plugin
 * (qemu/plugin/ipte-count.c), and prints one line per marked run:
 *
 *   bench: run <type> <threads> <pages> <aligned> <rep> <result>
 *
 * in the order of the runs, so that the k-th line belongs to the k-th
 * "phase ... end" line of the plugin. <result> is "ok", or the error of the
 * operation (the run is still marked, with whatever it did).
 *
 * Single-threaded scenarios run in a process that has only ever run on CPU 0
 * (init pins itself, then forks it). Multi-threaded ones run in a process
 * whose helper threads have run on every other CPU and then sleep, so that
 * the mm stays attached to all CPUs; the scenario itself runs on CPU 0.
 *
 * The kernel's vmalloc scenario comes from the module ipte_bench.ko when
 * the initramfs has it (/ipte_bench.ko): loading it runs its marked runs.
 *
 * "bench_only=NAME[,NAME...]" on the kernel command line (the kernel hands
 * it to init as an environment variable) runs those scenarios alone;
 * "bench_threads=single" or "=multi" runs only single- or multi-threaded
 * ones.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB		(1UL << 20)
#define REPS		5
#define MAX_PAGES	16384
#define UNALIGNED_PAGES	5	/* offset of the unaligned ranges */

/* The plugin's phase markers: BRCL 0 with 0x5048 in the high halfword. */
#define MARK_BEGIN()	asm volatile(".insn rilu,0xc00400000000,0,0x50480001" ::: "memory")
#define MARK_END()	asm volatile(".insn rilu,0xc00400000000,0,0x50488001" ::: "memory")

#ifndef PAGEMAP_SCAN
/* The PAGEMAP_SCAN ABI (Linux 6.7), newer than Debian 12's headers. */
struct page_region {
	unsigned long long start, end, categories;
};

struct pm_scan_arg {
	unsigned long long size, flags, start, end, walk_end, vec, vec_len;
	unsigned long long max_pages, category_inverted, category_mask;
	unsigned long long category_anyof_mask, return_mask;
};

#define PAGEMAP_SCAN		_IOWR('f', 16, struct pm_scan_arg)
#define PM_SCAN_WP_MATCHING	(1 << 0)
#define PM_SCAN_CHECK_WPASYNC	(1 << 1)
#define PAGE_IS_WRITTEN		(1 << 1)
#endif

static const unsigned long sizes[] = { 1, 16, 256, 4096, MAX_PAGES };
static long page_size;
static int ncpus;

enum scenario {
	S_MPROTECT, S_MUNMAP, S_MREMAP, S_DONTNEED, S_FREE, S_COLD,
	S_PAGEOUT, S_FORK, S_PAGEMAP_SCAN, S_FAULT, S_MAX,
};

static const char *const names[S_MAX] = {
	[S_MPROTECT] = "mprotect", [S_MUNMAP] = "munmap",
	[S_MREMAP] = "mremap", [S_DONTNEED] = "madv_dontneed",
	[S_FREE] = "madv_free", [S_COLD] = "madv_cold",
	[S_PAGEOUT] = "madv_pageout", [S_FORK] = "fork",
	[S_PAGEMAP_SCAN] = "pagemap_scan_wp", [S_FAULT] = "fault",
};

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* A 1 MiB-aligned address range of @len bytes (+ slack), PROT_NONE. */
static char *reserve(unsigned long len)
{
	char *p = mmap(NULL, len + 2 * MIB, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	return (char *)(((unsigned long)p + MIB - 1) & ~(MIB - 1));
}

/* Write every page of @pages at @p: a fault each, the first time. */
static void touch(char *p, unsigned long pages)
{
	unsigned long i;

	for (i = 0; i < pages; i++)
		p[i * page_size] = (char)(i + 1);
}

/* Map @pages at a fresh range (aligned or not), and write every page. */
static char *populate(unsigned long pages, int aligned, int write)
{
	unsigned long len = pages * page_size;
	char *base = reserve(len + UNALIGNED_PAGES * page_size), *p;

	if (!base)
		return NULL;
	p = aligned ? base : base + UNALIGNED_PAGES * page_size;
	p = mmap(p, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (write)
		touch(p, pages);
	return p;
}

static int pagemap_scan_wp(char *p, unsigned long len)
{
	struct page_region regions[16];
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC,
		.start = (unsigned long)p,
		.end = (unsigned long)p + len,
		.vec = (unsigned long)regions,
		.vec_len = 16,
		.category_mask = PAGE_IS_WRITTEN,
		.return_mask = PAGE_IS_WRITTEN,
	};

	int fd = open("/proc/self/pagemap", O_RDONLY), err;

	if (fd < 0)
		return errno;
	err = ioctl(fd, PAGEMAP_SCAN, &arg) < 0 ? errno : 0;
	close(fd);
	return err;
}

/* Run one marked scenario; returns 0 or an errno. */
static int run_one(enum scenario s, unsigned long pages, int aligned)
{
	unsigned long len = pages * page_size;
	char *p = populate(pages, aligned, s != S_FAULT), *dst;
	int err = 0, status;
	pid_t pid;

	if (!p)
		return ENOMEM;
	dst = s == S_MREMAP ? reserve(len + UNALIGNED_PAGES * page_size) : NULL;
	if (s == S_MREMAP && !aligned && dst)
		dst += UNALIGNED_PAGES * page_size;
	MARK_BEGIN();
	switch (s) {
	case S_MPROTECT:
		if (mprotect(p, len, PROT_READ) || mprotect(p, len, PROT_READ | PROT_WRITE))
			err = errno;
		break;
	case S_MUNMAP:
		if (munmap(p, len))
			err = errno;
		break;
	case S_MREMAP:
		if (!dst || mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst) == MAP_FAILED)
			err = dst ? errno : ENOMEM;
		break;
	case S_DONTNEED:
		err = madvise(p, len, MADV_DONTNEED) ? errno : 0;
		break;
	case S_FREE:
		err = madvise(p, len, MADV_FREE) ? errno : 0;
		break;
	case S_COLD:
		err = madvise(p, len, MADV_COLD) ? errno : 0;
		break;
	case S_PAGEOUT:
		err = madvise(p, len, MADV_PAGEOUT) ? errno : 0;
		break;
	case S_FORK:
		pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0 || waitpid(pid, &status, 0) != pid)
			err = errno;
		break;
	case S_PAGEMAP_SCAN:
		err = pagemap_scan_wp(p, len);
		break;
	case S_FAULT:
		touch(p, pages);
		break;
	default:
		break;
	}
	MARK_END();
	if ((s == S_MREMAP || s == S_FAULT) && !err) {
		if (s == S_MREMAP)
			p = dst;
		if (p[(pages - 1) * page_size] != (char)pages)
			err = EIO;
	}
	if (s != S_MUNMAP)
		munmap(p, len);
	return err;
}

/*
 * Is @name one of the comma-separated names of the environment variable
 * @filter (or is there no such filter)?
 */
static int selected(const char *filter, const char *name)
{
	const char *only = getenv(filter), *p;
	size_t len = strlen(name);

	if (!only)
		return 1;
	for (p = only; (p = strstr(p, name)); p += len)
		if ((p == only || p[-1] == ',') && (!p[len] || p[len] == ','))
			return 1;
	return 0;
}

static void run_all(const char *threads)
{
	unsigned int z, a, rep;
	int s, err;

	for (s = 0; s < S_MAX; s++)
		for (z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++)
			for (a = 0; a < 2; a++)
				for (rep = 0; rep < REPS; rep++) {
					if (!selected("bench_only", names[s]))
						continue;
					err = run_one(s, sizes[z], !a);
					printf("bench: run %s %s %lu %d %u %s\n",
					       names[s], threads, sizes[z], !a, rep,
					       err ? strerror(err) : "ok");
					fflush(stdout);
				}
}

static int pipe_fds[2];

/* Run once on @cpu, then sleep: the mm stays attached to that CPU. */
static void *helper(void *arg)
{
	char c;

	pin((long)arg);
	sched_yield();
	read(pipe_fds[0], &c, 1);
	return NULL;
}

static void multi_threaded(void)
{
	pthread_t t;
	long cpu;

	if (pipe(pipe_fds))
		return;
	for (cpu = 1; cpu < ncpus; cpu++)
		pthread_create(&t, NULL, helper, (void *)cpu);
	usleep(100000);
	run_all("multi");
}

static void in_child(void (*fn)(void))
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		fn();
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, &status, 0);
}

static void single_threaded(void)
{
	run_all("single");
}

/*
 * Print where the kernel's text runs ("bench: _stext 0x..."), so that a
 * profile of guest addresses can be matched with System.map.
 */
static void print_stext(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[256];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " T _stext\n")) {
			printf("bench: _stext 0x%.*s\n",
			       (int)strcspn(line, " "), line);
			break;
		}
	fclose(f);
}

static void kernel_module(void)
{
	int fd = open("/ipte_bench.ko", O_RDONLY);

	if (fd < 0)
		return;
	if (syscall(SYS_finit_module, fd, "", 0))
		printf("bench: ipte_bench.ko: %s\n", strerror(errno));
	close(fd);
}

int main(void)
{
	struct utsname u;

	page_size = sysconf(_SC_PAGESIZE);
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	uname(&u);
	printf("bench: Linux %s %s on %s, %d CPUs\n", u.release, u.version,
	       u.machine, ncpus);
	pin(0);
	mkdir("/proc", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	print_stext();
	if (selected("bench_threads", "single"))
		in_child(single_threaded);
	if (selected("bench_threads", "multi"))
		in_child(multi_threaded);
	if (selected("bench_only", "vmalloc"))
		kernel_module();
	printf("bench: done\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
