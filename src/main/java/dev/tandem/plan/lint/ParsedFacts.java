package dev.tandem.plan.lint;

import dev.tandem.plan.SqlFragment;
import dev.tandem.plan.SqlFragment.Kind;
import dev.tandem.plan.SqlFragment.Token;
import net.sf.jsqlparser.JSQLParserException;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.schema.Table;
import net.sf.jsqlparser.statement.Statement;
import net.sf.jsqlparser.statement.UnsupportedStatement;
import net.sf.jsqlparser.statement.alter.Alter;
import net.sf.jsqlparser.statement.create.index.CreateIndex;
import net.sf.jsqlparser.statement.create.table.CreateTable;
import net.sf.jsqlparser.statement.delete.Delete;
import net.sf.jsqlparser.statement.drop.Drop;
import net.sf.jsqlparser.statement.insert.Insert;
import net.sf.jsqlparser.statement.truncate.Truncate;
import net.sf.jsqlparser.statement.update.Update;
import net.sf.jsqlparser.util.TablesNamesFinder;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What a statement does, from JSqlParser's syntax tree (PostgreSQL dialect). The parser does not
 * know every PostgreSQL form: {@code NOT VALID} and {@code SET DATA TYPE} of ALTER TABLE are
 * normalized before parsing (the actions keep what the lexer read of them); a statement it cannot
 * parse at all is left to {@link LexedFacts}.
 */
final class ParsedFacts {
    private ParsedFacts() {
    }

