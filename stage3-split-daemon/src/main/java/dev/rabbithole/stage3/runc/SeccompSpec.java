package dev.rabbithole.stage3.runc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rabbithole.stage2.libcontainer.configs.Seccomp;

import java.util.ArrayList;
import java.util.List;

/**
 * The runtime-spec's {@code linux.seccomp} (config-linux.md, "Seccomp": {@code defaultAction},
 * {@code defaultErrnoRet}, {@code architectures}, {@code syscalls[]} with {@code names}, {@code action},
 * {@code errnoRet}, {@code args[]} of {@code index}, {@code value}, {@code valueTwo}, {@code op}) as
 * libcontainer's {@link Seccomp}. {@code SCMP_ACT_NOTIFY}, {@code listenerPath} and filter {@code flags} are
 * refused. An {@code SCMP_ACT_ERRNO} without {@code errnoRet} returns EPERM, as runc.
 */
final class SeccompSpec {
    private static final int EPERM = 1;

    private SeccompSpec() {
    }

    /**
     * @param s the {@code linux.seccomp} object, or null
     * @return the filter, or null for none
     * @throws SpecException a malformed or unsupported field, named
     */
    static Seccomp convert(JsonNode s) throws SpecException {
        if (s == null) {
            return null;
        }
        String def = SpecConverter.text(s, "defaultAction", "linux.seccomp.defaultAction");
        if (def == null) {
            throw new SpecException("linux.seccomp.defaultAction: missing");
        }
        Seccomp.Action defaultAction = action(def, "linux.seccomp.defaultAction");
        int defaultErrno = errno(s, "defaultErrnoRet", "linux.seccomp.defaultErrnoRet");
        String listener = SpecConverter.text(s, "listenerPath", "linux.seccomp.listenerPath");
        if (listener != null && !listener.isEmpty()) {
            throw new SpecException("linux.seccomp.listenerPath: seccomp notify is not supported");
        }
        List<String> flags = SpecConverter.strings(s, "flags", "linux.seccomp.flags");
        if (!flags.isEmpty()) {
            throw new SpecException("linux.seccomp.flags: " + flags.get(0) + ": filter flags are not supported");
        }
        List<String> arches = SpecConverter.strings(s, "architectures", "linux.seccomp.architectures");
        List<Seccomp.Rule> rules = new ArrayList<>();
        int i = 0;
        for (JsonNode sc : SpecConverter.array(s, "syscalls", "linux.seccomp.syscalls")) {
            String f = "linux.seccomp.syscalls[" + i++ + "]";
            List<String> names = SpecConverter.strings(sc, "names", f + ".names");
            if (names.isEmpty()) {
                throw new SpecException(f + ".names: must not be empty");
            }
            String a = SpecConverter.text(sc, "action", f + ".action");
            if (a == null) {
                throw new SpecException(f + ".action: missing");
            }
            Seccomp.Action action = action(a, f + ".action");
            int errno = errno(sc, "errnoRet", f + ".errnoRet");
            List<Seccomp.ArgCondition> args = new ArrayList<>();
            int j = 0;
            for (JsonNode arg : SpecConverter.array(sc, "args", f + ".args")) {
                String af = f + ".args[" + j++ + "]";
                int index = (int) SpecConverter.number(arg, "index", af + ".index", 0, 5);
                long value = arg.has("value") ? arg.get("value").bigIntegerValue().longValue() : 0;
                long valueTwo = arg.has("valueTwo") ? arg.get("valueTwo").bigIntegerValue().longValue() : 0;
                String op = SpecConverter.text(arg, "op", af + ".op");
                args.add(new Seccomp.ArgCondition(index, value, valueTwo, op(op, af + ".op")));
            }
            rules.add(new Seccomp.Rule(names, action, errno, args));
        }
        return new Seccomp(defaultAction, defaultErrno, arches, rules);
    }

    private static int errno(JsonNode parent, String name, String field) throws SpecException {
        if (!parent.has(name) || parent.get(name).isNull()) {
            return EPERM;
        }
        return (int) SpecConverter.number(parent, name, field, 0, 4095);
    }

    static Seccomp.Action action(String name, String field) throws SpecException {
        return switch (name) {
            case "SCMP_ACT_ALLOW" -> Seccomp.Action.ALLOW;
            case "SCMP_ACT_ERRNO" -> Seccomp.Action.ERRNO;
            case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD" -> Seccomp.Action.KILL_THREAD;
            case "SCMP_ACT_KILL_PROCESS" -> Seccomp.Action.KILL_PROCESS;
            case "SCMP_ACT_TRAP" -> Seccomp.Action.TRAP;
            case "SCMP_ACT_TRACE" -> Seccomp.Action.TRACE;
            case "SCMP_ACT_LOG" -> Seccomp.Action.LOG;
            case "SCMP_ACT_NOTIFY" -> throw new SpecException(field + ": SCMP_ACT_NOTIFY is not supported");
            default -> throw new SpecException(field + ": " + name + ": unknown seccomp action");
        };
    }

    static Seccomp.Op op(String name, String field) throws SpecException {
        if (name == null) {
            throw new SpecException(field + ": missing");
        }
        return switch (name) {
            case "SCMP_CMP_EQ" -> Seccomp.Op.EQ;
            case "SCMP_CMP_NE" -> Seccomp.Op.NE;
            case "SCMP_CMP_LT" -> Seccomp.Op.LT;
            case "SCMP_CMP_LE" -> Seccomp.Op.LE;
            case "SCMP_CMP_GT" -> Seccomp.Op.GT;
            case "SCMP_CMP_GE" -> Seccomp.Op.GE;
            case "SCMP_CMP_MASKED_EQ" -> Seccomp.Op.MASKED_EQ;
            default -> throw new SpecException(field + ": " + name + ": unknown comparison");
        };
    }
}
