package dev.tandem.plan;

import dev.tandem.api.v1alpha1.ContractSpec;
import dev.tandem.api.v1alpha1.CutoverSpec;
import dev.tandem.api.v1alpha1.GateSpec;
import dev.tandem.api.v1alpha1.OldStorageMode;
import dev.tandem.api.v1alpha1.SchemaMigrationSpec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * When the point of no return may be crossed and when the old storage may go: the cutover gates and
 * the contract waits. Policy, not plan: not in the hash, may change at any time.
 *
 * @param gates    every gate cutover waits for, the verification freshness gate included when the plan verifies
 * @param minWait  contract.minWait (zero: none)
 * @param quietFor contract.quietFor (zero: none)
 * @param mode     cutover.oldStorage
 */
public record CrossingPolicy(List<Gate> gates, Duration minWait, Duration quietFor, OldStorageMode mode) {
    /** Name of the verification gate when the spec gives none. */
    public static final String VERIFICATION = "verification";
    /** Freshness of the proof when neither the gate nor verify.reverifyEvery say. */
    public static final Duration DEFAULT_MAX_AGE = Duration.ofHours(1);

    /** One gate: exactly one of rollout, sql, maxAge is set. */
    public record Gate(String name, GateSpec.RolloutGate rollout, String sql, Duration maxAge) {
        public String kind() {
            return rollout != null ? "rollout" : sql != null ? "sql" : "verification";
        }
    }

    public static CrossingPolicy none() {
        return new CrossingPolicy(List.of(), Duration.ZERO, Duration.ZERO, OldStorageMode.Watch);
    }

    public static CrossingPolicy from(SchemaMigrationSpec spec, boolean verifies) {
        CutoverSpec cutover = spec.getCutover();
        List<Gate> gates = new ArrayList<>();
        Duration reverify = spec.getVerify() == null ? null : Durations.parseOr(spec.getVerify().getReverifyEvery(), null);
        boolean verificationGiven = false;
        if (cutover != null && cutover.getGates() != null) {
            for (GateSpec g : cutover.getGates()) {
                if (g.getVerification() != null) {
                    verificationGiven = true;
                    gates.add(new Gate(g.getName(), null, null, Durations.parseOr(g.getVerification().getMaxAge(),
                            reverify != null ? reverify : DEFAULT_MAX_AGE)));
                } else {
                    gates.add(new Gate(g.getName(), g.getRollout(), g.getSql() == null ? null : g.getSql().strip(), null));
                }
            }
        }
        if (verifies && !verificationGiven) {
            gates.add(0, new Gate(VERIFICATION, null, null, reverify != null ? reverify : DEFAULT_MAX_AGE));
        }
        ContractSpec contract = spec.getContract();
        Duration minWait = contract == null ? Duration.ZERO : Durations.parseOr(contract.getMinWait(), Duration.ZERO);
        Duration quietFor = contract == null ? Duration.ZERO : Durations.parseOr(contract.getQuietFor(), Duration.ZERO);
        return new CrossingPolicy(List.copyOf(gates), minWait, quietFor,
                cutover == null ? OldStorageMode.Watch : cutover.effectiveOldStorage());
    }
}
