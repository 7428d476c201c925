package dev.rabbithole.stage1.daemon.fakes;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.daemon.SecurityResolver;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.security.SeccompProfile;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Capabilities and seccomp for daemon tests, independent of the security package: Docker's 14 defaults,
 * a few more known names, and Jackson parsing of profiles.
 */
public final class FakeSecurity implements SecurityResolver {
    public static final Set<String> DEFAULTS = Set.of("CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD",
            "NET_RAW", "SETGID", "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",
            "AUDIT_WRITE");
    private static final Set<String> KNOWN = Set.of("SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_TIME");
    public static final SeccompProfile DEFAULT_PROFILE = new SeccompProfile("SCMP_ACT_ALLOW", null, List.of(),
            List.of(new SeccompProfile.Rule(List.of("mount"), "SCMP_ACT_ERRNO", null, null)));

    @Override
    public Set<String> capabilities(List<String> add, List<String> drop, boolean privileged) {
        Set<String> caps = new TreeSet<>(DEFAULTS);
        if (privileged) {
            caps.addAll(KNOWN);
            return caps;
        }
        for (String a : add) {
            caps.add(known(a));
        }
        for (String d : drop) {
            caps.remove(known(d));
        }
        return caps;
    }

    private static String known(String name) {
        String n = name.toUpperCase(Locale.ROOT);
        n = n.startsWith("CAP_") ? n.substring(4) : n;
        if (!DEFAULTS.contains(n) && !KNOWN.contains(n)) {
            throw new InvalidParameterException("unknown capability: \"" + name + "\"");
        }
        return n;
    }

    @Override
    public SeccompProfile defaultSeccomp() { return DEFAULT_PROFILE; }

    @Override
    public SeccompProfile parseSeccomp(String json) {
        try {
            return new ObjectMapper().readValue(json, SeccompProfile.class);
        } catch (IOException e) {
            throw new InvalidParameterException("decoding seccomp profile failed: " + e.getMessage(), e);
        }
    }
}
