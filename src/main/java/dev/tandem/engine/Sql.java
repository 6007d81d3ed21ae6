package dev.tandem.engine;

/** SQL text helpers. Identifiers are always quoted; values are always bound, never built in here. */
public final class Sql {
    private Sql() {
    }

    /** Quotes an identifier: my"table → "my""table". */
    public static String ident(String name) {
        if (name == null || name.isEmpty() || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("invalid SQL identifier");
        }
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    /** SQLSTATE classes and codes the engine reacts to. */
    static final String LOCK_NOT_AVAILABLE = "55P03";
    static final String UNIQUE_VIOLATION = "23505";
    static final String QUERY_CANCELED = "57014";
    static final String SERIALIZATION_FAILURE = "40001";
    static final String DEADLOCK = "40P01";
    static final String INVALID_PASSWORD = "28P01";
    static final String INVALID_AUTHORIZATION = "28000";

    static boolean isConnectionError(String sqlState) {
        return sqlState != null && (sqlState.startsWith("08") || sqlState.equals("57P01")
                || sqlState.equals("57P02") || sqlState.equals("57P03"));
    }
}
