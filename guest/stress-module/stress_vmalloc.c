// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel side of the stress guest (guest/stress.c): loading the module
 * runs, for "seconds" seconds, one unbound kthread per online CPU (at least
 * two; "threads" overrides) that repeatedly maps kernel areas of random size
 * (1 page to 4 MiB) through the vmalloc walkers that the series batches,
 * fills every word of every page with a pattern, checks it through the area
 * and through the linear mapping of the page behind each address, and unmaps
 * the area again. Areas come from vmalloc(), vzalloc() (checked for zeroes
 * first), vmap() of an array of pages and vm_map_ram() (per-CPU blocks for
 * small ones). Each thread keeps a couple of areas across rounds and frees
 * them later, usually on another CPU, after checking them once more.
 *
 * The kthreads are not bound to a CPU, so that CPU hotplug during the run
 * only moves them. A mismatch prints a "stress_vmalloc: FAIL ..." line (the
 * first few of each thread); the end of the run prints
 *
 *   stress_vmalloc: done iterations=N failures=M
 *
 * Init returns 0 after a clean run, so the module stays loaded, and -EIO if
 * a check failed, so that the loader sees the failure as well.
 */
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/numa.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

static unsigned int seconds = 10;
module_param(seconds, uint, 0444);
MODULE_PARM_DESC(seconds, "length of the run in seconds (default 10)");

static unsigned int threads;
module_param(threads, uint, 0444);
MODULE_PARM_DESC(threads, "kthreads (default: online CPUs, at least 2)");

static unsigned long long seed;
module_param(seed, ullong, 0444);
MODULE_PARM_DESC(seed, "random seed (default: random)");

#define MAX_ORDER_PAGES	10			/* up to 1024 pages: 4 MiB */
#define MAX_PAGES	(1UL << MAX_ORDER_PAGES)
#define KEEP		2			/* areas kept across rounds */
#define MAX_REPORTS	5			/* FAIL lines per thread */
#define WORDS		(PAGE_SIZE / sizeof(u64))

enum area_kind { A_VMALLOC, A_VZALLOC, A_VMAP, A_VM_MAP_RAM, A_MAX };

static const char *const kind_names[A_MAX] = {
	[A_VMALLOC] = "vmalloc", [A_VZALLOC] = "vzalloc",
	[A_VMAP] = "vmap", [A_VM_MAP_RAM] = "vm_map_ram",
};

struct area {
	u64 *addr;
	unsigned long pages;
	enum area_kind kind;
	struct page **page_array;		/* A_VMAP, A_VM_MAP_RAM */
	u64 tag;
};

struct stress_thread {
	struct task_struct *task;
	struct rnd_state rnd;
	unsigned int id;
	unsigned long iterations, failures, reports;
	struct area keep[KEEP];
};

static u32 rnd(struct stress_thread *t, u32 n)
{
	return prandom_u32_state(&t->rnd) % n;
}

static u64 pattern(const struct area *a, unsigned long page, unsigned long word)
{
	return (a->tag ^ ((u64)page << 32)) + word * 0x9e3779b97f4a7c15ULL;
}

static void fail(struct stress_thread *t, const struct area *a, unsigned long page,
		 unsigned long word, const char *via, u64 expected, u64 found)
{
	t->failures++;
	if (t->reports++ >= MAX_REPORTS)
		return;
	pr_err("stress_vmalloc: FAIL thread=%u iteration=%lu kind=%s pages=%lu page=%lu word=%lu via=%s expected=%#llx found=%#llx seed=%llu\n",
	       t->id, t->iterations, kind_names[a->kind], a->pages, page, word, via,
	       expected, found, seed);
}

/* The page behind @page of @a, looked up the way its kind allows. */
static struct page *area_page(const struct area *a, unsigned long page)
{
	if (a->page_array)
		return a->page_array[page];
	return vmalloc_to_page((char *)a->addr + page * PAGE_SIZE);
}

static void free_area(struct area *a)
{
	unsigned long i;

	if (!a->addr)
		return;
	switch (a->kind) {
	case A_VMAP:
		vunmap(a->addr);
		break;
	case A_VM_MAP_RAM:
		vm_unmap_ram(a->addr, a->pages);
		break;
	default:
		vfree(a->addr);
		break;
	}
	if (a->page_array) {
		for (i = 0; i < a->pages; i++)
			__free_page(a->page_array[i]);
		kfree(a->page_array);
	}
	memset(a, 0, sizeof(*a));
}

/* Pages for vmap() and vm_map_ram(); false if there is no memory. */
static bool alloc_pages_array(struct area *a)
{
	unsigned long i;

	a->page_array = kmalloc_array(a->pages, sizeof(*a->page_array), GFP_KERNEL);
	if (!a->page_array)
		return false;
	for (i = 0; i < a->pages; i++) {
		a->page_array[i] = alloc_page(GFP_KERNEL);
		if (!a->page_array[i])
			break;
	}
	if (i == a->pages)
		return true;
	while (i--)
		__free_page(a->page_array[i]);
	kfree(a->page_array);
	a->page_array = NULL;
	return false;
}

