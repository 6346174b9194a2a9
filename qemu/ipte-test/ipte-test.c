// SPDX-License-Identifier: GPL-2.0
/*
 * Bare-metal s390x test of IPTE and of the IPTE-range facility (STFLE bit
 * 13) under QEMU TCG. Prints TAP on the SCLP ASCII console and ends in a
 * disabled wait: address 0xfff (QEMU: normal shutdown) if every check
 * passed, else 0xbad (QEMU: "guest panicked"; exit status 1 with
 * -action panic=exit-failure).
 *
 * Mode, from the kernel command line (-append):
 *   ipter=on   STFLE bit 13 must be 1; checks the range form.
 *   ipter=off  STFLE bit 13 must be 0; checks that IPTE with a nonzero R3
 *              field behaves as the one-entry form and leaves R2/R3 alone.
 *   (neither)  follow STFLE bit 13.
 *
 * Address space: one region-third table, one segment table, 4 KiB pages.
 * 0..16 MiB is mapped 1:1. Virtual TEST_VA..+2 MiB (segments 256 and
 * 257, two page tables) maps real TEST_PA..+2 MiB; page k of it holds
 * MARKER(k) in its first doubleword.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include "ipte-test.h"

#define PAGE_SIZE	4096UL
#define PTRS_PER_PTE	256
#define ID_MAP_SEGS	16		/* 16 MiB mapped 1:1 */
#define TEST_VA		0x10000000UL	/* segment index 256 */
#define TEST_PA		0x00400000UL	/* 4 MiB */
#define TEST_TABLES	2
#define MARKER(k)	(0x4950544500000000UL | (k))

/* table entry bits */
#define ASCE_TYPE_REGION3	0x04UL
#define ASCE_TL_FULL		0x03UL
#define REGION_ENTRY_I		0x20UL
#define REGION_ENTRY_TT_R3	0x04UL
#define REGION_ENTRY_TL_FULL	0x03UL
#define SEGMENT_ENTRY_I		0x20UL
#define PAGE_ENTRY_I		0x400UL

static uint64_t region3_table[2048] __attribute__((aligned(4096)));
static uint64_t segment_table[2048] __attribute__((aligned(4096)));
static uint64_t id_pt[ID_MAP_SEGS][PTRS_PER_PTE] __attribute__((aligned(2048)));
static uint64_t test_pt[TEST_TABLES][PTRS_PER_PTE] __attribute__((aligned(2048)));

extern char cmdline[];
int probe_read(unsigned long addr);
int ipte_try(unsigned long pto, unsigned long regs[2], int local);
int ipte_then_load(unsigned long pto, unsigned long regs[2], int local,
		   unsigned long addr);
void unexpected_pgm(void);
void halt(int failed) __attribute__((noreturn));
int main(void);

/* ---- freestanding support ---- */

