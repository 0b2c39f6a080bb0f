/* Loaded with LD_PRELOAD by evals.avx2_only: the process and every thread it starts see a CPU without
 * AVX-512, AVX-VNNI, AVX10 or AMX, so torch, oneDNN and ONNX Runtime choose the AVX2 kernels they
 * would choose on such a CPU. The kernel makes each CPUID instruction fault (ARCH_SET_CPUID, where the
 * CPU can: the cpuid_fault flag); the handler runs the real CPUID and clears those feature bits. */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <cpuid.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

struct hidden {
    uint32_t leaf, subleaf;
    int reg; /* 0 eax, 1 ebx, 2 ecx, 3 edx */
    uint32_t bits;
};

/* Intel SDM vol. 2A, CPUID leaf 7: AVX-512 F, DQ, IFMA, PF, ER, CD, BW, VL; VBMI, VBMI2, VNNI, BITALG,
 * VPOPCNTDQ; 4VNNIW, 4FMAPS, VP2INTERSECT, AMX-BF16, AVX512-FP16, AMX-TILE, AMX-INT8; and in subleaf
 * 1, AVX-VNNI, AVX512-BF16, AMX-FP16, AVX-VNNI-INT8, AVX-NE-CONVERT, AMX-COMPLEX, AVX-VNNI-INT16
 * and AVX10. */
static const struct hidden HIDDEN[] = {
    {7, 0, 1,
     (1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) | (1u << 28) | (1u << 30) | (1u << 31)},
    {7, 0, 2, (1u << 1) | (1u << 6) | (1u << 11) | (1u << 12) | (1u << 14)},
    {7, 0, 3, (1u << 2) | (1u << 3) | (1u << 8) | (1u << 22) | (1u << 23) | (1u << 24) | (1u << 25)},
    {7, 1, 0, (1u << 4) | (1u << 5) | (1u << 21)},
    {7, 1, 3, (1u << 4) | (1u << 5) | (1u << 8) | (1u << 10) | (1u << 19)},
};

static long cpuid_faults(int faults) { return syscall(SYS_arch_prctl, ARCH_SET_CPUID, !faults); }

/* The command may set its own SIGSEGV handler (Python's faulthandler does): it is kept here and
 * called for real faults, while this one stays in place for CPUID. Not kept: a thread that blocks
 * SIGSEGV ends at its next CPUID, as the kernel cannot deliver the fault to any handler. */
typedef int (*sigaction_call)(int, const struct sigaction *, struct sigaction *);
typedef sighandler_t (*signal_call)(int, sighandler_t);
static struct sigaction theirs; /* what the command asked for, or what it inherited */

static sigaction_call real_sigaction(void) {
    static sigaction_call real;
    if (real == NULL) real = (sigaction_call)dlsym(RTLD_NEXT, "sigaction");
    return real;
}

int sigaction(int signal_number, const struct sigaction *action, struct sigaction *previous) {
    if (signal_number != SIGSEGV) return real_sigaction()(signal_number, action, previous);
    if (previous != NULL) *previous = theirs;
    if (action != NULL) theirs = *action;
    return 0;
}

sighandler_t signal(int signal_number, sighandler_t handler) {
    if (signal_number != SIGSEGV) {
        static signal_call real;
        if (real == NULL) real = (signal_call)dlsym(RTLD_NEXT, "signal");
        return real(signal_number, handler);
    }
    sighandler_t previous = theirs.sa_handler;
    memset(&theirs, 0, sizeof theirs);
    theirs.sa_handler = handler;
    theirs.sa_flags = SA_RESTART; /* what glibc's signal() sets */
    return previous;
}

static void end_by_default(int signal_number) {
    struct sigaction fallback;
    memset(&fallback, 0, sizeof fallback);
    fallback.sa_handler = SIG_DFL;
    real_sigaction()(signal_number, &fallback, NULL);
}

/* A real fault (or a SIGSEGV sent by raise or kill) goes where the command said it should. */
static void as_they_would(int signal_number, siginfo_t *info, void *raw) {
    struct sigaction handler = theirs;
    int sent = info->si_code <= 0; /* raise, kill: nothing runs again after the handler */
    if (handler.sa_flags & SA_RESETHAND) {
        memset(&theirs, 0, sizeof theirs);
        theirs.sa_handler = SIG_DFL;
    }
    if ((handler.sa_flags & SA_SIGINFO) && handler.sa_sigaction != NULL) {
        handler.sa_sigaction(signal_number, info, raw);
    } else if (handler.sa_handler == SIG_IGN) {
        if (!sent) end_by_default(signal_number); /* an ignored fault would only fault again */
    } else if (handler.sa_handler != SIG_DFL) {
        handler.sa_handler(signal_number);
    } else { /* the default: a fault runs again and ends the process; a sent signal is sent again */
        end_by_default(signal_number);
        if (sent) raise(signal_number);
    }
}

static void on_fault(int signal_number, siginfo_t *info, void *raw) {
    greg_t *regs = ((ucontext_t *)raw)->uc_mcontext.gregs;
    const uint8_t *at = (const uint8_t *)regs[REG_RIP];
    /* A faulting CPUID arrives as SI_KERNEL; only then are the bytes at RIP sure to be readable. */
    if (info->si_code != SI_KERNEL || at[0] != 0x0f || at[1] != 0xa2) {
        as_they_would(signal_number, info, raw);
        return;
    }
    uint32_t leaf = (uint32_t)regs[REG_RAX], subleaf = (uint32_t)regs[REG_RCX], out[4];
    cpuid_faults(0); /* per thread, and this handler runs on the faulting thread */
    __cpuid_count(leaf, subleaf, out[0], out[1], out[2], out[3]);
    cpuid_faults(1);
    for (size_t i = 0; i < sizeof HIDDEN / sizeof HIDDEN[0]; i++)
        if (HIDDEN[i].leaf == leaf && HIDDEN[i].subleaf == subleaf) out[HIDDEN[i].reg] &= ~HIDDEN[i].bits;
    regs[REG_RAX] = out[0];
    regs[REG_RBX] = out[1];
    regs[REG_RCX] = out[2];
    regs[REG_RDX] = out[3];
    regs[REG_RIP] += 2; /* past the two-byte instruction */
}

__attribute__((constructor)) static void hide(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_fault;
    action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK; /* faulthandler's stack-overflow stack */
    /* A benchmark that silently ran on AVX-512 would report the wrong machine: stop instead. */
    if (real_sigaction()(SIGSEGV, &action, &theirs) != 0 || cpuid_faults(1) != 0) {
        fputs("avx2_only: this CPU or kernel cannot make CPUID fault (no cpuid_fault flag)\n", stderr);
        _exit(3);
    }
}
