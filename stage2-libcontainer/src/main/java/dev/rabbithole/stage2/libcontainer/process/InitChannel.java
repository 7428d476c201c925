package dev.rabbithole.stage2.libcontainer.process;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The control channel between the parent and the init: a connected unix stream socket carrying one JSON
 * {@link InitMessage} per line. Analogue of runc's init pipe; its close on a successful execve(2) (the init
 * marks every descriptor close-on-exec) plays the part of runc's exec fifo.
 */
public final class InitChannel implements Closeable {
    static final ObjectMapper JSON = new ObjectMapper();

    private final SocketChannel channel;
    private final BufferedReader in;

    /** @param channel a connected unix stream socket */
    public InitChannel(SocketChannel channel) {
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
    }

    /**
     * Connects to the parent's listening socket (init side).
     *
     * @param socket path of the unix socket in the container's state directory
     * @return the channel
     * @throws IOException when the socket cannot be reached
     */
    public static InitChannel connect(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        return new InitChannel(ch);
    }

    /**
     * Sends one message as one line.
     *
     * @param message the message
     * @throws IOException when the peer is gone
     */
    public void send(InitMessage message) throws IOException {
        byte[] line = (JSON.writeValueAsString(message) + "\n").getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.wrap(line);
        synchronized (channel) {
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
        }
    }

    /**
     * Blocks for the next message.
     *
     * @return the message, or null at end of stream (the peer closed or exec'd)
     * @throws IOException on a read error or a line that is not a message
     */
    public InitMessage receive() throws IOException {
        String line = in.readLine();
        return line == null ? null : JSON.readValue(line, InitMessage.class);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