void *memset(void *s, int c, size_t n)
{
	volatile unsigned char *p = s;

	while (n--)
		*p++ = (unsigned char)c;
	return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
	volatile unsigned char *dp = d;
	const unsigned char *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

static size_t str_len(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static int has_word(const char *s, const char *w)
{
	size_t n = str_len(w);

	for (; *s; s++) {
		size_t i = 0;

		while (i < n && s[i] == w[i])
			i++;
		if (i == n && (s[n] == 0 || s[n] == ' '))
			return 1;
	}
	return 0;
}

/* ---- SCLP console ---- */

#define SCLP_CMD_WRITE_EVENT_DATA	0x00760005
#define SCLP_EVENT_ASCII_CONSOLE_DATA	0x1a
#define SCLP_RC_NORMAL_COMPLETION	0x0020
#define SCLP_MAX_DATA			1024

struct write_sccb {
	/* SCCB header */
	uint16_t length;
	uint8_t function_code;
	uint8_t control_mask[3];
	uint16_t response_code;
	/* event buffer header */
	uint16_t ebh_length;
	uint8_t ebh_type;
	uint8_t ebh_flags;
	uint16_t ebh_reserved;
	char data[SCLP_MAX_DATA];
} __attribute__((packed));

static struct write_sccb sccb __attribute__((aligned(4096)));

static int servc(uint32_t cmd, void *p)
{
	unsigned long c = cmd;
	int cc;

	asm volatile(".insn rre,0xb2200000,%[cmd],%[sccb]\n"
		     "	ipm	%[cc]\n"
		     "	srl	%[cc],28\n"
		     : [cc] "=d" (cc)
		     : [cmd] "d" (c), [sccb] "a" (p)
		     : "cc", "memory");
	return cc;
}

/*
 * QEMU's SCLP completes the command within SERVC; the service-signal
 * external interruption that follows stays pending (external
 * interruptions remain disabled), so no wait is needed.
 */
static void sclp_write(const char *buf, size_t len)
{
	while (len) {
		size_t n = len > SCLP_MAX_DATA ? SCLP_MAX_DATA : len;

		memset(&sccb, 0, 14);
		sccb.length = 14 + n;
		sccb.ebh_length = 6 + n;
		sccb.ebh_type = SCLP_EVENT_ASCII_CONSOLE_DATA;
		memcpy(sccb.data, buf, n);
		servc(SCLP_CMD_WRITE_EVENT_DATA, &sccb);
		buf += n;
		len -= n;
	}
}

/* ---- minimal printf: %s %c %d %u %x, 'l', width, '0' ---- */

struct outbuf {
	char buf[256];
	size_t len;
};

static void out_char(struct outbuf *o, char c)
{
	if (o->len == sizeof(o->buf)) {
		sclp_write(o->buf, o->len);
		o->len = 0;
	}
	o->buf[o->len++] = c;
}

static void out_num(struct outbuf *o, unsigned long v, int base, int neg,
		    int width, char pad)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		tmp[n++] = '-';
	while (width-- > n)
		out_char(o, pad);
	while (n)
		out_char(o, tmp[--n]);
}

static void vprint(const char *fmt, va_list ap)
{
	struct outbuf o = { .len = 0 };

	for (; *fmt; fmt++) {
		int width = 0, lng = 0;
		char pad = ' ';
		long sv;
		unsigned long uv;
		const char *s;

		if (*fmt != '%') {
			out_char(&o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + *fmt++ - '0';
		while (*fmt == 'l') {
			lng = 1;
			fmt++;
		}
		switch (*fmt) {
		case 's':
			for (s = va_arg(ap, const char *); *s; s++)
				out_char(&o, *s);
			break;
		case 'c':
			out_char(&o, (char)va_arg(ap, int));
			break;
		case 'd':
			sv = lng ? va_arg(ap, long) : va_arg(ap, int);
			out_num(&o, sv < 0 ? -(unsigned long)sv : (unsigned long)sv,
				10, sv < 0, width, pad);
			break;
		case 'u':
		case 'x':
			uv = lng ? va_arg(ap, unsigned long) :
				   va_arg(ap, unsigned int);
			out_num(&o, uv, *fmt == 'u' ? 10 : 16, 0, width, pad);
			break;
		case '%':
			out_char(&o, '%');
			break;
		default:
			out_char(&o, '?');
			if (!*fmt)
				fmt--;
			break;
		}
	}
	sclp_write(o.buf, o.len);
}

static void print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
}

/* ---- TAP ---- */

static int tests_run, tests_failed;

static int check(int cond, const char *fmt, ...)
{
	va_list ap;

	tests_run++;
	if (!cond)
		tests_failed++;
	print("%s %d - ", cond ? "ok" : "not ok", tests_run);
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	print("\n");
	return cond;
}

static void __attribute__((noreturn)) finish(void)
{
	print("1..%d\n", tests_run);
	print("ipte-test: %d passed, %d failed\n",
	      tests_run - tests_failed, tests_failed);
	halt(tests_failed != 0);
}

/*
 * Phase markers for the ipte-count plugin (../plugin/ipte-count.c):
 * BRCL 0 with immediate 0x5048xxxx, a no-op.
 */
#define PHASE_BEGIN(n) do {						\
	issued[0] = issued[1] = 0;					\
	asm volatile(".insn rilu,0xc00400000000,0,%0" :: "i" (0x50480000 + (n))); \
} while (0)
#define PHASE_END(n) do {						\
	asm volatile(".insn rilu,0xc00400000000,0,%0" :: "i" (0x50488000 + (n))); \
	print("# phase %d issued ipte_global %lu ipte_local %lu\n", (n),	\
	      issued[0], issued[1]);					\
} while (0)

