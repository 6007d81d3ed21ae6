package dev.tandem.plan.lint;

import dev.tandem.plan.SqlFragment;
import dev.tandem.plan.SqlFragment.Kind;
import dev.tandem.plan.SqlFragment.Token;
import dev.tandem.plan.lint.Facts.Action;
import dev.tandem.plan.lint.Facts.Op;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a statement does, read from PostgreSQL's lexical structure (the tokens {@link SqlFragment}
 * produces): used for the actions of ALTER TABLE, and for every statement the SQL parser does not
 * know.
 */
final class LexedFacts {
    private static final Set<String> CONSTRAINT_WORDS = Set.of("CONSTRAINT", "CHECK", "FOREIGN", "UNIQUE", "PRIMARY",
            "EXCLUDE");
    private final List<Token> t;
    private int i;

    private LexedFacts(String sql) {
        this.t = SqlFragment.tokens(sql);
    }

    static Facts of(String sql) {
        return new LexedFacts(sql).facts();
    }

    /** The actions of an ALTER TABLE statement, each with its NOT VALID, in order; empty for anything else. */
    static List<Action> alterActions(String sql) {
        LexedFacts l = new LexedFacts(sql);
        return l.word(0).equals("ALTER") && l.word(1).equals("TABLE") ? l.facts().actions() : List.of();
    }

    private String word(int at) {
        if (at >= t.size()) {
            return "";
        }
        Token token = t.get(at);
        return token.kind() == Kind.IDENTIFIER ? token.text().toUpperCase(Locale.ROOT) : token.text();
    }

    private boolean accept(String... words) {
        for (int k = 0; k < words.length; k++) {
            if (!word(i + k).equals(words[k])) {
                return false;
            }
        }
        i += words.length;
        return true;
    }

    /** A possibly qualified name at the cursor, normalized; null when there is none. */
    private String name() {
        StringBuilder written = new StringBuilder();
        while (i < t.size() && (t.get(i).kind() == Kind.IDENTIFIER || t.get(i).kind() == Kind.QUOTED_IDENTIFIER)) {
            written.append(t.get(i).text());
            i++;
            if (i < t.size() && t.get(i).kind() == Kind.DOT) {
                written.append('.');
                i++;
            } else {
                break;
            }
        }
        return written.isEmpty() ? null : Names.table(written.toString());
    }

    private boolean endsWith(String... words) {
        int n = t.size();
        if (n < words.length) {
            return false;
        }
        for (int k = 0; k < words.length; k++) {
            if (!word(n - words.length + k).equals(words[k])) {
                return false;
            }
        }
        return true;
    }

    /** Whether a word occurs outside parentheses. */
    private boolean topLevel(String wanted) {
        int depth = 0;
        for (int k = 0; k < t.size(); k++) {
            Kind kind = t.get(k).kind();
            depth += kind == Kind.OPEN ? 1 : kind == Kind.CLOSE ? -1 : 0;
            if (depth == 0 && word(k).equals(wanted)) {
                return true;
            }
        }
        return false;
    }

    private Facts facts() {
        boolean cascade = endsWith("CASCADE");
        String first = word(0);
        if (first.equals("CREATE")) {
            return create();
        }
        if (first.equals("ALTER") && word(1).equals("TABLE")) {
            i = 2;
            accept("IF", "EXISTS");
            accept("ONLY");
            String table = name();
            return new Facts(Facts.Kind.ALTER_TABLE, table, listOf(table), actions(), false, cascade, false, List.of(), false);
        }
        if (first.equals("TRUNCATE") || first.equals("DROP")) {
            return truncateOrDrop(cascade);
        }
        if (first.equals("UPDATE") || first.equals("DELETE") || first.equals("INSERT")) {
            return dml(first);
        }
        if (first.equals("WITH")) {
            for (String dml : List.of("UPDATE", "DELETE", "INSERT")) {
                if (topLevel(dml)) {
                    for (i = 0; i < t.size() && !word(i).equals(dml); i++) {
                        // find the statement after the common table expressions
                    }
                    return new LexedFacts(joined(i)).dml(dml);
                }
            }
        }
        return Facts.other(false);
    }

    private String joined(int from) {
        StringBuilder out = new StringBuilder();
        for (int k = from; k < t.size(); k++) {
            out.append(t.get(k).text()).append(' ');
        }
        return out.toString();
    }

    private Facts create() {
        i = 1;
        accept("OR", "REPLACE");
        boolean unique = accept("UNIQUE");
        if (accept("INDEX")) {
            boolean concurrently = accept("CONCURRENTLY");
            accept("IF", "NOT", "EXISTS");
            if (!word(i).equals("ON")) {
                name();
            }
            accept("ON");
            accept("ONLY");
            String table = name();
            return new Facts(Facts.Kind.CREATE_INDEX, table, listOf(table), List.of(), concurrently, false, unique,
                    List.of(), false);
        }
        accept("CONSTRAINT");
        if (accept("TRIGGER")) {
            while (i < t.size() && !word(i).equals("ON")) {
                i++;
            }
            i++;
            String table = name();
            return new Facts(Facts.Kind.CREATE_TRIGGER, table, listOf(table), List.of(), false, false, false, List.of(),
                    false);
        }
        while (Set.of("UNLOGGED", "TEMP", "TEMPORARY", "GLOBAL", "LOCAL").contains(word(i))) {
            i++;
        }
        if (accept("TABLE")) {
            accept("IF", "NOT", "EXISTS");
            String table = name();
            return new Facts(Facts.Kind.CREATE_TABLE, table, listOf(table), List.of(), false, false, false, List.of(), false);
        }
        return Facts.other(false);
    }

