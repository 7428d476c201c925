package dev.rabbithole.stage1.image;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** {@code sha256:<64 hex>} digests, as the OCI image-spec's descriptor.md defines them. */
final class Digests {
    static final Pattern SHA256 = Pattern.compile("sha256:[0-9a-f]{64}");

    private Digests() { }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }

    static String of(MessageDigest md) {
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }

    static String of(byte[] bytes) {
        MessageDigest md = sha256();
        md.update(bytes);
        return of(md);
    }

    static boolean isDigest(String s) {
        return s != null && SHA256.matcher(s).matches();
    }

    /** @return the 64 hex characters of {@code sha256:<hex>} */
    static String hex(String digest) {
        if (!isDigest(digest)) throw new IllegalArgumentException("not a sha256 digest: " + digest);
        return digest.substring("sha256:".length());
    }
}
