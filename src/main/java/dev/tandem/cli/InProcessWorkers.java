package dev.tandem.cli;

import dev.tandem.engine.BackfillProgress;
import dev.tandem.engine.Backfiller;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.EngineSettings;
import dev.tandem.engine.Verifier;
import dev.tandem.engine.VerifyState;
import dev.tandem.engine.conductor.Workers;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.VerifyTuning;

import java.io.PrintWriter;

/**
 * The backfill and the verification passes of {@code tandem run}: in this process, each call
 * returning when its work is done, with a progress line while it runs.
 */
final class InProcessWorkers implements Workers {
    static final String NAME = "in-process";
    private static final String RETRY_HINT = "run the same command again";

    private final DatabaseTarget target;
    private final EngineSettings settings;
    private final Progress progress;

    InProcessWorkers(DatabaseTarget target, EngineSettings settings, Progress progress) {
        this.target = target;
        this.settings = settings;
        this.progress = progress;
    }

    @Override
    public Worker backfill(MigrationPlan plan, BackfillTuning tuning, boolean suspend) {
        Backfiller backfiller = new Backfiller(target, settings, tuning);
        long started = System.nanoTime();
        try {
            backfiller.run(plan, 0, 1, new Backfiller.Listener() {
                @Override
                public void batch(int entry, int shard, long rowsWritten, long pagesDone, int batchPages) {
                    progress.update(() -> {
                        BackfillProgress p = backfiller.progress(plan);
                        return new Progress.Status(p.percent(), "Backfilling ... " + Progress.bar(p.percent()) + " "
                                + p.percent() + "% " + p.rowsProcessed() + " of ~" + Math.max(p.rowsTotal(),
                                p.rowsProcessed()) + " rows, " + Math.round(p.rowsPerSecond()) + " rows/s, ETA "
                                + Progress.eta(p.etaSeconds()));
                    });
                }

                @Override
                public void paused(String reason) {
                    progress.update(() -> new Progress.Status(-1, "Backfilling ... paused: " + reason));
                }
            });
            BackfillProgress p = backfiller.progress(plan);
            progress.done("Backfilling ... " + Progress.bar(100) + " 100% " + p.rowsProcessed() + " rows in "
                    + (System.nanoTime() - started) / 1_000_000 + " ms"
                    + (p.failedRows() > 0 ? ", " + p.failedRows() + " rows failed (see " + settings.trackingSchema()
                    + ".sync_errors)" : ""));
            return new Worker(NAME, State.SUCCEEDED, null, null, RETRY_HINT);
        } catch (EngineException e) {
            progress.done("Backfilling ... stopped");
            return new Worker(NAME, State.FAILED, e.getMessage(), e.reason(), RETRY_HINT);
        }
    }

    @Override
    public Worker verify(MigrationPlan plan, int pass, String retryToken, VerifyTuning tuning, boolean suspend) {
        Verifier verifier = new Verifier(target, settings, tuning);
        long started = System.nanoTime();
        try {
            VerifyState state = verifier.run(plan, pass, retryToken, new Verifier.Listener() {
                @Override
                public void chunk(int entry, long rowsWalked, long mismatches) {
                    progress.update(() -> {
                        VerifyState p = verifier.state(plan);
                        return new Progress.Status(p.percent(), "Verifying pass " + pass + " ... "
                                + Progress.bar(p.percent()) + " " + p.percent() + "% " + p.rowsChecked() + " of ~"
                                + Math.max(p.rowsEstimate(), p.rowsChecked()) + " rows, " + p.mismatches()
                                + " mismatches, ETA " + Progress.eta(p.etaSeconds()));
                    });
                }
            });
            progress.done("Verifying pass " + pass + " ... " + Progress.bar(100) + " " + state.result() + ": "
                    + state.rowsChecked() + " rows, " + state.mismatches() + " mismatches in "
                    + (System.nanoTime() - started) / 1_000_000 + " ms");
            return new Worker(NAME, State.SUCCEEDED, null, null, RETRY_HINT);
        } catch (EngineException e) {
            progress.done("Verifying pass " + pass + " ... stopped");
            return new Worker(NAME, State.FAILED, e.getMessage(), e.reason(), RETRY_HINT);
        }
    }

    /**
     * One progress line: on a terminal redrawn in place ({@code \r}) twice a second; otherwise (a
     * pipe, a file, a CI log, TERM=dumb) a plain line every 5 seconds or every 10 %, whichever
     * comes first; and a final line when the work is done.
     */
    static final class Progress {
        /** What a progress line shows: its percent (-1 when unknown) and its text. */
        record Status(int percent, String text) {
        }

        interface Line {
            Status status() throws EngineException;
        }

        private static final long TERMINAL_EVERY = 500_000_000L;
        private static final long LOG_EVERY = 5_000_000_000L;
        private final PrintWriter out;
        private final boolean terminal;
        private long last;
        private int lastPercent = -1;

        Progress(PrintWriter out, boolean terminal) {
            this.out = out;
            this.terminal = terminal;
        }

        /** Whether this process writes to an interactive terminal that can redraw a line. */
        static boolean onTerminal() {
            return System.console() != null && !"dumb".equals(System.getenv("TERM"));
        }

        boolean terminal() {
            return terminal;
        }

        void update(Line line) {
            long now = System.nanoTime();
            long every = terminal ? TERMINAL_EVERY : LOG_EVERY;
            boolean due = last == 0 || now - last >= every;
            if (!due && terminal) {
                return;
            }
            try {
                Status status = line.status();
                boolean step = status.percent() >= 0 && status.percent() / 10 > lastPercent / 10;
                if (!due && !step) {
                    return;
                }
                last = now;
                lastPercent = Math.max(lastPercent, status.percent());
                if (terminal) {
                    out.print("\r  " + status.text() + "   ");
                } else {
                    out.println("  " + status.text());
                }
                out.flush();
            } catch (EngineException ignored) {
                // a progress line only
            }
        }

        void done(String text) {
            if (terminal) {
                out.print("\r");
            }
            out.println("  " + text + (terminal ? "   " : ""));
            out.flush();
            last = 0;
            lastPercent = -1;
        }

        static String eta(long seconds) {
            return seconds < 0 ? "unknown" : seconds < 60 ? seconds + "s" : seconds / 60 + "m" + seconds % 60 + "s";
        }

        static String bar(int percent) {
            int filled = Math.max(0, Math.min(20, percent / 5));
            return "[" + "#".repeat(filled) + ".".repeat(20 - filled) + "]";
        }
    }
}
