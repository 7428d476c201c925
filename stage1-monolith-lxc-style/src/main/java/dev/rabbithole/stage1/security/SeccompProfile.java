package dev.rabbithole.stage1.security;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * A seccomp profile in Docker's JSON format (what {@code --security-opt seccomp=FILE.json} takes and
 * moby's {@code profiles/seccomp} defines). Only what LXC and our BPF compiler can express is kept.
 *
 * @param defaultAction {@code SCMP_ACT_ALLOW}, {@code SCMP_ACT_ERRNO}, {@code SCMP_ACT_KILL}, ...
 * @param defaultErrnoRet errno for a default {@code SCMP_ACT_ERRNO}, null means EPERM (1)
 * @param architectures {@code SCMP_ARCH_X86_64}, ...; may be empty
 * @param syscalls      rules, first match wins
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SeccompProfile(
        @JsonProperty("defaultAction") String defaultAction,
        @JsonProperty("defaultErrnoRet") Integer defaultErrnoRet,
        @JsonProperty("architectures") List<String> architectures,
        @JsonProperty("syscalls") List<Rule> syscalls) {

    /**
     * One rule: these syscall names get this action.
     *
     * @param names    syscall names ({@code mount}, {@code unshare})
     * @param action   {@code SCMP_ACT_ERRNO}, {@code SCMP_ACT_ALLOW}, ...
     * @param errnoRet errno for {@code SCMP_ACT_ERRNO}; null means EPERM (1)
     * @param args     argument conditions; null or empty when none
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Rule(@JsonProperty("names") List<String> names,
                       @JsonProperty("action") String action,
                       @JsonProperty("errnoRet") Integer errnoRet,
                       @JsonProperty("args") List<Arg> args) {
    }

    /**
     * An argument condition, as in Docker's profiles.
     *
     * @param index    argument index, 0..5
     * @param value    the value compared with
     * @param valueTwo second value (for {@code SCMP_CMP_MASKED_EQ}: the expected result)
     * @param op       {@code SCMP_CMP_EQ}, {@code SCMP_CMP_NE}, {@code SCMP_CMP_MASKED_EQ}, ...
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Arg(@JsonProperty("index") int index, @JsonProperty("value") long value,
                      @JsonProperty("valueTwo") long valueTwo, @JsonProperty("op") String op) {
    }
}
