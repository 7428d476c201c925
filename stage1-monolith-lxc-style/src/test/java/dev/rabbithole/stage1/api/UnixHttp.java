package dev.rabbithole.stage1.api;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A minimal HTTP/1.1 client over a unix socket for the tests: raw requests, one connection each. */
final class UnixHttp {
    private final Path socket;

    UnixHttp(Path socket) { this.socket = socket; }

    /** A response whose status line and headers are read; the body is still on the wire. */
    static final class Conn implements AutoCloseable {
        final SocketChannel channel;
        final InputStream in;
        int status;
        String reason;
        final Map<String, String> headers = new LinkedHashMap<>();

        Conn(SocketChannel channel) {
            this.channel = channel;
            this.in = Channels.newInputStream(channel);
        }

        String header(String name) { return headers.get(name.toLowerCase(Locale.ROOT)); }

        /** Reads the whole body (de-chunked if chunked, else to Content-Length or EOF). */
        byte[] body() throws IOException {
            if ("chunked".equalsIgnoreCase(header("Transfer-Encoding"))) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                while (true) {
                    int size = Integer.parseInt(line().trim(), 16);
                    if (size == 0) {
                        line();
                        return out.toByteArray();
                    }
                    out.write(in.readNBytes(size));
                    line();
                }
            }
            String length = header("Content-Length");
            if (length != null) {
                return in.readNBytes(Integer.parseInt(length));
            }
            return in.readAllBytes();
        }

        String bodyText() throws IOException { return new String(body(), StandardCharsets.UTF_8); }

        /** Reads one chunk of a chunked body (null at the last chunk). */
        byte[] chunk() throws IOException {
            int size = Integer.parseInt(line().trim(), 16);
            if (size == 0) {
                line();
                return null;
            }
            byte[] data = in.readNBytes(size);
            line();
            return data;
        }

        String line() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) != '\n') {
                if (c < 0) {
                    throw new EOFException("connection closed");
                }
                if (c != '\r') {
                    b.write(c);
                }
            }
            return b.toString(StandardCharsets.UTF_8);
        }

        @Override
        public void close() throws IOException { channel.close(); }
    }

    /** One frame of the multiplexed stream. */
    record Frame(int stream, String text) { }

    /** Reads multiplexed frames from a stream until EOF. */
    static List<Frame> frames(InputStream in) throws IOException {
        List<Frame> frames = new ArrayList<>();
        while (true) {
            byte[] header = in.readNBytes(8);
            if (header.length == 0) {
                return frames;
            }
            if (header.length < 8) {
                throw new EOFException("torn frame header");
            }
            int size = ByteBuffer.wrap(header, 4, 4).getInt();
            frames.add(new Frame(header[0], new String(in.readNBytes(size), StandardCharsets.UTF_8)));
        }
    }

    Conn open(String method, String path, String body, Map<String, String> extraHeaders) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        StringBuilder req = new StringBuilder();
        req.append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: docker\r\n");
        extraHeaders.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
        if (!extraHeaders.containsKey("Connection")) {
            req.append("Connection: close\r\n");
        }
        if (body != null) {
            req.append("Content-Type: application/json\r\nContent-Length: ").append(payload.length).append("\r\n");
        }
        req.append("\r\n");
        ByteBuffer out = ByteBuffer.allocate(req.length() * 3 + payload.length);
        out.put(req.toString().getBytes(StandardCharsets.UTF_8)).put(payload).flip();
        while (out.hasRemaining()) {
            ch.write(out);
        }
        Conn conn = new Conn(ch);
        String status = conn.line();
        String[] parts = status.split(" ", 3);
        conn.status = Integer.parseInt(parts[1]);
        conn.reason = parts.length > 2 ? parts[2] : "";
        String h;
        while (!(h = conn.line()).isEmpty()) {
            int colon = h.indexOf(':');
            conn.headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
        }
        return conn;
    }

    /** A whole exchange. */
    record Response(int status, Map<String, String> headers, String body) { }

    Response call(String method, String path, String body) throws IOException {
        try (Conn c = open(method, path, body, Map.of())) {
            String text = method.equals("HEAD") || c.status == 204 || c.status == 304 ? "" : c.bodyText();
            return new Response(c.status, c.headers, text);
        }
    }
}
