package dev.rabbithole.stage1.security;

/** The default seccomp profile and the parser for Docker-format profile JSON. */
public final class SeccompProfiles {
    private SeccompProfiles() { }

    /**
     * The default profile: allow everything, except what Docker's default profile blocks
     * (mount, umount2, unshare, setns, keyctl, ptrace, reboot, kexec_load, init_module, bpf, ...),
     * which fail with EPERM.
     */
    public static SeccompProfile defaultProfile() {
        throw new UnsupportedOperationException("TODO(lxc helper)");
    }

    /**
     * Parses a Docker-format profile.
     *
     * @param json the profile's text (the docker CLI inlines the file's text in {@code SecurityOpt})
     * @throws dev.rabbithole.stage1.errdefs.InvalidParameterException malformed JSON or an unknown action
     */
    public static SeccompProfile parse(String json) {
        throw new UnsupportedOperationException("TODO(lxc helper)");
    }
}
