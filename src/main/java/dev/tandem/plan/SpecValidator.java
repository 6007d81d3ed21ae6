package dev.tandem.plan;

import dev.tandem.api.v1alpha1.BackfillSpec;
import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.SqlSpec;
import dev.tandem.api.v1alpha1.VerifySpec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Static checks of a spec. Each error names the field and what to do. Rules about changes to a
 * spec, and the plan hash a promotion needs, live with the operator (and the CLI), which know
 * the plan and what has been applied.
 */
public final class SpecValidator {
    private static final Pattern TRANSACTION_CONTROL = Pattern.compile(
            "^(BEGIN|START TRANSACTION|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|PREPARE TRANSACTION)\\b.*");

    private SpecValidator() {
    }

    /** Errors that make the spec unusable; empty when it is valid. */
    public static List<String> validate(SchemaMigrationSpec spec, boolean needsSecret) {
        List<String> errors = new ArrayList<>();
        if (spec == null) {
            errors.add("spec: missing; a SchemaMigration needs at least spec.targetPhase and spec.expand.sql");
            return errors;
        }
        if (needsSecret && (spec.getDatabase() == null || spec.getDatabase().getSecretRef() == null
                || blank(spec.getDatabase().getSecretRef().getName()))) {
            errors.add("spec.database.secretRef.name: missing; name the Secret that holds the database connection");
        }
        if (spec.getTargetPhase() == null) {
            errors.add("spec.targetPhase: missing; set one of Expanded, Backfilled, Verified, CutOver, Contracted, RolledBack");
        }
        checkDuration(errors, "spec.lockTimeout", spec.getLockTimeout(), Duration.ofMillis(1), Duration.ofHours(1));
        checkDuration(errors, "spec.statementTimeout", spec.getStatementTimeout(), Duration.ofSeconds(1), Duration.ofHours(24));
        if (spec.getDatabase() != null && spec.getDatabase().getTrackingSchema() != null) {
            String schema = spec.getDatabase().getTrackingSchema();
            if (!schema.matches("[a-z_][a-z0-9_]{0,62}") || schema.startsWith("pg_")
                    || List.of("public", "information_schema").contains(schema)) {
                errors.add("spec.database.trackingSchema: '" + abbreviate(schema) + "' cannot hold Tandem's ledger; give "
                        + "a lower-case name of letters, digits and '_' (at most 63) that is not public, "
                        + "information_schema or pg_*, e.g. tandem");
            }
        }
        boolean hasSync = spec.getSync() != null && !spec.getSync().isEmpty();
        if (!hasSync && (spec.getExpand() == null || blank(spec.getExpand().getSql()))) {
            errors.add("spec.expand.sql: missing; give the SQL that creates the new storage (or sync entries)");
        }
        errors.addAll(SyncCompiler.validate(spec.getSync()));
        if (spec.getBackfill() != null) {
            validateBackfill(errors, spec.getBackfill());
        }
        if (spec.getVerify() != null) {
            validateVerify(errors, spec.getVerify());
        }
        checkSql(errors, "spec.expand.sql", spec.getExpand());
        checkSql(errors, "spec.cutover.sql", spec.getCutover());
        checkSql(errors, "spec.contract.sql", spec.getContract());
        checkSql(errors, "spec.rollback.sql", spec.getRollback());
        checkAtomic(errors, "spec.cutover.sql", spec.getCutover());
        checkAtomic(errors, "spec.contract.sql", spec.getContract());
        checkAtomic(errors, "spec.rollback.sql", spec.getRollback());
        if (spec.getCutover() != null) {
            GateValidator.validate(errors, spec.getCutover().getGates());
        }
        if (spec.getContract() != null) {
            checkDuration(errors, "spec.contract.minWait", spec.getContract().getMinWait(), Duration.ZERO, Duration.ofDays(365));
            checkDuration(errors, "spec.contract.quietFor", spec.getContract().getQuietFor(), Duration.ZERO, Duration.ofDays(365));
        }
        return errors;
    }

    /**
     * Cutover, contract and rollback are all or nothing: a statement that cannot run in a transaction
     * would split the phase, and a later failure would leave half of it committed (after cutover's
     * first part the sync triggers would be gone while the old storage still takes writes).
     */
    private static void checkAtomic(List<String> errors, String field, SqlSpec sql) {
        if (sql == null || sql.getSql() == null) {
            return;
        }
        List<String> statements = SqlScript.split(sql.getSql());
        for (int i = 0; i < statements.size(); i++) {
            if (!StatementClassifier.classify(statements.get(i)).transactional()) {
                errors.add(field + ": statement " + (i + 1) + " ('" + firstWords(statements.get(i)) + "') cannot run in a "
                        + "transaction, and this phase must be all or nothing; build indexes in spec.expand.sql "
                        + "(CREATE INDEX CONCURRENTLY runs there on its own), or use the non-concurrent form here");
            }
        }
    }

    /** Largest batchSize: a batch is one transaction; past a million rows it holds its snapshot too long. */
    public static final int MAX_BATCH_SIZE = 1_000_000;
    /** Most workers of a backfill or a verification pass (pods of its Indexed Job). */
    public static final int MAX_PARALLELISM = 64;
    /** Bounds of verify.chunkSize: below, per-chunk costs dominate; above, a chunk's snapshot lasts too long. */
    public static final int MIN_CHUNK_SIZE = 100;
    public static final int MAX_CHUNK_SIZE = 1_000_000;
    public static final int MAX_RECORDED_MISMATCHES = 100_000;
    /** Largest verify.wholeTableRows: above, one snapshot would last minutes. */
    public static final int MAX_WHOLE_TABLE_ROWS = 1_000_000_000;

