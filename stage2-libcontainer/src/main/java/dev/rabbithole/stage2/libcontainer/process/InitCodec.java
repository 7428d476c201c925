package dev.rabbithole.stage2.libcontainer.process;

import dev.rabbithole.stage2.libcontainer.configs.CapabilitySet;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.Device;
import dev.rabbithole.stage2.libcontainer.configs.Mount;
import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;
import dev.rabbithole.stage2.libcontainer.configs.Rlimit;
import dev.rabbithole.stage2.libcontainer.system.RecordingSyscalls;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The init protocol's wire format: each {@link InitMessage} as a type byte and its fields, written with
 * {@link DataOutputStream} (big-endian lengths, strings in modified UTF-8; a null string or list is length -1).
 * Hand-written rather than JSON because the init JVM pays for every class it loads: Jackson's first use there
 * cost several hundred milliseconds of each start (measured), this codec a few.
 *
 * <p>The init gets the config without its cgroup (the parent's business) and without the seccomp description
 * (it gets the compiled program, {@link InitMessage#seccomp()}).
 */
final class InitCodec {
    private static final byte CONFIG = 'C';
    private static final byte GO = 'G';
    private static final byte EXEC = 'X';
    private static final byte ERROR = 'E';

    private InitCodec() { }

    static void write(DataOutputStream out, InitMessage m) throws IOException {
        switch (m.type()) {
            case InitMessage.CONFIG -> {
                out.writeByte(CONFIG);
                config(out, m.config());
                string(out, m.hostname());
                string(out, m.hosts());
                string(out, m.resolvConf());
                bytes(out, m.seccomp());
                string(out, m.execFifo());
            }
            case InitMessage.GO -> out.writeByte(GO);
            case InitMessage.ERROR -> {
                out.writeByte(ERROR);
                string(out, m.error());
                string(out, m.failedCall());
                out.writeInt(m.errno());
            }
            case InitMessage.EXEC -> {
                out.writeByte(EXEC);
                string(out, m.path());
                List<RecordingSyscalls.Call> calls = m.calls() == null ? List.of() : m.calls();
                out.writeInt(calls.size());
                for (RecordingSyscalls.Call c : calls) {
                    string(out, c.name());
                    strings(out, c.args());
                    string(out, c.reason());
                    string(out, c.error());
                }
                Map<String, Long> timings = m.timings() == null ? Map.of() : m.timings();
                out.writeInt(timings.size());
                for (Map.Entry<String, Long> e : timings.entrySet()) {
                    string(out, e.getKey());
                    out.writeLong(e.getValue());
                }
            }
            default -> throw new IOException("unknown init message type " + m.type());
        }
        out.flush();
    }

    /** @return the next message, or null at end of stream */
    static InitMessage read(DataInputStream in) throws IOException {
        int type = in.read();
        switch (type) {
            case -1:
                return null;
            case CONFIG: {
                ContainerConfig config = config(in);
                return InitMessage.config(config, string(in), string(in), string(in), bytes(in), string(in));
            }
            case GO:
                return InitMessage.go();
            case ERROR:
                return InitMessage.error(string(in), string(in), in.readInt());
            case EXEC: {
                String path = string(in);
                int n = in.readInt();
                List<RecordingSyscalls.Call> calls = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    calls.add(new RecordingSyscalls.Call(string(in), strings(in), string(in), string(in)));
                }
                int t = in.readInt();
                Map<String, Long> timings = new LinkedHashMap<>();
                for (int i = 0; i < t; i++) {
                    timings.put(string(in), in.readLong());
                }
                return InitMessage.exec(path, calls, timings);
            }
            default:
                throw new IOException("unknown init message type byte " + type);
        }
    }

    private static void config(DataOutputStream out, ContainerConfig c) throws IOException {
        string(out, c.id());
        string(out, c.rootfs() == null ? null : c.rootfs().toString());
        out.writeBoolean(c.readonlyRootfs());
        string(out, c.hostname());
        strings(out, c.namespaces() == null ? null : c.namespaces().stream().map(Enum::name).toList());
        List<Mount> mounts = c.mounts() == null ? List.of() : c.mounts();
        out.writeInt(mounts.size());
        for (Mount m : mounts) {
            string(out, m.source());
            string(out, m.destination());
            string(out, m.type());
            strings(out, m.options());
        }
        strings(out, c.maskedPaths());
        strings(out, c.readonlyPaths());
        CapabilitySet caps = c.capabilities();
        out.writeBoolean(caps != null);
        if (caps != null) {
            for (Set<String> s : List.of(caps.bounding(), caps.effective(), caps.permitted(), caps.inheritable(),
                    caps.ambient())) {
                strings(out, s == null ? null : List.copyOf(s));
            }
        }
        out.writeBoolean(c.noNewPrivileges());
        List<Rlimit> rlimits = c.rlimits() == null ? List.of() : c.rlimits();
        out.writeInt(rlimits.size());
        for (Rlimit r : rlimits) {
            string(out, r.type());
            out.writeLong(r.soft());
            out.writeLong(r.hard());
        }
        ProcessConfig p = c.process();
        out.writeBoolean(p != null);
        if (p != null) {
            strings(out, p.args());
            strings(out, p.env());
            string(out, p.cwd());
            out.writeInt(p.uid());
            out.writeInt(p.gid());
            strings(out, p.additionalGids() == null ? null : p.additionalGids().stream().map(String::valueOf).toList());
            out.writeInt(p.parentDeathSignal());
            string(out, p.consoleSocket());
        }
        devices(out, c.devices());
        dev.rabbithole.stage2.libcontainer.configs.SpecExtras x = c.extrasOrNone();
        string(out, x.domainname());
        out.writeLong(x.personality());
        out.writeLong(x.rootfsPropagation());
        out.writeInt(x.seccompFlags());
        strings(out, x.systemMountOrder());
    }

    private static void devices(DataOutputStream out, List<Device> devices) throws IOException {
        if (devices == null) {
            out.writeInt(-1);
            return;
        }
        out.writeInt(devices.size());
        for (Device d : devices) {
            string(out, d.path());
            out.writeChar(d.type());
            out.writeLong(d.major());
            out.writeLong(d.minor());
            out.writeInt(d.fileMode());
            out.writeInt(d.uid());
            out.writeInt(d.gid());
        }
    }

    private static List<Device> devices(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        List<Device> devices = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            devices.add(new Device(string(in), in.readChar(), in.readLong(), in.readLong(), in.readInt(), in.readInt(),
                    in.readInt()));
        }
        return devices;
    }

    private static ContainerConfig config(DataInputStream in) throws IOException {
        String id = string(in);
        String rootfs = string(in);
        boolean readonly = in.readBoolean();
        String hostname = string(in);
        List<String> ns = strings(in);
        Set<NamespaceType> namespaces = EnumSet.noneOf(NamespaceType.class);
        for (String n : ns == null ? List.<String>of() : ns) {
            namespaces.add(NamespaceType.valueOf(n));
        }
        int n = in.readInt();
        List<Mount> mounts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            mounts.add(new Mount(string(in), string(in), string(in), strings(in)));
        }
        List<String> masked = strings(in);
        List<String> readonlyPaths = strings(in);
        CapabilitySet caps = null;
        if (in.readBoolean()) {
            caps = new CapabilitySet(set(strings(in)), set(strings(in)), set(strings(in)), set(strings(in)),
                    set(strings(in)));
        }
        boolean nnp = in.readBoolean();
        int r = in.readInt();
        List<Rlimit> rlimits = new ArrayList<>(r);
        for (int i = 0; i < r; i++) {
            rlimits.add(new Rlimit(string(in), in.readLong(), in.readLong()));
        }
        ProcessConfig process = null;
        if (in.readBoolean()) {
            List<String> args = strings(in);
            List<String> env = strings(in);
            String cwd = string(in);
            int uid = in.readInt();
            int gid = in.readInt();
            List<String> gids = strings(in);
            process = new ProcessConfig(args, env, cwd, uid, gid,
                    gids == null ? null : gids.stream().map(Integer::valueOf).toList(), in.readInt(), string(in));
        }
        List<Device> devices = devices(in);
        var extras = new dev.rabbithole.stage2.libcontainer.configs.SpecExtras(string(in), in.readLong(),
                in.readLong(), in.readInt(), strings(in));
        return new ContainerConfig(id, rootfs == null ? null : Path.of(rootfs), readonly, hostname, namespaces,
                mounts, masked, readonlyPaths, null, caps, null, nnp, rlimits, process, devices)
                .withExtras(extras.isNone() ? null : extras);
    }

    private static Set<String> set(List<String> list) {
        return list == null ? null : new LinkedHashSet<>(list);
    }

    private static void string(DataOutputStream out, String s) throws IOException {
        if (s == null) {
            out.writeInt(-1);
            return;
        }
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String string(DataInputStream in) throws IOException {
        byte[] b = bytes(in);
        return b == null ? null : new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static void bytes(DataOutputStream out, byte[] b) throws IOException {
        if (b == null) {
            out.writeInt(-1);
            return;
        }
        out.writeInt(b.length);
        out.write(b);
    }

    private static byte[] bytes(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        if (n > 64 << 20) {
            throw new IOException("init message field of " + n + " bytes");
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    private static void strings(DataOutputStream out, List<String> list) throws IOException {
        if (list == null) {
            out.writeInt(-1);
            return;
        }
        out.writeInt(list.size());
        for (String s : list) {
            string(out, s);
        }
    }

    private static List<String> strings(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        List<String> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(string(in));
        }
        return list;
    }
}
