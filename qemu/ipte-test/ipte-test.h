/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Constants shared by start.S and ipte-test.c.
 *
 * The test runs on CPU 0 with prefix 0, so lowcore is at absolute 0.
 * Bytes 0x200-0x2ff of lowcore are not written by the machine; the test
 * keeps the state of its program-interruption handler there, so that the
 * handler can reach it with base register 0 and DAT on or off.
 */
#ifndef IPTE_TEST_H
#define IPTE_TEST_H

/* architected lowcore fields */
#define LC_PGM_ILEN		0x8c	/* halfword */
#define LC_PGM_CODE		0x8e	/* halfword */
#define LC_TRANS_EXC_ID		0xa8	/* doubleword */
#define LC_PGM_OLD_PSW		0x150
#define LC_PGM_NEW_PSW		0x1d0

/* our own lowcore fields */
#define LC_SAVE_GPRS		0x200	/* 16 doublewords, up to 0x27f */
#define LC_PGM_SEEN		0x280	/* halfword: last interruption code */
#define LC_FIXUP		0x288	/* doubleword: resume address, 0 = none */
#define LC_TEID_SEEN		0x290	/* doubleword: last TEID */
#define LC_OLD_ADDR_SEEN	0x298	/* doubleword: last old-PSW address */

/* PSW masks */
#define PSW_MASK_DAT		0x0400000000000000
#define PSW_MASK_WAIT		0x0002000000000000
#define PSW_MASK_EA_BA		0x0000000180000000

/* program-interruption codes */
#define PGM_SPECIFICATION	0x06
#define PGM_SEGMENT_TRANS	0x10
#define PGM_PAGE_TRANS		0x11

#endif
