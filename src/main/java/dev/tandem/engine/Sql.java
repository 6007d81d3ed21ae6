package dev.tandem.engine;

/** SQLSTATE codes the engine reacts to (identifiers are quoted by {@link dev.tandem.plan.Ident}). */
public final class Sql {
    private Sql() {
    }

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