    private static void validateBackfill(List<String> errors, BackfillSpec backfill) {
        String size = backfill.getBatchSize();
        if (size != null && !size.equals("auto")) {
            if (!size.matches("[0-9]{1,7}") || Long.parseLong(size) < 1 || Long.parseLong(size) > MAX_BATCH_SIZE) {
                errors.add("spec.backfill.batchSize: '" + abbreviate(size) + "' is not auto or a whole number from 1 to "
                        + MAX_BATCH_SIZE + "; give rows per batch, e.g. 5000, or auto");
            }
        }
        checkRange(errors, "spec.backfill.parallelism", backfill.getParallelism(), 1, MAX_PARALLELISM, "workers (page ranges)");
        checkRange(errors, "spec.backfill.maxRowsPerSecond", backfill.getMaxRowsPerSecond(), 0, 1_000_000_000,
                "rows per second over all workers, 0 for no limit");
        checkDuration(errors, "spec.backfill.targetBatchTime", backfill.getTargetBatchTime(), Duration.ofMillis(10),
                Duration.ofMinutes(10));
        if (backfill.getThrottle() != null) {
            checkDuration(errors, "spec.backfill.throttle.maxReplicationLag", backfill.getThrottle().getMaxReplicationLag(),
                    Duration.ofSeconds(1), Duration.ofHours(24));
            checkDuration(errors, "spec.backfill.throttle.maxTransactionAge", backfill.getThrottle().getMaxTransactionAge(),
                    Duration.ofSeconds(1), Duration.ofDays(7));
        }
    }

    private static void validateVerify(List<String> errors, VerifySpec verify) {
        checkDuration(errors, "spec.verify.reverifyEvery", verify.getReverifyEvery(), Duration.ofSeconds(1),
                Duration.ofDays(30));
        checkRange(errors, "spec.verify.cleanPasses", verify.getCleanPasses(), 1, 100,
                "consecutive clean passes needed");
        checkRange(errors, "spec.verify.chunkSize", verify.getChunkSize(), MIN_CHUNK_SIZE, MAX_CHUNK_SIZE,
                "rows per chunk, e.g. 200000");
        checkRange(errors, "spec.verify.parallelism", verify.getParallelism(), 1, MAX_PARALLELISM,
                "workers comparing chunks at once");
        checkRange(errors, "spec.verify.wholeTableRows", verify.getWholeTableRows(), 0, MAX_WHOLE_TABLE_ROWS,
                "rows per table up to which an entry is first compared whole, 0 for chunk by chunk");
        checkRange(errors, "spec.verify.maxRecordedMismatches", verify.getMaxRecordedMismatches(), 0,
                MAX_RECORDED_MISMATCHES, "mismatches recorded per pass");
        List<String> names = new ArrayList<>();
        List<VerifySpec.VerifyCheck> checks = verify.getChecks() == null ? List.of() : verify.getChecks();
        for (int i = 0; i < checks.size(); i++) {
            VerifySpec.VerifyCheck check = checks.get(i);
            String at = "spec.verify.checks[" + i + "]";
            if (check == null || check.getName() == null || !check.getName().matches("[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?")) {
                errors.add(at + ".name: give a name of lower-case letters, digits and '-' (at most 40)");
            } else if (names.contains(check.getName())) {
                errors.add(at + ".name: '" + check.getName() + "' is used twice; check names must be unique");
            } else {
                names.add(check.getName());
            }
            if (check == null || blank(check.getSql())) {
                errors.add(at + ".sql: missing; give a query that returns one boolean, true when the data is right");
            } else {
                SqlFragment.queryError(check.getSql()).ifPresent(problem -> errors.add(at + ".sql: " + problem
                        + "; a check is one query returning one row with one boolean"));
            }
        }
    }

    static void checkDuration(List<String> errors, String field, String value, Duration min, Duration max) {
        if (value == null) {
            return;
        }
        try {
            Duration d = Durations.parse(value);
            if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
                errors.add(field + ": '" + abbreviate(value) + "' is out of range; give a duration from "
                        + Durations.format(min) + " to " + Durations.format(max));
            }
        } catch (IllegalArgumentException | ArithmeticException e) {
            errors.add(field + ": " + (e instanceof ArithmeticException ? "'" + abbreviate(value) + "' is too long"
                    : e.getMessage()));
        }
    }

    private static void checkRange(List<String> errors, String field, Integer value, long min, long max, String what) {
        if (value != null && (value < min || value > max)) {
            errors.add(field + ": " + value + " is out of range; give " + what + ", from " + min + " to " + max);
        }
    }

    static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    private static void checkSql(List<String> errors, String field, SqlSpec sql) {
        if (sql == null || sql.getSql() == null) {
            return;
        }
        for (String statement : SqlScript.split(sql.getSql())) {
            String s = SqlScript.stripComments(statement).toUpperCase(Locale.ROOT);
            if (TRANSACTION_CONTROL.matcher(s).matches()) {
                errors.add(field + ": remove '" + firstWords(statement)
                        + "'; Tandem runs each phase in its own transaction and records it in the ledger");
            }
        }
    }

    private static String firstWords(String statement) {
        String s = SqlScript.stripComments(statement);
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
