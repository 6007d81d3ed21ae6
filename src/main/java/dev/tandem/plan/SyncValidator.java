package dev.tandem.plan;

import dev.tandem.api.v1alpha1.SyncSpec;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The static checks of spec.sync: each error names its field and what to do. */
final class SyncValidator {
    private static final String NAME_PATTERN = "[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?";
    /** Table names that PL/pgSQL trigger functions cannot tell from their row variables. */
    private static final Set<String> RESERVED_TABLES = Set.of("new", "old");

    private SyncValidator() {
    }

    static List<String> validate(List<SyncSpec> entries) {
        List<String> errors = new ArrayList<>();
        if (entries == null) {
            return errors;
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            entry(errors, names, "spec.sync[" + i + "]", entries.get(i));
        }
        if (errors.isEmpty()) {
            errors.addAll(SyncCompiler.sharedTargetErrors(entries));
            errors.addAll(SyncCompiler.orderErrors(entries));
            errors.addAll(Lookups.writtenLookupErrors(entries));
        }
        return errors;
    }

    private static void entry(List<String> errors, List<String> names, String at, SyncSpec e) {
        if (e == null) {
            errors.add(at + ": empty entry; give name, from, to and columns");
            return;
        }
        if (e.getName() == null || !e.getName().matches(NAME_PATTERN)) {
            errors.add(at + ".name: give a name of lower-case letters, digits and '-' (at most 40)");
        } else if (names.contains(e.getName())) {
            errors.add(at + ".name: '" + e.getName() + "' is used twice; entry names must be unique");
        }
        names.add(e.getName());
        if (e.getFrom() == null || blank(e.getFrom().getTable())) {
            errors.add(at + ".from.table: missing; name the old table");
            return;
        }
        if (e.getTo() == null || blank(e.getTo().getTable())) {
            errors.add(at + ".to.table: missing; name the new table (the same table for an in-place derivation)");
            return;
        }
        if (!tables(errors, at, e)) {
            return;
        }
        key(errors, at + ".from.key", e.getFrom().getKey(), e.getFrom().getTable());
        fragment(errors, at + ".from.where", e.getFrom().getWhere());
        fragment(errors, at + ".to.where", e.getTo().getWhere());
        if (e.getColumns() == null || e.getColumns().isEmpty()) {
            errors.add(at + ".columns: missing; map each new column to an SQL expression over the old row");
            return;
        }
        e.getColumns().forEach((col, expr) -> {
            if (blank(col)) {
                errors.add(at + ".columns: a column name is empty");
            } else {
                fragment(errors, at + ".columns." + col, expr);
            }
        });
        if (e.getReverse() != null) {
            e.getReverse().forEach((col, expr) -> fragment(errors, at + ".reverse." + col, expr));
        }
        Lookups.validate(errors, at, e);
        if (SyncCompiler.sameTable(e)) {
            inPlace(errors, at, e);
        } else {
            crossTable(errors, at, e);
        }
    }

    private static boolean tables(List<String> errors, String at, SyncSpec e) {
        boolean ok = true;
        for (String field : new String[]{"from", "to"}) {
            String table = field.equals("from") ? e.getFrom().getTable() : e.getTo().getTable();
            try {
                Ident.qualified(table);
                if (RESERVED_TABLES.contains(Ident.last(table).toLowerCase(Locale.ROOT))) {
                    errors.add(at + "." + field + ".table: a table named '" + Ident.last(table) + "' cannot be synced: "
                            + "trigger functions name their rows NEW and OLD; rename the table first");
                }
            } catch (IllegalArgumentException ex) {
                errors.add(at + "." + field + ".table: " + ex.getMessage());
                ok = false;
            }
        }
        return ok;
    }

    private static void inPlace(List<String> errors, String at, SyncSpec e) {
        if (e.getReverse() != null && !e.getReverse().isEmpty()) {
            errors.add(at + ".reverse: an in-place derivation has no reverse; remove it");
        }
        if (e.getTo().getWhere() != null && !e.getTo().getWhere().isBlank()) {
            errors.add(at + ".to.where: an in-place derivation owns its columns of every row; remove it "
                    + "(from.where says which rows get a value)");
        }
        for (String col : e.getColumns().keySet()) {
            if (e.getFrom().getKey() != null && e.getFrom().getKey().contains(col)) {
                errors.add(at + ".columns." + col + ": an in-place derivation cannot write its key column");
            }
        }
    }

    private static void crossTable(List<String> errors, String at, SyncSpec e) {
        if (e.getAppTriggers() == SyncSpec.AppTriggers.Skip) {
            errors.add(at + ".appTriggers: applies to in-place entries only (their backfill updates the source "
                    + "table); remove it");
        }
        List<String> key = e.getTo().getKey();
        if (key == null || key.isEmpty()) {
            errors.add(at + ".to.key: missing; list the columns of a unique key of " + e.getTo().getTable());
        } else {
            key(errors, at + ".to.key", key, e.getTo().getTable());
            for (String k : key) {
                if (k != null && !e.getColumns().containsKey(k)) {
                    errors.add(at + ".columns: to.key column '" + k + "' has no expression; add " + k + ": <expression>");
                }
            }
        }
        if (e.getReverse() != null && !e.getReverse().isEmpty() && key != null && e.getFrom().getKey() != null) {
            for (String k : e.getFrom().getKey()) {
                if (key.stream().noneMatch(tk -> SyncCompiler.plain(e, e.getColumns().get(tk), k))) {
                    errors.add(at + ".reverse: from.key column '" + k + "' must be mapped as a plain column to a "
                            + "to.key column (e.g. user_id: " + k + ") so new rows find their old row");
                }
            }
        }
    }

    private static void key(List<String> errors, String field, List<String> key, String table) {
        if (key == null || key.isEmpty()) {
            errors.add(field + ": missing; list the columns of a unique key of " + table);
            return;
        }
        Set<String> seen = new HashSet<>();
        for (String k : key) {
            if (blank(k)) {
                errors.add(field + ": a column name is empty");
            } else if (!seen.add(k)) {
                errors.add(field + ": column '" + k + "' is listed twice");
            }
        }
    }

    private static void fragment(List<String> errors, String field, String text) {
        if (text == null) {
            return;
        }
        SqlFragment.expressionError(text).ifPresent(problem -> errors.add(field + ": " + problem));
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
