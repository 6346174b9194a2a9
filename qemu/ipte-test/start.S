/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry, program-interruption handler and the instruction sequences of the
 * IPTE test that must not be split or reordered by the compiler.
 *
 * QEMU's s390-ccw machine loads an ELF given with -kernel at its physical
 * addresses and starts it at the ELF entry in 64-bit mode, DAT off, all
 * interruptions disabled (hw/s390x/ipl.c). If the entry is 0x10000 it
 * treats the image as a Linux kernel and copies the -append string to
 * 0x10480 (max. 896 bytes unless the doubleword at 0x10430 says
 * otherwise); the test reads its mode from there.
 */
#include "ipte-test.h"

	.section .head, "ax"
	.globl	_start
_start:					/* at 0x10000 */
	j	entry
	.org	0x430
	.quad	0			/* max. command line size: 896 */
	.org	0x480
	.globl	cmdline
cmdline:
	.fill	0x380, 1, 0

entry:
	larl	%r15, stack_top
	aghi	%r15, -160
	/* clear .bss */
	larl	%r2, __bss_start
	larl	%r3, __bss_end
1:	clgr	%r2, %r3
	jhe	2f
	mvghi	0(%r2), 0
	aghi	%r2, 8
	j	1b
2:	/* program-new PSW: 64-bit, DAT off, interruptions off */
	larl	%r1, pgm_new_psw
	mvc	LC_PGM_NEW_PSW(16), 0(%r1)
	mvghi	LC_FIXUP, 0
	brasl	%r14, main
	/* fall through to halt(main's return value) */

/*
 * void halt(int failed): disabled wait, QEMU's quiesce address 0xfff if
 * !failed, else an address that QEMU reports as a guest crash.
 */
	.globl	halt
halt:
	ltr	%r2, %r2
	jnz	1f
	larl	%r1, pass_psw
	lpswe	0(%r1)
1:	larl	%r1, fail_psw
	lpswe	0(%r1)

	.text
/*
 * Program-interruption handler. If a probe has set LC_FIXUP, record the
 * interruption and resume there with all registers as they were at the
 * interruption; else report the unexpected interruption from C.
 */
	.globl	pgm_handler
pgm_handler:
	stmg	%r0, %r15, LC_SAVE_GPRS
	mvc	LC_PGM_SEEN(2), LC_PGM_CODE
	mvc	LC_TEID_SEEN(8), LC_TRANS_EXC_ID
	mvc	LC_OLD_ADDR_SEEN(8), LC_PGM_OLD_PSW + 8
	lg	%r1, LC_FIXUP
	ltgr	%r1, %r1
	jz	1f
	stg	%r1, LC_PGM_OLD_PSW + 8
	mvghi	LC_FIXUP, 0
	lmg	%r0, %r15, LC_SAVE_GPRS
	lpswe	LC_PGM_OLD_PSW
1:	larl	%r15, pgm_stack_top
	aghi	%r15, -160
	brasl	%r14, unexpected_pgm	/* does not return */
	larl	%r1, fail_psw
	lpswe	0(%r1)

/*
 * int probe_read(unsigned long addr)
 * Load a doubleword from addr; return 0, or the program-interruption code.
 */
	.globl	probe_read
probe_read:
	larl	%r1, 1f
	stg	%r1, LC_FIXUP
	mvhhi	LC_PGM_SEEN, 0
	lg	%r0, 0(%r2)
1:	mvghi	LC_FIXUP, 0
	llgh	%r2, LC_PGM_SEEN
	br	%r14

/*
 * int ipte_try(unsigned long pto, unsigned long regs[2], int local)
 * IPTE pto,regs[0],regs[1],local with a nonzero R3 field (range form if
 * the facility is installed). regs[] receive R2 and R3 afterwards.
 * Returns 0, or the program-interruption code.
 */
	.globl	ipte_try
ipte_try:
	stmg	%r6, %r7, 48(%r15)
	lg	%r6, 0(%r3)
	lg	%r7, 8(%r3)
	larl	%r1, 2f
	stg	%r1, LC_FIXUP
	mvhhi	LC_PGM_SEEN, 0
	ltr	%r4, %r4
	jnz	1f
	ipte	%r2, %r6, %r7, 0
	j	2f
1:	ipte	%r2, %r6, %r7, 1
2:	mvghi	LC_FIXUP, 0
	stg	%r6, 0(%r3)
	stg	%r7, 8(%r3)
	llgh	%r2, LC_PGM_SEEN
	lmg	%r6, %r7, 48(%r15)
	br	%r14

/*
 * int ipte_then_load(unsigned long pto, unsigned long regs[2], int local,
 *		      unsigned long addr)
 * Like ipte_try(), then load from addr as the very next instruction, in
 * the same straight-line sequence (for QEMU: the same translation block,
 * unless the emulator ends it after IPTE). regs[1] == 0 selects the
 * one-entry form (R3 field 0). Returns 0 if IPTE and the load completed,
 * else the program-interruption code.
 */
	.globl	ipte_then_load
ipte_then_load:
	stmg	%r6, %r7, 48(%r15)
	lg	%r6, 0(%r3)
	lg	%r7, 8(%r3)
	larl	%r1, 5f
	stg	%r1, LC_FIXUP
	mvhhi	LC_PGM_SEEN, 0
	ltgr	%r7, %r7
	jz	3f
	ltr	%r4, %r4
	jnz	1f
	ipte	%r2, %r6, %r7, 0
	lg	%r0, 0(%r5)
	j	5f
1:	ipte	%r2, %r6, %r7, 1
	lg	%r0, 0(%r5)
	j	5f
3:	ltr	%r4, %r4
	jnz	4f
	ipte	%r2, %r6, 0, 0
	lg	%r0, 0(%r5)
	j	5f
4:	ipte	%r2, %r6, 0, 1
	lg	%r0, 0(%r5)
5:	mvghi	LC_FIXUP, 0
	stg	%r6, 0(%r3)
	stg	%r7, 8(%r3)
	llgh	%r2, LC_PGM_SEEN
	lmg	%r6, %r7, 48(%r15)
	br	%r14

	.section .rodata
	.balign	8
pgm_new_psw:
	.quad	PSW_MASK_EA_BA, pgm_handler
pass_psw:				/* QEMU: address 0xfff = quiesce */
	.quad	PSW_MASK_WAIT | PSW_MASK_EA_BA, 0xfff
fail_psw:				/* any other: "guest panicked" */
	.quad	PSW_MASK_WAIT | PSW_MASK_EA_BA, 0xbad

	.section .bss
	.balign	4096
	.space	16384
stack_top:
	.space	4096
pgm_stack_top:
	.space	256

	.section .note.GNU-stack, "", @progbits
