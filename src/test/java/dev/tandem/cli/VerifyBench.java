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
    /** A row of the passes' table: run, workers, compared (whole or chunks of n), time, rows checked, rows/s, result. */
    private static final String ROW = "   %-38s %7s  %-18s %8s %14s %11s   %s";

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
        row("run", "workers", "compared", "time", "rows checked", "rows/s", "result");
        VerifyTuning defaults = VerifyTuning.defaults();
        Pass first = pass("first pass, right after the backfill", defaults);
        Floor floor1 = floor(entry);
        Pass later = pass("later pass (a second clean pass)", defaults);
        // Chunk by chunk: how an entry above wholeTableRows is compared, and how one that differs finds its rows.
        Pass chunked = null;
        for (int chunk : new int[]{VerifyTuning.DEFAULT_CHUNK_SIZE, 50_000}) {
            for (int workers = 2; workers >= 1; workers--) {
                Pass p = pass("later pass, chunk by chunk", defaults.withChunkSize(chunk).withParallelism(workers)
                        .withWholeTableRows(0));
                if (chunked == null) {
                    chunked = p;
                }
            }
        }
        Floor floor2 = floor(entry);
        Floor floor = floor1.nanos() <= floor2.nanos() ? floor1 : floor2;
        row("floor: hash both sides once, best of 2", "", "", seconds(floor.nanos()), "", "",
                String.format(Locale.ROOT, "f(old) %.2f s + new %.2f s; PostgreSQL's own plan, "
                        + "max_parallel_workers_per_gather=%s", floor.oldNanos() / 1e9, floor.newNanos() / 1e9,
                        setting("max_parallel_workers_per_gather")));
        row("backfill, 1 worker (section 1)", "", "", seconds(backfillNanos), "", "", "");
        ratios("first pass (defaults)", first, floor, true);
        ratios("later pass (defaults)", later, floor, true);
        ratios("chunk by chunk, 2 workers", chunked, floor, false);
        out.flush();
    }

    private void ratios(String label, Pass p, Floor floor, boolean target) {
        double toFloor = (double) p.nanos() / floor.nanos();
        double toBackfill = (double) p.nanos() / backfillNanos;
        out.printf(Locale.ROOT, "   %-26s / floor:    %.2f%s%n", label, toFloor,
                target ? "  [target <= 1.50: " + (toFloor <= 1.5 ? "met" : "NOT met") + "]" : "");
        out.printf(Locale.ROOT, "   %-26s / backfill: %.2f%s%n", label, toBackfill,
                target ? "  [target <= 0.25: " + (toBackfill <= 0.25 ? "met" : "NOT met") + "]" : "");
    }

    private Pass pass(String label, VerifyTuning tuning) throws SQLException, EngineException {
        BenchCommand.checkpoint(db);
        long t0 = System.nanoTime();
        VerifyState state = new Verifier(db, settings, tuning).run(plan, ++pass, "", Verifier.Listener.NONE);
        long nanos = System.nanoTime() - t0;
        String in = state.chunksDone() == 1 ? "whole" : String.format(Locale.ROOT, "chunks of %,d", tuning.chunkSize());
        row(label, tuning.parallelism(), in, seconds(nanos),
                String.format(Locale.ROOT, "%,d", state.rowsChecked()),
                String.format(Locale.ROOT, "%,.0f", state.rowsChecked() / (nanos / 1e9)), state.result());
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

    private void row(Object... columns) {
        out.println(String.format(Locale.ROOT, ROW, columns).stripTrailing());
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
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
