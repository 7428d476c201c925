package dev.rabbithole.stage4.distribution;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.daemon.Registry;

import java.util.Locale;

/**
 * The messages of dockerd's JSON progress stream (moby's {@code jsonmessage.JSONMessage}) that the docker CLI
 * draws: {@code {"status": S, "id": ID}} lines and {@code "Downloading"/"Pushing"} lines with
 * {@code progressDetail {current, total}} in bytes (the CLI draws the bar from them on a terminal) and
 * {@code progress}, the bar as text (what it prints otherwise).
 */
final class ProgressMessages {
    private final Registry.Progress out;

    ProgressMessages(Registry.Progress out) {
        this.out = out;
    }

    /** {@code {"status": status}} */
    void status(String status) {
        ObjectNode m = out.object();
        m.put("status", status);
        out.message(m);
    }

    /** {@code {"status": status, "progressDetail": {}, "id": id}} */
    void status(String id, String status) {
        ObjectNode m = out.object();
        m.put("status", status);
        m.putObject("progressDetail");
        m.put("id", id);
        out.message(m);
    }

    /** {@code {"status": status, "progressDetail": {"current", "total"}, "progress": BAR, "id": id}}; bytes */
    void progress(String id, String status, long current, long total) {
        ObjectNode m = out.object();
        m.put("status", status);
        ObjectNode d = m.putObject("progressDetail");
        d.put("current", current);
        if (total > 0) d.put("total", total);
        m.put("progress", bar(current, total));
        m.put("id", id);
        out.message(m);
    }

    /** {@code {"progressDetail": {}, "aux": {"Tag", "Digest", "Size"}}}: what {@code docker push} gets at the end */
    void pushResult(String tag, String digest, long size) {
        ObjectNode m = out.object();
        m.putObject("progressDetail");
        ObjectNode aux = m.putObject("aux");
        aux.put("Tag", tag);
        aux.put("Digest", digest);
        aux.put("Size", size);
        out.message(m);
    }

    /** The text bar, 50 characters wide as Docker's, then {@code current/total} in decimal units. */
    static String bar(long current, long total) {
        if (total <= 0) return String.format(Locale.ROOT, "%8s", human(current));
        int width = 50;
        int n = (int) Math.min(width, Math.max(0, current * width / total));
        StringBuilder sb = new StringBuilder("[");
        sb.append("=".repeat(Math.max(0, n - 1)));
        if (n > 0) sb.append(n == width ? "=" : ">");
        sb.append(" ".repeat(width - n)).append("] ");
        sb.append(String.format(Locale.ROOT, "%8s/%s", human(current), human(total)));
        return sb.toString();
    }

    /** @return bytes in decimal units with three significant digits, as Docker's {@code units.HumanSize}: {@code 1.23MB} */
    static String human(long bytes) {
        String[] units = {"B", "kB", "MB", "GB", "TB"};
        double v = bytes;
        int u = 0;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        String s = String.format(Locale.ROOT, "%.3g", v);
        if (s.contains(".")) s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
        return s + units[u];
    }

    /** @return the first 12 hex characters of {@code sha256:<hex>}, the id the CLI shows per layer */
    static String shortId(String digest) {
        String hex = digest.startsWith("sha256:") ? digest.substring(7) : digest;
        return hex.substring(0, Math.min(12, hex.length()));
    }
}
