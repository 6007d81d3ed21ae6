package dev.tandem.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * A piece of user SQL that Tandem splices into generated SQL: a column expression, a where
 * condition, a reverse mapping or a check query. Before it is used, it is proven to be one unit:
 * PostgreSQL's lexical rules (quoted strings with their escapes, quoted identifiers, dollar
 * quotes, nested comments) are applied, and the fragment must be closed (nothing unterminated),
 * balanced (parentheses and brackets) and free of statement separators. A fragment that passes
 * stays inside the parentheses it is put in, whatever it contains; the database then parses it in
 * place, in the expand transaction, before anything is committed.
 */
public final class SqlFragment {
    /** Words that look like a column name but are not one. */
    private static final Set<String> NOT_COLUMNS = Set.of("true", "false", "null", "default", "user", "current_user",
            "session_user", "current_role", "current_catalog", "current_schema", "current_date", "current_time",
            "current_timestamp", "localtime", "localtimestamp", "system_user", "all", "any", "some", "array", "case",
            "cast", "select", "not", "exists", "row", "values", "with");

    private SqlFragment() {
    }

    /** A lexical token: its kind, its text as written, and for identifiers the name it denotes. */
    public record Token(Kind kind, String text, String name) {
    }

    public enum Kind { IDENTIFIER, QUOTED_IDENTIFIER, STRING, NUMBER, OPERATOR, OPEN, CLOSE, COMMA, DOT, SEMICOLON, OTHER }

    /**
     * Why {@code text} is not one expression, or empty when it is. The message says what was
     * found and how to fix it; the caller prefixes the field.
     */
    public static Optional<String> expressionError(String text) {
        return unitError(text, "expression");
    }

    /** Why {@code text} is not one query (SELECT, WITH or VALUES), or empty when it is. */
    public static Optional<String> queryError(String text) {
        Optional<String> unit = unitError(text, "query");
        if (unit.isPresent()) {
            return unit;
        }
        List<Token> tokens = tokens(text);
        String first = tokens.isEmpty() ? "" : tokens.get(0).text().toLowerCase(Locale.ROOT);
        int i = 0;
        while (i < tokens.size() && tokens.get(i).kind() == Kind.OPEN) {
            i++;
        }
        first = i < tokens.size() ? tokens.get(i).text().toLowerCase(Locale.ROOT) : first;
        if (!first.equals("select") && !first.equals("with") && !first.equals("values") && !first.equals("table")) {
            return Optional.of("is not a query: it must start with SELECT, WITH or VALUES (found '" + abbreviate(first)
                    + "')");
        }
        return Optional.empty();
    }

    private static Optional<String> unitError(String text, String what) {
        if (text == null || text.isBlank()) {
            return Optional.of("is empty; give an SQL " + what);
        }
        Lexer lexer = new Lexer(text);
        int depth = 0;
        List<Character> open = new ArrayList<>();
        for (Token t : lexer.all()) {
            switch (t.kind()) {
                case SEMICOLON -> {
                    return Optional.of("contains ';': give one " + what + " without statement separators "
                            + "(each fragment is spliced into a statement Tandem generates)");
                }
                case OPEN -> open.add(t.text().charAt(0));
                case CLOSE -> {
                    char expected = t.text().equals(")") ? '(' : '[';
                    if (open.isEmpty() || open.remove(open.size() - 1) != expected) {
                        return Optional.of("has an unmatched '" + t.text() + "': every closing bracket needs its "
                                + "opening one");
                    }
                }
                default -> {
                }
            }
            depth = open.size();
        }
        if (lexer.unterminated != null) {
            return Optional.of("has an unterminated " + lexer.unterminated + ": close it");
        }
        if (depth > 0) {
            return Optional.of("has an unclosed '" + open.get(open.size() - 1) + "': close it");
        }
        return Optional.empty();
    }

    /** The tokens of a fragment, comments and white space left out. */
    public static List<Token> tokens(String text) {
        return new Lexer(text == null ? "" : text).all();
    }

    /**
     * The column a fragment names when it is nothing but a column reference ({@code full_name},
     * {@code "Full Name"}, {@code users.full_name}); unquoted names are folded to lower case as
     * PostgreSQL does. Empty for anything else.
     *
     * @param table the table name (unquoted, as written) a qualified reference may use
     */
    public static Optional<String> plainColumn(String text, String table) {
        if (text == null || expressionError(text).isPresent()) {
            return Optional.empty();
        }
        List<Token> t = tokens(text);
        if (t.size() == 1 && isName(t.get(0))) {
            return Optional.of(t.get(0).name());
        }
        if (t.size() == 3 && isName(t.get(0)) && t.get(1).kind() == Kind.DOT && isName(t.get(2))
                && t.get(0).name().equals(folded(table))) {
            return Optional.of(t.get(2).name());
        }
        return Optional.empty();
    }

