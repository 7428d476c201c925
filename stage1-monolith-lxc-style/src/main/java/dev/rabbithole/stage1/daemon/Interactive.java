package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.errdefs.ConflictException;

import java.util.Map;

/** The container side of a terminal: resize ({@code POST /containers/{id}/resize}, Engine API 1.41). */
final class Interactive {
    private Interactive() { }

    /**
     * Sets the size of a running container's terminal, as dockerd: a container without a terminal answers
     * success and nothing changes; the {@code resize} event carries {@code height} and {@code width}.
     *
     * @param height rows
     * @param width  columns
     * @throws ConflictException {@code Container ID is not running}
     */
    static void resize(LiveContainer l, int height, int width, Events events) {
        synchronized (l) {
            if (!l.running() || l.process == null) {
                throw new ConflictException("Container " + l.c.id() + " is not running");
            }
            try {
                l.process.resize(width, height);
            } catch (UnsupportedOperationException noTerminal) {
                // dockerd answers 200 for a container without a terminal
            }
            events.container(l.c, "resize", Map.of("height", Integer.toString(height), "width",
                    Integer.toString(width)));
        }
    }
}
