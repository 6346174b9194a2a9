/*
 * ipte-count: count s390x IPTE instructions and guest instructions per
 * guest-marked phase. TCG plugin for QEMU 7.2 (plugin API version 1).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * PHASE MARKERS
 *
 *   The guest marks the beginning and the end of phase N (0 <= N < 32768)
 *   by executing
 *
 *       BRCL 0,I2     with I2 = 0x50480000 | N            (begin N)
 *                     and  I2 = 0x50480000 | 0x8000 | N   (end N)
 *
 *   i.e. the six bytes  c0 04 50 48 hh ll, where hhll = N for begin and
 *   0x8000 | N for end. In assembler:
 *
 *       .insn rilu,0xc00400000000,0,0x50480000+N          # begin N
 *       .insn rilu,0xc00400000000,0,0x50488000+N          # end N
 *
 *   and from C (N a compile-time constant):
 *
 *       asm volatile(".insn rilu,0xc00400000000,0,%0"
 *                    :: "i" (0x50480000 + (N)));
 *
 *   Why this instruction: BRANCH RELATIVE ON CONDITION LONG with mask 0
 *   never branches, so it is a true no-op in every state (problem or
 *   supervisor): it changes no register, no condition code, no storage,
 *   and a branch that is not taken is no PER successful-branching event.
 *   It is not privileged and exists on every z/Architecture CPU. QEMU
 *   translates it to nothing and does not end the translation block
 *   there. BRCL 0 does occur in normal code (gas "jgnop"; Linux uses it
 *   for jump labels and alternatives), but there the immediate is 0 or the
 *   distance in halfwords to a nearby label. The marker's high halfword
 *   0x5048 ("PH") means a branch target about 2.7 GB away, which no
 *   compiler or kernel emits, so markers cannot be confused with real
 *   code. A marker costs one guest instruction.
 *
 *   Phases may nest or overlap (each number is independent); a phase may
 *   run any number of times, its figures add up. An end without a begin
 *   is counted as "unmatched" and otherwise ignored. Markers work from
 *   any vCPU: begin on one CPU and end on another is fine.
 *
 * WHAT IS COUNTED
 *
 *   insns        guest instructions executed by all vCPUs while the phase
 *                was open (difference of a global counter at begin and
 *                end). Counted per translation block with an inline add
 *                (qemu_plugin_register_vcpu_tb_exec_inline), so:
 *                - a TB counts in full when it starts, even if an
 *                  exception ends it early, and the TB that contains a
 *                  marker counts entirely before or after it;
 *                - QEMU 7.2's inline ops are not atomic: with MTTCG
 *                  (several vCPU threads) concurrent adds may be lost.
 *                  Run with "-accel tcg,thread=single" for exact counts
 *                  (all vCPUs in one thread, round robin); use medians.
 *   vcpu_insns   guest instructions executed by the vCPU that executed the
 *                begin marker, counted only when the same vCPU executes the
 *                end marker (a scenario pinned to one CPU): exact, even
 *                with MTTCG, since each vCPU counts its own (a callback per
 *                translation block executed).
 *   ipte_global  IPTE (opcode 0xb221) executed with the M4 LC bit 0
 *   ipte_local   IPTE executed with the M4 LC bit 1 (local-clearing
 *                requested; QEMU honours it only if the CPU model has
 *                the local-TLB-clearing facility; the trace event
 *                s390_ipte reports the effective kind)
 *   ipte_r3      of those, IPTEs with a nonzero R3 field (the range form
 *                when the IPTE-range facility is installed, else options)
 *                IPTEs are counted with an atomic increment in an
 *                execution callback, exact under MTTCG. An IPTE that
 *                raises a program exception still counts.
 *
 *   IPTE is RRF-a: b2 21 | R3 M4 | R1 R2 (byte 2 = R3 << 4 | M4,
 *   byte 3 = R1 << 4 | R2); the plugin decodes these bytes at
 *   translation time.
 *
 * WHAT IS NOT COUNTED HERE: ENTRIES
 *
 *   The number of PTEs an IPTE invalidates is in R3 (range form), and the
 *   7.2 plugin API cannot read guest registers. Entries come from the
 *   trace event of our QEMU patch "target/s390x: add a trace event for
 *   IPTE": run with "-trace s390_ipte,file=ipte.log" (or
 *   "-d trace:s390_ipte -D ipte.log"); each line reads
 *       s390_ipte cpu C pto 0x... vaddr 0x... entries E local L
 *   and the workbench sums E, split by L. To attribute trace lines to
 *   phases, enable "trace=on" below: the plugin then writes a line
 *       ipte-count: phase N begin (vcpu V)
 *       ipte-count: phase N end (vcpu V) insns I vcpu_insns W ipte_global G
 *                   ipte_local L ipte_r3 X        (on one line)
 *   with qemu_plugin_outs() at every marker, the end line with the figures
 *   of that one run; with "-D FILE" the plugin
 *   output and the trace lines go to the same log, in order (up to
 *   interleaving of vCPU threads).
 *
 * USAGE
 *
 *   qemu-system-s390x ... -plugin ./libipte-count.so[,trace=on][,profile=N] \
 *       -d plugin[,trace:s390_ipte] -D log.txt
 *
 *   At exit it prints, with qemu_plugin_outs() (stderr, or the -D file
 *   with -d plugin), one line per phase that ran and a line for all
 *   execution:
 *
 *   ipte-count: phase N runs R insns I ipte_global G ipte_local L ipte_r3 X
 *   ipte-count: total insns I vcpu_insns W ipte_global G ipte_local L ipte_r3 X
 *
 *   (in the total, vcpu_insns is the sum of all vCPUs' own counts)
 *
 * PROFILE
 *
 *   With "profile=N" the plugin also counts, while phase N is open, the
 *   instructions the vCPU of its begin marker executes per translation
 *   block, and prints at exit one line per guest address that ran:
 *
 *   ipte-count: profile 0xADDR insns I
 *
 *   ADDR is the guest virtual address of the block's first instruction;
 *   blocks at the same address (retranslated, or of another address
 *   space) add up. A block that starts in one function and runs into the
 *   next (no branch between them) counts for the first. Exact with
 *   "-accel tcg,thread=single", like vcpu_insns.
 *
 * Build (qemu-plugin.h comes from the QEMU 7.2 source, include/qemu):
 *
 *   gcc -shared -fPIC -O2 -Wall -I$QEMU_SRC/include/qemu \
 *       $(pkg-config --cflags glib-2.0) -o libipte-count.so ipte-count.c
 */

