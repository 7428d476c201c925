package dev.rabbithole.stage3.ttrpc;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageCodec;

import java.util.List;

/**
 * Netty codec between bytes on a unix socket and {@link TtrpcFrame}s: decodes the 10-byte header and the payload,
 * and writes frames back the same way. A frame announcing more than {@link TtrpcFrame#MAX_PAYLOAD} bytes is not
 * buffered: its bytes are skipped as they arrive and a frame with {@link TtrpcFrame#tooLong()} set is passed on,
 * so the connection survives (as ttrpc's {@code channel.recv} discards an oversized message). Writing a frame
 * whose payload exceeds the limit fails the write with an {@link IllegalArgumentException}.
 */
public final class TtrpcFrameCodec extends ByteToMessageCodec<TtrpcFrame> {

    /** Bytes of an oversized frame still to skip; 0 when not skipping. */
    private long discarding;

    // tag::encode[]
    @Override
    protected void encode(ChannelHandlerContext ctx, TtrpcFrame frame, ByteBuf out) {
        int length = frame.payload().readableBytes();
        if (length > TtrpcFrame.MAX_PAYLOAD) {
            throw new IllegalArgumentException("ttrpc: message length " + length
                    + " exceeds the maximum message size of " + TtrpcFrame.MAX_PAYLOAD);
        }
        out.ensureWritable(TtrpcFrame.HEADER_LENGTH + length);
        out.writeInt(length);
        out.writeInt(frame.streamId());
        out.writeByte(frame.type());
        out.writeByte(frame.flags());
        out.writeBytes(frame.payload(), frame.payload().readerIndex(), length);
    }
    // end::encode[]

    // tag::decode[]
    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (discarding > 0) {
            int skip = (int) Math.min(discarding, in.readableBytes());
            in.skipBytes(skip);
            discarding -= skip;
            return;
        }
        if (in.readableBytes() < TtrpcFrame.HEADER_LENGTH) {
            return;
        }
        int start = in.readerIndex();
        long length = in.getUnsignedInt(start);
        int streamId = in.getInt(start + 4);
        byte type = in.getByte(start + 8);
        byte flags = in.getByte(start + 9);
        if (length > TtrpcFrame.MAX_PAYLOAD) {
            in.skipBytes(TtrpcFrame.HEADER_LENGTH);
            int skip = (int) Math.min(length, in.readableBytes());
            in.skipBytes(skip);
            discarding = length - skip;
            out.add(new TtrpcFrame(streamId, type, flags, ctx.alloc().buffer(0), length));
            return;
        }
        if (in.readableBytes() < TtrpcFrame.HEADER_LENGTH + length) {
            return;
        }
        in.skipBytes(TtrpcFrame.HEADER_LENGTH);
        out.add(new TtrpcFrame(streamId, type, flags, in.readRetainedSlice((int) length), -1));
    }
    // end::decode[]
}
