package dev.tandem.plan.lint;

import dev.tandem.plan.lint.Facts.Action;
import dev.tandem.plan.lint.Facts.Op;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** What the statements read so far (in phase order) did to constraints, and what the catalog says. */
final class Known {
    private record Constraint(Stmt at, String table, String detail, boolean notValid) {
    }

    private final Map<String, Constraint> constraints = new HashMap<>();
    private final Set<String> validated = new HashSet<>();
    private final Catalog catalog;

    Known(Catalog catalog) {
        this.catalog = catalog;
    }

    void record(Stmt s) {
        if (s.facts().kind() != Facts.Kind.ALTER_TABLE) {
            return;
        }
        String table = s.facts().table();
        for (Action a : s.facts().actions()) {
            if (a.op() == Op.ADD_CHECK && a.name() != null) {
                constraints.put(key(table, a.name()), new Constraint(s, table, a.detail(), a.notValid()));
                if (!a.notValid()) {
                    validated.add(key(table, a.name()));
                }
            } else if (a.op() == Op.VALIDATE_CONSTRAINT && a.name() != null) {
                validated.add(key(table, a.name()));
            }
        }
    }

    /** The statement of the same field that added this constraint NOT VALID, or null. */
    Stmt addedNotValidIn(String field, String table, String name) {
        Constraint c = constraints.get(key(table, name));
        return c != null && c.notValid && c.at.field().equals(field) ? c.at : null;
    }

    /** Whether a validated CHECK (column IS NOT NULL) exists on the table: from an earlier statement or the catalog. */
    boolean hasValidatedNotNullCheck(String table, String column) {
        Pattern check = Pattern.compile("CHECK\\s*\\(\\s*\\(?\\s*\"?" + Pattern.quote(column.toUpperCase())
                + "\"?\\s+IS\\s+NOT\\s+NULL\\s*\\)?\\s*\\)");
        for (Map.Entry<String, Constraint> e : constraints.entrySet()) {
            if (e.getValue().table.equals(table) && validated.contains(e.getKey())
                    && check.matcher(e.getValue().detail).find()) {
                return true;
            }
        }
        return catalog != null && catalog.hasValidatedNotNullCheck(table, column);
    }

    private static String key(String table, String name) {
        return table + "/" + name;
    }
}
