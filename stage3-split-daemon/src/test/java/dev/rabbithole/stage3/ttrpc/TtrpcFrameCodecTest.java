package dev.rabbithole.stage3.ttrpc;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TtrpcFrameCodecTest {

    @Test
    void writesTheTenByteHeaderBigEndian() {
        EmbeddedChannel ch = new EmbeddedChannel(new TtrpcFrameCodec());
        ch.writeOutbound(TtrpcFrame.of(0x01020305, TtrpcFrame.TYPE_RESPONSE, Unpooled.copiedBuffer("abc", StandardCharsets.US_ASCII)));
        ByteBuf out = ch.readOutbound();
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        out.release();
        assertThat(bytes).containsExactly(0, 0, 0, 3, 1, 2, 3, 5, 2, 0, 'a', 'b', 'c');
    }

    @Test
    void readsFramesSplitAcrossReadsAndSeveralInOneRead() {
        EmbeddedChannel ch = new EmbeddedChannel(new TtrpcFrameCodec());
        byte[] two = {0, 0, 0, 2, 0, 0, 0, 1, 1, 0, 'h', 'i', 0, 0, 0, 0, 0, 0, 0, 3, 1, 0};
        ch.writeInbound(Unpooled.wrappedBuffer(two, 0, 5));
        assertThat((Object) ch.readInbound()).isNull();
        ch.writeInbound(Unpooled.wrappedBuffer(two, 5, two.length - 5));
        TtrpcFrame first = ch.readInbound();
        TtrpcFrame second = ch.readInbound();
        assertThat(first.streamId()).isEqualTo(1);
        assertThat(first.type()).isEqualTo(TtrpcFrame.TYPE_REQUEST);
        assertThat(first.payload().toString(StandardCharsets.US_ASCII)).isEqualTo("hi");
        assertThat(second.streamId()).isEqualTo(3);
        assertThat(second.payload().readableBytes()).isZero();
        first.release();
        second.release();
    }

    @Test
    void anOversizedFrameIsSkippedAndReportedAndTheNextOneIsRead() {
        EmbeddedChannel ch = new EmbeddedChannel(new TtrpcFrameCodec());
        int length = TtrpcFrame.MAX_PAYLOAD + 1;
        ByteBuf header = Unpooled.buffer().writeInt(length).writeInt(7).writeByte(1).writeByte(0);
        ch.writeInbound(header);
        TtrpcFrame tooLong = ch.readInbound();
        assertThat(tooLong.tooLong()).isEqualTo(length);
        assertThat(tooLong.streamId()).isEqualTo(7);
        tooLong.release();
        // the announced bytes arrive in pieces and are thrown away
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[length - 10]));
        assertThat((Object) ch.readInbound()).isNull();
        ch.writeInbound(Unpooled.buffer().writeBytes(new byte[10]).writeInt(0).writeInt(9).writeByte(1).writeByte(0));
        TtrpcFrame next = ch.readInbound();
        assertThat(next.streamId()).isEqualTo(9);
        assertThat(next.tooLong()).isEqualTo(-1);
        next.release();
    }

    @Test
    void refusesToWriteAFrameOverFourMebibytes() {
        EmbeddedChannel ch = new EmbeddedChannel(new TtrpcFrameCodec());
        assertThatThrownBy(() -> ch.writeOutbound(TtrpcFrame.of(1, TtrpcFrame.TYPE_REQUEST,
                Unpooled.wrappedBuffer(new byte[TtrpcFrame.MAX_PAYLOAD + 1]))))
                .hasMessageContaining("exceeds the maximum message size");
    }
}
