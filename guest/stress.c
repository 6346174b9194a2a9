// SPDX-License-Identifier: GPL-2.0
/*
 * The init of the stress guest: a bounded, data-checking stress run of the
 * page-table walkers that the series batches (mprotect, mremap, munmap,
 * madvise, fork, and vmalloc through the module stress_vmalloc.ko), with
 * CPU hotplug going on at the same time.
 *
 * Worker processes (stress_procs, default 2) each run one thread per online
 * CPU (stress_threads, default all of them), each pinned to its own home CPU,
 * so that every worker mm is attached to all CPUs and the kernel takes the
 * global IPTE paths. A worker thread repeats steps: it maps a region
 * (private anonymous, shared anonymous, or a shared mapping of a memfd or of
 * a file in the root file system) of random size and placement (1 MiB
 * aligned or not, within one page table or crossing into the next), writes a
 * pattern into the first and last 8 bytes of every page (derived from the
 * region's tag, the page index and a per-page generation), and then applies
 * a few random operations, checking after each one every page of the region
 * against what it must hold: the pattern, zero, "pattern or zero" after
 * MADV_FREE, or a fault with the right signal code for unmapped and
 * inaccessible pages and for writes to read-only ones. The operation's
 * system call runs on another CPU than the one that filled and checks the
 * region, so that an invalidation which misses a CPU leaves a stale TLB
 * entry behind that the check then sees.
 *
 * The operations: mprotect of a range to read-only or no access and back;
 * mremap moving the region (same size or resized), shrinking or growing it
 * in place; munmap of a sub-range; MADV_DONTNEED, MADV_FREE (optionally
 * followed by MADV_PAGEOUT), MADV_COLD and MADV_PAGEOUT; rewriting a range;
 * and fork, where the parent writes the region after fork() has returned,
 * and the child must see its pre-fork copy (private) or the parent's writes
 * (shared), then writes its own values, which the parent must not see
 * (private) or must see (shared).
 *
 * Next to the workers, the writeback check (see wb_round()) writes shared
 * file mappings from other CPUs while they are unmapped or dropped and the
 * file is written back, and checks that no store that returned is missing
 * from the file once its page cache is dropped: on tmpfs (a memfd), and with
 * stress_disk=1 on the ext2 file system of /dev/vda.
 *
 * And the window check (see win_round()) changes a range with mprotect,
 * munmap, mremap or MADV_DONTNEED on one CPU while threads of the same
 * process on the other CPUs keep writing and reading its pages, and checks
 * from each of those CPUs, as soon as the system call has returned, that
 * every access sees the new state and none the old one: the batching window
 * of the series, between a change of the page table and the invalidation of
 * the TLB entries of all CPUs.
 *
 * Meanwhile init's own threads take CPUs other than CPU 0 offline and online
 * again through sysfs about every second, and load /stress_vmalloc.ko (when
 * the initramfs has it) with "seconds=N", which runs its own vmalloc stress
 * and fails to load if it found a bad page.
 *
 * Parameters come from the kernel command line, which hands unknown
 * key=value words to init's environment: stress_seconds (default 60),
 * stress_seed (default from the clock; printed so that a run can be
 * repeated: every worker thread draws its own random sequence from the seed
 * and its number), stress_procs, stress_threads, stress_hotplug=0 to leave
 * the CPUs alone, stress_writeback=0 to leave out the writeback check,
 * stress_disk=1 to run it on /dev/vda too, and stress_window=0 to leave out
 * the window check (which otherwise runs for stress_seconds, like the rest).
 * (Debian's QEMU 7.2 can deadlock under multi-threaded TCG when one CPU
 * sends SIGP, as CPU online and offline do, while another waits for the TLB
 * flush on all CPUs of its global IPTE; qemu/patches/0006 fixes ours.)
 *
 * Output: "stress: start ...", one "stress: FAIL ..." line per failed check
 * (operation, mapping kind, worker, step, seed, CPU, region address, its
 * page offset within its 1 MiB, size in pages, page index, what was checked,
 * expected and found value; for faults the values are signal << 8 | si_code,
 * 0 meaning "no fault"), and at the end
 *
 *   stress: writeback FS rounds=N failed=M writers=W	(one per file system)
 *   stress: window rounds=N failed=M touchers=T ops=ro:A,none:B,...
 *   stress: done steps=N failures=M hotplug=K seconds=S seed=X
 *
 * where steps counts the checked operations (and the rounds of the writeback
 * and window checks), hotplug the successful CPU offline and online
 * transitions, and seconds the time the run took. The window line's failed
 * counts its failed checks, each one also a failure of the done line (a
 * round prints at most WIN_PRINT FAIL lines, then one with its count),
 * touchers its threads, and ops the rounds of each operation, in the order
 * ro, none, unmap, move, dontneed; with stress_window=0 it is "stress:
 * window disabled". Then the guest powers off. A failed check ends the step;
 * the worker goes on with the next one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB		(1UL << 20)
#define MAX_PAGES	4096		/* largest region at creation */
#define MAX_GROW	256		/* most pages an mremap adds */
#define MAX_TOTAL	(MAX_PAGES + MAX_GROW)
#define MAX_THREADS	16
#define MAX_PROCS	8
#define MAX_OPS		4		/* operations per step, at most */
/*
 * Each worker thread owns a 4 GiB arena at a fixed address, far below where
 * the kernel places mappings without an address: its regions live in slot 0
 * or slot 1 (the two halves), and nothing else is ever mapped there, so that
 * an address that must be unmapped stays unmapped.
 */
#define ARENA_BASE	0x100000000UL
#define ARENA_SIZE	0x100000000UL
#define SLOT_SIZE	(ARENA_SIZE / 2)
#define SLOT_MIBS	1000		/* a region starts in the first 1000 MiB */

enum kind { K_PRIVATE, K_SHARED, K_FILE, K_MAX };

static const char *const kind_names[K_MAX] = {
	[K_PRIVATE] = "private", [K_SHARED] = "shared", [K_FILE] = "file",
};

/* What a page must hold. */
enum page_st {
	ST_DATA,	/* the pattern of its generation */
	ST_ZERO,	/* zeroes */
	ST_MAYBE,	/* the pattern or zeroes (after MADV_FREE) */
	ST_ANY,		/* anything: not yet written (grown file mapping) */
	ST_HOLE,	/* unmapped: a read faults with SEGV_MAPERR */
};

enum page_prot { P_RW, P_RO, P_NONE };

struct page_state {
	uint32_t gen;
	uint8_t st;
	uint8_t prot;
};

struct worker {
	int proc, thread;
	int home;			/* the CPU the thread belongs to */
	int cpu;			/* the CPU that fills and checks */
	uint64_t rng;
	unsigned long step;
	const char *op;			/* the operation under way */
	int fd;				/* the file of K_FILE mappings, or -1 */
	char *arena;
	/* The current region. */
	char *addr;
	unsigned long pages;
	enum kind kind;
	int slot;
	int split;			/* may be more than one VMA */
	uint64_t tag;
	struct page_state *ps;		/* MAX_TOTAL entries */
};

/* Shared by init and the worker processes. */
struct counters {
	unsigned long steps, failures;
};

static struct counters *ctr;
static long page_size;
static int ncpus, nprocs, nthreads, seconds, file_kind = 1, hotplug_on;
static unsigned long long seed;
static uint64_t deadline;		/* CLOCK_MONOTONIC, in ns */
static volatile int hotplug_stop;
static unsigned long hotplug_count;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line, in one write(), so that lines of threads do not mix. */
static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	if (write(1, buf, n) < 0)
		return;
}

static void count_failure(void)
{
	__atomic_fetch_add(&ctr->failures, 1, __ATOMIC_RELAXED);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int time_up(void)
{
	return now_ns() >= deadline;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* A number in [0, n), n > 0. */
static unsigned long rnd(struct worker *w, unsigned long n)
{
	w->rng += 0x9e3779b97f4a7c15ULL;
	return mix64(w->rng) % n;
}

/* The first (@last = 0) or last word of page @i at generation @gen. */
static uint64_t pattern(struct worker *w, unsigned long i, uint32_t gen, int last)
{
	return mix64(w->tag ^ ((uint64_t)i << 20) ^ ((uint64_t)gen << 40) ^ last) | 1;
}

static char *page_addr(struct worker *w, unsigned long i)
{
	return w->addr + i * page_size;
}

/*
 * Memory accesses that may fault. The SIGSEGV and SIGBUS handler jumps back
 * into the access function; it is installed with SA_NODEFER, so that the
 * jump leaves the signal mask as it was and sigsetjmp need not save it.
 */
static __thread struct {
	sigjmp_buf jb;
	volatile sig_atomic_t armed;
	volatile int sig, code;
	void *volatile addr;
} probe;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!probe.armed) {
		say("stress: FAIL unexpected signal %d code %d at %p outside a check, seed=%llu\n",
		    sig, si->si_code, si->si_addr, seed);
		_exit(3);
	}
	probe.armed = 0;
	probe.sig = sig;
	probe.code = si->si_code;
	probe.addr = si->si_addr;
	siglongjmp(probe.jb, 1);
}

