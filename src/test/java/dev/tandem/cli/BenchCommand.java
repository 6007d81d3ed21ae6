package dev.tandem.cli;

import dev.tandem.api.v1alpha1.DatabaseSpec;
import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.SqlSpec;
import dev.tandem.api.v1alpha1.SyncSource;
import dev.tandem.api.v1alpha1.SyncSpec;
import dev.tandem.api.v1alpha1.SyncTarget;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.EngineSettings;
import dev.tandem.engine.MigrationEngine;
import dev.tandem.engine.Redaction;
import dev.tandem.engine.StepListener;
import dev.tandem.plan.CompiledSync;
import dev.tandem.plan.Ident;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.api.v1alpha1.Step;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Measures, in one run, what Tandem costs against doing the same by hand: the backfill against a
 * single INSERT ... SELECT ({@link CopyBench}), verification passes against that backfill and against
 * hashing both sides once ({@link VerifyBench}), and the generated sync trigger against a minimal
 * hand-written one under a concurrent single-row UPDATE workload ({@link WriteBench}).
 *
 * <p>Not part of the shipped binary: it lives with the test classes and runs from them with
 * {@code ./bench} (which builds first, then calls {@link #main} on the build's class path).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmark the backfill against a single INSERT ... SELECT, verification against the backfill "
                + "and against hashing both sides once, and the generated sync trigger "
                + "against no trigger and a minimal hand-written one, under concurrent single-row updates.",
                "Without --database an embedded PostgreSQL is started. With --database, the benchmark's own tables "
                        + "(bench_users, bench_pii_*, bench_w_*, in the first schema of the search path) and the "
                        + "schema " + BenchCommand.TRACKING_SCHEMA + " are dropped before and after the run."})
public class BenchCommand implements Callable<Integer> {
    static final String TRACKING_SCHEMA = "tandem_bench";
    private static final String NAMESPACE = "tandem-bench";
    static final String WHERE = "full_name IS NOT NULL";
    static final long WARMUP_MILLIS = 2_000;
    static final int NULL_EVERY = 10;

    static final String USERS = "bench_users";
    static final String PII_SINGLE_1 = "bench_pii_a";
    static final String PII_SINGLE_2 = "bench_pii_a2";
    static final String PII_BACKFILL = "bench_pii_b";
    private static final String PII_PARALLEL = "bench_pii_c";
    static final String W_NONE = "bench_w_none";
    static final String W_HAND = "bench_w_hand";
    static final String W_HAND_PII = "bench_w_hand_pii";
    static final String W_HAND_FUNCTION = "bench_w_hand_sync";
    static final String W_GEN = "bench_w_gen";
    static final String W_GEN_PII = "bench_w_gen_pii";
    static final String W_FAIL = "bench_w_fail";
    static final String W_FAIL_PII = "bench_w_fail_pii";
    /** The sync targets' column types. */
    static final Map<String, String> PII_TYPES = Map.of("user_id", "bigint", "full_name", "text");
    private static final List<String> TABLES = List.of(PII_SINGLE_1, PII_SINGLE_2, PII_BACKFILL, PII_PARALLEL, USERS,
            W_NONE, W_HAND_PII, W_HAND, W_GEN_PII, W_GEN, W_FAIL_PII, W_FAIL);

    @Spec
    CommandSpec spec;

    @Option(names = "--rows", defaultValue = "2000000", description = "Rows of the copied table (default: ${DEFAULT-VALUE}).")
    long rows;

    @Option(names = "--database", description = "JDBC URL, e.g. jdbc:postgresql://localhost:5432/bench (default: an "
            + "embedded PostgreSQL). The password comes from the environment (PGPASSWORD), never from the command line.")
    String database;

    @Option(names = "--user", description = "Database user (default: PGUSER, or the one in the URL).")
    String user;

    @Option(names = "--seconds", defaultValue = "10", description = "Measured seconds of each write run, after a "
            + "2 s warm-up (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--writers", defaultValue = "4", description = "Concurrent writer connections (default: ${DEFAULT-VALUE}).")
    int writers;