#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MARKER_MAGIC    0x5048u
#define MARKER_END      0x8000u
#define MAX_PHASES      0x8000u

enum counter {
    C_INSNS,
    C_VCPU_INSNS,
    C_IPTE_GLOBAL,
    C_IPTE_LOCAL,
    C_IPTE_R3,
    C_MAX,
};

static const char *const counter_names[C_MAX] = {
    [C_INSNS] = "insns",
    [C_VCPU_INSNS] = "vcpu_insns",
    [C_IPTE_GLOBAL] = "ipte_global",
    [C_IPTE_LOCAL] = "ipte_local",
    [C_IPTE_R3] = "ipte_r3",
};

typedef struct {
    uint64_t start[C_MAX];  /* totals at the open begin marker */
    uint64_t sum[C_MAX];    /* added up over all completed runs */
    uint64_t runs;
    uint64_t unmatched_ends;
    unsigned int vcpu;      /* the vCPU of the open begin marker */
    bool open;
    bool seen;
} Phase;

/*
 * totals since start; [C_INSNS] is updated inline (not atomically),
 * [C_VCPU_INSNS] is not used (see vcpu_insns)
 */
static uint64_t totals[C_MAX];

/* instructions per vCPU, each written by its own vCPU thread only */
#define MAX_VCPUS       256
static uint64_t vcpu_insns[MAX_VCPUS];

static void vcpu_tb_exec(unsigned int vcpu_index, void *udata)
{
    if (vcpu_index < MAX_VCPUS) {
        __atomic_store_n(&vcpu_insns[vcpu_index],
                         vcpu_insns[vcpu_index] + GPOINTER_TO_UINT(udata),
                         __ATOMIC_RELAXED);
    }
}

static Phase *phases;
static GMutex phase_lock;
static bool trace_markers;

/* profile=N: instructions per block while phase N is open */
#define NO_PROFILE      UINT_MAX
static unsigned int profile_phase = NO_PROFILE;
static GHashTable *profile;     /* set of ProfileBlock, by address and size */
static GMutex profile_lock;

typedef struct {
    uint64_t vaddr;
    unsigned int n;             /* instructions of the block */
    uint64_t insns;             /* executed while the phase was open */
} ProfileBlock;

static guint profile_block_hash(gconstpointer key)
{
    const ProfileBlock *b = key;

    return g_int64_hash(&b->vaddr) ^ b->n;
}

static gboolean profile_block_equal(gconstpointer a, gconstpointer b)
{
    const ProfileBlock *x = a, *y = b;

    return x->vaddr == y->vaddr && x->n == y->n;
}