/*
 * The IPTEs this program executes in the current phase, global and local
 * (M4's LC bit), for the workbench to compare with the plugin's counts.
 */
static unsigned long issued[2];

static int ipte_counted(unsigned long pto, unsigned long regs[2], int local)
{
	issued[!!local]++;
	return ipte_try(pto, regs, local);
}

static int ipte_then_load_counted(unsigned long pto, unsigned long regs[2],
				  int local, unsigned long addr)
{
	issued[!!local]++;
	return ipte_then_load(pto, regs, local, addr);
}

/* ---- machine helpers ---- */

/* lowcore access; the asm hides the constant address from the compiler */
static unsigned long lc_addr(unsigned long off)
{
	asm("" : "+a" (off));
	return off;
}

#define LC_U16(off)	(*(volatile uint16_t *)lc_addr(off))
#define LC_U64(off)	(*(volatile uint64_t *)lc_addr(off))

void unexpected_pgm(void)
{
	print("Bail out! unexpected program interruption code 0x%x at 0x%lx"
	      " (TEID 0x%lx)\n", LC_U16(LC_PGM_SEEN), LC_U64(LC_OLD_ADDR_SEEN),
	      LC_U64(LC_TEID_SEEN));
	halt(1);
}

static int stfle_bit(int nr)
{
	uint64_t fac[4] = { 0 };
	register unsigned long r0 asm("0") = 3;

	asm volatile(".insn s,0xb2b00000,%[fac]"
		     : [fac] "=Q" (fac), "+d" (r0) : : "cc", "memory");
	return (fac[nr / 64] >> (63 - nr % 64)) & 1;
}

static void ptlb(void)
{
	asm volatile(".insn s,0xb20d0000,0" ::: "memory");
}

static void setup_dat(void)
{
	unsigned long asce;
	uint64_t dummy;
	int s, i;

	for (i = 0; i < 2048; i++) {
		region3_table[i] = REGION_ENTRY_I | REGION_ENTRY_TT_R3;
		segment_table[i] = SEGMENT_ENTRY_I;
	}
	region3_table[0] = (unsigned long)segment_table | REGION_ENTRY_TT_R3 |
			   REGION_ENTRY_TL_FULL;
	for (s = 0; s < ID_MAP_SEGS; s++) {
		for (i = 0; i < PTRS_PER_PTE; i++)
			id_pt[s][i] = ((unsigned long)s << 20) + i * PAGE_SIZE;
		segment_table[s] = (unsigned long)id_pt[s];
	}
	for (s = 0; s < TEST_TABLES; s++)
		segment_table[(TEST_VA >> 20) + s] = (unsigned long)test_pt[s];

	asce = (unsigned long)region3_table | ASCE_TYPE_REGION3 | ASCE_TL_FULL;
	asm volatile("lctlg 1,1,%0" :: "Q" (asce) : "memory");
	asm volatile("stosm %0,0x04" : "=Q" (dummy) :: "memory");
}

/* all test PTEs valid; markers written through the 1:1 map */
static void reset_test_tables(void)
{
	int t, i;

	for (t = 0; t < TEST_TABLES; t++) {
		for (i = 0; i < PTRS_PER_PTE; i++) {
			unsigned long k = t * PTRS_PER_PTE + i;

			test_pt[t][i] = TEST_PA + k * PAGE_SIZE;
			*(volatile uint64_t *)(TEST_PA + k * PAGE_SIZE) =
				MARKER(k);
		}
	}
	ptlb();
}

static unsigned long test_va(int t, int i)
{
	return TEST_VA + ((unsigned long)t << 20) + i * PAGE_SIZE;
}

/* read through DAT, so that the translation is in the TLB */
static int touch(int t, int i)
{
	return *(volatile uint64_t *)test_va(t, i) ==
	       MARKER((unsigned long)t * PTRS_PER_PTE + i);
}

/*
 * Entries [first, last] of table t must be exactly "valid | I", all other
 * entries of both tables untouched.
 */
