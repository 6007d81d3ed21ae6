package dev.tandem.engine.conductor;

import dev.tandem.api.v1alpha1.Hold;
import dev.tandem.engine.Engine;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.LedgerState;
import dev.tandem.engine.OldStorageState;
import dev.tandem.plan.CrossingPolicy;
import dev.tandem.plan.Durations;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * Contract waits for contract.minWait after cutover and for contract.quietFor without a write to
 * the old storage; until then it is held, and the crossing says when it becomes possible and why.
 */
final class ContractWait {
    static final Duration MAX_RECHECK = Duration.ofSeconds(30);
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    private final Engine engine;

    ContractWait(Engine engine) {
        this.engine = engine;
    }

    Crossing check(StepRequest r) throws EngineException {
        LedgerState ledger = engine.state(r.plan().key());
        OldStorageState old = engine.oldStorage(r.plan());
        CrossingPolicy policy = r.plan().policy();
        Instant cutAt = ledger.pointOfNoReturn() == null ? r.now() : ledger.pointOfNoReturn();
        Instant afterMinWait = cutAt.plus(policy.minWait());
        Instant afterQuiet = old.lastAt() == null || policy.quietFor().isZero() ? null : old.lastAt().plus(policy.quietFor());
        boolean quietDecides = afterQuiet != null && afterQuiet.isAfter(afterMinWait);
        Instant possible = quietDecides ? afterQuiet : afterMinWait;
        if (!r.now().isBefore(possible)) {
            return new Crossing(List.of(), old, possible, null);
        }
        String why = quietDecides
                ? "an old-storage write (" + old.describeLast() + ") was seen at " + CLOCK.format(old.lastAt())
                + ", and contract.quietFor is " + Durations.format(policy.quietFor())
                : "contract.minWait is " + Durations.format(policy.minWait()) + " after cutover at " + CLOCK.format(cutAt);
        String message = "contract possible after " + CLOCK.format(possible) + ": " + why;
        Duration left = Duration.between(r.now(), possible);
        Duration recheck = left.compareTo(MAX_RECHECK) < 0 ? left.plusMillis(50) : MAX_RECHECK;
        return new Crossing(List.of(), old, possible,
                new Outcome.Held(Hold.AwaitingQuiet, message, recheck, List.of(), old, possible));
    }
}
