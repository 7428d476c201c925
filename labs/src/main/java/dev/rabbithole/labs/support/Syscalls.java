package dev.rabbithole.labs.support;

import java.util.Map;

/**
 * System call numbers by name for this machine's architecture (arch/x86/entry/syscalls/syscall_64.tbl,
 * include/uapi/asm-generic/unistd.h for aarch64), limited to the calls the labs filter, and the
 * AUDIT_ARCH value a seccomp filter compares {@code seccomp_data.arch} with (linux/audit.h).
 * Only x86_64 is tested; the aarch64 numbers are from the generic table.
 */
public final class Syscalls {
    private Syscalls() {}

    private static final boolean X86_64 = System.getProperty("os.arch").equals("amd64");

    /** AUDIT_ARCH_X86_64 or AUDIT_ARCH_AARCH64. */
    public static final int AUDIT_ARCH = X86_64 ? 0xC000003E : 0xC00000B7;

    private static final Map<String, int[]> TABLE = Map.ofEntries(
            // name -> {x86_64, aarch64}; -1: the architecture has no such call
            Map.entry("mkdir", new int[]{83, -1}), Map.entry("mkdirat", new int[]{258, 34}),
            Map.entry("chmod", new int[]{90, -1}), Map.entry("fchmodat", new int[]{268, 53}),
            Map.entry("mount", new int[]{165, 40}), Map.entry("umount2", new int[]{166, 39}),
            Map.entry("pivot_root", new int[]{155, 41}), Map.entry("chroot", new int[]{161, 51}),
            Map.entry("unshare", new int[]{272, 97}), Map.entry("setns", new int[]{308, 268}),
            Map.entry("keyctl", new int[]{250, 219}), Map.entry("add_key", new int[]{248, 217}),
            Map.entry("request_key", new int[]{249, 218}), Map.entry("ptrace", new int[]{101, 117}),
            Map.entry("reboot", new int[]{169, 142}), Map.entry("kexec_load", new int[]{246, 104}),
            Map.entry("init_module", new int[]{175, 105}), Map.entry("finit_module", new int[]{313, 273}),
            Map.entry("delete_module", new int[]{176, 106}), Map.entry("bpf", new int[]{321, 280}),
            Map.entry("swapon", new int[]{167, 224}), Map.entry("swapoff", new int[]{168, 225}),
            Map.entry("sethostname", new int[]{170, 161}), Map.entry("acct", new int[]{163, 89}),
            Map.entry("settimeofday", new int[]{164, 170}), Map.entry("clock_settime", new int[]{227, 112}),
            Map.entry("personality", new int[]{135, 92}), Map.entry("userfaultfd", new int[]{323, 282}),
            Map.entry("perf_event_open", new int[]{298, 241}), Map.entry("open_by_handle_at", new int[]{304, 265}),
            Map.entry("kcmp", new int[]{312, 272}), Map.entry("quotactl", new int[]{179, 60}),
            Map.entry("vhangup", new int[]{153, 58}));

    /**
     * @param name a system call name as in its man page ("mkdir")
     * @return its number on this architecture, or -1 when this architecture does not have it
     * @throws IllegalArgumentException when the name is not in the labs' table
     */
    public static int number(String name) {
        int[] n = TABLE.get(name);
        if (n == null) throw new IllegalArgumentException("no syscall number for " + name + " in the labs' table");
        return X86_64 ? n[0] : n[1];
    }
}