static void vcpu_profile_exec(unsigned int vcpu_index, void *udata)
{
    const Phase *p = &phases[profile_phase];
    ProfileBlock *b = udata;

    /* racy without thread=single, as the counts are inexact then anyway */
    if (p->open && p->vcpu == vcpu_index) {
        __atomic_fetch_add(&b->insns, b->n, __ATOMIC_RELAXED);
    }
}

/* The block of @tb: a retranslation of the same block finds the first. */
static ProfileBlock *profile_block(struct qemu_plugin_tb *tb, unsigned int n)
{
    ProfileBlock key = { .vaddr = qemu_plugin_tb_vaddr(tb), .n = n };
    ProfileBlock *b;

    g_mutex_lock(&profile_lock);
    b = g_hash_table_lookup(profile, &key);
    if (!b) {
        b = g_memdup2(&key, sizeof(key));
        g_hash_table_add(profile, b);
    }
    g_mutex_unlock(&profile_lock);
    return b;
}

static void append_profile(gpointer key, gpointer value, gpointer out)
{
    const ProfileBlock *b = key;

    if (b->insns) {
        g_string_append_printf(out, "ipte-count: profile 0x%" PRIx64
                               " insns %" PRIu64 "\n", b->vaddr, b->insns);
    }
}

/* userdata of an IPTE callback: which counters to bump */
#define IPTE_LOCAL      1u
#define IPTE_R3         2u

static void vcpu_ipte_exec(unsigned int vcpu_index, void *udata)
{
    unsigned int kind = GPOINTER_TO_UINT(udata);

    if (kind & IPTE_LOCAL) {
        __atomic_fetch_add(&totals[C_IPTE_LOCAL], 1, __ATOMIC_RELAXED);
    } else {
        __atomic_fetch_add(&totals[C_IPTE_GLOBAL], 1, __ATOMIC_RELAXED);
    }
    if (kind & IPTE_R3) {
        __atomic_fetch_add(&totals[C_IPTE_R3], 1, __ATOMIC_RELAXED);
    }
}

static void read_totals(uint64_t *now, unsigned int vcpu_index)
{
    int i;

    for (i = 0; i < C_MAX; i++) {
        now[i] = __atomic_load_n(&totals[i], __ATOMIC_RELAXED);
    }
    now[C_VCPU_INSNS] = vcpu_index < MAX_VCPUS ?
        __atomic_load_n(&vcpu_insns[vcpu_index], __ATOMIC_RELAXED) : 0;
}

static void append_counters(GString *out, const uint64_t *c);

static void vcpu_marker_exec(unsigned int vcpu_index, void *udata)
{
    unsigned int imm = GPOINTER_TO_UINT(udata);
    unsigned int nr = imm & (MAX_PHASES - 1);
    bool end = imm & MARKER_END;
    uint64_t now[C_MAX], run[C_MAX];
    Phase *p = &phases[nr];
    bool counted = false;
    int i;

    read_totals(now, vcpu_index);

    g_mutex_lock(&phase_lock);
    p->seen = true;
    if (!end) {
        memcpy(p->start, now, sizeof(p->start));
        p->vcpu = vcpu_index;
        p->open = true;
    } else if (p->open) {
        for (i = 0; i < C_MAX; i++) {
            run[i] = now[i] - p->start[i];
        }
        if (p->vcpu != vcpu_index) {
            run[C_VCPU_INSNS] = 0;
        }
        for (i = 0; i < C_MAX; i++) {
            p->sum[i] += run[i];
        }
        p->runs++;
        p->open = false;
        counted = true;
    } else {
        p->unmatched_ends++;
    }
    g_mutex_unlock(&phase_lock);

    if (trace_markers) {
        g_autoptr(GString) line = g_string_new(NULL);

        g_string_printf(line, "ipte-count: phase %u %s (vcpu %u)", nr,
                        end ? "end" : "begin", vcpu_index);
        if (counted) {
            append_counters(line, run);
        }
        g_string_append_c(line, '\n');
        qemu_plugin_outs(line->str);
    }
}

