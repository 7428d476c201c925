package dev.rabbithole.stage1.client;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class ListingsTest {
    private static final Instant NOW = Instant.ofEpochSecond(1_700_000_000L);

    private static JsonNode json(String text) throws Exception {
        return EngineClient.JSON.readTree(text.replace('\'', '"'));
    }

    @Test
    void emptyPsIsTheHeaderAsDockerPrintsIt() throws Exception {
        assertThat(Listings.psTable(json("[]"), NOW))
                .isEqualTo("CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n");
    }

    @Test
    void psRowsHaveShortIdsQuotedCutCommandsAndAges() throws Exception {
        JsonNode list = json("[{'Id':'4f7a1c2b9d3e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8',"
                + "'Names':['/brave_turing'],'Image':'busybox','Command':'sh -c echo pid $$; hostname; ps',"
                + "'Created':" + (NOW.getEpochSecond() - 3) + ",'State':'running','Status':'Up 3 seconds','Ports':[]},"
                + "{'Id':'0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',"
                + "'Names':['/web'],'Image':'sha256:aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999','Command':'true',"
                + "'Created':" + (NOW.getEpochSecond() - 75) + ",'State':'exited','Status':'Exited (0) 2 minutes ago','Ports':[]}]");
        String table = Listings.psTable(list, NOW);
        // widths: widest cell + 3, at least 10; COMMAND is cut to 20 characters with the ellipsis
        String row = "%-15s%-15s%-25s%-21s%-27s%-10s%s";
        assertThat(table.split("\n")).containsExactly(
                String.format(row, "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"),
                String.format(row, "4f7a1c2b9d3e", "busybox", "\"sh -c echo pid $$; …\"", "3 seconds ago", "Up 3 seconds", "", "brave_turing"),
                String.format(row, "0123456789ab", "aaaabbbbcccc", "\"true\"", "About a minute ago", "Exited (0) 2 minutes ago", "", "web"));
    }

    @Test
    void psComputesStatusWhenTheDaemonSendsNone() throws Exception {
        JsonNode list = json("[{'Id':'abc','Names':['/x'],'Image':'busybox','Command':'sh','Created':"
                + (NOW.getEpochSecond() - 10) + ",'State':'running','Ports':[]}]");
        assertThat(Listings.psTable(list, NOW)).contains("Up 10 seconds");
    }

    @Test
    void imagesShowOneRowPerTagWithDecimalSizes() throws Exception {
        JsonNode list = json("[{'Id':'sha256:1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b',"
                + "'RepoTags':['busybox:latest','localhost:5000/tools/busybox:1.36'],'Created':" + (NOW.getEpochSecond() - 3 * 7 * 86400)
                + ",'Size':4866048},"
                + "{'Id':'sha256:ffffffffffff0000','RepoTags':[],'Created':" + (NOW.getEpochSecond() - 90) + ",'Size':1000}]");
        assertThat(Listings.imagesTable(list, NOW).split("\n")).containsExactly(
                "REPOSITORY                     TAG       IMAGE ID       CREATED              SIZE",
                "busybox                        latest    1a2b3c4d5e6f   3 weeks ago          4.87MB",
                "localhost:5000/tools/busybox   1.36      1a2b3c4d5e6f   3 weeks ago          4.87MB",
                "<none>                         <none>    ffffffffffff   About a minute ago   1kB");
        // one ID per table row, as docker images -q of Docker 20.10 printed an image with two tags twice
        assertThat(Listings.imageIds(list)).isEqualTo("1a2b3c4d5e6f\n1a2b3c4d5e6f\nffffffffffff\n");
    }

    @Test
    void commandsAreQuotedAsGosStrconvQuote() {
        assertThat(Listings.quote("sh -c trap \"\" TERM;…")).isEqualTo("\"sh -c trap \\\"\\\" TERM;…\"");
        assertThat(Listings.quote("a\\b\tc\nd\u001b")).isEqualTo("\"a\\\\b\\tc\\nd\\x1b\"");
    }

    @Test
    void ellipsisKeepsTheLimitIncludingTheEllipsis() {
        assertThat(Listings.ellipsis("12345678901234567890", 20)).isEqualTo("12345678901234567890");
        assertThat(Listings.ellipsis("123456789012345678901", 20)).isEqualTo("1234567890123456789…").hasSize(20);
    }
}