    /** The facts, or empty when the parser does not know the statement. */
    static Optional<Facts> of(String sql) {
        Statement statement;
        try {
            statement = CCJSqlParserUtil.parse(normalized(sql));
        } catch (JSQLParserException | RuntimeException e) {
            return Optional.empty();
        }
        if (statement == null || statement instanceof UnsupportedStatement) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(facts(statement, sql));
        } catch (RuntimeException e) {
            return Optional.empty(); // a tree this code does not expect: the lexer reads the statement
        }
    }

    private static Facts facts(Statement statement, String sql) {
        if (statement instanceof Alter alter) {
            List<Facts.Action> actions = LexedFacts.alterActions(sql);
            if (alter.getAlterExpressions() == null || alter.getAlterExpressions().size() != actions.size()) {
                return null;
            }
            String table = name(alter.getTable());
            return facts(Facts.Kind.ALTER_TABLE, table, List.of(table), actions, false, sql, false, List.of());
        }
        if (statement instanceof CreateIndex index) {
            String table = name(index.getTable());
            boolean unique = index.getIndex() != null && index.getIndex().getType() != null
                    && index.getIndex().getType().toUpperCase(Locale.ROOT).contains("UNIQUE");
            return facts(Facts.Kind.CREATE_INDEX, table, List.of(table), List.of(), index.isConcurrently(), sql, unique,
                    List.of());
        }
        if (statement instanceof CreateTable create) {
            String table = name(create.getTable());
            return facts(Facts.Kind.CREATE_TABLE, table, List.of(table), List.of(), false, sql, false, List.of());
        }
        if (statement instanceof Update update) {
            String table = name(update.getTable());
            return facts(Facts.Kind.UPDATE, table, List.of(table), List.of(), false, sql, update.getWhere() != null,
                    List.of());
        }
        if (statement instanceof Delete delete) {
            String table = name(delete.getTable());
            return facts(Facts.Kind.DELETE, table, List.of(table), List.of(), false, sql, delete.getWhere() != null,
                    List.of());
        }
        if (statement instanceof Insert insert) {
            return insert(insert, sql);
        }
        if (statement instanceof Truncate truncate) {
            List<String> tables = names(truncate.getTables() != null ? truncate.getTables() : List.of(truncate.getTable()));
            return new Facts(Facts.Kind.TRUNCATE, tables.isEmpty() ? null : tables.get(0), tables, List.of(), false,
                    truncate.getCascade(), false, List.of(), true);
        }
        if (statement instanceof Drop drop) {
            return drop(drop);
        }
        Facts lexed = LexedFacts.of(sql); // e.g. CREATE TRIGGER: the parser knows it, the lexer finds its table
        return new Facts(lexed.kind(), lexed.table(), lexed.tables(), lexed.actions(), lexed.concurrently(),
                lexed.cascade(), lexed.where(), lexed.reads(), true);
    }

    private static Facts insert(Insert insert, String sql) {
        String table = name(insert.getTable());
        boolean select = !(insert.getSelect() == null || insert.getSelect() instanceof net.sf.jsqlparser.statement.select.Values
                || insert.getSelect() instanceof net.sf.jsqlparser.statement.select.PlainSelect plain
                && plain.getFromItem() == null);
        List<String> reads = new ArrayList<>();
        if (select) {
            for (String read : new TablesNamesFinder<>().getTables((Statement) insert.getSelect())) {
                String name = Names.table(read);
                if (!name.equals(table) && !reads.contains(name)) {
                    reads.add(name);
                }
            }
        }
        return facts(select ? Facts.Kind.INSERT_SELECT : Facts.Kind.INSERT, table, List.of(table), List.of(), false,
                sql, false, reads);
    }

    private static Facts drop(Drop drop) {
        String type = drop.getType() == null ? "" : drop.getType().toUpperCase(Locale.ROOT);
        Facts.Kind kind = type.equals("TABLE") ? Facts.Kind.DROP_TABLE : type.equals("SEQUENCE") ? Facts.Kind.DROP_SEQUENCE
                : type.endsWith("VIEW") || drop.isMaterialized() ? Facts.Kind.DROP_VIEW : Facts.Kind.DROP_OTHER;
        List<Table> objects = drop.getNames() != null && !drop.getNames().isEmpty() ? drop.getNames()
                : drop.getName() == null ? List.of() : List.of(drop.getName());
        List<String> tables = kind == Facts.Kind.DROP_OTHER ? List.of() : names(objects);
        boolean cascade = drop.getParameters() != null
                && drop.getParameters().stream().anyMatch(p -> p.equalsIgnoreCase("CASCADE"));
        return new Facts(kind, tables.isEmpty() ? null : tables.get(0), tables, List.of(), false, cascade, false,
                List.of(), true);
    }

    private static Facts facts(Facts.Kind kind, String table, List<String> tables, List<Facts.Action> actions,
                               boolean concurrently, String sql, boolean where, List<String> reads) {
        boolean cascade = SqlFragment.tokens(sql).stream().reduce((a, b) -> b)
                .map(last -> last.text().equalsIgnoreCase("CASCADE")).orElse(false);
        return new Facts(kind, table, tables, actions, concurrently, cascade, where, reads, true);
    }

    private static String name(Table table) {
        return table == null ? null : Names.table(table.getFullyQualifiedName());
    }

    private static List<String> names(List<Table> tables) {
        List<String> out = new ArrayList<>();
        for (Table t : tables) {
            if (t != null) {
                out.add(name(t));
            }
        }
        return out;
    }

    /** ALTER TABLE without the PostgreSQL clauses JSqlParser does not know (NOT VALID; SET DATA TYPE as TYPE). */
    static String normalized(String sql) {
        List<Token> tokens = SqlFragment.tokens(sql);
        if (tokens.size() < 2 || !tokens.get(0).text().equalsIgnoreCase("ALTER")
                || !tokens.get(1).text().equalsIgnoreCase("TABLE")) {
            return sql;
        }
        StringBuilder out = new StringBuilder();
        for (int k = 0; k < tokens.size(); k++) {
            if (is(tokens, k, "NOT") && is(tokens, k + 1, "VALID")) {
                k++;
                continue;
            }
            if (is(tokens, k, "SET") && is(tokens, k + 1, "DATA") && is(tokens, k + 2, "TYPE")) {
                out.append("TYPE ");
                k += 2;
                continue;
            }
            Token t = tokens.get(k);
            out.append(t.text()).append(t.kind() == Kind.DOT ? "" : " ");
            if (k + 1 < tokens.size() && tokens.get(k + 1).kind() == Kind.DOT && out.charAt(out.length() - 1) == ' ') {
                out.setLength(out.length() - 1);
            }
        }
        return out.toString().strip();
    }

    private static boolean is(List<Token> tokens, int k, String word) {
        return k < tokens.size() && tokens.get(k).kind() == Kind.IDENTIFIER && tokens.get(k).text().equalsIgnoreCase(word);
    }
}
