package dev.rabbithole.stage2.libcontainer.process;

import dev.rabbithole.stage2.libcontainer.configs.CapabilitySet;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;
import dev.rabbithole.stage2.libcontainer.configs.Rlimit;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The control channel between the process that runs an exec ({@code ContainerExec}) and the exec JVM
 * ({@link ExecMain}), the analogue of runc's init pipe in its "setns" mode. A connected unix stream socket;
 * each message a type byte and its fields, written with {@link DataOutputStream} (null strings and lists as
 * length -1). Parent to exec JVM: {@code request}, later {@code go}. Exec JVM to parent: {@code ready} (all
 * set up; about to make its last calls) or {@code error}. The socket is close-on-exec in the exec JVM: its end of
 * stream after {@code go} means the execve succeeded.
 */
public final class ExecChannel implements Closeable {
    /** Parent to exec JVM: what to run. */
    public static final byte REQUEST = 'R';
    /** Parent to exec JVM: the process is in the container's cgroup; make the last calls. */
    public static final byte GO = 'G';
    /** Exec JVM to parent: set up; waiting for {@link #GO}. */
    public static final byte READY = 'Y';
    /** Exec JVM to parent: a step failed. */
    public static final byte ERROR = 'E';

    /**
     * What the exec JVM is to do.
     *
     * @param initPid         host pid of the container's init (its workload), whose mount namespace to join
     * @param initStartTime   its start time (field 22 of /proc/PID/stat, clock ticks), to tell it from a reused pid
     * @param process         args, env, cwd, uid, gid, groups, parent-death signal
     * @param capabilities    the sets, or null to keep every capability
     * @param noNewPrivileges prctl(PR_SET_NO_NEW_PRIVS)
     * @param rlimits         setrlimit(2) values
     * @param seccomp         the compiled filter ({@code struct sock_filter[]}), or null
     * @param consoleSocket   host path of the console socket when the process gets a terminal, else null
     */
    public record Request(long initPid, long initStartTime, ProcessConfig process, CapabilitySet capabilities,
                          boolean noNewPrivileges, List<Rlimit> rlimits, byte[] seccomp, String consoleSocket) { }

    /**
     * One message.
     *
     * @param type       {@link #REQUEST}, {@link #GO}, {@link #READY} or {@link #ERROR}
     * @param request    for {@link #REQUEST}
     * @param pid        for {@link #READY}: the exec JVM's pid in the container's pid namespace
     * @param error      for {@link #ERROR}: what failed
     * @param failedCall for {@link #ERROR}: the failing system call, or null
     * @param errno      for {@link #ERROR}: its errno, 0 for none
     */
    public record Message(byte type, Request request, int pid, String error, String failedCall, int errno) {
        /** @return a go message */
        public static Message go() {
            return new Message(GO, null, 0, null, null, 0);
        }
    }

    private final SocketChannel channel;
    private final DataInputStream in;
    private final DataOutputStream out;