    @Option(names = "--parts", split = ",", defaultValue = "copy,verify,writes", description = "Which parts to run, "
            + "comma-separated: copy, verify, writes; copy is always needed (default: ${DEFAULT-VALUE}).")
    List<String> parts;

    private PrintWriter out;
    private DatabaseTarget db;
    private EngineSettings settings;

    /** Runs the benchmark outside Quarkus: plain picocli over the engine's public API. */
    public static void main(String... args) {
        CommandLine cli = new CommandLine(new BenchCommand());
        cli.setExecutionExceptionHandler((e, command, parsed) -> {
            command.getErr().println("error: " + Redaction.scrub(String.valueOf(e.getMessage())));
            return 1;
        });
        System.exit(cli.execute(args));
    }

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (rows < 1 || seconds < 1 || writers < 1) {
            err.println("error: --rows, --seconds and --writers must be at least 1");
            return 2;
        }
        if (!parts.contains("copy") || !List.of("copy", "verify", "writes").containsAll(parts)) {
            err.println("error: --parts: give copy, optionally with verify and writes (both read the table copy fills), "
                    + "e.g. --parts copy,verify");
            return 2;
        }
        EmbeddedDatabase embedded = null;
        try {
            if (database != null) {
                try {
                    db = DatabaseTarget.of(database, user != null ? user : System.getenv("PGUSER"),
                            System.getenv("PGPASSWORD"));
                } catch (IllegalArgumentException e) {
                    err.println("error: --database: " + e.getMessage());
                    return 2;
                }
            } else {
                out.println("Starting an embedded PostgreSQL (no --database given) ...");
                out.flush();
                embedded = EmbeddedDatabase.start();
                db = embedded.target();
            }
            settings = EngineSettings.defaults("bench").withTrackingSchema(TRACKING_SCHEMA);
            List<MigrationPlan> plans = plans();
            try {
                header(embedded != null);
                dropAll(plans);
                runParts(plans);
            } finally {
                if (embedded == null) {
                    cleanUp(plans, err);
                }
            }
            return 0;
        } catch (EngineException e) {
            err.println("error: " + e.reason() + ": " + db.redact(e.getMessage()));
            return 1;
        } catch (SQLException e) {
            err.println("error: " + (db == null ? e.getMessage() : db.redact(e.getMessage())));
            return 1;
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    /** Copy, then verification of the 1-worker backfill's target, then writes, as asked for. */
    private void runParts(List<MigrationPlan> plans) throws SQLException, EngineException, InterruptedException {
        long backfillNanos = new CopyBench(db, settings, out, rows).run(plans.get(0), plans.get(1));
        if (parts.contains("verify")) {
            new MigrationEngine(db, settings).apply(plans.get(0), Step.BACKFILL, "bench", StepListener.NONE);
            new VerifyBench(db, settings, out, plans.get(0), backfillNanos).run();
        }
        if (parts.contains("writes")) {
            new WriteBench(db, settings, out, rows, writers, seconds).run(plans.get(2), plans.get(3));
        }
    }

    // ---------------------------------------------------------------- setup

    private List<MigrationPlan> plans() {
        String pii = "(user_id bigint PRIMARY KEY, full_name text NOT NULL)";
        return List.of(
                plan("bench-backfill", "CREATE TABLE " + Ident.quote(PII_BACKFILL) + " " + pii, USERS, PII_BACKFILL),
                plan("bench-backfill-parallel", "CREATE TABLE " + Ident.quote(PII_PARALLEL) + " " + pii, USERS,
                        PII_PARALLEL),
                // The write benchmark's target table is created and filled beforehand, like the hand-written one's.
                plan("bench-writes", null, W_GEN, W_GEN_PII),
                plan("bench-writes-fail", null, W_FAIL, W_FAIL_PII, SyncSpec.OnError.Fail));
    }

    private static MigrationPlan plan(String name, String expandSql, String from, String to) {
        return plan(name, expandSql, from, to, SyncSpec.OnError.Record);
    }

    private static MigrationPlan plan(String name, String expandSql, String from, String to, SyncSpec.OnError onError) {
        SyncSpec entry = new SyncSpec();
        entry.setName("full-name");
        SyncSource source = new SyncSource();
        source.setTable(from);
        source.setKey(List.of("id"));
        source.setWhere(WHERE);
        entry.setFrom(source);
        SyncTarget target = new SyncTarget();
        target.setTable(to);
        target.setKey(List.of("user_id"));
        entry.setTo(target);
        Map<String, String> columns = new LinkedHashMap<>();
        columns.put("user_id", "id");
        columns.put("full_name", "full_name");
        entry.setColumns(columns);
        entry.setOnError(onError);
        SchemaMigrationSpec spec = new SchemaMigrationSpec();
        DatabaseSpec database = new DatabaseSpec();
        database.setTrackingSchema(TRACKING_SCHEMA);
        spec.setDatabase(database);
        if (expandSql != null) {
            spec.setExpand(new SqlSpec(expandSql));
        }
        spec.setSync(List.of(entry));
        return Planner.plan(NAMESPACE, name, spec);
    }

    private void header(boolean embedded) throws SQLException {
        Runtime rt = Runtime.getRuntime();
        String physical = "?";
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            physical = gib(os.getTotalMemorySize());
        }
        out.println();
        out.println("Tandem benchmark");
        out.printf(Locale.ROOT, "  machine     %d cores, %s RAM, JVM max heap %s%n", rt.availableProcessors(), physical,
                gib(rt.maxMemory()));
        out.printf(Locale.ROOT, "  JVM         %s (%s %s)%n", System.getProperty("java.version"),
                System.getProperty("java.vm.name"), System.getProperty("java.vm.version"));
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_setting('server_version'), current_setting('shared_buffers'), "
                     + "current_setting('synchronous_commit'), current_setting('fsync'), current_setting('max_wal_size')")) {
            rs.next();
            out.printf(Locale.ROOT, "  PostgreSQL  %s (%s), shared_buffers=%s, synchronous_commit=%s, fsync=%s, "
                            + "max_wal_size=%s%n", rs.getString(1), embedded ? "embedded" : db.server(), rs.getString(2),
                    rs.getString(3), rs.getString(4), rs.getString(5));
        }
        out.printf(Locale.ROOT, "  parameters  --rows %,d (every %dth full_name NULL), --writers %d, --seconds %d%n",
                rows, NULL_EVERY, writers, seconds);
        out.flush();
    }

    private void dropAll(List<MigrationPlan> plans) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            for (String t : TABLES) {
                s.execute("DROP TABLE IF EXISTS " + Ident.quote(t) + " CASCADE");
            }
            s.execute("DROP FUNCTION IF EXISTS " + Ident.quote(W_HAND_FUNCTION) + "()");
            for (MigrationPlan p : plans) {
                for (CompiledSync entry : p.sync()) {
                    s.execute("DROP FUNCTION IF EXISTS " + entry.qualifiedFunction() + "()");
                }
            }
            s.execute("DROP SCHEMA IF EXISTS " + Ident.quote(TRACKING_SCHEMA) + " CASCADE");
        }
    }

    private void cleanUp(List<MigrationPlan> plans, PrintWriter err) {
        try {
            dropAll(plans);
        } catch (SQLException e) {
            err.println("warning: could not drop the benchmark's tables: " + db.redact(e.getMessage()));
        }
    }

    // ---------------------------------------------------------------- helpers

    private Connection connect() throws SQLException {
        return db.connect("tandem-bench");
    }

    /** A CHECKPOINT before a timed run (skipped without the privilege). */
    static void checkpoint(DatabaseTarget db) throws SQLException {
        try (Connection c = db.connect("tandem-bench"); Statement s = c.createStatement()) {
            s.execute("CHECKPOINT");
        } catch (SQLException e) {
            if (!"42501".equals(e.getSQLState())) { // CHECKPOINT needs superuser or pg_checkpoint
                throw e;
            }
        }
    }

    static long count(DatabaseTarget db, String table) throws SQLException {
        try (Connection c = db.connect("tandem-bench"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + Ident.quote(table))) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
    }

    static void rethrow(Exception e) throws SQLException, EngineException {
        if (e == null) {
            return;
        }
        if (e instanceof EngineException ee) {
            throw ee;
        }
        if (e instanceof SQLException se) {
            throw se;
        }
        throw new IllegalStateException(e);
    }
}
