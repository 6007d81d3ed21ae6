package dev.tandem.plan;

/** How verification compares a sync entry, in words, for the plan a reviewer reads. */
public final class VerifyDescription {
    private VerifyDescription() {
    }

    /** A reviewer's summary of how this entry is compared (for the plan). */
    public static String of(CompiledSync entry) {
        String what = entry.inPlace()
                ? "derived columns " + String.join(", ", entry.targetColumns()) + " of " + entry.sourceTable()
                + " against their expressions, row by row"
                : "f(" + entry.sourceTable() + ") against " + entry.targetTable()
                + (entry.targetWhere() == null ? "" : " where " + entry.targetWhere());
        String how = entry.alignedTargetKey().isPresent()
                ? "in key ranges of (" + String.join(", ", entry.sourceKey()) + "), both sides in one snapshot per chunk"
                : "in hash buckets of (" + String.join(", ", entry.targetKey()) + ") over both tables, in one snapshot";
        String kinds = entry.inPlace() ? "different values"
                : "missing, " + (entry.keep() ? "" : "extra, ") + "different values";
        return what + "; " + how + "; reports " + kinds;
    }
}