    private static boolean isName(Token t) {
        return t.kind() == Kind.QUOTED_IDENTIFIER
                || t.kind() == Kind.IDENTIFIER && !NOT_COLUMNS.contains(t.name());
    }

    /** How PostgreSQL reads a table name written in a spec without quotes: as written (Tandem quotes it). */
    private static String folded(String table) {
        return table == null ? "" : Ident.last(table);
    }

    /** The names (identifiers, folded as PostgreSQL folds them) a fragment mentions, in order. */
    public static List<String> names(String text) {
        List<String> names = new ArrayList<>();
        for (Token t : tokens(text)) {
            if (t.kind() == Kind.IDENTIFIER || t.kind() == Kind.QUOTED_IDENTIFIER) {
                names.add(t.name());
            }
        }
        return names;
    }

    /**
     * The names a fragment may read as columns of {@code table}: every name it mentions but a
     * qualifier and a column qualified by another name ({@code b.name} in a subquery over
     * {@code breeds b}); {@code table.column} counts.
     */
    public static List<String> columnNames(String text, String table) {
        String own = folded(table);
        List<Token> t = tokens(text);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < t.size(); i++) {
            Token k = t.get(i);
            if (k.kind() != Kind.IDENTIFIER && k.kind() != Kind.QUOTED_IDENTIFIER
                    || i + 1 < t.size() && t.get(i + 1).kind() == Kind.DOT) {
                continue;
            }
            if (i >= 2 && t.get(i - 1).kind() == Kind.DOT && !(own.equals(t.get(i - 2).name())
                    && (i < 3 || t.get(i - 3).kind() != Kind.DOT))) {
                continue;
            }
            names.add(k.name());
        }
        return names;
    }

    /**
     * The fragment with every reference {@code qualifier.column} (the qualifier not itself qualified)
     * replaced by {@code replacement.apply(column)}; the rest of the text as written.
     *
     * @param qualifier a name as PostgreSQL folds it (unquoted names in lower case)
     */
    public static String replaceQualified(String text, String qualifier,
                                          java.util.function.Function<String, String> replacement) {
        Lexer lexer = new Lexer(text);
        List<Token> t = lexer.all();
        StringBuilder out = new StringBuilder();
        int copied = 0;
        for (int j = 0; j + 2 < t.size(); j++) {
            if (isQualifiedRef(t, j, qualifier)) {
                out.append(text, copied, lexer.starts.get(j)).append(replacement.apply(t.get(j + 2).name()));
                copied = lexer.ends.get(j + 2);
                j += 2;
            }
        }
        return out.append(text.substring(copied)).toString();
    }

    /** Whether tokens j, j+1, j+2 are {@code qualifier.column} (not schema.qualifier.column, nor a function call). */
    static boolean isQualifiedRef(List<Token> t, int j, String qualifier) {
        Token q = t.get(j);
        return (q.kind() == Kind.IDENTIFIER || q.kind() == Kind.QUOTED_IDENTIFIER) && qualifier.equals(q.name())
                && (j == 0 || t.get(j - 1).kind() != Kind.DOT) && t.get(j + 1).kind() == Kind.DOT
                && (t.get(j + 2).kind() == Kind.IDENTIFIER || t.get(j + 2).kind() == Kind.QUOTED_IDENTIFIER)
                && (j + 3 >= t.size() || t.get(j + 3).kind() != Kind.DOT && !t.get(j + 3).text().equals("("));
    }

    /**
     * A condition over one row, rewritten to read that row's fields directly, when it is nothing but
     * column references and literals joined by comparisons ({@code = <> != < > <= >=}),
     * {@code IS [NOT] NULL | TRUE | FALSE | UNKNOWN}, {@code IS [NOT] DISTINCT FROM}, {@code AND},
     * {@code OR}, {@code NOT} and parentheses (e.g. {@code deleted_at IS NULL AND status = 'active'}).
     * Each column reference ({@code col}, {@code "Col"}, {@code table.col}) becomes
     * {@code row."col"}; the rest of the text stays as written, so PostgreSQL parses the same
     * expression, with the row's fields (same types and collations) in place of the columns. Such a
     * condition is a simple expression for PL/pgSQL: it runs without the executor. Empty for anything
     * else (function calls, casts, subqueries, other operators, keywords such as {@code current_date},
     * a bare table name).
     *
     * @param table the table name (as written) a qualified reference may use
     */
    public static Optional<RowCondition> rowCondition(String text, String table, String row) {
        if (text == null || expressionError(text).isPresent()) {
            return Optional.empty();
        }
        Lexer lexer = new Lexer(text);
        List<Token> t = lexer.all();
        ConditionReader r = new ConditionReader(t, folded(table));
        if (t.isEmpty() || !r.expression() || r.i != t.size()) {
            return Optional.empty();
        }
        StringBuilder out = new StringBuilder();
        int copied = 0;
        for (int[] ref : r.columns) {
            out.append(text, copied, lexer.starts.get(ref[0])).append(row).append('.')
                    .append(Ident.quote(t.get(ref[1]).name()));
            copied = lexer.ends.get(ref[1]);
        }
        out.append(text.substring(copied));
        return Optional.of(new RowCondition(out.toString(), r.cannotRaise));
    }

    /**
     * A condition over a row's fields.
     *
     * @param text       the condition, reading the row's fields
     * @param cannotRaise it only tests for NULL, TRUE or FALSE and combines with AND, OR, NOT: no operator
     *                   of a column's type runs, so no row can make it raise
     */
    public record RowCondition(String text, boolean cannotRaise) {
    }

    /** Reads the conditions {@link #rowCondition} accepts; records the token ranges of the column references. */
    private static final class ConditionReader {
        private static final Set<String> COMPARISONS = Set.of("=", "<>", "!=", "<", ">", "<=", ">=");
        /** PostgreSQL's reserved words and the non-reserved ones with a meaning inside an expression: never a column here. */
        private static final Set<String> RESERVED = Set.of("all", "analyse", "analyze", "and", "any", "array", "as", "asc",
                "asymmetric", "between", "both", "case", "cast", "check", "collate", "column", "constraint", "create",
                "current_catalog", "current_date", "current_role", "current_time", "current_timestamp", "current_user",
                "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "exists", "false", "fetch",
                "for", "foreign", "from", "grant", "group", "having", "ilike", "in", "initially", "intersect", "into", "is",
                "isnull", "lateral", "leading", "like", "limit", "localtime", "localtimestamp", "not", "notnull", "null",
                "offset", "on", "only", "or", "order", "overlaps", "placing", "primary", "references", "returning",
                "select", "session_user", "similar", "some", "symmetric", "system_user", "table", "then", "to",
                "trailing", "true", "union", "unique", "unknown", "user", "using", "variadic", "when", "where", "window",
                "with", "escape", "at", "zone", "document", "normalized", "current_schema", "interval", "row", "values",
                "collation", "overlay", "position", "substring", "trim", "extract", "coalesce", "nullif", "greatest",
                "least", "xmlelement", "json", "json_object", "json_array");
        private final List<Token> t;
        private final String table;
        private final List<int[]> columns = new ArrayList<>();
        private int i;
        private boolean cannotRaise = true;

        ConditionReader(List<Token> t, String table) {
            this.t = t;
            this.table = table;
        }

        private boolean word(String w) {
            if (i < t.size() && t.get(i).kind() == Kind.IDENTIFIER && t.get(i).name().equals(w)) {
                i++;
                return true;
            }
            return false;
        }

        /** unit ((AND | OR | comparison) unit)* */
        boolean expression() {
            if (!unit()) {
                return false;
            }
            while (i < t.size()) {
                Token k = t.get(i);
                if (k.kind() == Kind.OPERATOR && COMPARISONS.contains(k.text())) {
                    cannotRaise = false;
                    i++;
                } else if (!word("and") && !word("or")) {
                    return true;
                }
                if (!unit()) {
                    return false;
                }
            }
            return true;
        }

        /** NOT* operand (IS [NOT] (NULL | TRUE | FALSE | UNKNOWN | DISTINCT FROM operand))* */
        private boolean unit() {
            while (word("not")) {
                // NOT binds looser than comparisons, but the text is kept as written: only positions matter here
            }
            if (!operand()) {
                return false;
            }
            while (word("is")) {
                word("not");
                if (word("distinct")) {
                    if (!word("from")) {
                        return false;
                    }
                    cannotRaise = false;
                    while (word("not")) {
                    }
                    if (!operand()) {
                        return false;
                    }
                } else if (!word("null") && !word("true") && !word("false") && !word("unknown")) {
                    return false;
                }
            }
            return true;
        }

        /** ( expression ) | column | table.column | a literal */
        private boolean operand() {
            if (i >= t.size()) {
                return false;
            }
            Token k = t.get(i);
            if (k.kind() == Kind.OPEN && k.text().equals("(")) {
                i++;
                if (!expression() || i >= t.size() || !t.get(i).text().equals(")")) {
                    return false;
                }
                i++;
                return true;
            }
            if (k.kind() == Kind.NUMBER || k.kind() == Kind.STRING) {
                cannotRaise = false;
                i++;
                return true;
            }
            if (k.kind() == Kind.IDENTIFIER && (k.name().equals("true") || k.name().equals("false")
                    || k.name().equals("null"))) {
                i++;
                return true;
            }
            if (!isName(k) || k.kind() == Kind.IDENTIFIER && RESERVED.contains(k.name())) {
                return false;
            }
            int start = i;
            if (i + 2 < t.size() && t.get(i + 1).kind() == Kind.DOT) {
                Token c = t.get(i + 2);
                if (!k.name().equals(table) || !isName(c) || c.kind() == Kind.IDENTIFIER && RESERVED.contains(c.name())) {
                    return false;
                }
                i += 3;
            } else if (k.kind() == Kind.IDENTIFIER && k.name().equals(table)
                    || k.kind() == Kind.QUOTED_IDENTIFIER && k.name().equals(table)) {
                return false; // a bare table name may be the whole row
            } else {
                i++;
            }
            if (i < t.size() && (t.get(i).kind() == Kind.DOT || t.get(i).kind() == Kind.OPEN
                    || t.get(i).kind() == Kind.STRING)) {
                return false; // a function call, a typed literal, or a longer name
            }
            columns.add(new int[]{start, i - 1});
            return true;
        }
    }

    /** Whether the fragment contains a line comment (then the text spliced after it must start on a new line). */
    public static boolean hasLineComment(String text) {
        return new Lexer(text == null ? "" : text).sawLineComment();
    }

    /** The fragment in parentheses, safe to splice: a trailing line comment cannot swallow what follows. */
    public static String parenthesized(String text) {
        return "(" + text + (hasLineComment(text) ? "\n" : "") + ")";
    }

    private static String abbreviate(String s) {
        return s.length() > 30 ? s.substring(0, 30) + "…" : s;
    }

    private static final String OPERATOR_CHARS = "+-*/<>=~!@#%^&|`?:";

    /** PostgreSQL's lexical structure, enough to find token boundaries. */
    private static final class Lexer {
        private final String s;
        private int i;
        private String unterminated;
        private boolean lineComment;
        /** Where each token of the last {@link #all()} starts and ends in the text. */
        private final List<Integer> starts = new ArrayList<>();
        private final List<Integer> ends = new ArrayList<>();

        Lexer(String s) {
            this.s = s;
        }

        boolean sawLineComment() {
            all();
            return lineComment;
        }

        List<Token> all() {
            i = 0;
            unterminated = null;
            lineComment = false;
            starts.clear();
            ends.clear();
            List<Token> out = new ArrayList<>();
            while (i < s.length()) {
                int start = i;
                int before = out.size();
                Token t = next(out);
                if (out.size() < before) {
                    starts.remove(starts.size() - 1); // an E prefix became part of the string after it
                    start = ends.remove(ends.size() - 1) - 1;
                }
                if (t != null) {
                    out.add(t);
                    starts.add(start);
                    ends.add(i);
                }
            }
            return out;
        }

        /** The token at i (null for white space and comments), i moved past it. */
        private Token next(List<Token> before) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
                return null;
            }
            if (c == '-' && peek(1) == '-') {
                lineComment = true;
                int end = s.indexOf('\n', i);
                i = end < 0 ? s.length() : end + 1;
                return null;
            }
            if (c == '/' && peek(1) == '*') {
                blockComment();
                return null;
            }
            if (c == '\'') {
                return string(before);
            }
            if (c == '"') {
                int start = i;
                quoted('"', false, "quoted identifier");
                String body = s.substring(start + 1, Math.max(start + 1, i - 1)).replace("\"\"", "\"");
                return new Token(Kind.QUOTED_IDENTIFIER, s.substring(start, i), body);
            }
            if (c == '$' && dollarTag() != null) {
                return dollarQuoted();
            }
            if (Character.isLetter(c) || c == '_' || c >= 0x80) {
                String word = span(i, ch -> Character.isLetterOrDigit(ch) || ch == '_' || ch == '$' || ch >= 0x80);
                return new Token(Kind.IDENTIFIER, word, word.toLowerCase(Locale.ROOT));
            }
            if (Character.isDigit(c) || c == '.' && Character.isDigit(peek(1))) {
                return new Token(Kind.NUMBER, span(i, ch -> Character.isLetterOrDigit(ch) || ch == '.' || ch == '_'), null);
            }
            return punctuation(c);
        }

        /** A string literal; an E right before it (escape string) belongs to it. */
        private Token string(List<Token> before) {
            int start = i;
            boolean escapes = start > 0 && (s.charAt(start - 1) == 'E' || s.charAt(start - 1) == 'e')
                    && !before.isEmpty() && before.get(before.size() - 1).text().equalsIgnoreCase("E")
                    && before.get(before.size() - 1).kind() == Kind.IDENTIFIER;
            if (escapes) {
                before.remove(before.size() - 1);
            }
            quoted('\'', escapes, "string literal");
            return new Token(Kind.STRING, s.substring(start, i), null);
        }

        private Token dollarQuoted() {
            String tag = dollarTag();
            int start = i;
            int close = s.indexOf(tag, i + tag.length());
            if (close < 0) {
                unterminated = "dollar-quoted string " + tag;
                i = s.length();
            } else {
                i = close + tag.length();
            }
            return new Token(Kind.STRING, s.substring(start, i), null);
        }

        private String span(int start, java.util.function.IntPredicate part) {
            while (i < s.length() && part.test(s.charAt(i))) {
                i++;
            }
            return s.substring(start, i);
        }

        private Token punctuation(char c) {
            Kind kind = switch (c) {
                case '(', '[' -> Kind.OPEN;
                case ')', ']' -> Kind.CLOSE;
                case ',' -> Kind.COMMA;
                case ';' -> Kind.SEMICOLON;
                case '.' -> Kind.DOT;
                default -> OPERATOR_CHARS.indexOf(c) >= 0 ? Kind.OPERATOR : Kind.OTHER;
            };
            if (kind != Kind.OPERATOR) {
                i++;
                return new Token(kind, String.valueOf(c), null);
            }
            int start = i;
            while (i < s.length() && OPERATOR_CHARS.indexOf(s.charAt(i)) >= 0
                    && !(s.charAt(i) == '-' && peek(1) == '-') && !(s.charAt(i) == '/' && peek(1) == '*')) {
                i++;
            }
            if (i == start) {
                i++;
            }
            return new Token(Kind.OPERATOR, s.substring(start, i), null);
        }

        private char peek(int ahead) {
            return i + ahead < s.length() ? s.charAt(i + ahead) : '\0';
        }

        private void blockComment() {
            int depth = 0;
            int n = s.length();
            while (i < n) {
                if (s.startsWith("/*", i)) {
                    depth++;
                    i += 2;
                } else if (s.startsWith("*/", i)) {
                    depth--;
                    i += 2;
                    if (depth == 0) {
                        return;
                    }
                } else {
                    i++;
                }
            }
            unterminated = "comment (/* without */)";
        }

        private void quoted(char quote, boolean backslashEscapes, String what) {
            int n = s.length();
            i++;
            while (i < n) {
                char c = s.charAt(i);
                if (backslashEscapes && c == '\\') {
                    i += 2;
                    continue;
                }
                if (c == quote) {
                    if (i + 1 < n && s.charAt(i + 1) == quote) {
                        i += 2;
                        continue;
                    }
                    i++;
                    return;
                }
                i++;
            }
            unterminated = what;
            i = n;
        }

        /** The dollar-quote tag starting at i ($$ or $tag$), or null. */
        private String dollarTag() {
            if (i > 0 && (Character.isLetterOrDigit(s.charAt(i - 1)) || s.charAt(i - 1) == '_')) {
                return null; // part of an identifier such as a$b
            }
            int j = i + 1;
            while (j < s.length()) {
                char c = s.charAt(j);
                if (c == '$') {
                    return s.substring(i, j + 1);
                }
                if (!(Character.isLetter(c) || c == '_' || j > i + 1 && Character.isDigit(c))) {
                    return null;
                }
                j++;
            }
            return null;
        }
    }
}
