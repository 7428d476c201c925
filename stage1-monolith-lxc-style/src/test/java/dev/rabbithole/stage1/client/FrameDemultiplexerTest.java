package dev.rabbithole.stage1.client;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FrameDemultiplexerTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final FrameDemultiplexer demux = new FrameDemultiplexer(out, err);

    private static byte[] stream() {
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        s.writeBytes(FrameDemultiplexer.frame(1, "hello ".getBytes(StandardCharsets.UTF_8)));
        s.writeBytes(FrameDemultiplexer.frame(2, "oops\n".getBytes(StandardCharsets.UTF_8)));
        s.writeBytes(FrameDemultiplexer.frame(1, new byte[0]));
        s.writeBytes(FrameDemultiplexer.frame(1, "world\n".getBytes(StandardCharsets.UTF_8)));
        byte[] big = new byte[70_000]; // length needs three bytes of the header
        java.util.Arrays.fill(big, (byte) 'x');
        s.writeBytes(FrameDemultiplexer.frame(2, big));
        return s.toByteArray();
    }

    private void assertDemultiplexed() {
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("hello world\n");
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("oops\nxxx").hasSize(5 + 70_000);
        assertThat(demux.atFrameBoundary()).isTrue();
    }

    @Test
    void wholeStreamInOneBuffer() {
        byte[] s = stream();
        demux.feed(s, 0, s.length);
        assertDemultiplexed();
    }

    @Test
    void oneByteAtATime() {
        byte[] s = stream();
        for (int i = 0; i < s.length; i++) {
            demux.feed(s, i, 1);
        }
        assertDemultiplexed();
    }

    @Test
    void randomSplitsAcrossHeadersAndPayloads() {
        byte[] s = stream();
        Random random = new Random(42);
        int pos = 0;
        while (pos < s.length) {
            int n = Math.min(s.length - pos, 1 + random.nextInt(13));
            byte[] piece = java.util.Arrays.copyOfRange(s, pos, pos + n);
            demux.feed(piece, 0, piece.length);
            pos += n;
        }
        assertDemultiplexed();
    }

    @Test
    void headerSplitMidwayIsNotABoundary() {
        byte[] f = FrameDemultiplexer.frame(1, "abc".getBytes(StandardCharsets.UTF_8));
        demux.feed(f, 0, 5);
        assertThat(demux.atFrameBoundary()).isFalse();
        demux.feed(f, 5, f.length - 5);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("abc");
        assertThat(demux.atFrameBoundary()).isTrue();
    }

    @Test
    void frameLayoutIsStreamThreeZerosAndBigEndianLength() {
        assertThat(FrameDemultiplexer.frame(2, new byte[258])).startsWith(2, 0, 0, 0, 0, 0, 1, 2);
    }

    @Test
    void rawTextIsNotAMultiplexedStream() {
        byte[] text = "hello world\n".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> demux.feed(text, 0, text.length))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("not a multiplexed stream");
    }
}
