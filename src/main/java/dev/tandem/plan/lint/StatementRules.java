package dev.tandem.plan.lint;

import dev.tandem.plan.lint.Facts.Action;
import dev.tandem.plan.lint.Facts.Op;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** The rules about one statement: what it locks and what it does to the table while it holds the lock. */
final class StatementRules {
    static final String REWRITES = "rewrites";
    static final String SCANS = "scans";
    private static final Pattern VOLATILE = Pattern.compile("\\b(RANDOM|GEN_RANDOM_UUID|UUID_GENERATE_V[1-4][A-Z]*"
            + "|CLOCK_TIMESTAMP|TIMEOFDAY|NEXTVAL|TXID_CURRENT|STATEMENT_TIMESTAMP)\\s*\\(");
    private static final Pattern SERIAL = Pattern.compile("^\\S+\\s+(\"?)(SMALL|BIG)?SERIAL(2|4|8)?\\1\\b");
    private static final Pattern STORED = Pattern.compile("\\bGENERATED\\b.*\\b(STORED|IDENTITY)\\b");
    /** Types an old column may be binary-coercible to (text, a longer varchar): then no rewrite happens. */
    private static final Pattern CHEAP_TYPE = Pattern.compile(
            "^(TEXT|VARCHAR|CHARACTER VARYING)\\s*(\\(\\s*\\d+\\s*\\))?\\s*(COLLATE.*)?$");

    private final Script script;
    private final Known known;
    private final List<Finding> out = new ArrayList<>();

    private StatementRules(Script script, Known known) {
        this.script = script;
        this.known = known;
    }

    static List<Finding> check(Script script, Known known) {
        StatementRules rules = new StatementRules(script, known);
        for (Stmt s : script.statements()) {
            rules.statement(s);
            known.record(s);
        }
        return rules.out;
    }

    private void statement(Stmt s) {
        Facts f = s.facts();
        boolean existing = !script.isNew(f.table(), s);
        switch (f.kind()) {
            case ALTER_TABLE -> {
                if (existing) {
                    for (Action a : f.actions()) {
                        action(s, a);
                    }
                }
                dropCascade(s);
            }
            case CREATE_INDEX -> {
                if (existing && !f.concurrently()) {
                    add(Severity.WARNING, Rules.INDEX_NOT_CONCURRENT, s, SCANS, "builds an index on " + f.table()
                            + " while writes to it wait", concurrentIndexFix());
                }
            }
            case UPDATE, DELETE, INSERT_SELECT -> dml(s);
            case TRUNCATE -> truncate(s);
            case DROP_TABLE, DROP_SEQUENCE, DROP_VIEW, DROP_OTHER -> dropCascade(s);
            default -> {
                // CREATE TABLE, CREATE FUNCTION, COMMENT …: no rule applies
            }
        }
    }

    private void action(Stmt s, Action a) {
        String table = s.facts().table();
        String column = a.column() == null ? table : table + "." + a.column();
        switch (a.op()) {
            case ALTER_TYPE -> {
                String type = a.detail().replaceFirst("^ALTER\\s+(COLUMN\\s+)?\\S+\\s+(SET\\s+DATA\\s+)?TYPE\\s+", "");
                boolean maybe = CHEAP_TYPE.matcher(type).matches();
                add(maybe ? Severity.WARNING : Severity.ERROR, Rules.TABLE_REWRITE, s, REWRITES, "changes the type of "
                        + column + (maybe ? ": rewrites the table and its indexes unless the old type is binary-"
                        + "coercible to " + type.toLowerCase(java.util.Locale.ROOT) + " (text, or a shorter varchar)"
                        : ": rewrites the table and rebuilds its indexes")
                        + ", while reads and writes wait", "add a column of the new type, derive it with an in-place sync "
                        + "entry (the backfill fills it in batches), switch the application at cutover, drop the old "
                        + "column in contract");
            }
            case ADD_COLUMN -> addColumn(s, a, column);
            case ADD_CHECK -> {
                if (!a.notValid()) {
                    add(Severity.WARNING, Rules.CHECK_NOT_VALID, s, SCANS, "adds a CHECK constraint to " + table
                            + ": every row is checked while reads and writes wait", notValidFix("CHECK (…)"));
                }
            }
            case ADD_FOREIGN_KEY -> {
                if (!a.notValid()) {
                    add(Severity.WARNING, Rules.FOREIGN_KEY_NOT_VALID, s, SCANS, "adds a foreign key to " + table
                            + ": every row is checked while " + waiters(s, "both tables"), notValidFix("FOREIGN KEY (…) REFERENCES …"));
                }
            }
            case ADD_UNIQUE -> {
                if (!a.detail().contains("USING INDEX")) {
                    add(Severity.WARNING, Rules.INDEX_NOT_CONCURRENT, s, SCANS, "builds the index of a UNIQUE or PRIMARY "
                            + "KEY constraint on " + table + " while reads and writes wait", "CREATE UNIQUE INDEX "
                            + "CONCURRENTLY in expand, then ADD CONSTRAINT … UNIQUE USING INDEX (or PRIMARY KEY USING INDEX)");
                }
            }
            case VALIDATE_CONSTRAINT -> {
                Stmt added = known.addedNotValidIn(script.field(), table, a.name());
                if (added != null) {
                    add(Severity.WARNING, Rules.VALIDATE_SAME_TRANSACTION, s, SCANS, "validates " + a.name() + " in the "
                            + "transaction that added it (statement " + added.number() + "), which still holds ACCESS "
                            + "EXCLUSIVE on " + table + ": the check scans every row while reads and writes wait",
                            "VALIDATE CONSTRAINT in a later phase (e.g. cutover): on its own it takes SHARE UPDATE EXCLUSIVE");
                }
            }
            case SET_NOT_NULL -> {
                if (!known.hasValidatedNotNullCheck(table, a.column())) {
                    add(Severity.WARNING, Rules.SET_NOT_NULL, s, SCANS, "sets " + column + " NOT NULL: every row is "
                            + "checked while reads and writes wait", "ADD CONSTRAINT … CHECK (" + a.column() + " IS NOT "
                            + "NULL) NOT VALID in expand, VALIDATE CONSTRAINT in a later phase, then SET NOT NULL (it "
                            + "uses the validated check and scans nothing)");
                }
            }
            default -> {
                // DROP/SET DEFAULT, DROP NOT NULL, RENAME …: catalog-only changes
            }
        }
    }

