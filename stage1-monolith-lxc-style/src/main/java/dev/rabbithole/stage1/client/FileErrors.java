package dev.rabbithole.stage1.client;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Words a failed file operation as the docker CLI (Go's {@code os.PathError}) does:
 * {@code open nonexist.json: no such file or directory}, {@code read /tmp: is a directory}, instead of the
 * JDK's exception class and bare path.
 */
public final class FileErrors {
    private FileErrors() { }

    /**
     * @param op   the system call's name as Go reports it: {@code open}, {@code read}
     * @param path the path as the user typed it
     * @param e    the JDK's exception
     * @return {@code OP PATH: REASON}, the reason in strerror(3)'s lower-case wording
     */
    public static String describe(String op, String path, IOException e) {
        return op + " " + path + ": " + reason(e);
    }

    /**
     * @param e an I/O exception of the JDK
     * @return strerror(3)'s text for it, lower case ("no such file or directory"), or its message
     */
    public static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NotDirectoryException) {
            return "not a directory";
        }
        String m = e instanceof FileSystemException fse && fse.getReason() != null ? fse.getReason() : e.getMessage();
        if (m == null) {
            return "input/output error";
        }
        return m.isEmpty() ? m : Character.toLowerCase(m.charAt(0)) + m.substring(1);
    }
}
