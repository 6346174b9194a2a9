// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel side of the benchmark: loading the module runs vmalloc() and
 * vfree() of areas of each size, REPS times, each run between the phase
 * markers of the IPTE counting plugin, and prints one line per run, in the
 * format of guest/bench.c. vfree() unmaps the area at once (vunmap) and
 * flushes the TLB later; vmalloc() maps empty entries.
 */
#include <linux/module.h>
#include <linux/vmalloc.h>

#define REPS	5

static const unsigned long sizes[] = { 1, 16, 256, 4096, 16384 };

static int __init ipte_bench_init(void)
{
	unsigned int z, rep;
	void *p;

	for (z = 0; z < ARRAY_SIZE(sizes); z++) {
		for (rep = 0; rep < REPS; rep++) {
			asm volatile(".insn rilu,0xc00400000000,0,0x50480001" ::: "memory");
			p = vmalloc(sizes[z] * PAGE_SIZE);
			vfree(p);
			asm volatile(".insn rilu,0xc00400000000,0,0x50488001" ::: "memory");
			pr_info("bench: run vmalloc kernel %lu -1 %u %s\n", sizes[z],
				rep, p ? "ok" : "Cannot allocate memory");
		}
	}
	return 0;
}
module_init(ipte_bench_init);

MODULE_DESCRIPTION("vmalloc/vfree runs for the IPTE benchmark");
MODULE_LICENSE("GPL");
