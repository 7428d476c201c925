package dev.rabbithole.stage1.daemon;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The daemon's end of a container's stdin (Config.OpenStdin), as moby's stream config holds it: attached clients
 * write here whether or not the container runs yet ({@code docker run -i} attaches before it starts); bytes
 * written before the start are kept (up to {@value #MAX_PENDING} bytes, then the writer waits) and go to the
 * process's stdin ({@link dev.rabbithole.stage1.execdriver.ContainerProcess#stdin()}) when it starts. With
 * StdinOnce the end of the first client's input closes the process's stdin, also when that came before the start.
 * Each run of the container gets a fresh stdin: the exit disconnects it.
 */
final class ContainerStdin {

    /** Bytes kept for a container that has not started, before writers wait. */
    static final int MAX_PENDING = 1024 * 1024;

    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private OutputStream target;
    private boolean ended;
    /** Counts the runs: a client attached during an earlier run writes nothing to a later one. */
    private long generation;

    /**
     * The process started: what was written before goes to its stdin now; an input that already ended
     * (StdinOnce) closes it.
     *
     * @param processStdin the process's stdin, or null when the runtime gives none (then input is dropped)
     */
    synchronized void connect(OutputStream processStdin) {
        target = processStdin;
        if (target != null) {
            try {
                if (pending.size() > 0) {
                    target.write(pending.toByteArray());
                    target.flush();
                }
                if (ended) {
                    target.close();
                }
            } catch (IOException e) {
                EngineLog.debug("stdin of a container that is gone: " + e.getMessage());
            }
        }
        pending.reset();
        notifyAll();
    }

    /**
     * The process exited: the clients attached to this run are done; a client attached from now on writes for the
     * next start, which gets a fresh stdin.
     */
    synchronized void disconnect() {
        target = null;
        generation++;
        ended = false;
        pending.reset();
        notifyAll();
    }

    /**
     * @param stdinOnce close the process's stdin when this client's input ends (Config.StdinOnce)
     * @return the stdin of one attached client
     */
    ContainerInput input(boolean stdinOnce) {
        return input(stdinOnce, false);
    }

    /**
     * @param stdinOnce close the process's stdin when this client's input ends (Config.StdinOnce)
     * @param tty       the container has a terminal: the end of input ends the attachment instead (dockerd)
     * @return the stdin of one attached client
     */
    synchronized ContainerInput input(boolean stdinOnce, boolean tty) {
        long run = generation;
        return new ContainerInput() {
            @Override
            public void write(byte[] data) throws IOException {
                OutputStream out = awaitTarget(run, data);
                if (out != null) {
                    out.write(data);
                    out.flush();
                }
            }

            @Override
            public boolean end() {
                if (stdinOnce && !tty) {
                    endInput(run);
                    return true;
                }
                return false;
            }
        };
    }

    /** @return where to write now, or null when the bytes were kept (not started) or dropped (an earlier run, ended) */
    private synchronized OutputStream awaitTarget(long run, byte[] data) throws IOException {
        while (run == generation && target == null && !ended && pending.size() + data.length > MAX_PENDING) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while the container's stdin is full");
            }
        }
        if (run != generation) {
            return null;                           // attached to a run that has exited
        }
        if (target != null) {
            return target;
        }
        if (!ended) {
            pending.write(data, 0, data.length);
        }
        return null;
    }

    private synchronized void endInput(long run) {
        if (run != generation) {
            return;
        }
        ended = true;
        if (target != null) {
            try {
                target.close();
            } catch (IOException e) {
                EngineLog.debug("closing the stdin of a container: " + e.getMessage());
            }
        }
        notifyAll();
    }
}
