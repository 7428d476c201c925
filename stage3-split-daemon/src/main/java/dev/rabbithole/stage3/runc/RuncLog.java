package dev.rabbithole.stage3.runc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * runc's {@code --log FILE} and {@code --log-format text|json}: one line per entry, appended, as logrus writes
 * them. JSON lines are {@code {"level":"error","msg":"...","time":"2026-12-01T18:00:00.123456Z"}}: what
 * containerd's runc shim reads back after a failed command (it decodes the file line by line into
 * {@code {Level, Msg, Time time.Time}} and reports the last {@code error} entry's message), so {@code time} is
 * RFC 3339. Text lines are {@code time="..." level=error msg="..."}. Without a file nothing is written (errors
 * still go to stderr, from the caller). Debug entries are written only with {@code --debug}.
 */
final class RuncLog {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final boolean json;
    private final boolean debug;

    /**
     * @param file   the log file, or null for none
     * @param format {@code text} or {@code json}
     * @param debug  whether debug entries are written
     */
    RuncLog(Path file, String format, boolean debug) {
        this.file = file;
        this.json = "json".equals(format);
        this.debug = debug;
    }

    void error(String msg) {
        write("error", msg);
    }

    void warn(String msg) {
        write("warning", msg);
    }

    void debug(String msg) {
        if (debug) {
            write("debug", msg);
        }
    }

    private void write(String level, String msg) {
        if (file == null) {
            return;
        }
        String time = Instant.now().toString();
        String line;
        if (json) {
            ObjectNode n = JSON.createObjectNode();
            n.put("level", level);
            n.put("msg", msg);
            n.put("time", time);
            line = n.toString();
        } else {
            line = "time=\"" + time + "\" level=" + level + " msg=" + quote(msg);
        }
        try {
            Files.write(file, (line + "\n").getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            System.err.println("runc: cannot write the log " + file + ": " + e.getMessage());
        }
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
}
