package dev.rabbithole.stage1.daemon;

import java.time.Instant;

/**
 * One entry of the json-file log: a line of output (with its {@code \n}), or the last bytes of a stream
 * that did not end in a newline, or a piece of a line longer than the daemon's 16 KiB line buffer.
 *
 * @param stream which stream the bytes came from
 * @param data   the bytes, UTF-8 as the log stores them
 * @param time   when the daemon read them
 */
public record LogEntry(StreamType stream, byte[] data, Instant time) {
}
