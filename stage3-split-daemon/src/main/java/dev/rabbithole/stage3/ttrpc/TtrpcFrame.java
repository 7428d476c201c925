package dev.rabbithole.stage3.ttrpc;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;

/**
 * One ttrpc message on the wire: a 10-byte header, then {@code length} bytes of payload.
 *
 * <pre>
 *   bytes 0-3  length of the payload in bytes, big-endian, at most {@link #MAX_PAYLOAD} (4 MiB)
 *   bytes 4-7  stream id, big-endian: odd for calls a client starts (1, 3, 5, ...); the reply reuses it
 *   byte  8    type: {@link #TYPE_REQUEST} (1) or {@link #TYPE_RESPONSE} (2); others are ignored
 *   byte  9    flags (0 in ttrpc 1.1, which containerd 1.6 uses; ttrpc 1.2's streams use them)
 * </pre>
 *
 * The payload of a request is a protobuf {@code ttrpc.Request}, of a response a {@code ttrpc.Response}. Source:
 * containerd/ttrpc v1.1, channel.go and types.go.
 *
 * <p>A frame whose header announced more than {@link #MAX_PAYLOAD} bytes is decoded as a frame with
 * {@link #tooLong()} set to the announced length and an empty payload: its bytes were read and thrown away,
 * as ttrpc does, and the connection goes on.
 *
 * @param streamId the stream id (unsigned 32 bits, kept in an int)
 * @param type the message type byte
 * @param flags the flags byte
 * @param payload the payload bytes; the frame owns this buffer ({@link #release()} frees it)
 * @param tooLong -1, or the length an oversized frame announced (its payload was discarded)
 */
public record TtrpcFrame(int streamId, byte type, byte flags, ByteBuf payload, long tooLong) implements ReferenceCounted {

    /** The length of a frame header in bytes. */
    public static final int HEADER_LENGTH = 10;
    /** The largest payload ttrpc accepts: 4 MiB ({@code messageLengthMax = 4 << 20}). */
    public static final int MAX_PAYLOAD = 4 << 20;
    /** Message type of a call. */
    public static final byte TYPE_REQUEST = 0x1;
    /** Message type of a reply. */
    public static final byte TYPE_RESPONSE = 0x2;

    /**
     * A frame of normal size.
     *
     * @param streamId the stream id
     * @param type {@link #TYPE_REQUEST} or {@link #TYPE_RESPONSE}
     * @param payload the payload, owned by the frame from now on
     * @return the frame, flags 0
     */
    public static TtrpcFrame of(int streamId, byte type, ByteBuf payload) {
        return new TtrpcFrame(streamId, type, (byte) 0, payload, -1);
    }

    @Override
    public int refCnt() {
        return payload.refCnt();
    }

    @Override
    public TtrpcFrame retain() {
        payload.retain();
        return this;
    }

    @Override
    public TtrpcFrame retain(int increment) {
        payload.retain(increment);
        return this;
    }

    @Override
    public TtrpcFrame touch() {
        payload.touch();
        return this;
    }

    @Override
    public TtrpcFrame touch(Object hint) {
        payload.touch(hint);
        return this;
    }

    @Override
    public boolean release() {
        return payload.release();
    }

    @Override
    public boolean release(int decrement) {
        return payload.release(decrement);
    }

    /** @return the stream id as the unsigned number the wire carries */
    public long unsignedStreamId() {
        return Integer.toUnsignedLong(streamId);
    }

}
