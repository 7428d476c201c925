package dev.rabbithole.stage4.distribution;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on {@code 127.0.0.1} in front of a registry that closes each connection once it has passed
 * {@code limit} bytes from the registry to the client: small answers (the probe, manifests, configs) get through,
 * a layer is cut in its middle.
 */
final class CuttingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int targetPort;
    private final long limit;
    /** Connections cut so far. */
    final AtomicInteger cuts = new AtomicInteger();

    CuttingProxy(int targetPort, long limit) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.targetPort = targetPort;
        this.limit = limit;
        Thread t = new Thread(this::acceptLoop, "cutting-proxy");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                pump(client.getInputStream(), upstream.getOutputStream(), Long.MAX_VALUE, client, upstream);
                pump(upstream.getInputStream(), client.getOutputStream(), limit, client, upstream);
            } catch (IOException e) {
                return;
            }
        }
    }

    private void pump(InputStream in, OutputStream out, long max, Socket a, Socket b) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16 * 1024];
            long passed = 0;
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    int allowed = (int) Math.min(n, max - passed);
                    out.write(buf, 0, allowed);
                    out.flush();
                    passed += allowed;
                    if (passed >= max) {
                        cuts.incrementAndGet();
                        break;
                    }
                }
            } catch (IOException ignored) {
                // the other side went away
            } finally {
                closeQuietly(a);
                closeQuietly(b);
            }
        }, "cutting-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closed already
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