    private void addColumn(Stmt s, Action a, String column) {
        String d = a.detail();
        String definition = d.replaceFirst("^ADD\\s+(COLUMN\\s+)?(IF\\s+NOT\\s+EXISTS\\s+)?", "");
        boolean volatileDefault = d.contains("DEFAULT") && VOLATILE.matcher(d.substring(d.indexOf("DEFAULT"))).find();
        if (volatileDefault || SERIAL.matcher(definition).find() || STORED.matcher(d).find()) {
            add(Severity.ERROR, Rules.TABLE_REWRITE, s, REWRITES, "adds " + column + " with a value computed per row ("
                    + (volatileDefault ? "a volatile default" : STORED.matcher(d).find() ? "generated" : "serial")
                    + "): rewrites the table and its indexes while reads and writes wait", "add the column without a "
                    + "default (or with a constant one), ALTER COLUMN … SET DEFAULT afterwards for new rows, and fill "
                    + "the existing rows with an in-place sync entry (the backfill updates them in batches)");
        }
        if (d.contains(" REFERENCES ")) {
            add(Severity.WARNING, Rules.FOREIGN_KEY_NOT_VALID, s, SCANS, "adds " + column + " with a foreign key: "
                    + "every row is checked while " + waiters(s, "both tables"), "ADD COLUMN without REFERENCES, then ADD "
                    + "CONSTRAINT … FOREIGN KEY (" + a.column() + ") REFERENCES … NOT VALID; VALIDATE CONSTRAINT in a "
                    + "later phase");
        }
    }

    private void dml(Stmt s) {
        Facts f = s.facts();
        if (script.isRollback() && script.isNew(f.table(), s)) {
            return;
        }
        String read = null;
        if (f.kind() == Facts.Kind.INSERT_SELECT) {
            read = f.reads().stream().filter(t -> !script.isNew(t, s)).findFirst().orElse(null);
            if (read == null) {
                return;
            }
        } else if (f.where() || script.isNew(f.table(), s)) {
            return;
        }
        String held = script.heldBefore(s);
        String what = f.kind() == Facts.Kind.INSERT_SELECT ? "copies every row of " + read + " into " + f.table()
                : (f.kind() == Facts.Kind.UPDATE ? "updates" : "deletes") + " every row of " + f.table();
        out.add(Finding.of(Severity.WARNING, Rules.FULL_TABLE_DML, s, read != null ? read : f.table(), SCANS, what + " in one transaction" + (held == null
                ? ": its row locks are held, and the rows it writes wait to be vacuumed, until the phase commits"
                : " that holds " + held + ": writes to that table wait until the whole copy commits"),
                "let a sync entry (spec.sync) do it: its backfill works in short batches, each its own transaction, "
                        + "and its triggers keep the rows current meanwhile"));
    }

    private void truncate(Stmt s) {
        List<String> existing = s.facts().tables().stream().filter(t -> !script.isNew(t, s)).toList();
        if (existing.isEmpty()) {
            return;
        }
        add(script.isRollback() ? Severity.WARNING : Severity.ERROR, Rules.TRUNCATE, s, null, "empties "
                + String.join(", ", existing) + " at once, under ACCESS EXCLUSIVE: every row is gone, and nothing "
                + "Tandem verifies can bring it back", "remove the rows you mean with DELETE … WHERE, or drop the old "
                + "table in contract once nothing reads it");
        dropCascade(s);
    }

    private void dropCascade(Stmt s) {
        if (s.facts().cascade()) {
            add(Severity.WARNING, Rules.DROP_CASCADE, s, null, "CASCADE also drops (or empties) every object that "
                    + "depends on what it names, without listing them: views, foreign keys, defaults",
                    "drop the dependent objects by name first, then drop without CASCADE, so an unexpected dependency "
                            + "fails the step instead of vanishing");
        }
    }

    /** Who waits for the statement's lock: "reads and writes of t wait" (ACCESS EXCLUSIVE) or "writes to t wait". */
    private static String waiters(Stmt s, String what) {
        return s.lock() == dev.tandem.plan.LockLevel.ACCESS_EXCLUSIVE ? "reads and writes wait (and writes to the "
                + "referenced table)" : "writes to " + what + " wait";
    }

    private static String notValidFix(String constraint) {
        return "ADD CONSTRAINT … " + constraint + " NOT VALID (checks new writes only, no scan), then ALTER TABLE … "
                + "VALIDATE CONSTRAINT … in a later phase (SHARE UPDATE EXCLUSIVE: reads and writes go on)";
    }

    private String concurrentIndexFix() {
        return script.field().equals(Linter.EXPAND) || script.isRollback()
                ? "CREATE INDEX CONCURRENTLY (Tandem runs it outside the transaction, idempotently)"
                : "build it with CREATE INDEX CONCURRENTLY in expand: cutover and contract must stay one transaction";
    }

    private void add(Severity severity, String rule, Stmt s, String underLock, String message, String fix) {
        out.add(Finding.of(severity, rule, s, s.facts().table(), underLock, message, fix));
    }
}