    private Facts truncateOrDrop(boolean cascade) {
        Facts.Kind kind;
        i = 1;
        if (word(0).equals("TRUNCATE")) {
            accept("TABLE");
            kind = Facts.Kind.TRUNCATE;
        } else if (accept("TABLE")) {
            kind = Facts.Kind.DROP_TABLE;
        } else if (accept("SEQUENCE")) {
            kind = Facts.Kind.DROP_SEQUENCE;
        } else if (accept("VIEW") || accept("MATERIALIZED", "VIEW")) {
            kind = Facts.Kind.DROP_VIEW;
        } else {
            return new Facts(Facts.Kind.DROP_OTHER, null, List.of(), List.of(), false, cascade, false, List.of(), false);
        }
        accept("IF", "EXISTS");
        List<String> tables = new ArrayList<>();
        do {
            accept("ONLY");
            String name = name();
            if (name != null) {
                tables.add(name);
            }
        } while (i < t.size() && t.get(i).kind() == Kind.COMMA && ++i > 0);
        return new Facts(kind, tables.isEmpty() ? null : tables.get(0), tables, List.of(), false, cascade, false,
                List.of(), false);
    }

    private Facts dml(String verb) {
        i = 1;
        accept("INTO");
        accept("FROM");
        accept("ONLY");
        String table = name();
        if (verb.equals("INSERT")) {
            boolean select = topLevel("SELECT");
            return new Facts(select ? Facts.Kind.INSERT_SELECT : Facts.Kind.INSERT, table, listOf(table), List.of(),
                    false, false, false, select ? readTables() : List.of(), false);
        }
        return new Facts(verb.equals("UPDATE") ? Facts.Kind.UPDATE : Facts.Kind.DELETE, table, listOf(table), List.of(),
                false, false, topLevel("WHERE"), List.of(), false);
    }

    /** The tables named after FROM and JOIN, anywhere in the statement. */
    private List<String> readTables() {
        List<String> reads = new ArrayList<>();
        for (int k = 0; k < t.size(); k++) {
            if (word(k).equals("FROM") || word(k).equals("JOIN")) {
                i = k + 1;
                accept("ONLY");
                String name = name();
                if (name != null && !reads.contains(name)) {
                    reads.add(name);
                }
            }
        }
        return reads;
    }

    private List<Action> actions() {
        List<Action> actions = new ArrayList<>();
        int start = i;
        int depth = 0;
        for (int k = i; k <= t.size(); k++) {
            Kind kind = k < t.size() ? t.get(k).kind() : Kind.COMMA;
            depth += kind == Kind.OPEN ? 1 : kind == Kind.CLOSE ? -1 : 0;
            if (depth == 0 && kind == Kind.COMMA) {
                actions.add(new LexedFacts(joinedRange(start, k)).action());
                start = k + 1;
            }
        }
        return actions;
    }

    private String joinedRange(int from, int to) {
        StringBuilder out = new StringBuilder();
        for (int k = from; k < to; k++) {
            out.append(t.get(k).text()).append(' ');
        }
        return out.toString();
    }

    /** This lexer holds one ALTER TABLE action. */
    private Action action() {
        boolean notValid = endsWith("NOT", "VALID");
        String detail = joined(0).toUpperCase(Locale.ROOT).strip();
        i = 0;
        if (accept("ADD")) {
            String constraint = accept("CONSTRAINT") ? name() : null;
            if (constraint != null || CONSTRAINT_WORDS.contains(word(i))) {
                Op op = word(i).equals("CHECK") ? Op.ADD_CHECK : word(i).equals("FOREIGN") ? Op.ADD_FOREIGN_KEY
                        : word(i).equals("UNIQUE") || word(i).equals("PRIMARY") ? Op.ADD_UNIQUE : Op.OTHER;
                return new Action(op, null, detail, notValid, constraint);
            }
            accept("COLUMN");
            accept("IF", "NOT", "EXISTS");
            return new Action(Op.ADD_COLUMN, name(), detail, false, null);
        }
        if (accept("ALTER")) {
            accept("COLUMN");
            String column = name();
            Op op = accept("TYPE") || accept("SET", "DATA", "TYPE") ? Op.ALTER_TYPE
                    : accept("SET", "NOT", "NULL") ? Op.SET_NOT_NULL : accept("DROP", "NOT", "NULL") ? Op.DROP_NOT_NULL
                    : accept("SET", "DEFAULT") ? Op.SET_DEFAULT : Op.OTHER;
            return new Action(op, column, detail, false, null);
        }
        if (accept("DROP")) {
            if (accept("CONSTRAINT")) {
                return new Action(Op.OTHER, null, detail, false, null);
            }
            accept("COLUMN");
            accept("IF", "EXISTS");
            return new Action(Op.DROP_COLUMN, name(), detail, false, null);
        }
        if (accept("VALIDATE", "CONSTRAINT")) {
            return new Action(Op.VALIDATE_CONSTRAINT, null, detail, false, name());
        }
        if (accept("RENAME")) {
            if (accept("TO")) {
                return new Action(Op.RENAME_TABLE, null, detail, false, name());
            }
            if (accept("CONSTRAINT")) {
                return new Action(Op.OTHER, null, detail, false, null);
            }
            accept("COLUMN");
            String column = name();
            accept("TO");
            return new Action(Op.RENAME_COLUMN, column, detail, false, name());
        }
        return new Action(Op.OTHER, null, detail, false, null);
    }

    private static List<String> listOf(String table) {
        return table == null ? List.of() : List.of(table);
    }
}