    /** @param channel a connected unix stream socket */
    public ExecChannel(SocketChannel channel) {
        this.channel = channel;
        this.in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel)));
        this.out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel)));
    }

    /**
     * @param socket the parent's listening socket
     * @return the exec JVM's side
     * @throws IOException when it cannot be reached
     */
    public static ExecChannel connect(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        return new ExecChannel(ch);
    }

    /**
     * @param m the message
     * @throws IOException when the peer is gone
     */
    public synchronized void send(Message m) throws IOException {
        out.writeByte(m.type());
        switch (m.type()) {
            case REQUEST -> request(m.request());
            case READY -> out.writeInt(m.pid());
            case ERROR -> {
                string(m.error());
                string(m.failedCall());
                out.writeInt(m.errno());
            }
            case GO -> { }
            default -> throw new IOException("unknown exec message type " + m.type());
        }
        out.flush();
    }

    /**
     * @return the next message, or null at end of stream (the peer closed, or exec'd)
     * @throws IOException on a read error or bytes that are not a message
     */
    public Message receive() throws IOException {
        int type;
        try {
            type = in.read();
        } catch (IOException e) {
            return null; // a reset by an exiting peer is an end too
        }
        if (type < 0) {
            return null;
        }
        try {
            return switch ((byte) type) {
                case REQUEST -> new Message(REQUEST, readRequest(), 0, null, null, 0);
                case READY -> new Message(READY, null, in.readInt(), null, null, 0);
                case ERROR -> new Message(ERROR, null, 0, readString(), readString(), in.readInt());
                case GO -> Message.go();
                default -> throw new IOException("unknown exec message type " + type);
            };
        } catch (EOFException e) {
            return null;
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private void request(Request r) throws IOException {
        out.writeLong(r.initPid());
        out.writeLong(r.initStartTime());
        ProcessConfig p = r.process();
        strings(p.args());
        strings(p.env());
        string(p.cwd());
        out.writeInt(p.uid());
        out.writeInt(p.gid());
        out.writeInt(p.additionalGids() == null ? -1 : p.additionalGids().size());
        for (int g : p.additionalGids() == null ? List.<Integer>of() : p.additionalGids()) {
            out.writeInt(g);
        }
        out.writeInt(p.parentDeathSignal());
        CapabilitySet c = r.capabilities();
        out.writeBoolean(c != null);
        if (c != null) {
            for (Set<String> s : List.of(c.bounding(), c.effective(), c.permitted(), c.inheritable(), c.ambient())) {
                strings(s == null ? null : new ArrayList<>(s));
            }
        }
        out.writeBoolean(r.noNewPrivileges());
        List<Rlimit> rl = r.rlimits() == null ? List.of() : r.rlimits();
        out.writeInt(rl.size());
        for (Rlimit l : rl) {
            string(l.type());
            out.writeLong(l.soft());
            out.writeLong(l.hard());
        }
        out.writeInt(r.seccomp() == null ? -1 : r.seccomp().length);
        if (r.seccomp() != null) {
            out.write(r.seccomp());
        }
        string(r.consoleSocket());
    }

    private Request readRequest() throws IOException {
        long pid = in.readLong();
        long start = in.readLong();
        List<String> args = readStrings();
        List<String> env = readStrings();
        String cwd = readString();
        int uid = in.readInt();
        int gid = in.readInt();
        int ng = in.readInt();
        List<Integer> groups = ng < 0 ? null : new ArrayList<>();
        for (int i = 0; i < ng; i++) {
            groups.add(in.readInt());
        }
        int pdeath = in.readInt();
        CapabilitySet caps = null;
        if (in.readBoolean()) {
            caps = new CapabilitySet(set(readStrings()), set(readStrings()), set(readStrings()), set(readStrings()),
                    set(readStrings()));
        }
        boolean nnp = in.readBoolean();
        int nr = in.readInt();
        List<Rlimit> rlimits = new ArrayList<>();
        for (int i = 0; i < nr; i++) {
            rlimits.add(new Rlimit(readString(), in.readLong(), in.readLong()));
        }
        int ns = in.readInt();
        byte[] seccomp = null;
        if (ns >= 0) {
            seccomp = new byte[ns];
            in.readFully(seccomp);
        }
        String console = readString();
        return new Request(pid, start, new ProcessConfig(args, env, cwd, uid, gid, groups, pdeath), caps, nnp,
                rlimits, seccomp, console);
    }

    private static Set<String> set(List<String> l) {
        return l == null ? null : new LinkedHashSet<>(l);
    }

    private void string(String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            out.writeUTF(s);
        }
    }

    private String readString() throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }

    private void strings(List<String> l) throws IOException {
        out.writeInt(l == null ? -1 : l.size());
        for (String s : l == null ? List.<String>of() : l) {
            out.writeUTF(s);
        }
    }

    private List<String> readStrings() throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        List<String> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            l.add(in.readUTF());
        }
        return l;
    }
}
