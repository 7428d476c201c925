package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.daemon.EngineLog;
import dev.rabbithole.stage1.errdefs.SystemException;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The Docker Engine API server of stage 1: HTTP/1.1 on a unix socket (Netty, epoll), serving the Engine
 * API 1.41 subset that {@link EngineApi} lists, so the real docker CLI works:
 * {@code docker -H unix:///run/rabbithole/stage1/docker.sock run --rm busybox echo hi}.
 *
 * <p>{@link #start()} creates the socket's parent directories, refuses a socket another daemon answers on,
 * removes a stale socket file and makes the
 * socket mode 0660 (owner and group, as dockerd's {@code docker} group); {@link #close()} stops listening and
 * removes the socket file. The daemon itself is not closed here.
 */
public final class ApiServer implements AutoCloseable {

    /** The default socket of the stage-1 daemon. */
    public static final Path DEFAULT_SOCKET = Path.of("/run/rabbithole/stage1/docker.sock");

    /** The API version this server reports and serves. */
    public static final String API_VERSION = "1.41";

    /** The oldest API version a client may ask for. */
    public static final String MIN_API_VERSION = "1.12";

    /** Name of the HTTP codec in each connection's pipeline (removed when attach hijacks the connection). */
    static final String CODEC = "http";

    private final Daemon daemon;
    private final Path socket;
    private final ObjectMapper json = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY, true);
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "api-worker");
        t.setDaemon(true);
        return t;
    });
    private EventLoopGroup boss;
    private EventLoopGroup children;
    private Channel server;
    /** The socket file is ours (we bound it) and {@link #close()} removes it. */
    private boolean bound;

    /**
     * @param daemon the engine to serve
     * @param socket the unix socket path to listen on, e.g. {@link #DEFAULT_SOCKET}
     */
    public ApiServer(Daemon daemon, Path socket) {
        this.daemon = daemon;
        this.socket = socket;
    }

    /** @return the socket path */
    public Path socket() { return socket; }

    /**
     * Listens on the socket; returns once it accepts connections.
     *
     * @throws SystemException the socket cannot be created (directory, permissions), or another daemon answers
     *         on it ({@link #refuseIfAnswering})
     */
    public synchronized void start() {
        refuseIfAnswering(socket);
        try {
            Files.createDirectories(socket.toAbsolutePath().getParent());
            Files.deleteIfExists(socket); // nobody answers on it: a stale socket of a previous daemon
        } catch (IOException e) {
            throw new SystemException("preparing socket " + socket + ": " + e.getMessage(), e);
        }
        EngineApi api = new EngineApi(daemon, json);
        boss = new EpollEventLoopGroup(1);
        children = new EpollEventLoopGroup(2);
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, children)
                .channel(EpollServerDomainSocketChannel.class)
                // attach: a client that half-closes its side (end of its stdin) still reads the output
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<DomainSocketChannel>() {
                    @Override
                    protected void initChannel(DomainSocketChannel ch) {
                        ch.pipeline().addLast(CODEC, new HttpServerCodec());
                        ch.pipeline().addLast("continue", new HttpServerExpectContinueHandler());
                        ch.pipeline().addLast("api", new HttpHandler(api, workers, json));
                    }
                });
        try {
            server = b.bind(new DomainSocketAddress(socket.toString())).sync().channel();
            server.pipeline().addLast("accept-errors", new AcceptErrors());
            bound = true;
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new SystemException("interrupted while binding " + socket);
        } catch (Exception e) {
            close();
            throw new SystemException("listening on " + socket + ": " + e.getMessage(), e);
        }
        EngineLog.info("API listening on unix://" + socket);
    }

    /** Blocks until the server channel is closed (by {@link #close()}). */
    public void awaitClosed() throws InterruptedException {
        Channel ch;
        synchronized (this) {
            ch = server;
        }
        if (ch != null) {
            ch.closeFuture().await();
        }
    }

    /** Stops listening, closes open connections and removes the socket file if this server bound it. Idempotent. */
    @Override
    public synchronized void close() {
        if (server != null) {
            server.close().awaitUninterruptibly();
            server = null;
        }
        if (children != null) {
            children.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
            children = null;
        }
        if (boss != null) {
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
            boss = null;
        }
        workers.shutdownNow();
        if (!bound) {
            return;                                 // never ours: it may be another daemon's live socket
        }
        bound = false;
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            EngineLog.warn("removing " + socket + ": " + e.getMessage());
        }
    }

    /**
     * Refuses a socket path another process serves: connects to it (connect(2) on a unix socket); if something
     * accepts, another daemon listens there and replacing the file would steal its clients. A file nobody answers
     * on (connection refused, not a socket) is stale; a missing file is free.
     *
     * @param socket the socket path
     * @throws SystemException {@code another daemon is listening on unix://PATH: stop it first}
     */
    public static void refuseIfAnswering(Path socket) {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            throw new SystemException("another daemon is listening on unix://" + socket + ": stop it first");
        } catch (IOException stale) {
            // refused or not a socket: nobody listens
        }
    }
}
