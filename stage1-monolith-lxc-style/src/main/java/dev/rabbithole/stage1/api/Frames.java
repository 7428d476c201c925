package dev.rabbithole.stage1.api;

import dev.rabbithole.stage1.daemon.StreamType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * The multiplexed stream format of attach and logs without a TTY (Engine API 1.41, "Attach to a container",
 * "Stream format"): each frame is an 8-byte header {@code [STREAM_TYPE, 0, 0, 0, SIZE1, SIZE2, SIZE3, SIZE4]}
 * (stream type 1 stdout, 2 stderr; size big-endian uint32, bytes) followed by that many bytes of payload.
 */
public final class Frames {
    private Frames() { }

    /** Bytes in a frame header. */
    public static final int HEADER_BYTES = 8;

    /**
     * @param stream  the stream the payload came from
     * @param payload the bytes
     * @return header + payload in one buffer
     */
    public static ByteBuf frame(StreamType stream, byte[] payload) {
        ByteBuf buf = Unpooled.buffer(HEADER_BYTES + payload.length);
        buf.writeByte(stream.frameType());
        buf.writeByte(0).writeByte(0).writeByte(0);
        buf.writeInt(payload.length);
        buf.writeBytes(payload);
        return buf;
    }
}
