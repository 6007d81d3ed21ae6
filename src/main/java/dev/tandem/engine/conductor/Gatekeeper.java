package dev.tandem.engine.conductor;

import dev.tandem.plan.CrossingPolicy;

import java.util.Set;

/**
 * What only the driver can answer about a cutover gate: whether a workload is rolled out (the
 * operator asks the API server; the local mode cannot), and which gates the user chose to skip.
 */
public interface Gatekeeper {
    /** Whether the rollout gate holds, and what was seen. */
    Verdict rollout(CrossingPolicy.Gate gate);

    /** Gates the user skips explicitly (tandem run --skip-gate NAME); none in the cluster. */
    default Set<String> skipped() {
        return Set.of();
    }

    record Verdict(boolean passed, String message) {
    }

    /** No cluster: a rollout gate cannot be checked. */
    Gatekeeper NO_CLUSTER = gate -> new Verdict(false, "needs a cluster to check " + gate.rollout().describe()
            + "; in local mode skip it explicitly with --skip-gate " + gate.name());
}
