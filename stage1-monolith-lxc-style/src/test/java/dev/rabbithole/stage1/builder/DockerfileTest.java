package dev.rabbithole.stage1.builder;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Dockerfile parser, variable substitution, .dockerignore and the context's source rules; no root needed. */
class DockerfileTest {

    @Test
    void continuationsCommentsAndOriginalText() {
        Dockerfile df = Dockerfile.parse("""
                # a comment
                FROM busybox
                ENV GREETING=hi \\
                # a comment inside the continuation is skipped
                    OTHER=x

                run echo one && \\
                  echo two
                CMD ["cat", "/app/hello.txt"]
                """);
        assertThat(df.instructions()).extracting(Dockerfile.Instruction::keyword)
                .containsExactly("from", "env", "run", "cmd");
        // Docker joins the lines as written: the Step line shows the spaces of both
        assertThat(df.instructions().get(1).original()).isEqualTo("ENV GREETING=hi     OTHER=x");
        assertThat(df.instructions().get(2).original()).isEqualTo("run echo one &&   echo two");
        assertThat(df.instructions().get(2).line()).isEqualTo(7);
        assertThat(df.instructions().get(3).json()).containsExactly("cat", "/app/hello.txt");
        assertThat(df.instructions().get(2).json()).isNull();
    }

    @Test
    void escapeDirectiveChangesTheContinuationCharacter() {
        Dockerfile df = Dockerfile.parse("# escape=`\nFROM busybox\nRUN echo a `\n  b\nCOPY c:\\dir\\ /x\n");
        assertThat(df.escape()).isEqualTo('`');
        assertThat(df.instructions().get(1).original()).isEqualTo("RUN echo a   b");
        assertThat(df.instructions().get(2).rest()).isEqualTo("c:\\dir\\ /x");
        // a directive after an instruction is a comment
        assertThat(Dockerfile.parse("FROM busybox\n# escape=`\nRUN a \\\n b").instructions().get(1).rest())
                .isEqualTo("a  b");
    }

    @Test
    void unknownInstructionIsDockersParseError() {
        assertThatThrownBy(() -> Dockerfile.parse("FROM busybox\nFOO bar\n"))
                .isInstanceOf(DockerfileException.class)
                .hasMessage("dockerfile parse error line 2: unknown instruction: FOO");
        assertThatThrownBy(() -> Dockerfile.parse("# only a comment\n\n"))
                .hasMessageContaining("cannot be empty");
    }

    @Test
    void flagsAndNameValues() {
        Dockerfile.Instruction i = Dockerfile.parse("FROM a\nCOPY --from=build --chown=1:2 /a /b").instructions().get(1);
        assertThat(i.flag("from")).isEqualTo("build");
        assertThat(i.flag("chown")).isEqualTo("1:2");
        assertThat(i.rest()).isEqualTo("/a /b");
        List<String[]> kv = Dockerfile.nameValues("env", "A=1 B=\"two words\" C=x\\ y", '\\');
        assertThat(kv).extracting(p -> p[0]).containsExactly("A", "B", "C");
        assertThat(kv.get(1)[1]).isEqualTo("\"two words\"");
        List<String[]> legacy = Dockerfile.nameValues("env", "NAME the rest of it", '\\');
        assertThat(legacy.get(0)).containsExactly("NAME", "the rest of it");
    }

    @Test
    void substitutionFollowsDockersRules() {
        ShellLexer l = new ShellLexer('\\');
        Map<String, String> env = Map.of("A", "x", "EMPTY", "");
        assertThat(l.word("$A ${A}/b", env)).isEqualTo("x x/b");
        assertThat(l.word("${NOPE:-dflt} ${EMPTY:-dflt} ${EMPTY-dflt}", env)).isEqualTo("dflt dflt ");
        assertThat(l.word("${A:+set} ${NOPE:+set} ${EMPTY:+set} ${EMPTY+set}", env)).isEqualTo("set   set");
        assertThat(l.word("${NOPE:-${A}y}", env)).isEqualTo("xy");
        assertThat(l.word("'$A' \"$A\" \\$A", env)).isEqualTo("$A x $A");
        assertThat(l.words("a \"b c\" $A", env)).containsExactly("a", "b c", "x");
        assertThatThrownBy(() -> l.word("${NOPE:?must be set}", env)).hasMessageContaining("must be set");
        assertThatThrownBy(() -> l.word("${}", env)).hasMessageContaining("bad substitution");
        assertThat(new ShellLexer('`').word("a`$A", env)).isEqualTo("a$A");
    }

    @Test
    void stagesAndTarget() {
        Dockerfile df = Dockerfile.parse("ARG V=1\nFROM busybox AS build\nRUN x\nFROM busybox\nCOPY --from=build /a /a\n");
        assertThat(Builder.plan(df, null)).extracting(Builder.Stage::name).containsExactly("build", null);
        assertThat(Builder.plan(df, "BUILD")).hasSize(1);
        assertThatThrownBy(() -> Builder.plan(df, "nope")).hasMessage("failed to reach build target nope in Dockerfile");
        assertThatThrownBy(() -> Builder.plan(Dockerfile.parse("RUN x"), null))
                .hasMessageContaining("no build stage");
    }

