package dev.tandem.engine.conductor;

import dev.tandem.api.v1alpha1.Hold;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.engine.Engine;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.GateResult;
import dev.tandem.engine.VerifyState;
import dev.tandem.plan.CrossingPolicy;
import dev.tandem.plan.Durations;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The cutover gates: every one must hold at the moment cutover runs. The verification gate asks
 * for a clean pass newer than the backfill and than its maxAge; when the latest is older, it starts
 * a new pass (so cutover always crosses on a fresh proof). SQL gates run read-only; rollout gates
 * are answered by the driver's {@link Gatekeeper}.
 */
final class CutoverGates {
    static final Duration RECHECK = Duration.ofSeconds(5);

    private final Engine engine;

    CutoverGates(Engine engine) {
        this.engine = engine;
    }

    /**
     * @param startPass whether a stale proof starts a new verification pass (false: only report, e.g.
     *                  while the target is still Verified)
     */
    Crossing check(StepRequest r, boolean startPass) {
        List<GateVerdict> verdicts = new ArrayList<>();
        Gatekeeper keeper = r.gatekeeper() == null ? Gatekeeper.NO_CLUSTER : r.gatekeeper();
        for (CrossingPolicy.Gate gate : r.plan().policy().gates()) {
            GateVerdict v;
            if (keeper.skipped().contains(gate.name())) {
                v = new GateVerdict(gate.name(), gate.kind(), true, "skipped (--skip-gate " + gate.name() + ")", r.now());
            } else if (gate.rollout() != null) {
                Gatekeeper.Verdict k = keeper.rollout(gate);
                v = new GateVerdict(gate.name(), gate.kind(), k.passed(), k.message(), r.now());
            } else if (gate.sql() != null) {
                v = sql(gate, r);
            } else {
                v = fresh(gate, r, startPass);
            }
            verdicts.add(v);
        }
        List<GateVerdict> failing = verdicts.stream().filter(v -> !v.passed()).toList();
        if (failing.isEmpty()) {
            return new Crossing(List.copyOf(verdicts), null, null, null);
        }
        String message = "cutover waits for " + (failing.size() == 1 ? "gate " : failing.size() + " gates: ")
                + failing.stream().map(GateVerdict::describe).collect(Collectors.joining("; "));
        return new Crossing(List.copyOf(verdicts), null, null,
                new Outcome.Held(Hold.AwaitingGates, message, RECHECK, List.copyOf(verdicts), null, null));
    }

    private GateVerdict sql(CrossingPolicy.Gate gate, StepRequest r) {
        try {
            GateResult result = engine.gate(gate.name(), gate.sql());
            return new GateVerdict(gate.name(), gate.kind(), result.passed(), result.message(), r.now());
        } catch (EngineException e) {
            return new GateVerdict(gate.name(), gate.kind(), false, "could not run: " + e.getMessage(), r.now());
        }
    }

    private GateVerdict fresh(CrossingPolicy.Gate gate, StepRequest r, boolean startPass) {
        VerifyState state;
        Instant backfilled;
        try {
            state = engine.verification(r.plan());
            backfilled = engine.state(r.plan().key()).appliedAt(Step.BACKFILL).orElse(null);
        } catch (EngineException e) {
            return new GateVerdict(gate.name(), gate.kind(), false, "could not read the verification: " + e.getMessage(),
                    r.now());
        }
        String stale = staleness(state, backfilled, gate.maxAge(), r.now());
        if (stale == null) {
            return new GateVerdict(gate.name(), gate.kind(), true, "clean pass " + state.pass() + " finished at "
                    + state.finishedAt() + ", within maxAge " + Durations.format(gate.maxAge()), r.now());
        }
        if (state.running()) {
            return new GateVerdict(gate.name(), gate.kind(), false, stale + "; " + state.describe(), r.now());
        }
        if (!startPass || r.workers() == null || state.failed()) {
            return new GateVerdict(gate.name(), gate.kind(), false, stale, r.now());
        }
        Workers.Worker worker = r.workers().verify(r.plan(), state.pass() + 1, r.retryToken(), r.verifyTuning(), false);
        if (worker.state() == Workers.State.SUCCEEDED) {
            try { // in-process: the pass has run; judge it
                VerifyState after = engine.verification(r.plan());
                String still = staleness(after, backfilled, gate.maxAge(), r.now());
                if (still == null) {
                    return new GateVerdict(gate.name(), gate.kind(), true, "clean pass " + after.pass()
                            + " just finished", r.now());
                }
                return new GateVerdict(gate.name(), gate.kind(), false, still, r.now());
            } catch (EngineException e) {
                return new GateVerdict(gate.name(), gate.kind(), false, e.getMessage(), r.now());
            }
        }
        String started = worker.state() == Workers.State.FAILED ? "the new pass (" + worker.name() + ") failed: "
                + worker.failure() : "pass " + (state.pass() + 1) + " started (" + worker.name() + ")";
        return new GateVerdict(gate.name(), gate.kind(), false, stale + "; " + started, r.now());
    }

    /** Why the latest pass is not a fresh proof, or null when it is. */
    static String staleness(VerifyState state, Instant backfilled, Duration maxAge, Instant now) {
        if (state.failed()) {
            return "the latest pass " + state.pass() + " did not pass: " + state.describe();
        }
        if (!state.passed() || state.finishedAt() == null) {
            return state.pass() == 0 ? "no verification pass has run" : "the latest pass has not finished";
        }
        if (backfilled != null && state.finishedAt().isBefore(backfilled)) {
            return "the latest clean pass finished before the backfill committed";
        }
        Duration age = Duration.between(state.finishedAt(), now);
        if (age.compareTo(maxAge) > 0) {
            return "the latest clean pass (" + state.pass() + ") finished " + Durations.format(age.withNanos(0))
                    + " ago, longer than maxAge " + Durations.format(maxAge);
        }
        return null;
    }
}
