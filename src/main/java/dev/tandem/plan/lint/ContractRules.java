package dev.tandem.plan.lint;

import dev.tandem.plan.lint.Facts.Action;
import dev.tandem.plan.lint.Facts.Op;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Contract SQL that drops what the new storage still depends on, from the catalog: views on a
 * dropped table, foreign keys to it, and the sequences it owns that another table's default uses
 * (in the catalog, or in the expand and cutover SQL that will create it).
 */
final class ContractRules {
    private static final Pattern NEXTVAL = Pattern.compile("(?i)nextval\\s*\\(\\s*'([^']+)'");

    private ContractRules() {
    }

    static List<Finding> check(Map<String, Script> scripts, Catalog catalog) {
        List<Finding> out = new ArrayList<>();
        if (catalog == null) {
            return out;
        }
        Map<String, String> before = renamedInCutover(scripts.get(Linter.CUTOVER));
        Set<String> dropped = new HashSet<>();
        for (Stmt s : scripts.get(Linter.CONTRACT).statements()) {
            if (s.facts().kind() == Facts.Kind.DROP_TABLE || s.facts().kind() == Facts.Kind.DROP_VIEW) {
                s.facts().tables().forEach(t -> dropped.add(before.getOrDefault(t, t)));
            }
        }
        for (Stmt s : scripts.get(Linter.CONTRACT).statements()) {
            if (s.facts().kind() != Facts.Kind.DROP_TABLE) {
                continue;
            }
            for (String written : s.facts().tables()) {
                String table = before.getOrDefault(written, written);
                for (Catalog.Dependent d : catalog.dependents(table)) {
                    if (!dropped.contains(d.user()) && !undone(scripts, d)) {
                        out.add(finding(s, written, d));
                    }
                }
                for (String sequence : catalog.ownedSequences(table)) {
                    if (undone(scripts, new Catalog.Dependent("sequence", sequence, null))) {
                        continue;
                    }
                    usedInSql(scripts, sequence, table).forEach(user -> out.add(finding(s, written,
                            new Catalog.Dependent("sequence", sequence, user))));
                }
            }
        }
        return out;
    }

    private static Finding finding(Stmt s, String table, Catalog.Dependent d) {
        String message;
        String fix;
        switch (d.kind()) {
            case "view" -> {
                message = "view " + d.name() + " reads " + table + ": the drop fails (with CASCADE the view goes too)";
                fix = "drop or redefine " + d.name() + " first, in contract before this statement";
            }
            case "foreign key" -> {
                message = "foreign key " + d.name() + " of " + d.user() + " references " + table
                        + ": the drop fails (with CASCADE the constraint goes silently)";
                fix = "ALTER TABLE " + d.user() + " DROP CONSTRAINT " + d.name() + " before the drop, or point it at "
                        + "the new table in cutover";
            }
            default -> {
                message = table + " owns sequence " + d.name() + ", which the default of " + d.user() + " uses: "
                        + "dropping the table drops the sequence, and the drop fails (with CASCADE the default goes, "
                        + "and inserts into " + d.user() + " fail)";
                fix = "ALTER SEQUENCE " + d.name() + " OWNED BY " + d.user() + " in cutover (or in contract before the drop)";
            }
        }
        return Finding.of(Severity.ERROR, Rules.CONTRACT_DROPS_DEPENDENCY, s, table, null, message, fix);
    }

    /** Whether cutover or contract SQL already takes the dependency away (re-owns the sequence, drops the key). */
    private static boolean undone(Map<String, Script> scripts, Catalog.Dependent d) {
        for (String field : List.of(Linter.CUTOVER, Linter.CONTRACT)) {
            for (Stmt s : scripts.get(field).statements()) {
                List<String> words = dev.tandem.plan.SqlFragment.tokens(s.sql()).stream()
                        .map(t -> t.name() != null ? t.name() : t.text()).toList();
                String text = String.join(" ", words);
                boolean hit = d.kind().equals("sequence")
                        ? text.startsWith("alter sequence ") && text.contains(" owned by ")
                        && Names.table(String.join("", words.subList(2, words.indexOf("owned")))).equals(d.name())
                        : d.kind().equals("foreign key") && s.facts().kind() == Facts.Kind.ALTER_TABLE
                        && d.user().equals(s.facts().table()) && text.contains(" drop constraint ")
                        && words.contains(d.name());
                if (hit) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Tables of expand and cutover SQL whose statements use the sequence in nextval('…'), other than its owner. */
    private static List<String> usedInSql(Map<String, Script> scripts, String sequence, String owner) {
        List<String> users = new ArrayList<>();
        for (String field : List.of(Linter.EXPAND, Linter.CUTOVER)) {
            for (Stmt s : scripts.get(field).statements()) {
                Matcher m = NEXTVAL.matcher(s.sql());
                while (m.find()) {
                    String used = Names.table(m.group(1).replaceAll("(?i)::regclass", ""));
                    String user = s.facts().table();
                    if (used.equals(sequence) && user != null && !user.equals(owner) && !users.contains(user)) {
                        users.add(user);
                    }
                }
            }
        }
        return users;
    }

    /** New name → name before cutover, for the tables cutover renames (contract SQL names them as renamed). */
    private static Map<String, String> renamedInCutover(Script cutover) {
        Map<String, String> before = new HashMap<>();
        for (Stmt s : cutover.statements()) {
            if (s.facts().kind() != Facts.Kind.ALTER_TABLE) {
                continue;
            }
            for (Action a : s.facts().actions()) {
                if (a.op() == Op.RENAME_TABLE && a.name() != null) {
                    String original = before.getOrDefault(s.facts().table(), s.facts().table());
                    before.remove(s.facts().table());
                    before.put(a.name(), original);
                }
            }
        }
        return before;
    }
}
