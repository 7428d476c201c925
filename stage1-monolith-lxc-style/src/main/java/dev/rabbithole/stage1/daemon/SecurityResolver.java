package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.security.Capabilities;
import dev.rabbithole.stage1.security.SeccompProfile;
import dev.rabbithole.stage1.security.SeccompProfiles;

import java.util.List;
import java.util.Set;

/**
 * Where the daemon gets capability sets and seccomp profiles. The real one is {@link #DEFAULT}, which
 * delegates to {@link Capabilities} and {@link SeccompProfiles}; tests of the daemon may give their own.
 */
public interface SecurityResolver {

    /**
     * @see Capabilities#resolve(List, List, boolean)
     * @throws dev.rabbithole.stage1.errdefs.InvalidParameterException an unknown capability
     */
    Set<String> capabilities(List<String> add, List<String> drop, boolean privileged);

    /** @see SeccompProfiles#defaultProfile() */
    SeccompProfile defaultSeccomp();

    /**
     * @see SeccompProfiles#parse(String)
     * @throws dev.rabbithole.stage1.errdefs.InvalidParameterException a malformed profile
     */
    SeccompProfile parseSeccomp(String json);

    /** The real resolver: {@link Capabilities} and {@link SeccompProfiles}. */
    SecurityResolver DEFAULT = new SecurityResolver() {
        @Override
        public Set<String> capabilities(List<String> add, List<String> drop, boolean privileged) {
            return Capabilities.resolve(add, drop, privileged);
        }

        @Override
        public SeccompProfile defaultSeccomp() {
            return SeccompProfiles.defaultProfile();
        }

        @Override
        public SeccompProfile parseSeccomp(String json) {
            return SeccompProfiles.parse(json);
        }
    };
}
