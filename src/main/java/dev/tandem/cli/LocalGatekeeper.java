package dev.tandem.cli;

import dev.tandem.engine.conductor.Gatekeeper;
import dev.tandem.plan.CrossingPolicy;

import java.util.Set;

/** Gates in local mode: no cluster to ask about rollouts; the gates given with --skip-gate are skipped. */
final class LocalGatekeeper implements Gatekeeper {
    private final Set<String> skipped;

    LocalGatekeeper(Set<String> skipped) {
        this.skipped = Set.copyOf(skipped);
    }

    @Override
    public Verdict rollout(CrossingPolicy.Gate gate) {
        return NO_CLUSTER.rollout(gate);
    }

    @Override
    public Set<String> skipped() {
        return skipped;
    }
}