static void vcpu_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    size_t i;

    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
                                             &totals[C_INSNS], n);
    qemu_plugin_register_vcpu_tb_exec_cb(tb, vcpu_tb_exec,
                                         QEMU_PLUGIN_CB_NO_REGS,
                                         GUINT_TO_POINTER(n));
    if (profile_phase != NO_PROFILE) {
        qemu_plugin_register_vcpu_tb_exec_cb(tb, vcpu_profile_exec,
                                             QEMU_PLUGIN_CB_NO_REGS,
                                             profile_block(tb, n));
    }

    for (i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        const uint8_t *b = qemu_plugin_insn_data(insn);
        size_t len = qemu_plugin_insn_size(insn);

        if (len == 4 && b[0] == 0xb2 && b[1] == 0x21) {
            /* IPTE R1,R2,R3,M4: b2 21 | R3 M4 | R1 R2 */
            unsigned int kind = 0;

            if (b[2] & 0x01) {
                kind |= IPTE_LOCAL;
            }
            if (b[2] & 0xf0) {
                kind |= IPTE_R3;
            }
            qemu_plugin_register_vcpu_insn_exec_cb(insn, vcpu_ipte_exec,
                                                   QEMU_PLUGIN_CB_NO_REGS,
                                                   GUINT_TO_POINTER(kind));
        } else if (len == 6 && b[0] == 0xc0 && b[1] == 0x04 &&
                   ((b[2] << 8) | b[3]) == MARKER_MAGIC) {
            /* BRCL 0,0x5048xxxx: phase marker */
            unsigned int imm = (b[4] << 8) | b[5];

            qemu_plugin_register_vcpu_insn_exec_cb(insn, vcpu_marker_exec,
                                                   QEMU_PLUGIN_CB_NO_REGS,
                                                   GUINT_TO_POINTER(imm));
        }
    }
}

static void append_counters(GString *out, const uint64_t *c)
{
    int i;

    for (i = 0; i < C_MAX; i++) {
        g_string_append_printf(out, " %s %" PRIu64, counter_names[i], c[i]);
    }
}

static void plugin_exit(qemu_plugin_id_t id, void *udata)
{
    g_autoptr(GString) out = g_string_new(NULL);
    uint64_t now[C_MAX];
    unsigned int nr;

    read_totals(now, MAX_VCPUS);
    /* for the total: every vCPU's own count, added up (exact) */
    for (nr = 0; nr < MAX_VCPUS; nr++) {
        now[C_VCPU_INSNS] += __atomic_load_n(&vcpu_insns[nr],
                                             __ATOMIC_RELAXED);
    }

    g_mutex_lock(&phase_lock);
    for (nr = 0; nr < MAX_PHASES; nr++) {
        Phase *p = &phases[nr];

        if (!p->seen) {
            continue;
        }
        g_string_append_printf(out, "ipte-count: phase %u runs %" PRIu64,
                               nr, p->runs);
        append_counters(out, p->sum);
        if (p->open) {
            g_string_append(out, " (still open at exit, not counted)");
        }
        if (p->unmatched_ends) {
            g_string_append_printf(out, " (unmatched ends %" PRIu64 ")",
                                   p->unmatched_ends);
        }
        g_string_append_c(out, '\n');
    }
    g_mutex_unlock(&phase_lock);

    if (profile_phase != NO_PROFILE) {
        g_hash_table_foreach(profile, append_profile, out);
    }
    g_string_append(out, "ipte-count: total");
    append_counters(out, now);
    g_string_append_c(out, '\n');
    qemu_plugin_outs(out->str);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
                                           const qemu_info_t *info,
                                           int argc, char **argv)
{
    int i;

    if (strcmp(info->target_name, "s390x") != 0) {
        fprintf(stderr, "ipte-count: target is %s, not s390x\n",
                info->target_name);
        return -1;
    }

    for (i = 0; i < argc; i++) {
        char *opt = argv[i];
        g_auto(GStrv) tokens = g_strsplit(opt, "=", 2);

        if (g_strcmp0(tokens[0], "trace") == 0 && tokens[1]) {
            if (!qemu_plugin_bool_parse(tokens[0], tokens[1],
                                        &trace_markers)) {
                fprintf(stderr, "ipte-count: bad value in %s\n", opt);
                return -1;
            }
        } else if (g_strcmp0(tokens[0], "profile") == 0 && tokens[1]) {
            char *end;
            unsigned long nr = strtoul(tokens[1], &end, 0);

            if (*end || nr >= MAX_PHASES) {
                fprintf(stderr, "ipte-count: bad phase in %s\n", opt);
                return -1;
            }
            profile_phase = nr;
        } else {
            fprintf(stderr, "ipte-count: unknown option %s\n", opt);
            return -1;
        }
    }

    phases = g_new0(Phase, MAX_PHASES);
    g_mutex_init(&phase_lock);
    profile = g_hash_table_new(profile_block_hash, profile_block_equal);
    g_mutex_init(&profile_lock);

    qemu_plugin_register_vcpu_tb_trans_cb(id, vcpu_tb_trans);
    qemu_plugin_register_atexit_cb(id, plugin_exit, NULL);
    return 0;
}