/* 0 if the word at @p could be read into *@val, else the signal. */
static int __attribute__((noinline)) load(const char *p, uint64_t *val)
{
	if (sigsetjmp(probe.jb, 0))
		return probe.sig;
	probe.armed = 1;
	*val = *(const volatile uint64_t *)p;
	probe.armed = 0;
	return 0;
}

/* 0 if @val could be written to the word at @p, else the signal. */
static int __attribute__((noinline)) store(char *p, uint64_t val)
{
	if (sigsetjmp(probe.jb, 0))
		return probe.sig;
	probe.armed = 1;
	*(volatile uint64_t *)p = val;
	probe.armed = 0;
	return 0;
}

/* How a fault is reported: signal << 8 | si_code, 0 for none. */
static uint64_t fault_code(int sig)
{
	return sig ? ((uint64_t)sig << 8 | (uint64_t)(probe.code & 0xff)) : 0;
}

/* The first mismatch of a check, and how many pages mismatched. */
struct mismatch {
	unsigned long count, page;
	const char *what;
	uint64_t expected, found;
};

static void note(struct mismatch *m, unsigned long page, const char *what,
		 uint64_t expected, uint64_t found)
{
	if (m->count++)
		return;
	m->page = page;
	m->what = what;
	m->expected = expected;
	m->found = found;
}

/* Print the FAIL line of a check of @pages at @addr; 1 if it passed. */
static int report(struct worker *w, struct mismatch *m, char *addr, unsigned long pages)
{
	if (!m->count)
		return 1;
	count_failure();
	say("stress: FAIL op=%s kind=%s worker=%d.%d step=%lu seed=%llu cpu=%d addr=%p mib_off=%lu pages=%lu page=%lu what=\"%s\" expected=%#llx found=%#llx bad_pages=%lu\n",
	    w->op, kind_names[w->kind], w->proc, w->thread, w->step, seed,
	    sched_getcpu(), (void *)addr,
	    ((unsigned long)addr & (MIB - 1)) / page_size, pages, m->page, m->what,
	    (unsigned long long)m->expected, (unsigned long long)m->found, m->count);
	return 0;
}

/* A system call that should have worked did not. */
static int sys_failed(struct worker *w, const char *call, unsigned long s, unsigned long n)
{
	int err = errno;

	count_failure();
	say("stress: FAIL op=%s kind=%s worker=%d.%d step=%lu seed=%llu cpu=%d addr=%p mib_off=%lu pages=%lu page=%lu what=\"%s of %lu pages: %s\"\n",
	    w->op, kind_names[w->kind], w->proc, w->thread, w->step, seed,
	    sched_getcpu(), (void *)w->addr,
	    ((unsigned long)w->addr & (MIB - 1)) / page_size, w->pages, s, call, n,
	    strerror(err));
	return 0;
}

/* The fault of the access to @p must be SIGSEGV with @code, at @p's page. */
static void expect_fault(struct mismatch *m, unsigned long i, const char *p, int sig,
			 int code, const char *what)
{
	uint64_t want = (uint64_t)SIGSEGV << 8 | code, got = fault_code(sig);

	if (got != want)
		note(m, i, what, want, got);
	else if (((unsigned long)probe.addr ^ (unsigned long)p) & ~(page_size - 1))
		note(m, i, "fault address", (unsigned long)p, (unsigned long)probe.addr);
}

/*
 * Check page @i at @p against its state; with @writes, also write the value
 * read back to its first word: that must work on a writable page and fault
 * on a read-only one.
 */
static void check_page(struct worker *w, unsigned long i, char *p, int writes,
		       struct mismatch *m)
{
	struct page_state *s = &w->ps[i];
	char *q = p + page_size - 8;
	uint64_t a = 0, b = 0, ea, eb;
	int sig;

	if (s->st == ST_HOLE) {
		expect_fault(m, i, p, load(p, &a), SEGV_MAPERR, "read of an unmapped page");
		return;
	}
	if (s->prot == P_NONE) {
		expect_fault(m, i, p, load(p, &a), SEGV_ACCERR, "read of a PROT_NONE page");
		return;
	}
	sig = load(p, &a);
	if (!sig)
		sig = load(q, &b);
	if (sig) {
		note(m, i, "read faulted", 0, fault_code(sig));
		return;
	}
	ea = pattern(w, i, s->gen, 0);
	eb = pattern(w, i, s->gen, 1);
	switch (s->st) {
	case ST_DATA:
		if (a != ea)
			note(m, i, "first word", ea, a);
		else if (b != eb)
			note(m, i, "last word", eb, b);
		break;
	case ST_ZERO:
		if (a)
			note(m, i, "first word of a zero page", 0, a);
		else if (b)
			note(m, i, "last word of a zero page", 0, b);
		break;
	case ST_MAYBE:
		/*
		 * Reclaim may drop the page between the two reads: "pattern,
		 * zero" is a zero page if the first word now reads zero too.
		 */
		if (a == ea && !b && load(p, &a))
			a = ea;
		if (a == ea && b == eb)
			s->st = ST_DATA;
		else if (!a && !b)
			s->st = ST_ZERO;
		else if (a && a != ea)
			note(m, i, "first word after MADV_FREE", ea, a);
		else
			note(m, i, "last word after MADV_FREE", a ? eb : 0, b);
		if (s->st == ST_MAYBE)
			return;
		break;
	default:
		break;
	}
	if (!writes)
		return;
	sig = store(p, a);
	if (s->prot == P_RO)
		expect_fault(m, i, p, sig, SEGV_ACCERR, "write to a read-only page");
	else if (sig)
		note(m, i, "write faulted", 0, fault_code(sig));
}

/* Check every page of the region. */
static int verify(struct worker *w, int writes)
{
	struct mismatch m = { 0 };
	unsigned long i;

	for (i = 0; i < w->pages; i++)
		check_page(w, i, page_addr(w, i), writes, &m);
	return report(w, &m, w->addr, w->pages);
}

/* Every page of [@addr, + @pages) must be unmapped. */
static int verify_gone(struct worker *w, char *addr, unsigned long pages)
{
	struct mismatch m = { 0 };
	unsigned long i;
	uint64_t v;

	for (i = 0; i < pages; i++) {
		char *p = addr + i * page_size;

		expect_fault(&m, i, p, load(p, &v), SEGV_MAPERR, "read of an unmapped page");
	}
	return report(w, &m, addr, pages);
}

/* Write generation @gen into page @i. */
static void put_page(struct worker *w, unsigned long i, uint32_t gen, struct mismatch *m)
{
	char *p = page_addr(w, i);
	int sig;

	sig = store(p, pattern(w, i, gen, 0));
	if (!sig)
		sig = store(p + page_size - 8, pattern(w, i, gen, 1));
	if (sig)
		note(m, i, "write faulted", 0, fault_code(sig));
	w->ps[i].gen = gen;
	w->ps[i].st = ST_DATA;
}

/* Write the next generation(s) into the mapped pages of [@s, @s + @n). */
static int rewrite(struct worker *w, unsigned long s, unsigned long n, uint32_t delta)
{
	struct mismatch m = { 0 };
	unsigned long i;

	for (i = s; i < s + n; i++)
		if (w->ps[i].st != ST_HOLE && w->ps[i].prot == P_RW)
			put_page(w, i, w->ps[i].gen + delta, &m);
	return report(w, &m, w->addr, w->pages);
}

/*
 * Run on @cpu, or on the next online CPU after it (CPUs come and go);
 * returns the CPU, or -1 if none took the thread.
 */
static int hop(int cpu)
{
	cpu_set_t set;
	int k, c;

	for (k = 0; k < ncpus; k++) {
		c = (cpu + k) % ncpus;
		CPU_ZERO(&set);
		CPU_SET(c, &set);
		if (!sched_setaffinity(0, sizeof(set), &set))
			return c;
	}
	return -1;
}

