package dev.tandem.operator;

import dev.tandem.api.v1alpha1.HistoryEntry;
import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.SchemaMigrationStatus;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** status.history: the last steps, oldest first, at most {@link #LIMIT}. */
final class StatusHistory {
    static final int LIMIT = 20;

    private final SchemaMigrationStatus status;
    private final String now;

    StatusHistory(SchemaMigrationStatus status, String now) {
        this.status = status;
        this.now = now;
    }

    List<HistoryEntry> entries() {
        if (status.getHistory() == null) {
            status.setHistory(new ArrayList<>());
        }
        return status.getHistory();
    }

    /** Every entry still open ends now as Superseded (an intent never carried out). */
    void supersedeOpen() {
        for (HistoryEntry open : entries()) {
            if (open.getEnd() == null) {
                open.setEnd(now);
                open.setResult("Superseded");
            }
        }
    }

    void open(Phase settled, String planHash, String reference) {
        entries().add(new HistoryEntry(settled.name(), now, null, "Running", planHash, reference));
        trim();
    }

    /** Closes the open entry of {@code settled} with {@code result}, or records a closed one. */
    void close(Phase settled, String result, String planHash, String reference) {
        List<HistoryEntry> h = entries();
        for (int i = h.size() - 1; i >= 0; i--) {
            HistoryEntry e = h.get(i);
            if (e.getEnd() == null && Objects.equals(e.getPhase(), settled.name())) {
                e.setEnd(now);
                e.setResult(result);
                return;
            }
        }
        h.add(new HistoryEntry(settled.name(), now, now, result, planHash, reference));
        trim();
    }

    private void trim() {
        List<HistoryEntry> h = entries();
        while (h.size() > LIMIT) {
            h.remove(0);
        }
    }
}
