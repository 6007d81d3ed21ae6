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
    static final String INVALID_CATALOG_NAME = "3D000";

    static final String READ_ONLY_TRANSACTION = "25006";
    static final String SYNC_DOES_NOT_FIT = dev.tandem.plan.SyncChecks.SQLSTATE;

    /**
     * Whether an error is about the data of one row rather than about the statement: a data
     * exception (22), an integrity violation (23), an error raised by a function (P0001, 38, 39, 2F)
     * or a view's check option (44). Such errors can be isolated to the row that raised them.
     */
    static boolean isRowError(String sqlState) {
        return sqlState != null && (sqlState.startsWith("22") || sqlState.startsWith("23") || sqlState.equals("P0001")
                || sqlState.startsWith("38") || sqlState.startsWith("39") || sqlState.startsWith("2F")
                || sqlState.startsWith("44"));
    }

    static boolean isConnectionError(String sqlState) {
        return sqlState != null && (sqlState.startsWith("08") || sqlState.equals("57P01")
                || sqlState.equals("57P02") || sqlState.equals("57P03"));
    }
}
