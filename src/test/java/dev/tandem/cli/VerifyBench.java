package dev.tandem.cli;

import dev.tandem.engine.DatabaseTarget;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.EngineSettings;
import dev.tandem.engine.Verifier;
import dev.tandem.engine.VerifyState;
import dev.tandem.plan.CompiledSync;
import dev.tandem.plan.Ident;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.VerifyTuning;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The benchmark's verification part: passes over the table the 1-worker backfill filled, the
 * first one right after that backfill, timed against the backfill and against the floor, which is
 * hashing both sides once (one {@code sum(hashtextextended(row::text, 0))} over f(old), one over
 * the new table), measured in the same run.
 */
final class VerifyBench {
    private final DatabaseTarget db;
    private final EngineSettings settings;
    private final PrintWriter out;
    private final MigrationPlan plan;
    private final long backfillNanos;
    private int pass;

    VerifyBench(DatabaseTarget db, EngineSettings settings, PrintWriter out, MigrationPlan plan, long backfillNanos) {
        this.db = db;
        this.settings = settings;
        this.out = out;
        this.plan = plan;
        this.backfillNanos = backfillNanos;
    }

    /** One pass's figures. */
    private record Pass(VerifyTuning tuning, long nanos, VerifyState state) {
    }

    /** The floor: one hash over each side, and both. */
    private record Floor(long oldNanos, long newNanos) {
        long nanos() {
            return oldNanos + newNanos;
        }
    }

    void run() throws SQLException, EngineException {
        CompiledSync entry = plan.sync().get(0);
        out.println();
        out.printf(Locale.ROOT, "2. Verify: f(%s) against %s, the target the 1-worker backfill filled; a CHECKPOINT precedes "
                + "each timed run%n", entry.sourceTable(), entry.targetTable());
        out.println("   run                                       workers  chunk size      time   rows checked      rows/s   result");
        VerifyTuning defaults = VerifyTuning.defaults();
        Pass first = pass("first pass, right after the backfill", defaults);
        Floor floor1 = floor(entry);
        Pass later = pass("later pass (a second clean pass)", defaults);
        for (int chunk : new int[]{VerifyTuning.DEFAULT_CHUNK_SIZE, 50_000}) {
            for (int workers = 1; workers <= 2; workers++) {
                if (chunk != defaults.chunkSize() || workers != defaults.parallelism()) {
                    pass("later pass", defaults.withChunkSize(chunk).withParallelism(workers));
                }
            }
        }
        Floor floor2 = floor(entry);
        Floor floor = floor1.nanos() <= floor2.nanos() ? floor1 : floor2;
        out.printf(Locale.ROOT, "   floor: hash both sides once (faster of 2 runs)  %7.2f s  (f(old) %.2f s + new %.2f s; "
                        + "PostgreSQL's own plan, max_parallel_workers_per_gather=%s)%n", floor.nanos() / 1e9,
                floor.oldNanos() / 1e9, floor.newNanos() / 1e9, setting("max_parallel_workers_per_gather"));
        out.printf(Locale.ROOT, "   backfill, 1 worker (section 1)                 %7.2f s%n", backfillNanos / 1e9);
        ratios("first pass", first, floor);
        ratios("later pass", later, floor);
        out.flush();
    }

    private void ratios(String label, Pass p, Floor floor) {
        double toFloor = (double) p.nanos() / floor.nanos();
        double toBackfill = (double) p.nanos() / backfillNanos;
        out.printf(Locale.ROOT, "   %s (defaults) / floor:    %.2f  [target <= 1.50: %s]%n", label, toFloor,
                toFloor <= 1.5 ? "met" : "NOT met");
        out.printf(Locale.ROOT, "   %s (defaults) / backfill: %.2f  [target <= 0.25: %s]%n", label, toBackfill,
                toBackfill <= 0.25 ? "met" : "NOT met");
    }

    private Pass pass(String label, VerifyTuning tuning) throws SQLException, EngineException {
        BenchCommand.checkpoint(db);
        long t0 = System.nanoTime();
        VerifyState state = new Verifier(db, settings, tuning).run(plan, ++pass, "", Verifier.Listener.NONE);
        long nanos = System.nanoTime() - t0;
        out.printf(Locale.ROOT, "   %-42s %7d %,11d %8.2f s %,14d %,11.0f   %s%n", label, tuning.parallelism(),
                tuning.chunkSize(), nanos / 1e9, state.rowsChecked(), state.rowsChecked() / (nanos / 1e9), state.result());
        out.flush();
        return new Pass(tuning, nanos, state);
    }

    /** Hashes f(old) (its rows within from.where, values cast to the new columns' types) and the new table once each. */
    private Floor floor(CompiledSync entry) throws SQLException {
        String oldValues = entry.targetColumns().stream().map(col -> "CAST(" + entry.expression(col) + " AS "
                + BenchCommand.PII_TYPES.get(col) + ") AS " + Ident.quote(col)).collect(Collectors.joining(", "));
        String newValues = entry.targetColumns().stream().map(Ident::quote).collect(Collectors.joining(", "));
        String oldSide = "SELECT count(*), sum(hashtextextended(x::text, 0)) FROM (SELECT " + oldValues + " FROM "
                + entry.source() + " WHERE " + entry.whereOrTrue() + ") x";
        String newSide = "SELECT count(*), sum(hashtextextended(x::text, 0)) FROM (SELECT " + newValues + " FROM "
                + entry.target() + ") x";
        return new Floor(timed(oldSide), timed(newSide));
    }

    private long timed(String sql) throws SQLException {
        BenchCommand.checkpoint(db);
        try (Connection c = db.connect("tandem-bench"); Statement s = c.createStatement()) {
            s.execute("SET jit = off"); // as in a verification snapshot
            long t0 = System.nanoTime();
            try (ResultSet rs = s.executeQuery(sql)) {
                rs.next();
            }
            return System.nanoTime() - t0;
        }
    }

    private String setting(String name) throws SQLException {
        try (Connection c = db.connect("tandem-bench");
             PreparedStatement ps = c.prepareStatement("SELECT current_setting(?)")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }
}