/* Map a new area; false if there is no memory (not a failure). */
static bool new_area(struct stress_thread *t, struct area *a)
{
	unsigned long order = rnd(t, MAX_ORDER_PAGES + 1);

	a->pages = min((1UL << order) + rnd(t, 1U << order), MAX_PAGES);
	a->kind = rnd(t, A_MAX);
	a->tag = ((u64)prandom_u32_state(&t->rnd) << 32) | prandom_u32_state(&t->rnd);
	switch (a->kind) {
	case A_VMALLOC:
		a->addr = vmalloc(a->pages * PAGE_SIZE);
		break;
	case A_VZALLOC:
		a->addr = vzalloc(a->pages * PAGE_SIZE);
		break;
	case A_VMAP:
		if (alloc_pages_array(a))
			a->addr = vmap(a->page_array, a->pages, VM_MAP, PAGE_KERNEL);
		break;
	case A_VM_MAP_RAM:
		if (alloc_pages_array(a))
			a->addr = vm_map_ram(a->page_array, a->pages, NUMA_NO_NODE);
		break;
	default:
		break;
	}
	if (a->addr)
		return true;
	if (a->page_array) {
		while (a->pages--)
			__free_page(a->page_array[a->pages]);
		kfree(a->page_array);
	}
	memset(a, 0, sizeof(*a));
	return false;
}

static void fill_area(struct area *a)
{
	unsigned long i, j;
	u64 *p;

	for (i = 0; i < a->pages; i++) {
		p = a->addr + i * WORDS;
		for (j = 0; j < WORDS; j++)
			p[j] = pattern(a, i, j);
		if (!(i % 64))
			cond_resched();
	}
}

/* vzalloc() areas must come zeroed. */
static void check_zero(struct stress_thread *t, struct area *a)
{
	unsigned long i, j;
	u64 *p;

	for (i = 0; i < a->pages; i++) {
		p = a->addr + i * WORDS;
		for (j = 0; j < WORDS; j++) {
			if (p[j]) {
				fail(t, a, i, j, "vzalloc", 0, p[j]);
				return;
			}
		}
		if (!(i % 64))
			cond_resched();
	}
}

/*
 * Every word through the area's address, and the first and last word of
 * each page through the linear mapping of the page it must be backed by.
 * One mismatch per area is reported.
 */
static void check_area(struct stress_thread *t, struct area *a)
{
	unsigned long i, j;
	struct page *page;
	u64 *p, *lin;

	for (i = 0; i < a->pages; i++) {
		p = a->addr + i * WORDS;
		for (j = 0; j < WORDS; j++) {
			if (p[j] != pattern(a, i, j)) {
				fail(t, a, i, j, "area", pattern(a, i, j), p[j]);
				return;
			}
		}
		page = area_page(a, i);
		if (!page) {
			fail(t, a, i, 0, "no page", 0, 0);
			return;
		}
		lin = page_address(page);
		if (lin[0] != pattern(a, i, 0)) {
			fail(t, a, i, 0, "linear", pattern(a, i, 0), lin[0]);
			return;
		}
		if (lin[WORDS - 1] != pattern(a, i, WORDS - 1)) {
			fail(t, a, i, WORDS - 1, "linear", pattern(a, i, WORDS - 1),
			     lin[WORDS - 1]);
			return;
		}
		if (!(i % 64))
			cond_resched();
	}
}

static void one_round(struct stress_thread *t)
{
	struct area a, *k;

	if (!new_area(t, &a)) {
		cond_resched();
		return;
	}
	if (a.kind == A_VZALLOC)
		check_zero(t, &a);
	fill_area(&a);
	check_area(t, &a);
	cond_resched();
	/* Maybe on another CPU by now: check again, then keep or free it. */
	check_area(t, &a);
	k = &t->keep[rnd(t, KEEP)];
	if (rnd(t, 2)) {
		if (k->addr)
			check_area(t, k);
		free_area(k);
		*k = a;
	} else {
		free_area(&a);
	}
}

static int stress_fn(void *arg)
{
	struct stress_thread *t = arg;
	unsigned int i;

	while (!kthread_should_stop()) {
		one_round(t);
		t->iterations++;
		cond_resched();
	}
	for (i = 0; i < KEEP; i++) {
		if (t->keep[i].addr)
			check_area(t, &t->keep[i]);
		free_area(&t->keep[i]);
	}
	return 0;
}

static int __init stress_vmalloc_init(void)
{
	unsigned int n = threads ?: max(2U, num_online_cpus()), i;
	unsigned long iterations = 0, failures = 0, end;
	struct stress_thread *t;

	t = kcalloc(n, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	if (!seed)
		seed = get_random_u64();
	pr_info("stress_vmalloc: start seconds=%u threads=%u seed=%llu\n", seconds, n, seed);
	for (i = 0; i < n; i++) {
		t[i].id = i;
		prandom_seed_state(&t[i].rnd, seed + i);
		t[i].task = kthread_run(stress_fn, &t[i], "stress_vmalloc/%u", i);
		if (IS_ERR(t[i].task)) {
			pr_err("stress_vmalloc: FAIL cannot start thread %u: %ld\n", i,
			       PTR_ERR(t[i].task));
			t[i].task = NULL;
			failures++;
		}
	}
	end = jiffies + seconds * HZ;
	while (time_before(jiffies, end))
		msleep(100);
	for (i = 0; i < n; i++) {
		if (t[i].task)
			kthread_stop(t[i].task);
		iterations += t[i].iterations;
		failures += t[i].failures;
	}
	kfree(t);
	pr_info("stress_vmalloc: done iterations=%lu failures=%lu\n", iterations, failures);
	return failures ? -EIO : 0;
}
module_init(stress_vmalloc_init);

static void __exit stress_vmalloc_exit(void)
{
}
module_exit(stress_vmalloc_exit);

MODULE_DESCRIPTION("vmalloc/vmap stress with data checks for the stress guest");
MODULE_LICENSE("GPL");