/* A CPU other than the checking one (when there is one). */
static int other_cpu(struct worker *w)
{
	if (ncpus < 2)
		return 0;
	return (w->cpu + 1 + rnd(w, ncpus - 1)) % ncpus;
}

static unsigned long pick_pages(struct worker *w)
{
	unsigned long r = rnd(w, 100);

	if (r < 35)
		return 1 + rnd(w, 16);
	if (r < 60)
		return 17 + rnd(w, 240);
	if (r < 70)
		return 256 << rnd(w, 2);		/* exactly 1 or 2 MiB */
	if (r < 95)
		return 257 + rnd(w, 512);
	return 1025 + rnd(w, MAX_PAGES - 1024);
}

/*
 * A place in @slot for @pages: at a 1 MiB boundary, at a random page within
 * a MiB, or at one that makes the region cross into the next page table.
 */
static char *place(struct worker *w, int slot, unsigned long pages)
{
	char *base = w->arena + slot * SLOT_SIZE + rnd(w, SLOT_MIBS) * MIB;
	unsigned long per_mib = MIB / page_size, before;

	switch (rnd(w, 3)) {
	case 0:
		return base;
	case 1:
		return base + (1 + rnd(w, per_mib - 1)) * page_size;
	default:
		if (pages < 2)
			return base + (per_mib - 1) * page_size;
		before = 1 + rnd(w, pages - 1 < per_mib - 1 ? pages - 1 : per_mib - 1);
		return base + (per_mib - before) * page_size;
	}
}

/* Pick a range of mapped pages: sometimes all of the region. */
static void pick_range(struct worker *w, unsigned long *s, unsigned long *n)
{
	unsigned long i, e;

	if (!w->split && !rnd(w, 3)) {
		*s = 0;
		*n = w->pages;
		return;
	}
	do
		i = rnd(w, w->pages);
	while (w->ps[i].st == ST_HOLE);
	for (e = i; e < w->pages && w->ps[e].st != ST_HOLE; e++)
		;
	*s = i;
	*n = 1 + rnd(w, e - i);
}

static unsigned long mapped_pages(struct worker *w)
{
	unsigned long i, n = 0;

	for (i = 0; i < w->pages; i++)
		n += w->ps[i].st != ST_HOLE;
	return n;
}

static int map_flags(struct worker *w)
{
	return w->kind == K_PRIVATE ? MAP_PRIVATE | MAP_ANONYMOUS :
	       w->kind == K_SHARED ? MAP_SHARED | MAP_ANONYMOUS : MAP_SHARED;
}

/* Map a new region and write the pattern into it. */
static int new_region(struct worker *w)
{
	unsigned long r = rnd(w, 4), i;
	char *p;

	w->op = "create";
	w->kind = r < 2 ? K_PRIVATE : r == 2 || w->fd < 0 ? K_SHARED : K_FILE;
	w->pages = pick_pages(w);
	w->slot = 0;
	w->split = 0;
	w->addr = place(w, 0, w->pages);
	w->tag = mix64(w->rng ^ ((uint64_t)w->proc << 56) ^ ((uint64_t)w->thread << 48));
	p = mmap(w->addr, w->pages * page_size, PROT_READ | PROT_WRITE,
		 map_flags(w) | MAP_FIXED_NOREPLACE, w->kind == K_FILE ? w->fd : -1, 0);
	if (p != w->addr) {
		if (p != MAP_FAILED)
			munmap(p, w->pages * page_size);
		w->pages = 0;
		return sys_failed(w, "mmap", 0, 0);
	}
	for (i = 0; i < w->pages; i++)
		w->ps[i] = (struct page_state){ .gen = 0, .st = ST_ANY, .prot = P_RW };
	return rewrite(w, 0, w->pages, 1) && verify(w, 1);
}

/* mprotect a range to read-only or no access, check, back, check. */
static int op_mprotect(struct worker *w)
{
	unsigned long s, n, i;
	int none = !rnd(w, 4), b = other_cpu(w), r;

	w->op = none ? "mprotect_none" : "mprotect_ro";
	pick_range(w, &s, &n);
	hop(b);
	r = mprotect(page_addr(w, s), n * page_size, none ? PROT_NONE : PROT_READ);
	hop(w->cpu);
	if (r)
		return sys_failed(w, "mprotect", s, n);
	if (s || n != w->pages)
		w->split = 1;
	for (i = s; i < s + n; i++)
		w->ps[i].prot = none ? P_NONE : P_RO;
	if (!verify(w, 1))
		return 0;
	w->op = none ? "mprotect_none_rw" : "mprotect_ro_rw";
	hop(rnd(w, 2) ? b : w->cpu);
	r = mprotect(page_addr(w, s), n * page_size, PROT_READ | PROT_WRITE);
	hop(w->cpu);
	if (r)
		return sys_failed(w, "mprotect", s, n);
	for (i = s; i < s + n; i++)
		w->ps[i].prot = P_RW;
	return verify(w, 1) && rewrite(w, s, n, 1) && verify(w, 0);
}

/* New pages at the end of the region (grown by mremap): zero or unknown. */
static int grown(struct worker *w, unsigned long old_pages)
{
	unsigned long i;

	for (i = old_pages; i < w->pages; i++)
		w->ps[i] = (struct page_state){
			.gen = 0, .st = w->kind == K_PRIVATE ? ST_ZERO : ST_ANY, .prot = P_RW,
		};
	return verify(w, 0) && rewrite(w, old_pages, w->pages - old_pages, 1) &&
	       verify(w, 1);
}

/* How many pages may be added (not to shared anonymous: beyond its size). */
static unsigned long grow_room(struct worker *w)
{
	unsigned long room = MAX_TOTAL - w->pages;

	if (w->kind == K_SHARED)
		return 0;
	return room < MAX_GROW ? room : MAX_GROW;
}

