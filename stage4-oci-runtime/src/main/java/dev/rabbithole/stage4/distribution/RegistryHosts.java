package dev.rabbithole.stage4.distribution;

import dev.rabbithole.stage1.errdefs.SystemException;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How the daemon reaches each registry host, as dockerd decides it:
 * <ul>
 * <li>a host given with {@code --insecure-registry HOST[:PORT]}, and any host whose address is in
 *     {@code 127.0.0.0/8} ({@code localhost} included; dockerd's built-in insecure CIDR), is insecure: HTTPS is
 *     tried first without verifying the certificate, then plain HTTP;</li>
 * <li>every other host is HTTPS only, verified against the system's CAs plus the {@code *.crt} files in
 *     {@code CERTS_DIR/HOST:PORT/} (the layout of Docker's {@code /etc/docker/certs.d}).</li>
 * </ul>
 * Docker Hub ({@code docker.io}) is reached at {@code registry-1.docker.io}.
 */
public final class RegistryHosts {
    /** How long a connection may take to open. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);

    private final Set<String> insecure;
    private final Path certsDir;
    private final boolean loopbackInsecure;
    private final Map<String, HttpClient> clients = new ConcurrentHashMap<>();

    /**
     * @param insecure {@code HOST[:PORT]} entries of {@code --insecure-registry}
     * @param certsDir the {@code certs.d}-style directory, or null for the system CAs only
     */
    public RegistryHosts(List<String> insecure, Path certsDir) {
        this(insecure, certsDir, true);
    }

    /**
     * @param loopbackInsecure false to treat {@code 127.0.0.0/8} as any other address (tests of certificate checks
     *                         against a registry on loopback)
     */
    RegistryHosts(List<String> insecure, Path certsDir, boolean loopbackInsecure) {
        this.insecure = Set.copyOf(insecure.stream().map(RegistryHosts::stripScheme).toList());
        this.certsDir = certsDir;
        this.loopbackInsecure = loopbackInsecure;
    }

    /** One way to reach a registry: a base URI ({@code https://HOST:PORT}) and the client to use. */
    record Endpoint(URI base, HttpClient client, boolean plainHttp) { }

    /** @return {@code registry-1.docker.io} for Docker Hub, else the domain as it is */
    static String host(String domain) {
        return domain.equals(ImageReference.DOCKER_HUB) ? "registry-1.docker.io" : domain;
    }

    /** @return true when {@code domain} is an insecure registry (see the class comment) */
    public boolean insecure(String domain) {
        String d = stripScheme(domain);
        if (insecure.contains(d)) return true;
        String hostOnly = hostPart(d);
        if (insecure.contains(hostOnly)) return true;
        if (!loopbackInsecure) return false;
        try {
            for (InetAddress a : InetAddress.getAllByName(hostOnly.replace("[", "").replace("]", ""))) {
                byte[] b = a.getAddress();
                if (b.length == 4 && b[0] == 127) return true;
            }
        } catch (UnknownHostException e) {
            return false;
        }
        return false;
    }

    /** @return the endpoints to try for a registry domain, in order */
    List<Endpoint> endpoints(String domain) {
        String host = host(stripScheme(domain));
        List<Endpoint> out = new ArrayList<>();
        boolean insecure = insecure(domain);
        out.add(new Endpoint(URI.create("https://" + host), client(host, insecure ? "skip-verify" : "verify"), false));
        if (insecure) {
            out.add(new Endpoint(URI.create("http://" + host), client(host, "plain"), true));
        }
        return out;
    }

    private HttpClient client(String host, String mode) {
        return clients.computeIfAbsent(mode + " " + host, k -> {
            HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
                    .followRedirects(HttpClient.Redirect.NORMAL).version(HttpClient.Version.HTTP_1_1);
            if (!mode.equals("plain")) b.sslContext(sslContext(host, mode.equals("skip-verify")));
            return b.build();
        });
    }

    private SSLContext sslContext(String host, boolean skipVerify) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            TrustManager tm = skipVerify ? new TrustAll() : trustManager(host);
            ctx.init(null, new TrustManager[] {tm}, null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new SystemException("cannot set up TLS for registry " + host + ": " + e.getMessage(), e);
        }
    }

    /** The system CAs plus {@code CERTS_DIR/HOST[:PORT]/*.crt}. */
    private X509TrustManager trustManager(String host) throws GeneralSecurityException, IOException {
        TrustManagerFactory sys = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        sys.init((KeyStore) null);
        X509TrustManager system = (X509TrustManager) sys.getTrustManagers()[0];
        List<Certificate> extra = new ArrayList<>();
        Path dir = certsDir == null ? null : certsDir.resolve(host);
        if (dir != null && Files.isDirectory(dir)) {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.crt")) {
                for (Path f : files) {
                    try (InputStream in = Files.newInputStream(f)) {
                        extra.addAll(cf.generateCertificates(in));
                    }
                }
            }
        }
        if (extra.isEmpty()) return system;
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        int i = 0;
        for (X509Certificate c : system.getAcceptedIssuers()) ks.setCertificateEntry("system-" + (i++), c);
        for (Certificate c : extra) ks.setCertificateEntry("certs-d-" + (i++), c);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        return (X509TrustManager) tmf.getTrustManagers()[0];
    }

    private static String stripScheme(String s) {
        String r = s.trim();
        if (r.startsWith("https://")) r = r.substring(8);
        if (r.startsWith("http://")) r = r.substring(7);
        int slash = r.indexOf('/');
        return slash >= 0 ? r.substring(0, slash) : r;
    }

    private static String hostPart(String hostPort) {
        if (hostPort.startsWith("[")) {
            int end = hostPort.indexOf(']');
            return end > 0 ? hostPort.substring(0, end + 1) : hostPort;
        }
        int colon = hostPort.lastIndexOf(':');
        return colon > 0 ? hostPort.substring(0, colon) : hostPort;
    }

    /** An insecure registry's HTTPS: any certificate, no host name check (Go's InsecureSkipVerify). */
    private static final class TrustAll extends X509ExtendedTrustManager {
        @Override public void checkClientTrusted(X509Certificate[] c, String a, Socket s) { }
        @Override public void checkServerTrusted(X509Certificate[] c, String a, Socket s) { }
        @Override public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) { }
        @Override public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e) { }
        @Override public void checkClientTrusted(X509Certificate[] c, String a) { }
        @Override public void checkServerTrusted(X509Certificate[] c, String a) { }
        @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
    }
}
