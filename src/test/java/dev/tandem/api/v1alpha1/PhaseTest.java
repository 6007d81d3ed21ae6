package dev.tandem.api.v1alpha1;

import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class PhaseTest {
    private static final List<Phase> SETTLED = List.of(Phase.Pending, Phase.Expanded, Phase.Backfilled,
            Phase.Verified, Phase.CutOver, Phase.Contracted, Phase.RolledBack);
    private static final List<Phase> FORWARD = List.of(Phase.Pending, Phase.Expanded, Phase.Backfilled,
            Phase.Verified, Phase.CutOver, Phase.Contracted);

    /** Expected nextToward(target) for each settled phase; absent key = empty. */
    private static Map<TargetPhase, Phase> expected(Phase settled) {
        Map<TargetPhase, Phase> m = new EnumMap<>(TargetPhase.class);
        switch (settled) {
            case Pending -> {
                for (TargetPhase t : List.of(TargetPhase.Expanded, TargetPhase.Backfilled, TargetPhase.Verified,
                        TargetPhase.CutOver, TargetPhase.Contracted)) {
                    m.put(t, Phase.Expanded);
                }
                m.put(TargetPhase.RolledBack, Phase.RolledBack);
            }
            case Expanded -> {
                for (TargetPhase t : List.of(TargetPhase.Backfilled, TargetPhase.Verified, TargetPhase.CutOver,
                        TargetPhase.Contracted)) {
                    m.put(t, Phase.Backfilled);
                }
                m.put(TargetPhase.RolledBack, Phase.RolledBack);
            }
            case Backfilled -> {
                for (TargetPhase t : List.of(TargetPhase.Verified, TargetPhase.CutOver, TargetPhase.Contracted)) {
                    m.put(t, Phase.Verified);
                }
                m.put(TargetPhase.RolledBack, Phase.RolledBack);
            }
            case Verified -> {
                m.put(TargetPhase.CutOver, Phase.CutOver);
                m.put(TargetPhase.Contracted, Phase.CutOver);
                m.put(TargetPhase.RolledBack, Phase.RolledBack);
            }
            case CutOver -> m.put(TargetPhase.Contracted, Phase.Contracted);
            default -> {
            }
        }
        return m;
    }

    @Test
    void nextTowardMatchesTheFullTableOfSettledPhasesAndTargets() {
        for (Phase settled : SETTLED) {
            Map<TargetPhase, Phase> expected = expected(settled);
            for (TargetPhase target : TargetPhase.values()) {
                assertThat(settled.nextToward(target)).as("%s toward %s", settled, target)
                        .isEqualTo(Optional.ofNullable(expected.get(target)));
            }
        }
    }

    @Test
    void forwardStepsNeverSkipAPhase() {
        for (Phase settled : FORWARD) {
            for (TargetPhase target : TargetPhase.values()) {
                if (target == TargetPhase.RolledBack) {
                    continue;
                }
                settled.nextToward(target).ifPresent(next ->
                        assertThat(next.rank()).as("%s toward %s", settled, target).isEqualTo(settled.rank() + 1));
            }
        }
    }

    @Test
    void forwardStepsNeverGoPastTheTarget() {
        for (Phase settled : FORWARD) {
            for (TargetPhase target : TargetPhase.values()) {
                if (target == TargetPhase.RolledBack) {
                    continue;
                }
                settled.nextToward(target).ifPresent(next ->
                        assertThat(next.rank()).as("%s toward %s", settled, target)
                                .isLessThanOrEqualTo(target.phase().rank()));
                if (settled.rank() >= target.phase().rank()) {
                    assertThat(settled.nextToward(target)).as("%s toward %s", settled, target).isEmpty();
                }
            }
        }
    }

    @Test
    void walkingTowardEachTargetVisitsEveryPhaseInOrderAndStopsThere() {
        List<Phase> path = List.of(Phase.Expanded, Phase.Backfilled, Phase.Verified, Phase.CutOver, Phase.Contracted);
        for (TargetPhase target : TargetPhase.values()) {
            if (target == TargetPhase.RolledBack) {
                continue;
            }
            Phase at = Phase.Pending;
            int steps = 0;
            for (Optional<Phase> next = at.nextToward(target); next.isPresent(); next = at.nextToward(target)) {
                assertThat(next.get()).isEqualTo(path.get(steps));
                at = next.get();
                steps++;
            }
            assertThat(at).isEqualTo(target.phase());
            assertThat(steps).isEqualTo(target.phase().rank());
        }
    }

    @Test
    void rollBackIsOnlyPossibleBeforeCutOver() {
        for (Phase settled : List.of(Phase.Pending, Phase.Expanded, Phase.Backfilled, Phase.Verified)) {
            assertThat(settled.nextToward(TargetPhase.RolledBack)).as(settled.name()).contains(Phase.RolledBack);
        }
        for (Phase settled : List.of(Phase.CutOver, Phase.Contracted)) {
            assertThat(settled.nextToward(TargetPhase.RolledBack)).as(settled.name()).isEmpty();
            assertThat(settled.isPastPointOfNoReturn()).isTrue();
        }
    }

    @Test
    void finalPhasesHaveNoNext() {
        for (Phase fin : List.of(Phase.Contracted, Phase.RolledBack)) {
            assertThat(fin.isFinal()).isTrue();
            assertThat(fin.next()).isEmpty();
            for (TargetPhase target : TargetPhase.values()) {
                assertThat(fin.nextToward(target)).as("%s toward %s", fin, target).isEmpty();
            }
        }
    }

    @Test
    void everyForwardStepAndRollbackAfterExpandIsLegalInTheGraph() {
        for (Phase settled : SETTLED) {
            for (TargetPhase target : TargetPhase.values()) {
                Optional<Phase> next = settled.nextToward(target);
                if (next.isEmpty() || settled == Phase.Pending && next.get() == Phase.RolledBack) {
                    continue; // Pending -> RolledBack: see pendingRollbackGoesThroughALegalInFlightPhase
                }
                Phase inFlight = next.get().inFlightPhase().orElseThrow();
                assertThat(settled.canMoveTo(inFlight)).as("%s -> %s (toward %s)", settled, inFlight, target).isTrue();
                assertThat(inFlight.canMoveTo(next.get())).as("%s -> %s", inFlight, next.get()).isTrue();
                assertThat(inFlight.canMoveTo(inFlight)).as("%s retries", inFlight).isTrue();
                assertThat(inFlight.settled()).isEqualTo(next.get());
            }
        }
    }

    @Test
    void pendingRollbackGoesThroughALegalInFlightPhase() {
        Phase next = Phase.Pending.nextToward(TargetPhase.RolledBack).orElseThrow();
        Phase inFlight = next.inFlightPhase().orElseThrow();
        assertThat(Phase.Pending.canMoveTo(inFlight)).isTrue();
    }

    @Test
    void noPhaseCanMoveBackToPendingAndOnlyFailedIsLeftForAnything() {
        for (Phase p : Phase.values()) {
            assertThat(p.canMoveTo(Phase.Pending)).as(p.name()).isFalse();
        }
        assertThat(Phase.Failed.canMoveTo(Phase.Expanding)).isTrue();
        assertThat(Phase.Failed.canMoveTo(Phase.Failed)).isFalse();
    }

    @Test
    void afterCutOverThereIsNoWayBack() {
        assertThat(Phase.CutOver.next()).containsExactly(Phase.Contracting);
        assertThat(Phase.CuttingOver.canMoveTo(Phase.RollingBack)).isFalse();
        assertThat(Phase.Contracting.canMoveTo(Phase.RollingBack)).isFalse();
        assertThat(Phase.Verified.canMoveTo(Phase.RollingBack)).isTrue();
    }

    @Test
    void settledAndInFlightArePairedBothWays() {
        for (Phase p : Phase.values()) {
            if (p.isInFlight()) {
                assertThat(p.settled().inFlightPhase()).as(p.name()).contains(p);
                assertThat(p.settled().isInFlight()).isFalse();
            } else {
                assertThat(p.settled()).isEqualTo(p);
                p.inFlightPhase().ifPresent(f -> assertThat(f.settled()).isEqualTo(p));
            }
        }
    }

    @Test
    void stepLabelCountsForwardStepsOutOfFive() {
        assertThat(Phase.Pending.stepLabel()).isEqualTo("0/5");
        assertThat(Phase.Expanding.stepLabel()).isEqualTo("1/5");
        assertThat(Phase.Expanded.stepLabel()).isEqualTo("1/5");
        assertThat(Phase.Backfilled.stepLabel()).isEqualTo("2/5");
        assertThat(Phase.Verifying.stepLabel()).isEqualTo("3/5");
        assertThat(Phase.Verified.stepLabel()).isEqualTo("3/5");
        assertThat(Phase.CuttingOver.stepLabel()).isEqualTo("4/5");
        assertThat(Phase.Contracted.stepLabel()).isEqualTo("5/5");
    }

    @Test
    void stepLabelIsEmptyOffTheForwardPath() {
        assertThat(Phase.RollingBack.stepLabel()).isEmpty();
        assertThat(Phase.RolledBack.stepLabel()).isEmpty();
        assertThat(Phase.Failed.stepLabel()).isEmpty();
    }
}