/* Move the region to the other slot, sometimes resizing it. */
static int op_mremap_move(struct worker *w)
{
	unsigned long old_pages = w->pages, new_pages = w->pages, r = rnd(w, 4);
	char *old = w->addr, *dst, *q;
	int b = other_cpu(w);

	w->op = "mremap_move";
	if (r == 0 && w->pages > 1) {
		new_pages = 1 + rnd(w, w->pages - 1);
		w->op = "mremap_move_shrink";
	} else if (r == 1 && grow_room(w)) {
		new_pages = w->pages + 1 + rnd(w, grow_room(w));
		w->op = "mremap_move_grow";
	}
	dst = place(w, !w->slot, new_pages);
	hop(b);
	q = mremap(old, old_pages * page_size, new_pages * page_size,
		   MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	hop(w->cpu);
	if (q != dst)
		return sys_failed(w, "mremap", 0, old_pages);
	w->addr = dst;
	w->slot = !w->slot;
	w->pages = new_pages;
	if (!verify_gone(w, old, old_pages))
		return 0;
	if (new_pages > old_pages)
		return grown(w, old_pages);
	return verify(w, 1);
}

static int op_mremap_shrink(struct worker *w)
{
	unsigned long new_pages = 1 + rnd(w, w->pages - 1);
	int b = other_cpu(w), flags = rnd(w, 2) ? MREMAP_MAYMOVE : 0;
	char *q;

	w->op = "mremap_shrink";
	hop(b);
	q = mremap(w->addr, w->pages * page_size, new_pages * page_size, flags);
	hop(w->cpu);
	if (q != w->addr)
		return sys_failed(w, "mremap", new_pages, w->pages - new_pages);
	if (!verify_gone(w, page_addr(w, new_pages), w->pages - new_pages))
		return 0;
	w->pages = new_pages;
	return verify(w, 1);
}

/*
 * Grow in place: the space after the region is free, so this must work
 * without MREMAP_MAYMOVE; with it, the kernel should still grow in place,
 * but may move.
 */
static int op_mremap_grow(struct worker *w)
{
	unsigned long old_pages = w->pages, new_pages = w->pages + 1 + rnd(w, grow_room(w));
	int b = other_cpu(w), flags = rnd(w, 2) ? MREMAP_MAYMOVE : 0;
	char *old = w->addr, *q;

	w->op = "mremap_grow";
	hop(b);
	q = mremap(old, old_pages * page_size, new_pages * page_size, flags);
	hop(w->cpu);
	if (q == MAP_FAILED || (!flags && q != old))
		return sys_failed(w, "mremap", old_pages, new_pages - old_pages);
	w->addr = q;
	w->pages = new_pages;
	if (q != old && !verify_gone(w, old, old_pages))
		return 0;
	return grown(w, old_pages);
}

static int op_mremap(struct worker *w)
{
	unsigned long r = rnd(w, 10);

	if (r < 3 && w->pages > 1)
		return op_mremap_shrink(w);
	if (r < 6 && grow_room(w))
		return op_mremap_grow(w);
	return op_mremap_move(w);
}

/* Unmap part of the region (never all of what is left). */
static int op_munmap(struct worker *w)
{
	unsigned long s, n, i, mapped = mapped_pages(w);
	int b = other_cpu(w), r;

	w->op = "munmap";
	pick_range(w, &s, &n);
	if (n == mapped) {
		if (rnd(w, 2))
			s++;
		n--;
	}
	hop(b);
	r = munmap(page_addr(w, s), n * page_size);
	hop(w->cpu);
	if (r)
		return sys_failed(w, "munmap", s, n);
	w->split = 1;
	for (i = s; i < s + n; i++)
		w->ps[i].st = ST_HOLE;
	return verify(w, 1);
}

/* MADV_DONTNEED, MADV_COLD, MADV_PAGEOUT of a range. */
static int op_madvise(struct worker *w, int advice, const char *name)
{
	unsigned long s, n, i;
	int b = other_cpu(w), r;

	w->op = name;
	pick_range(w, &s, &n);
	hop(b);
	r = madvise(page_addr(w, s), n * page_size, advice);
	hop(w->cpu);
	if (r)
		return sys_failed(w, "madvise", s, n);
	if (advice == MADV_DONTNEED && w->kind == K_PRIVATE)
		for (i = s; i < s + n; i++)
			w->ps[i].st = ST_ZERO;
	if (!verify(w, 1))
		return 0;
	if (advice == MADV_DONTNEED && rnd(w, 2))
		return rewrite(w, s, n, 1) && verify(w, 0);
	return 1;
}

/*
 * MADV_FREE of a range of a private region (sometimes followed by
 * MADV_PAGEOUT, which may drop the pages): each page then holds its pattern
 * or zeroes. Writing the pages settles them.
 */
static int op_free(struct worker *w)
{
	unsigned long s, n, i;
	int b = other_cpu(w), r;

	w->op = "madv_free";
	pick_range(w, &s, &n);
	hop(b);
	r = madvise(page_addr(w, s), n * page_size, MADV_FREE);
	if (!r && rnd(w, 2)) {
		w->op = "madv_free_pageout";
		r = madvise(page_addr(w, s), n * page_size, MADV_PAGEOUT);
	}
	hop(w->cpu);
	if (r)
		return sys_failed(w, "madvise", s, n);
	for (i = s; i < s + n; i++)
		if (w->ps[i].st == ST_DATA)
			w->ps[i].st = ST_MAYBE;
	return verify(w, 0) && rewrite(w, s, n, 1) && verify(w, 1);
}

static int op_write(struct worker *w)
{
	unsigned long s, n;

	w->op = "write";
	pick_range(w, &s, &n);
	hop(other_cpu(w));
	if (!rewrite(w, s, n, 1))
		return 0;
	hop(w->cpu);
	return verify(w, 1);
}

/* What the pages hold after every mapped page was written with gen + @delta. */
static void expect_rewritten(struct worker *w, uint32_t delta)
{
	unsigned long i;

	for (i = 0; i < w->pages; i++) {
		if (w->ps[i].st == ST_HOLE)
			continue;
		w->ps[i].gen += delta;
		w->ps[i].st = ST_DATA;
	}
}

/*
 * fork on another CPU; the parent writes generation +2 into every page on
 * the checking CPU (whose TLB knew the pages writable before the fork), then
 * lets the child check: the pre-fork data for a private region, +2 for a
 * shared one. The child writes +1 onto what it saw; afterwards the parent
 * must still see its +2 (private), or the child's +3 (shared).
 */
static int op_fork(struct worker *w)
{
	int b = other_cpu(w), pfd[2], status, ok;
	pid_t pid;
	char c = 0;

	w->op = "fork";
	if (pipe(pfd))
		return sys_failed(w, "pipe", 0, 0);
	hop(b);
	pid = fork();
	if (pid == 0) {
		close(pfd[1]);
		if (read(pfd[0], &c, 1) != 1)
			_exit(4);
		w->op = "fork_child";
		w->cpu = hop(rnd(w, ncpus));
		if (w->kind != K_PRIVATE)
			expect_rewritten(w, 2);
		ok = verify(w, 1) && rewrite(w, 0, w->pages, 1) && verify(w, 1);
		_exit(ok ? 0 : 1);
	}
	close(pfd[0]);
	hop(w->cpu);
	if (pid < 0) {
		close(pfd[1]);
		return sys_failed(w, "fork", 0, 0);
	}
	ok = rewrite(w, 0, w->pages, 2);
	if (write(pfd[1], &c, 1) != 1)
		ok = 0;
	close(pfd[1]);
	if (waitpid(pid, &status, 0) != pid)
		return sys_failed(w, "waitpid", 0, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
		count_failure();
		say("stress: FAIL op=fork kind=%s worker=%d.%d step=%lu seed=%llu what=\"child status %#x\"\n",
		    kind_names[w->kind], w->proc, w->thread, w->step, seed, status);
		return 0;
	}
	if (!ok || WEXITSTATUS(status))
		return 0;
	w->op = "fork_parent";
	if (w->kind != K_PRIVATE)
		expect_rewritten(w, 1);
	return verify(w, 1);
}

static int do_op(struct worker *w)
{
	for (;;) {
		switch (rnd(w, 10)) {
		case 0:
		case 1:
			return op_mprotect(w);
		case 2:
			if (w->split)
				continue;
			return op_mremap(w);
		case 3:
			if (mapped_pages(w) < 2)
				continue;
			return op_munmap(w);
		case 4:
			return op_madvise(w, MADV_DONTNEED, "madv_dontneed");
		case 5:
			if (w->kind != K_PRIVATE)
				continue;
			return op_free(w);
		case 6:
			return op_madvise(w, MADV_COLD, "madv_cold");
		case 7:
			return op_madvise(w, MADV_PAGEOUT, "madv_pageout");
		case 8:
			return op_write(w);
		default:
			return op_fork(w);
		}
	}
}

/* Unmap the whole arena; the region must be gone. */
static void teardown(struct worker *w)
{
	w->op = "teardown";
	hop(other_cpu(w));
	if (w->pages && munmap(w->addr, w->pages * page_size))
		sys_failed(w, "munmap", 0, w->pages);
	if (munmap(w->arena, ARENA_SIZE))
		sys_failed(w, "munmap of the arena", 0, 0);
	hop(w->cpu);
	if (w->pages)
		verify_gone(w, w->addr, w->pages);
}

static void step(struct worker *w)
{
	int k, nops, ok;

	w->cpu = hop(rnd(w, 4) ? w->home : (int)rnd(w, ncpus));
	if (w->cpu < 0)
		w->cpu = 0;
	nops = 1 + rnd(w, MAX_OPS);
	w->step++;
	ok = new_region(w);
	__atomic_fetch_add(&ctr->steps, 1, __ATOMIC_RELAXED);
	for (k = 0; ok && k < nops && !time_up(); k++) {
		w->step++;
		ok = do_op(w);
		__atomic_fetch_add(&ctr->steps, 1, __ATOMIC_RELAXED);
	}
	w->step++;
	teardown(w);
	__atomic_fetch_add(&ctr->steps, 1, __ATOMIC_RELAXED);
}

static pthread_barrier_t start_barrier;

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	w->home = (w->thread + w->proc) % ncpus;
	w->cpu = hop(w->home);
	w->rng = seed ^ mix64((uint64_t)w->proc << 32 | w->thread);
	w->arena = (char *)(ARENA_BASE + w->thread * ARENA_SIZE);
	w->ps = calloc(MAX_TOTAL, sizeof(*w->ps));
	pthread_barrier_wait(&start_barrier);
	if (!w->ps) {
		count_failure();
		say("stress: FAIL worker %d.%d: out of memory\n", w->proc, w->thread);
		return NULL;
	}
	while (!time_up())
		step(w);
	return NULL;
}

