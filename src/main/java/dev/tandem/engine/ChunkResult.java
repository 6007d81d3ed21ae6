package dev.tandem.engine;

import java.util.ArrayList;
import java.util.List;

/** What comparing one chunk found: counts, and as many mismatches as a pass may record. */
final class ChunkResult {
    /** One mismatching row: kind (missing, extra, different, error), key as text, old row, new row. */
    record Mismatch(String kind, String key, String oldRow, String newRow) {
    }

    private final int maxRecorded;
    long walked;
    long checked;
    long missing;
    long extra;
    long different;
    final List<Mismatch> mismatches = new ArrayList<>();

    ChunkResult(int maxRecorded) {
        this.maxRecorded = maxRecorded;
    }

    /** Counts a mismatch of {@code kind}; keeps it while there is room. */
    void mismatch(String kind, String key, String oldRow, String newRow) {
        switch (kind) {
            case "missing" -> missing++;
            case "extra" -> extra++;
            default -> different++;
        }
        if (mismatches.size() < maxRecorded) {
            mismatches.add(new Mismatch(kind, key, oldRow, newRow));
        }
    }

    /** Adds what a part of this chunk found. */
    void add(ChunkResult part) {
        walked += part.walked;
        checked += part.checked;
        missing += part.missing;
        extra += part.extra;
        different += part.different;
        for (Mismatch m : part.mismatches) {
            if (mismatches.size() < maxRecorded) {
                mismatches.add(m);
            }
        }
    }

    long mismatchCount() {
        return missing + extra + different;
    }
}