    @Test
    void dockerignorePatterns() {
        DockerIgnore di = DockerIgnore.parse("# comment\n*.log\n/secret\ndocs/**/*.md\n!docs/keep.md\nbuild\n");
        assertThat(di.excluded("a.log")).isTrue();
        assertThat(di.excluded("sub/a.log")).isFalse();          // * stays in one component
        assertThat(di.excluded("secret")).isTrue();
        assertThat(di.excluded("build/out/x")).isTrue();          // a directory covers what is below it
        assertThat(di.excluded("docs/a/b/c.md")).isTrue();
        assertThat(di.excluded("docs/x.md")).isTrue();
        assertThat(di.excluded("docs/keep.md")).isFalse();       // ! re-includes
        assertThat(di.excluded("Dockerfile")).isFalse();
    }

    @Test
    void contextSourcesStayInside(@TempDir Path tmp) throws Exception {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(tar)) {
            file(t, "Dockerfile", "FROM busybox\n");
            file(t, "a.txt", "a");
            file(t, "b.log", "b");
            file(t, ".dockerignore", "*.log\n");
            TarArchiveEntry link = new TarArchiveEntry("out", TarArchiveEntry.LF_SYMLINK);
            link.setLinkName("/etc/passwd");
            t.putArchiveEntry(link);
            t.closeArchiveEntry();
            TarArchiveEntry up = new TarArchiveEntry("up", TarArchiveEntry.LF_SYMLINK);
            up.setLinkName("../../../../etc/passwd");
            t.putArchiveEntry(up);
            t.closeArchiveEntry();
        }
        try (BuildContext ctx = BuildContext.unpack(new ByteArrayInputStream(tar.toByteArray()), tmp.resolve("ctx"))) {
            assertThat(ctx.dockerfile(null)).isEqualTo("FROM busybox\n");
            assertThat(ctx.sources("a.txt", "COPY")).hasSize(1);
            assertThat(ctx.sources("*.txt", "COPY")).hasSize(1);
            assertThatThrownBy(() -> ctx.sources("../x", "COPY"))
                    .hasMessage("COPY failed: forbidden path outside the build context: ../x ()");
            assertThatThrownBy(() -> ctx.sources("b.log", "COPY"))
                    .hasMessage("COPY failed: file not found in build context or excluded by .dockerignore: "
                            + "stat b.log: file does not exist");
            // symlinks out of the context resolve inside it: the host's /etc/passwd is never reached
            assertThatThrownBy(() -> ctx.sources("out", "COPY")).hasMessageContaining("file does not exist");
            assertThatThrownBy(() -> ctx.sources("up", "COPY")).hasMessageContaining("file does not exist");
            assertThatThrownBy(() -> ctx.sources("*.md", "COPY")).hasMessage("COPY failed: no source files were specified");
        }
        assertThat(Files.exists(tmp.resolve("ctx"))).isFalse();
    }

    @Test
    void anExcludedDockerfileIsReadThenLeavesTheContext(@TempDir Path tmp) throws Exception {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(tar)) {
            file(t, "Dockerfile", "FROM busybox\nCOPY . /\n");
            file(t, ".dockerignore", "Dockerfile\n.dockerignore\n");
            file(t, "kept.txt", "k");
        }
        try (BuildContext ctx = BuildContext.unpack(new ByteArrayInputStream(tar.toByteArray()), tmp.resolve("ctx"))) {
            assertThat(ctx.dockerfile("")).startsWith("FROM busybox");
            try (var s = Files.list(ctx.root())) {
                assertThat(s.map(p -> p.getFileName().toString())).containsExactly("kept.txt");
            }
        }
    }

    @Test
    void aBodyThatIsNoTarIsTheDockerfile(@TempDir Path tmp) {
        byte[] body = "FROM busybox\nRUN true\n".getBytes(StandardCharsets.UTF_8);
        try (BuildContext ctx = BuildContext.unpack(new ByteArrayInputStream(body), tmp.resolve("ctx"))) {
            assertThat(ctx.dockerfile(null)).isEqualTo("FROM busybox\nRUN true\n");
        }
    }

    @Test
    void historyTextsAreDockers() {
        // what Docker 20.10 wrote for HEALTHCHECK --interval=5s --retries=2 CMD true
        assertThat(GoDuration.healthcheckText(new dev.rabbithole.stage1.image.ImageConfig.Healthcheck(
                List.of("CMD-SHELL", "true"), GoDuration.nanos("5s"), null, null, 2)))
                .isEqualTo("&{[\"CMD-SHELL\" \"true\"] \"5s\" \"0s\" \"0s\" '\\x02'}");
        assertThat(GoDuration.nanos("1m30s")).isEqualTo(90_000_000_000L);
        assertThat(GoDuration.text(90_000_000_000L)).isEqualTo("1m30s");
        assertThat(GoDuration.text(3_600_000_000_000L)).isEqualTo("1h0m0s");
        assertThat(GoDuration.text(500_000_000L)).isEqualTo("500ms");
        assertThatThrownBy(() -> GoDuration.nanos("5x")).hasMessage("time: invalid duration \"5x\"");
        assertThat(Builder.goQuoted(List.of("cat", "/app/hello.txt"))).isEqualTo("[\"cat\" \"/app/hello.txt\"]");
        assertThat(Builder.normalizeTag("demo")).isEqualTo("demo:latest");
        assertThat(Builder.normalizeTag("localhost:5000/demo")).isEqualTo("localhost:5000/demo:latest");
    }

    private static void file(TarArchiveOutputStream t, String name, String content) throws Exception {
        byte[] b = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(b.length);
        e.setMode(0644);
        t.putArchiveEntry(e);
        t.write(b);
        t.closeArchiveEntry();
    }
}
