package dev.tandem.engine;

import java.sql.Connection;
import java.sql.SQLException;

/** One transaction around a piece of work: committed when it returns, rolled back when it throws. */
final class Transactions {
    private Transactions() {
    }

    /** Work inside one transaction. */
    interface Work<T> {
        T run() throws SQLException, EngineException;
    }

    static <T> T inTransaction(Connection c, Work<T> work) throws SQLException, EngineException {
        c.setAutoCommit(false);
        try {
            T result = work.run();
            c.commit();
            return result;
        } catch (SQLException | EngineException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }
}
