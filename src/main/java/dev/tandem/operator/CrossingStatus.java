package dev.tandem.operator;

import dev.tandem.api.v1alpha1.GateStatus;
import dev.tandem.api.v1alpha1.OldStorageStatus;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.engine.OldStorageState;
import dev.tandem.engine.Redaction;
import dev.tandem.engine.conductor.GateVerdict;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** status.gates and status.oldStorage from what the conductor saw before the next crossing. */
final class CrossingStatus {
    private CrossingStatus() {
    }

    static List<GateStatus> gates(List<GateVerdict> verdicts) {
        List<GateStatus> out = new ArrayList<>();
        for (GateVerdict v : verdicts) {
            out.add(new GateStatus(v.name(), v.kind(), v.passed(), Redaction.scrub(v.message()),
                    StatusAggregator.format(v.checkedAt())));
        }
        return out;
    }

    static OldStorageStatus oldStorage(SchemaMigration m, OldStorageState old, Instant possibleAt) {
        OldStorageStatus s = new OldStorageStatus();
        s.setMode(m.getSpec() == null || m.getSpec().getCutover() == null ? "Watch"
                : m.getSpec().getCutover().effectiveOldStorage().name());
        if (old != null) {
            s.setWrites(old.writes());
            s.setLastWriteTime(StatusAggregator.format(old.lastAt()));
            s.setLastWrite(old.describeLast());
        }
        s.setContractPossibleTime(StatusAggregator.format(possibleAt));
        return s;
    }

    /** The Warning a first old-storage write earns, when {@code previous} showed none. */
    static Optional<String> firstWrite(OldStorageStatus previous, OldStorageState old) {
        long before = previous == null || previous.getWrites() == null ? 0 : previous.getWrites();
        if (old == null || before > 0 || old.writes() == 0) {
            return Optional.empty();
        }
        return Optional.of("a write reached the old storage after cutover: " + old.describeLast() + " at "
                + StatusAggregator.format(old.lastAt()) + "; find the writer before contract drops the old storage");
    }
}
