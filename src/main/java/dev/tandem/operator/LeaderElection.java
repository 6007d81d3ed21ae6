package dev.tandem.operator;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Produces;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.Optional;

/**
 * Leader election for the operator Deployment (active in the prod profile). Off when
 * {@code tandem.leader-election.enabled=false} (env TANDEM_LEADER_ELECTION_ENABLED).
 */
public class LeaderElection {
    @Produces
    @Dependent
    LeaderElectionConfiguration leaderElection(
            @ConfigProperty(name = "tandem.leader-election.enabled", defaultValue = "true") boolean enabled,
            @ConfigProperty(name = "tandem.leader-election.lease-name", defaultValue = "tandem-operator-leader") String lease,
            @ConfigProperty(name = "pod.namespace") Optional<String> namespace) {
        if (!enabled) {
            return null;
        }
        return namespace.map(ns -> new LeaderElectionConfiguration(lease, ns))
                .orElseGet(() -> new LeaderElectionConfiguration(lease));
    }
}
