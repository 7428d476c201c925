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
     * @param includes the rule applies only where all of this holds (every listed capability, one of the listed
     *                 architectures, at least the kernel version); null or empty: everywhere
     * @param excludes the rule does not apply where any of this holds (one of the listed capabilities, one of the
     *                 listed architectures, at least the kernel version); null or empty: nowhere excluded
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Rule(@JsonProperty("names") List<String> names,
                       @JsonProperty("action") String action,
                       @JsonProperty("errnoRet") Integer errnoRet,
                       @JsonProperty("args") List<Arg> args,
                       @JsonProperty("includes") Filter includes,
                       @JsonProperty("excludes") Filter excludes) {

        /** An unconditional rule (no {@code includes}, no {@code excludes}). */
        public Rule(List<String> names, String action, Integer errnoRet, List<Arg> args) {
            this(names, action, errnoRet, args, null, null);
        }

        /** @return whether the rule carries a condition that {@link SeccompConditions#resolve} must decide */
        public boolean conditional() {
            return (includes != null && !includes.isEmpty()) || (excludes != null && !excludes.isEmpty());
        }
    }

    /**
     * The condition of a rule's {@code includes} or {@code excludes} (moby's {@code profiles/seccomp} Filter).
     *
     * @param caps      capability names with {@code CAP_} ({@code CAP_SYS_ADMIN}), checked against the container's
     *                  bounding set
     * @param arches    architectures as Docker names them from Go's {@code GOARCH} ({@code amd64}, {@code x86},
     *                  {@code x32}, {@code arm64}, {@code arm}, {@code s390x}, ...)
     * @param minKernel a kernel version {@code MAJOR.MINOR} ({@code "4.8"}), compared with the running kernel's
     *                  first two numbers
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Filter(@JsonProperty("caps") List<String> caps,
                         @JsonProperty("arches") List<String> arches,
                         @JsonProperty("minKernel") String minKernel) {

        /** @return no capability, no architecture and no kernel version given */
        @com.fasterxml.jackson.annotation.JsonIgnore
        public boolean isEmpty() {
            return (caps == null || caps.isEmpty()) && (arches == null || arches.isEmpty())
                    && (minKernel == null || minKernel.isEmpty());
        }
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