static int table_ok(int t, int first, int last)
{
	int u, i;

	for (u = 0; u < TEST_TABLES; u++) {
		for (i = 0; i < PTRS_PER_PTE; i++) {
			unsigned long k = u * PTRS_PER_PTE + i;
			uint64_t want = TEST_PA + k * PAGE_SIZE;

			if (u == t && i >= first && i <= last)
				want |= PAGE_ENTRY_I;
			if (test_pt[u][i] != want) {
				print("# table %d entry %d: 0x%016lx, want 0x%016lx\n",
				      u, i, test_pt[u][i], want);
				return 0;
			}
		}
	}
	return 1;
}

static unsigned long pto_of(int t, int i)
{
	return (unsigned long)&test_pt[t][i];
}

/* ---- range checks (facility installed) ---- */

static void check_range_basic(void)
{
	unsigned long regs[2];
	int rc;

	/* like Linux: R1 = address of the first PTE, R3 with junk above */
	reset_test_tables();
	regs[0] = test_va(0, 10);
	regs[1] = 0x1234567800abcd05UL;
	rc = ipte_counted(pto_of(0, 10), regs, 0);
	check(rc == 0, "range IPTE (index 10, count 5) completes (pgm 0x%x)",
	      rc);
	check(table_ok(0, 10, 15),
	      "entries 10..15 invalidated, no other entry changed");
	check(regs[0] == test_va(0, 16),
	      "R2 advanced by 6 pages (0x%lx)", regs[0]);
	check(regs[1] == 0x1234567800abcdffUL,
	      "R3 bits 56-63 = 255, bits 0-55 unchanged (0x%lx)", regs[1]);

	/* R1 = table origin, count 0, local */
	reset_test_tables();
	regs[0] = test_va(1, 200);
	regs[1] = 0;
	rc = ipte_counted(pto_of(1, 0), regs, 1);
	check(rc == 0 && table_ok(1, 200, 200) &&
	      regs[0] == test_va(1, 201) && regs[1] == 0xff,
	      "count 0: one entry, R2 + 1 page, R3 = 255 (local)");
}

static void check_linux_loop(void)
{
	unsigned long address = test_va(0, 32), pto = pto_of(0, 32);
	int nr = 7, passes = 0;

	reset_test_tables();
	/* __ptep_ipte_range() of arch/s390/include/asm/pgtable.h */
	do {
		issued[0]++;
		asm volatile("	ipte	%[r1],%[r2],%[r3],0"
			     : [r2] "+a" (address), [r3] "+a" (nr)
			     : [r1] "a" (pto) : "memory");
		passes++;
	} while (nr != 255 && passes < 1000);
	check(passes == 1 && table_ok(0, 32, 39),
	      "Linux loop: 8 entries in %d pass(es)", passes);
}

static const char *const where[3] = { "first", "middle", "last" };

/* translations cached before the IPTE must not survive it */
static void check_tlb_purge(int local)
{
	const int first = 100, last = 199;
	const int idx[3] = { first, (first + last) / 2, last };
	const char *kind = local ? "local" : "global";
	unsigned long regs[2];
	int i, rc, good = 1;

	/* separate instructions after IPTE */
	reset_test_tables();
	for (i = first - 1; i <= last + 1; i++)
		good &= touch(0, i);
	check(good, "%s: pages %d..%d readable before IPTE", kind,
	      first - 1, last + 1);
	regs[0] = test_va(0, first);
	regs[1] = last - first;
	rc = ipte_counted(pto_of(0, first), regs, local);
	check(rc == 0 && table_ok(0, first, last),
	      "%s: range IPTE of entries %d..%d", kind, first, last);
	for (i = 0; i < 3; i++) {
		rc = probe_read(test_va(0, idx[i]));
		check(rc == PGM_PAGE_TRANS,
		      "%s: %s entry (%d) faults after IPTE (pgm 0x%x)", kind,
		      where[i], idx[i], rc);
	}
	check(probe_read(test_va(0, first - 1)) == 0 &&
	      probe_read(test_va(0, last + 1)) == 0,
	      "%s: neighbours %d and %d still mapped", kind, first - 1,
	      last + 1);

	/* a load as the very next instruction after IPTE */
	for (i = 0; i < 3; i++) {
		reset_test_tables();
		good = touch(0, idx[i]);
		regs[0] = test_va(0, first);
		regs[1] = last - first;
		rc = ipte_then_load_counted(pto_of(0, first), regs, local,
				    test_va(0, idx[i]));
		check(good && rc == PGM_PAGE_TRANS,
		      "%s: load of %s entry right after IPTE faults (pgm 0x%x)",
		      kind, where[i], rc);
	}
}