/* The file that K_FILE regions map: a memfd, or else a file in /. */
static int region_file(int proc, int thread)
{
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "/stress-%d-%d", proc, thread);
	fd = syscall(SYS_memfd_create, name + 1, 0);
	if (fd < 0) {
		fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
		unlink(name);
	}
	if (fd >= 0 && ftruncate(fd, MAX_TOTAL * page_size)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void worker_process(int proc)
{
	static struct worker workers[MAX_THREADS];
	static pthread_t tids[MAX_THREADS];
	struct sigaction sa = { 0 };
	int t;

	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	pthread_barrier_init(&start_barrier, NULL, nthreads);
	for (t = 0; t < nthreads; t++) {
		workers[t].proc = proc;
		workers[t].thread = t;
		workers[t].fd = file_kind ? region_file(proc, t) : -1;
		if (pthread_create(&tids[t], NULL, worker_main, &workers[t])) {
			say("stress: FAIL cannot create worker %d.%d\n", proc, t);
			count_failure();
			_exit(2);
		}
	}
	for (t = 0; t < nthreads; t++)
		pthread_join(tids[t], NULL);
	_exit(0);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Take a random CPU other than 0 offline, then online again, until the end. */
static void *hotplug_main(void *arg)
{
	struct worker rng = { .rng = seed ^ 0x686f74706c7567ULL };
	char path[64];
	int cpu, offline_errors = 0;

	(void)arg;
	if (!hotplug_on) {
		say("stress: hotplug disabled\n");
		return NULL;
	}
	if (ncpus < 2 || access("/sys/devices/system/cpu/cpu1/online", W_OK)) {
		say("stress: hotplug unavailable\n");
		return NULL;
	}
	while (!hotplug_stop && now_ns() + 1500000000ULL < deadline) {
		sleep_ms(300 + rnd(&rng, 700));
		cpu = 1 + rnd(&rng, ncpus - 1);
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
		if (write_file(path, "0")) {
			if (offline_errors++ < 3)
				say("stress: cpu%d offline: %s\n", cpu, strerror(errno));
			continue;
		}
		__atomic_fetch_add(&hotplug_count, 1, __ATOMIC_RELAXED);
		sleep_ms(300 + rnd(&rng, 700));
		if (write_file(path, "1")) {
			count_failure();
			say("stress: FAIL cpu%d online: %s seed=%llu\n", cpu, strerror(errno), seed);
			continue;
		}
		__atomic_fetch_add(&hotplug_count, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Load /stress_vmalloc.ko: its init runs the stress, for 2/3 of the run. */
static void *module_main(void *arg)
{
	char params[64];
	int fd = open("/stress_vmalloc.ko", O_RDONLY), n = seconds * 2 / 3;

	(void)arg;
	if (fd < 0) {
		say("stress: no stress_vmalloc.ko\n");
		return NULL;
	}
	sleep_ms(1000);
	snprintf(params, sizeof(params), "seconds=%d seed=%llu", n > 0 ? n : 1, seed);
	say("stress: loading stress_vmalloc.ko %s\n", params);
	if (syscall(SYS_finit_module, fd, params, 0)) {
		count_failure();
		say("stress: FAIL stress_vmalloc.ko: %s seed=%llu\n", strerror(errno), seed);
	}
	close(fd);
	return NULL;
}

/*
 * The writeback check: shared file mappings written on other CPUs while they
 * are unmapped or dropped and the file is written back. For each file (a
 * memfd, i.e. tmpfs, and with stress_disk=1 a file on the ext2 file system of
 * /dev/vda) one process repeats rounds until the deadline: it maps WB_PAGES
 * pages of the file, zeroed, within one page table or across two; a writer
 * thread on each other CPU stores increasing values into a word of its own in
 * every page, and remembers the last value of each page whose store
 * returned; a sync thread forces writeback (msync, fsync, sync_file_range);
 * the round's own thread then munmaps the mapping or a part of it (the
 * writers stop at their first fault) or MADV_DONTNEEDs it (they go on and
 * fault the pages in again). Then the writers stop, the file is synced, its
 * page cache dropped (POSIX_FADV_DONTNEED and drop_caches), and every word
 * read back must be the last value stored there: a store that returned
 * before the unmap and is missing from the file is a lost write. That is
 * what happens if an entry can still be written through while writeback
 * cleans its page, because the rmap no longer has it.
 */
#define WB_PAGES	96
#define WB_BASE		(ARENA_BASE + MAX_THREADS * ARENA_SIZE)

struct wb_writer {
	struct wb_round *r;
	int k, cpu;
	pthread_t tid;
	uint64_t last[WB_PAGES];	/* 0: never stored this round */
};

struct wb_round {
	const char *name;
	int fd;
	char *addr;
	unsigned long pages;
	uint64_t round;
	int stop;
	int nwriters;
	struct wb_writer w[MAX_THREADS];
};

static void *wb_writer_main(void *arg)
{
	struct wb_writer *w = arg;
	struct wb_round *r = w->r;
	uint64_t seq = 0, v;
	unsigned long i;

	hop(w->cpu);
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		for (i = 0; i < r->pages; i++) {
			v = r->round << 32 | ++seq;
			if (store(r->addr + i * page_size + 8 * w->k, v))
				return NULL;	/* unmapped: the round ends here */
			w->last[i] = v;
		}
	}
	return NULL;
}

static void *wb_sync_main(void *arg)
{
	struct wb_round *r = arg;
	unsigned long n = 0;

	hop(ncpus - 1);
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		switch (n++ % 3) {
		case 0:
			msync(r->addr, r->pages * page_size, MS_SYNC);
			break;
		case 1:
			fsync(r->fd);
			break;
		default:
			sync_file_range(r->fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE |
					SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
		}
	}
	return NULL;
}

/* A system call of the writeback check failed; returns 1. */
static int sys_fail_wb(struct wb_round *r, const char *call)
{
	count_failure();
	say("stress: FAIL writeback %s round %llu: %s: %s, seed=%llu\n", r->name,
	    (unsigned long long)r->round, call, strerror(errno), seed);
	return 1;
}

/* One round; 0 if every store that returned is in the file. */
static int wb_round(struct wb_round *r, uint64_t *rng)
{
	unsigned long len, i, s, n;
	pthread_t sync_tid;
	const char *op;
	uint64_t found;
	int k, bad = 0;

	*rng = mix64(*rng);
	r->pages = WB_PAGES / 2 + *rng % (WB_PAGES / 2 + 1);
	len = r->pages * page_size;
	/* within one page table, or across the 1 MiB boundary */
	r->addr = (char *)WB_BASE + (*rng >> 8) % 2 * (MIB - r->pages / 2 * page_size);
	if (ftruncate(r->fd, 0) || ftruncate(r->fd, len))
		return sys_fail_wb(r, "ftruncate");
	if (mmap(r->addr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE,
		 r->fd, 0) != r->addr)
		return sys_fail_wb(r, "mmap");
	r->stop = 0;
	for (k = 0; k < r->nwriters; k++) {
		memset(r->w[k].last, 0, sizeof(r->w[k].last));
		pthread_create(&r->w[k].tid, NULL, wb_writer_main, &r->w[k]);
	}
	pthread_create(&sync_tid, NULL, wb_sync_main, r);
	sleep_ms(5 + (*rng >> 16) % 20);
	s = (*rng >> 24) % r->pages;
	n = 1 + (*rng >> 32) % (r->pages - s);
	switch ((*rng >> 40) % 3) {
	case 0:
		op = "munmap";
		s = 0;
		n = r->pages;
		break;
	case 1:
		op = "munmap_part";
		break;
	default:
		op = "madv_dontneed";
	}
	if (op[0] == 'm' && op[1] == 'u')
		k = munmap(r->addr + s * page_size, n * page_size);
	else
		k = madvise(r->addr + s * page_size, n * page_size, MADV_DONTNEED);
	if (k)
		bad = sys_fail_wb(r, op);
	sleep_ms(2);
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	for (k = 0; k < r->nwriters; k++)
		pthread_join(r->w[k].tid, NULL);
	pthread_join(sync_tid, NULL);
	munmap(r->addr, len);
	if (fsync(r->fd) || posix_fadvise(r->fd, 0, 0, POSIX_FADV_DONTNEED))
		bad = sys_fail_wb(r, "fsync");
	write_file("/proc/sys/vm/drop_caches", "3");
	for (i = 0; !bad && i < r->pages; i++) {
		for (k = 0; k < r->nwriters; k++) {
			if (pread(r->fd, &found, 8, i * page_size + 8 * k) != 8) {
				bad = sys_fail_wb(r, "pread");
				break;
			}
			if (found == r->w[k].last[i])
				continue;
			count_failure();
			say("stress: FAIL writeback %s round %llu after %s of pages %lu+%lu of %lu at %p: page %lu writer %d on CPU %d: expected %#llx found %#llx, seed=%llu\n",
			    r->name, (unsigned long long)r->round, op, s, n, r->pages,
			    r->addr, i, k, r->w[k].cpu, (unsigned long long)r->w[k].last[i],
			    (unsigned long long)found, seed);
			bad = 1;
		}
	}
	return bad;
}

/* The writeback check of one file, in a process of its own. */
static void wb_process(const char *name, int fd, int index)
{
	static struct wb_round r;
	struct sigaction sa = { 0 };
	uint64_t rng = seed ^ mix64(0x7762 + index);
	unsigned long failed = 0;
	int k;

	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	r.name = name;
	r.fd = fd;
	hop(0);
	/* one writer on every other CPU, or one at all */
	r.nwriters = ncpus > 1 ? ncpus - 1 : 1;
	for (k = 0; k < r.nwriters; k++)
		r.w[k] = (struct wb_writer){ .r = &r, .k = k, .cpu = (k + 1) % ncpus };
	while (!time_up()) {
		r.round++;
		failed += wb_round(&r, &rng);
		__atomic_fetch_add(&ctr->steps, 1, __ATOMIC_RELAXED);
	}
	say("stress: writeback %s rounds=%llu failed=%lu writers=%d\n", name,
	    (unsigned long long)r.round, failed, r.nwriters);
	_exit(0);
}

/* Start the writeback checks; returns the number of processes started. */
static int wb_start(pid_t *pids, int disk)
{
	int fd, n = 0;

	fd = syscall(SYS_memfd_create, "stress-wb", 0);
	if (fd < 0) {
		count_failure();
		say("stress: FAIL writeback: memfd_create: %s\n", strerror(errno));
	} else {
		pids[n] = fork();
		if (pids[n] == 0)
			wb_process("tmpfs", fd, 0);
		n += pids[n] > 0;
		close(fd);
	}
	if (!disk)
		return n;
	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mkdir("/disk", 0755);
	if (mount("/dev/vda", "/disk", "ext2", 0, NULL)) {
		count_failure();
		say("stress: FAIL writeback: cannot mount /dev/vda (ext2) on /disk: %s\n",
		    strerror(errno));
		return n;
	}
	fd = open("/disk/stress-wb", O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		count_failure();
		say("stress: FAIL writeback: /disk/stress-wb: %s\n", strerror(errno));
		return n;
	}
	pids[n] = fork();
	if (pids[n] == 0)
		wb_process("ext2", fd, 1);
	n += pids[n] > 0;
	close(fd);
	return n;
}

/*
 * The window check: once a system call that changed a range has returned,
 * every CPU must see the range's new state, never the old one. A stale TLB
 * entry on another CPU, or an invalidation still held back in a lazy MMU
 * batch, would show the old state.
 *
 * It runs in a process of its own, so that a single mm is attached to every
 * CPU involved: an operator thread on CPU 0 (which never goes offline) and a
 * toucher thread on each other CPU (at most WIN_TOUCHERS; one on CPU 0 too if
 * there is no other). Each round, the operator maps a fresh private
 * anonymous region in the window arena (sized and placed like the workers'
 * regions: 1 MiB aligned or not, within one page table or across two),
 * writes a value into the first word of every page, and lets the touchers
 * go: each one writes increasing values into a word of its own in every page
 * (its slot, the word after the operator's and those of the touchers before
 * it) and reads each one back, pass after pass, and remembers for every page
 * the last value whose store returned without a fault. Once every toucher
 * has been over every page, so that each of their CPUs has had a
 * translation of each page, the operator changes the whole region or a
 * random range of it while they go on: mprotect to read-only (ro) or to no
 * access (none), munmap (unmap), mremap to another place in the arena (move)
 * or MADV_DONTNEED (dontneed; the touchers only read during that one, as a
 * write after the zap would rightly fault the page in again). As soon as the
 * system call has returned, the operator calls for the check, and each
 * toucher goes over every page once, from its own CPU:
 *
 *   ro:	its slot holds its last value, and a write to it faults
 *		(SEGV_ACCERR);
 *   none:	a read faults (SEGV_ACCERR);
 *   unmap:	a read faults (SEGV_MAPERR);
 *   move:	a read at the old address faults (SEGV_MAPERR), and at the new
 *		one its slot holds exactly its last value: every store that
 *		returned must be there, and one that went to another page than
 *		the one mapped there now would be lost;
 *   dontneed:	every word in use reads zero;
 *
 * and outside the range, the operator's word and the toucher's slot must
 * still hold their values. Then the operator unmaps the arena and begins the
 * next round.
 */
#define WIN_BASE	(WB_BASE + ARENA_SIZE)	/* an arena of its own */
#define WIN_TOUCHERS	7		/* at most */
#define WIN_PRINT	8		/* FAIL lines per round, at most */

enum win_op { WO_RO, WO_NONE, WO_UNMAP, WO_MOVE, WO_DONTNEED, WO_MAX };

static const char *const win_op_names[WO_MAX] = {
	[WO_RO] = "ro", [WO_NONE] = "none", [WO_UNMAP] = "unmap",
	[WO_MOVE] = "move", [WO_DONTNEED] = "dontneed",
};

static const char *const win_op_calls[WO_MAX] = {
	[WO_RO] = "mprotect", [WO_NONE] = "mprotect", [WO_UNMAP] = "munmap",
	[WO_MOVE] = "mremap", [WO_DONTNEED] = "madvise",
};

/* The phases of a round, in this order; only the operator moves them on. */
enum win_phase {
	WP_TOUCH,	/* the touchers write their slots and read them back */
	WP_READ,	/* they only read: MADV_DONTNEED is coming */
	WP_CHECK,	/* the system call has returned: check, once */
	WP_SKIP,	/* it failed: nothing to check */
};

struct win;

struct win_toucher {
	struct win *win;
	int k;				/* its slot: word k + 1 of a page */
	int cpu;			/* the CPU it belongs to */
	pthread_t tid;
	int passes;			/* full passes over the region */
	int reading;			/* saw WP_READ: writes no more */
	uint64_t last[MAX_PAGES];	/* per page; 0: no store returned */
};

struct win {
	/* The round, set by the operator before the touchers start on it. */
	uint64_t round;
	char *addr;			/* the region */
	unsigned long pages;
	enum win_op op;
	unsigned long s, n;		/* the range the operation changes */
	char *dst;			/* where move puts it */
	int stop;			/* no more rounds */
	int phase;
	unsigned long failed;		/* failed checks of the round */
	int ntouchers;
	pthread_barrier_t barrier;	/* the start and the end of a round */
	struct win_toucher t[WIN_TOUCHERS];
};

/* The operator's word of page @i: never zero. */
static uint64_t win_fill(struct win *win, unsigned long i)
{
	return mix64(seed ^ win->round << 32 ^ i) | 1;
}

/*
 * A failed check of page @i by toucher @k (-1: the operator). Each one is a
 * failure of the run; only the first WIN_PRINT of a round are printed. The
 * CPU is the one the thread is on now, which hotplug may have changed since
 * the access.
 */
static void win_fail(struct win *win, int k, unsigned long i, const char *what,
		     uint64_t expected, uint64_t found)
{
	count_failure();
	if (__atomic_fetch_add(&win->failed, 1, __ATOMIC_RELAXED) >= WIN_PRINT)
		return;
	say("stress: FAIL window op=%s round=%llu toucher=%d cpu=%d addr=%p mib_off=%lu pages=%lu range=%lu+%lu dst=%p page=%lu what=\"%s\" expected=%#llx found=%#llx seed=%llu\n",
	    win_op_names[win->op], (unsigned long long)win->round, k,
	    sched_getcpu(), (void *)win->addr,
	    ((unsigned long)win->addr & (MIB - 1)) / page_size, win->pages,
	    win->s, win->n, (void *)win->dst, i, what,
	    (unsigned long long)expected, (unsigned long long)found, seed);
}

/* A system call of the operator failed. */
static void win_sys_failed(struct win *win, const char *call)
{
	int err = errno;

	count_failure();
	__atomic_fetch_add(&win->failed, 1, __ATOMIC_RELAXED);
	say("stress: FAIL window op=%s round=%llu addr=%p pages=%lu range=%lu+%lu dst=%p what=\"%s: %s\" seed=%llu\n",
	    win_op_names[win->op], (unsigned long long)win->round,
	    (void *)win->addr, win->pages, win->s, win->n, (void *)win->dst,
	    call, strerror(err), seed);
}

/* Toucher @t's read of the word at @p (in page @i) must give @want. */
static void win_expect(struct win_toucher *t, unsigned long i, const char *p,
		       uint64_t want, const char *what)
{
	char buf[96];
	uint64_t v;
	int sig = load(p, &v);

	if (sig) {
		snprintf(buf, sizeof(buf), "read of %s faulted", what);
		win_fail(t->win, t->k, i, buf, 0, fault_code(sig));
	} else if (v != want) {
		win_fail(t->win, t->k, i, what, want, v);
	}
}

/* Toucher @t's access to @p, which ended with @sig, must fault with @code. */
static void win_expect_fault(struct win_toucher *t, unsigned long i,
			     const char *p, int sig, int code, const char *what)
{
	struct mismatch m = { 0 };

	expect_fault(&m, i, p, sig, code, what);
	if (m.count)
		win_fail(t->win, t->k, i, m.what, m.expected, m.found);
}

/* Toucher @t checks page @i of the region, once the operation returned. */
static void win_check_page(struct win_toucher *t, unsigned long i)
{
	struct win *win = t->win;
	unsigned long off = 8 * (t->k + 1);
	char *p = win->addr + i * page_size, *q;
	int in = i >= win->s && i < win->s + win->n, j;
	uint64_t v;

	/*
	 * Only the operator's word and this toucher's own slot are checked
	 * outside the range: the other touchers may still be writing theirs,
	 * until they see the phase change.
	 */
	if (!in || win->op == WO_RO) {
		win_expect(t, i, p, win_fill(win, i), "the operator's word");
		win_expect(t, i, p + off, t->last[i], "its slot");
		/* With the value it holds: a wrong success changes nothing. */
		if (in)
			win_expect_fault(t, i, p + off,
					 store(p + off, t->last[i]), SEGV_ACCERR,
					 "write to a read-only page");
		return;
	}
	switch (win->op) {
	case WO_NONE:
		win_expect_fault(t, i, p, load(p, &v), SEGV_ACCERR,
				 "read of a PROT_NONE page");
		break;
	case WO_UNMAP:
		win_expect_fault(t, i, p, load(p, &v), SEGV_MAPERR,
				 "read of an unmapped page");
		break;
	case WO_MOVE:
		/*
		 * All of the region or a range of it: either way, page i
		 * moved to dst + (i - s) pages, and nothing takes its old
		 * place during the round, while the pages outside the range
		 * stayed (above).
		 */
		win_expect_fault(t, i, p, load(p, &v), SEGV_MAPERR,
				 "read at the old address");
		q = win->dst + (i - win->s) * page_size;
		win_expect(t, i, q, win_fill(win, i),
			   "the operator's word at the new address");
		win_expect(t, i, q + off, t->last[i],
			   "its slot at the new address");
		break;
	default:
		/* Nobody writes during MADV_DONTNEED: every slot is zero. */
		for (j = 0; j <= win->ntouchers; j++)
			win_expect(t, i, p + 8 * j, 0,
				   "a word after MADV_DONTNEED");
	}
}

/*
 * Toucher @t's passes over the region, until the operator calls for the
 * check (or calls it off); returns the phase that ended them.
 */
static int win_touch(struct win_toucher *t)
{
	struct win *win = t->win;
	unsigned long off = 8 * (t->k + 1), i;
	uint64_t seq = 0, v, r;
	char *p;
	int ph;

	for (;;) {
		for (i = 0; i < win->pages; i++) {
			/*
			 * Acquire: the accesses of the check come after the
			 * load that saw WP_CHECK, which the operator stored
			 * after its system call had returned.
			 */
			ph = __atomic_load_n(&win->phase, __ATOMIC_ACQUIRE);
			if (ph >= WP_CHECK)
				return ph;
			p = win->addr + i * page_size + off;
			if (ph == WP_READ) {
				/*
				 * Every store of ours returned before this
				 * (release) store, and none comes after it:
				 * the operator waits for it before the zap.
				 * Meanwhile a read sees the last value, or
				 * zero once the page is zapped.
				 */
				if (!t->reading)
					__atomic_store_n(&t->reading, 1,
							 __ATOMIC_RELEASE);
				if (!load(p, &r) && r && r != t->last[i])
					win_fail(win, t->k, i,
						 "read before MADV_DONTNEED returned",
						 t->last[i], r);
				continue;
			}
			v = win->round << 32 | ++seq;
			/*
			 * A fault means that the operation got there first: the
			 * store did not happen, the page keeps the last value.
			 */
			if (store(p, v))
				continue;
			t->last[i] = v;
			/*
			 * Nobody else writes the slot, and nothing is mapped in
			 * the range's place during a round: the read gives @v,
			 * or faults if the operation came in between.
			 */
			if (!load(p, &r) && r != v)
				win_fail(win, t->k, i, "read back", v, r);
		}
		__atomic_store_n(&t->passes, t->passes + 1, __ATOMIC_RELEASE);
	}
}

static void *win_toucher_main(void *arg)
{
	struct win_toucher *t = arg;
	struct win *win = t->win;
	unsigned long i;

	for (;;) {
		/*
		 * Back home, as hotplug may have moved the thread away; if its
		 * CPU is offline, hop() takes the next one: a best effort, as
		 * the checks hold on any CPU.
		 */
		hop(t->cpu);
		pthread_barrier_wait(&win->barrier);
		if (win->stop)
			return NULL;
		memset(t->last, 0, win->pages * sizeof(t->last[0]));
		if (win_touch(t) == WP_CHECK)
			for (i = 0; i < win->pages; i++)
				win_check_page(t, i);
		pthread_barrier_wait(&win->barrier);
	}
}

/*
 * Wait until every toucher has made @passes passes over the region, or with
 * @passes 0, until every one has seen WP_READ.
 */
static void win_wait(struct win *win, int passes)
{
	struct win_toucher *t;
	int k;

	for (k = 0; k < win->ntouchers; k++) {
		t = &win->t[k];
		while (passes ?
		       __atomic_load_n(&t->passes, __ATOMIC_ACQUIRE) < passes :
		       !__atomic_load_n(&t->reading, __ATOMIC_ACQUIRE))
			sched_yield();
	}
}

/* The operation of the round, on its range; 0 if it worked. */
static int win_operate(struct win *win)
{
	char *p = win->addr + win->s * page_size;
	size_t len = win->n * page_size;

	switch (win->op) {
	case WO_RO:
		return mprotect(p, len, PROT_READ);
	case WO_NONE:
		return mprotect(p, len, PROT_NONE);
	case WO_UNMAP:
		return munmap(p, len);
	case WO_MOVE:
		return mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
			      win->dst) != win->dst;
	default:
		return madvise(p, len, MADV_DONTNEED);
	}
}

/* One round of the operator @o; returns its failed checks. */
static unsigned long win_round(struct win *win, struct worker *o,
			       unsigned long *ops)
{
	unsigned long i;
	int k, r, sig;
	char *p;

	win->round++;
	win->failed = 0;
	win->pages = pick_pages(o);
	win->addr = place(o, 0, win->pages);
	win->op = rnd(o, WO_MAX);
	if (!rnd(o, 3)) {
		win->s = 0;
		win->n = win->pages;
	} else {
		win->s = rnd(o, win->pages);
		win->n = 1 + rnd(o, win->pages - win->s);
	}
	/* The other half of the arena: never overlaps the region. */
	win->dst = win->op == WO_MOVE ? place(o, 1, win->n) : NULL;
	p = mmap(win->addr, win->pages * page_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != win->addr) {
		if (p != MAP_FAILED)
			munmap(p, win->pages * page_size);
		win_sys_failed(win, "mmap");
		goto out;
	}
	for (i = 0; i < win->pages; i++) {
		sig = store(win->addr + i * page_size, win_fill(win, i));
		if (sig) {
			win_fail(win, -1, i, "the operator's write faulted", 0,
				 fault_code(sig));
			goto out;
		}
	}
	ops[win->op]++;
	for (k = 0; k < win->ntouchers; k++) {
		win->t[k].passes = 0;
		win->t[k].reading = 0;
	}
	__atomic_store_n(&win->phase, WP_TOUCH, __ATOMIC_SEQ_CST);
	pthread_barrier_wait(&win->barrier);
	/*
	 * Not before every toucher has been over every page: one that had
	 * not begun yet would have no translation for the operation to miss.
	 * Sometimes a pass more, so that the touchers are elsewhere in their
	 * passes when it comes.
	 */
	win_wait(win, 1 + rnd(o, 2));
	if (win->op == WO_DONTNEED) {
		__atomic_store_n(&win->phase, WP_READ, __ATOMIC_SEQ_CST);
		win_wait(win, 0);
	}
	r = win_operate(win);
	if (r)
		win_sys_failed(win, win_op_calls[win->op]);
	/*
	 * Program order puts this store after the return of the system
	 * call, and the touchers' acquire loads put their checks after it.
	 */
	__atomic_store_n(&win->phase, r ? WP_SKIP : WP_CHECK, __ATOMIC_SEQ_CST);
	pthread_barrier_wait(&win->barrier);
	if (win->failed > WIN_PRINT)
		say("stress: FAIL window op=%s round=%llu: %lu failed checks, the first %d printed, seed=%llu\n",
		    win_op_names[win->op], (unsigned long long)win->round,
		    win->failed, WIN_PRINT, seed);
out:
	/* The region, the range moved out of it, and their page tables. */
	if (munmap((void *)WIN_BASE, ARENA_SIZE))
		win_sys_failed(win, "munmap of the arena");
	return win->failed;
}

static void win_process(void)
{
	static struct win win;
	struct worker o = {
		.arena = (char *)WIN_BASE,
		.rng = seed ^ mix64(0x77696e646f77ULL),
	};
	unsigned long ops[WO_MAX] = { 0 }, failed = 0;
	struct sigaction sa = { 0 };
	char list[160];
	int k, n = 0;

	/*
	 * The probe is per thread, and a fault's SIGSEGV goes to the thread
	 * that took it: each one jumps back into its own load() or store().
	 */
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	/* The touchers start with this affinity, then hop() to their own. */
	hop(0);
	/* One on each CPU but the operator's; CPU 0 too if it is the only one. */
	win.ntouchers = ncpus < 2 ? 1 :
			ncpus - 1 > WIN_TOUCHERS ? WIN_TOUCHERS : ncpus - 1;
	pthread_barrier_init(&win.barrier, NULL, win.ntouchers + 1);
	for (k = 0; k < win.ntouchers; k++) {
		win.t[k].win = &win;
		win.t[k].k = k;
		win.t[k].cpu = ncpus < 2 ? 0 : k + 1;
		if (pthread_create(&win.t[k].tid, NULL, win_toucher_main,
				   &win.t[k])) {
			count_failure();
			say("stress: FAIL window: cannot create toucher %d\n", k);
			_exit(2);
		}
	}
	while (!time_up()) {
		failed += win_round(&win, &o, ops);
		__atomic_fetch_add(&ctr->steps, 1, __ATOMIC_RELAXED);
	}
	win.stop = 1;
	pthread_barrier_wait(&win.barrier);
	for (k = 0; k < win.ntouchers; k++)
		pthread_join(win.t[k].tid, NULL);
	for (k = 0; k < WO_MAX; k++)
		n += snprintf(list + n, sizeof(list) - n, "%s%s:%lu",
			      k ? "," : "", win_op_names[k], ops[k]);
	say("stress: window rounds=%llu failed=%lu touchers=%d ops=%s\n",
	    (unsigned long long)win.round, failed, win.ntouchers, list);
	_exit(0);
}

/* Start the window check; returns the number of processes started. */
static int win_start(pid_t *pid)
{
	*pid = fork();
	if (*pid == 0)
		win_process();
	if (*pid > 0)
		return 1;
	count_failure();
	say("stress: FAIL window: fork: %s\n", strerror(errno));
	return 0;
}

static long env_long(const char *name, long def, long min, long max)
{
	const char *s = getenv(name);
	long v = s ? strtol(s, NULL, 0) : def;

	return v < min ? min : v > max ? max : v;
}

/* Wait for the worker processes, at most until @limit (ns); 1 if all ended. */
static int reap(pid_t *pids, int n, uint64_t limit)
{
	int left = n, status, i;
	pid_t pid;

	while (left) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid < 0)
			break;
		if (pid == 0) {
			if (now_ns() > limit)
				return 0;
			sleep_ms(100);
			continue;
		}
		for (i = 0; i < n; i++) {
			if (pids[i] != pid)
				continue;
			pids[i] = 0;
			left--;
			if (!WIFEXITED(status) || WEXITSTATUS(status)) {
				count_failure();
				say("stress: FAIL worker process %d ended with status %#x seed=%llu\n",
				    i, status, seed);
			}
		}
	}
	return 1;
}

int main(void)
{
	pthread_t hotplug_tid, module_tid;
	pid_t pids[MAX_PROCS + 3];
	struct timespec ts;
	uint64_t start;
	const char *s;
	int p, fd, n;

	page_size = sysconf(_SC_PAGESIZE);
	mkdir("/proc", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	mkdir("/sys", 0755);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpus > MAX_THREADS)
		ncpus = MAX_THREADS;
	if (ncpus < 1)
		ncpus = 1;
	seconds = env_long("stress_seconds", 60, 1, 100000);
	nprocs = env_long("stress_procs", 2, 1, MAX_PROCS);
	nthreads = env_long("stress_threads", ncpus, 1, MAX_THREADS);
	hotplug_on = env_long("stress_hotplug", 1, 0, 1);
	s = getenv("stress_seed");
	if (s) {
		seed = strtoull(s, NULL, 0);
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = mix64(ts.tv_sec * 1000000000ULL + ts.tv_nsec) >> 1;
	}
	ctr = mmap(NULL, sizeof(*ctr), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctr == MAP_FAILED) {
		say("stress: FAIL no memory for the counters\n");
		goto out;
	}
	fd = region_file(-1, 0);
	file_kind = fd >= 0;
	if (fd >= 0)
		close(fd);
	say("stress: start seconds=%d seed=%llu cpus=%d procs=%d threads=%d file=%s\n",
	    seconds, seed, ncpus, nprocs, nthreads, file_kind ? "yes" : "no");
	start = now_ns();
	deadline = start + seconds * 1000000000ULL;
	for (p = 0; p < nprocs; p++) {
		pids[p] = fork();
		if (pids[p] == 0)
			worker_process(p);
		if (pids[p] < 0) {
			count_failure();
			say("stress: FAIL fork of worker process %d: %s\n", p, strerror(errno));
			pids[p] = 0;
		}
	}
	n = nprocs;
	if (env_long("stress_writeback", 1, 0, 1))
		n += wb_start(pids + n, env_long("stress_disk", 0, 0, 1));
	if (env_long("stress_window", 1, 0, 1))
		n += win_start(pids + n);
	else
		say("stress: window disabled\n");
	pthread_create(&hotplug_tid, NULL, hotplug_main, NULL);
	pthread_create(&module_tid, NULL, module_main, NULL);
	if (!reap(pids, n, deadline + (60 + seconds) * 1000000000ULL)) {
		count_failure();
		say("stress: FAIL workers still running %d s after the end, seed=%llu\n",
		    60 + seconds, seed);
		for (p = 0; p < n; p++)
			if (pids[p] > 0)
				kill(pids[p], SIGKILL);
		reap(pids, n, now_ns() + 10000000000ULL);
	}
	hotplug_stop = 1;
	pthread_join(hotplug_tid, NULL);
	pthread_join(module_tid, NULL);
	say("stress: done steps=%lu failures=%lu hotplug=%lu seconds=%llu seed=%llu\n",
	    ctr->steps, ctr->failures, hotplug_count,
	    (unsigned long long)((now_ns() - start + 500000000ULL) / 1000000000ULL), seed);
	/*
	 * Let the deferred frees of the run (kernel stacks of the exited
	 * threads, lazily purged vmap areas) finish before the power-off stops
	 * the other CPUs: QEMU 7.2's multi-threaded TCG can deadlock when a
	 * CPU sends SIGP while another one waits for its global IPTE's TLB
	 * flush on all CPUs.
	 */
	sleep_ms(2000);
out:
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}
