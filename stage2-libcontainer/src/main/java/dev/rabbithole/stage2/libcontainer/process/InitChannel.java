package dev.rabbithole.stage2.libcontainer.process;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * The control channel between the parent and the init: a connected unix stream socket carrying
 * {@link InitMessage}s in {@link InitCodec}'s compact format. Analogue of runc's init pipe; its close on a
 * successful execve(2) (the init marks every descriptor close-on-exec) plays the part of runc's exec fifo.
 */
public final class InitChannel implements Closeable {
    private final SocketChannel channel;
    private final DataInputStream in;
    private final DataOutputStream out;

    /** @param channel a connected unix stream socket */
    public InitChannel(SocketChannel channel) {
        this.channel = channel;
        this.in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel)));
        this.out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel)));
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
     * Sends one message.
     *
     * @param message the message
     * @throws IOException when the peer is gone
     */
    public void send(InitMessage message) throws IOException {
        synchronized (out) {
            InitCodec.write(out, message);
        }
    }

    /**
     * Blocks for the next message.
     *
     * @return the message, or null at end of stream (the peer closed or exec'd)
     * @throws IOException on a read error or bytes that are not a message
     */
    public InitMessage receive() throws IOException {
        return InitCodec.read(in);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