static void check_full_table(void)
{
	unsigned long regs[2];
	int rc;

	reset_test_tables();
	touch(0, 0);
	touch(0, 255);
	touch(1, 0);
	regs[0] = test_va(0, 0);
	regs[1] = 255;
	rc = ipte_counted(pto_of(0, 0), regs, 0);
	check(rc == 0 && table_ok(0, 0, 255),
	      "whole table (count 255) invalidated, next table untouched");
	check(regs[0] == test_va(1, 0) && regs[1] == 255,
	      "whole table: R2 = next segment (0x%lx), R3 = 255", regs[0]);
	check(probe_read(test_va(0, 255)) == PGM_PAGE_TRANS &&
	      probe_read(test_va(1, 0)) == 0,
	      "whole table: last entry faults, next table's first page does not");
}

static void check_crossing(void)
{
	unsigned long regs[2];
	int rc;

	/* not architected as far as we know; our emulator rejects it */
	reset_test_tables();
	regs[0] = test_va(0, 250);
	regs[1] = 10;
	rc = ipte_counted(pto_of(0, 250), regs, 0);
	check(rc == PGM_SPECIFICATION && table_ok(0, 1, 0) &&
	      regs[0] == test_va(0, 250) && regs[1] == 10,
	      "range past the end of the table: specification exception, "
	      "nothing changed (emulator's choice) (pgm 0x%x)", rc);
}

/* ---- one-entry checks (facility not installed) ---- */

static void check_no_range(void)
{
	unsigned long regs[2];
	int rc;

	reset_test_tables();
	touch(0, 10);
	touch(0, 11);
	regs[0] = test_va(0, 10);
	regs[1] = 0x1234567800abcd05UL;
	rc = ipte_counted(pto_of(0, 10), regs, 0);
	check(rc == 0 && table_ok(0, 10, 10),
	      "IPTE with R3 count 5 invalidates only entry 10 (pgm 0x%x)", rc);
	check(regs[0] == test_va(0, 10) && regs[1] == 0x1234567800abcd05UL,
	      "R2 and R3 unchanged");
	check(probe_read(test_va(0, 10)) == PGM_PAGE_TRANS &&
	      probe_read(test_va(0, 11)) == 0,
	      "entry 10 faults, entry 11 still mapped");
}

/* one-entry form (R3 field 0), with either mode */
static void check_single(int local)
{
	const char *kind = local ? "local" : "global";
	unsigned long regs[2];
	int rc;

	reset_test_tables();
	touch(1, 7);
	regs[0] = test_va(1, 7);
	regs[1] = 0;
	rc = ipte_then_load_counted(pto_of(1, 7), regs, local, test_va(1, 7));
	check(rc == PGM_PAGE_TRANS && table_ok(1, 7, 7) &&
	      regs[0] == test_va(1, 7),
	      "%s one-entry IPTE (R3 field 0); load right after it faults "
	      "(pgm 0x%x)", kind, rc);
}

int main(void)
{
	int want_on, have_on;

	print("# ipte-test: command line \"%s\"\n", cmdline);
	setup_dat();
	reset_test_tables();
	check(touch(0, 0) && touch(1, 255) && probe_read(TEST_VA - PAGE_SIZE)
	      == PGM_SEGMENT_TRANS, "DAT on, test pages mapped");

	have_on = stfle_bit(13);
	if (has_word(cmdline, "ipter=on"))
		want_on = 1;
	else if (has_word(cmdline, "ipter=off"))
		want_on = 0;
	else
		want_on = have_on;
	print("# mode: ipter=%s\n", want_on ? "on" : "off");
	check(have_on == want_on, "STFLE bit 13 reads %d", have_on);

	PHASE_BEGIN(1);
	if (want_on) {
		check_range_basic();
		check_linux_loop();
		check_tlb_purge(0);
		check_tlb_purge(1);
		check_full_table();
		check_crossing();
	} else {
		check_no_range();
	}
	PHASE_END(1);
	PHASE_BEGIN(2);
	check_single(0);
	PHASE_END(2);
	PHASE_BEGIN(3);
	check_single(1);
	PHASE_END(3);
	finish();
}
