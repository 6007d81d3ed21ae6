package dev.tandem.plan;

import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.SqlSpec;
import dev.tandem.api.v1alpha1.VerifySpec;

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
        checkDuration(errors, "spec.lockTimeout", spec.getLockTimeout());
        checkDuration(errors, "spec.statementTimeout", spec.getStatementTimeout());
        boolean hasSync = spec.getSync() != null && !spec.getSync().isEmpty();
        if (!hasSync && (spec.getExpand() == null || blank(spec.getExpand().getSql()))) {
            errors.add("spec.expand.sql: missing; give the SQL that creates the new storage (or sync entries)");
        }
        errors.addAll(SyncCompiler.validate(spec.getSync()));
        if (spec.getBackfill() != null) {
            checkDuration(errors, "spec.backfill.targetBatchTime", spec.getBackfill().getTargetBatchTime());
            if (spec.getBackfill().getThrottle() != null) {
                checkDuration(errors, "spec.backfill.throttle.maxReplicationLag",
                        spec.getBackfill().getThrottle().getMaxReplicationLag());
                checkDuration(errors, "spec.backfill.throttle.maxTransactionAge",
                        spec.getBackfill().getThrottle().getMaxTransactionAge());
            }
        }
        if (spec.getVerify() != null) {
            validateVerify(errors, spec.getVerify());
        }
        checkSql(errors, "spec.expand.sql", spec.getExpand());
        checkSql(errors, "spec.cutover.sql", spec.getCutover());
        checkSql(errors, "spec.contract.sql", spec.getContract());
        checkSql(errors, "spec.rollback.sql", spec.getRollback());
        return errors;
    }

    private static void validateVerify(List<String> errors, VerifySpec verify) {
        checkDuration(errors, "spec.verify.reverifyEvery", verify.getReverifyEvery());
        if (verify.getCleanPasses() != null && verify.getCleanPasses() < 1) {
            errors.add("spec.verify.cleanPasses: " + verify.getCleanPasses() + " is below 1; give the number of "
                    + "consecutive clean passes needed (1 or more)");
        }
        if (verify.getChunkSize() != null && verify.getChunkSize() < 1) {
            errors.add("spec.verify.chunkSize: " + verify.getChunkSize() + " is below 1; give rows per chunk, e.g. 10000");
        }
        if (verify.getMaxRecordedMismatches() != null && verify.getMaxRecordedMismatches() < 0) {
            errors.add("spec.verify.maxRecordedMismatches: must be 0 or more");
        }
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
            } else if (SqlScript.split(check.getSql()).size() != 1) {
                errors.add(at + ".sql: give exactly one query (found " + SqlScript.split(check.getSql()).size()
                        + " statements)");
            }
        }
    }

    private static void checkDuration(List<String> errors, String field, String value) {
        if (value == null) {
            return;
        }
        try {
            if (Durations.parse(value).isZero()) {
                errors.add(field + ": '" + value + "' is zero; give a positive duration such as 2s");
            }
        } catch (IllegalArgumentException e) {
            errors.add(field + ": " + e.getMessage());
        }
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
