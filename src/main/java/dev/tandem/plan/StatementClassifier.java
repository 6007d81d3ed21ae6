package dev.tandem.plan;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Estimates the strongest table lock a statement takes and whether it may run inside a
 * transaction. The estimate is shown in the plan for reviewers; it errs on the strong side.
 */
public final class StatementClassifier {
    private static final Pattern CONCURRENTLY = Pattern.compile(
            "^(CREATE (UNIQUE )?INDEX CONCURRENTLY|DROP INDEX CONCURRENTLY|REINDEX .*CONCURRENTLY|VACUUM|"
                    + "CREATE DATABASE|DROP DATABASE|ALTER SYSTEM|CLUSTER$).*");

    private StatementClassifier() {
    }

    private static final Pattern CREATE_INDEX_CONCURRENTLY = Pattern.compile(
            "^\\s*CREATE\\s+(UNIQUE\\s+)?INDEX\\s+CONCURRENTLY\\s+(IF\\s+NOT\\s+EXISTS\\s+)?"
                    + "((?:\"(?:[^\"]|\"\")+\"|[A-Za-z_][A-Za-z0-9_$]*)(?:\\.(?:\"(?:[^\"]|\"\")+\"|[A-Za-z_][A-Za-z0-9_$]*))?)\\s+ON\\b",
            Pattern.CASE_INSENSITIVE);

    /**
     * @param concurrentIndex the index a CREATE INDEX CONCURRENTLY builds, or null
     */
    public record Classification(LockLevel lock, boolean transactional, String concurrentIndex) {
    }

    public static Classification classify(String statement) {
        String s = SqlScript.stripComments(statement).toUpperCase(Locale.ROOT);
        boolean transactional = !CONCURRENTLY.matcher(s).matches();
        java.util.regex.Matcher m = CREATE_INDEX_CONCURRENTLY.matcher(SqlScript.stripComments(statement));
        return new Classification(lockOf(s), transactional, m.find() ? m.group(3) : null);
    }

    private static LockLevel lockOf(String s) {
        if (s.startsWith("CREATE TABLE") || s.startsWith("CREATE UNLOGGED TABLE")) {
            return s.contains(" REFERENCES ") || s.contains(" LIKE ") || s.contains(" PARTITION OF ")
                    ? LockLevel.SHARE_ROW_EXCLUSIVE : LockLevel.NONE;
        }
        if (s.matches("^CREATE (UNIQUE )?INDEX CONCURRENTLY.*") || s.startsWith("DROP INDEX CONCURRENTLY")
                || s.startsWith("REINDEX") && s.contains("CONCURRENTLY")) {
            return LockLevel.SHARE_UPDATE_EXCLUSIVE;
        }
        if (s.matches("^CREATE (UNIQUE )?INDEX.*")) {
            return LockLevel.SHARE;
        }
        if (s.startsWith("CREATE TRIGGER") || s.startsWith("CREATE OR REPLACE TRIGGER")
                || s.startsWith("CREATE CONSTRAINT TRIGGER")) {
            return LockLevel.SHARE_ROW_EXCLUSIVE;
        }
        if (s.startsWith("ALTER TABLE")) {
            return alterTableLock(s);
        }
        if (s.startsWith("DROP TABLE") || s.startsWith("DROP INDEX") || s.startsWith("DROP TRIGGER")
                || s.startsWith("TRUNCATE") || s.startsWith("DROP VIEW") || s.startsWith("DROP MATERIALIZED VIEW")
                || s.startsWith("ALTER INDEX") || s.startsWith("ALTER SEQUENCE") || s.startsWith("CLUSTER")
                || s.startsWith("REFRESH MATERIALIZED VIEW") || s.startsWith("LOCK")) {
            if (s.startsWith("REFRESH MATERIALIZED VIEW CONCURRENTLY")) {
                return LockLevel.EXCLUSIVE;
            }
            return LockLevel.ACCESS_EXCLUSIVE;
        }
        if (s.startsWith("INSERT") || s.startsWith("UPDATE") || s.startsWith("DELETE") || s.startsWith("MERGE")
                || s.startsWith("WITH") && (s.contains(" INSERT ") || s.contains(" UPDATE ") || s.contains(" DELETE "))) {
            return LockLevel.ROW_EXCLUSIVE;
        }
        if (s.startsWith("SELECT") || s.startsWith("WITH") || s.startsWith("ANALYZE") || s.startsWith("COPY")) {
            return s.contains(" FOR UPDATE") || s.contains(" FOR SHARE") ? LockLevel.ROW_SHARE : LockLevel.ACCESS_SHARE;
        }
        if (s.startsWith("VACUUM")) {
            return s.contains("FULL") ? LockLevel.ACCESS_EXCLUSIVE : LockLevel.SHARE_UPDATE_EXCLUSIVE;
        }
        if (s.startsWith("COMMENT ON TABLE") || s.startsWith("COMMENT ON COLUMN")) {
            return LockLevel.SHARE_UPDATE_EXCLUSIVE;
        }
        // CREATE FUNCTION / SCHEMA / TYPE / SEQUENCE / VIEW, GRANT, SET, ...: no lock on existing tables.
        return LockLevel.NONE;
    }

    private static LockLevel alterTableLock(String s) {
        String rest = s.replaceFirst("^ALTER TABLE (IF EXISTS )?(ONLY )?", "");
        if (rest.contains(" VALIDATE CONSTRAINT") || rest.contains(" SET STATISTICS")
                || rest.contains(" CLUSTER ON") || rest.contains(" SET WITHOUT CLUSTER")
                || rest.matches(".* SET \\((AUTOVACUUM|FILLFACTOR|TOAST).*")) {
            return onlyMatches(rest, " VALIDATE CONSTRAINT| SET STATISTICS| CLUSTER ON| SET WITHOUT CLUSTER| SET \\(")
                    ? LockLevel.SHARE_UPDATE_EXCLUSIVE : LockLevel.ACCESS_EXCLUSIVE;
        }
        if (rest.contains(" ADD CONSTRAINT") && rest.contains(" FOREIGN KEY") && !rest.contains(",")) {
            return LockLevel.SHARE_ROW_EXCLUSIVE;
        }
        if (rest.matches(".* (ENABLE|DISABLE) (ALWAYS |REPLICA )?TRIGGER.*")) {
            return LockLevel.SHARE_ROW_EXCLUSIVE;
        }
        return LockLevel.ACCESS_EXCLUSIVE;
    }

    private static boolean onlyMatches(String rest, String regex) {
        return !rest.contains(",") && Pattern.compile(regex).matcher(rest).find();
    }
}
