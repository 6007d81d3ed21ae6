package dev.tandem.cli;

import dev.tandem.engine.DatabaseTarget;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;

/** A throw-away PostgreSQL server for the local mode; removed on close. */
final class EmbeddedDatabase implements AutoCloseable {
    private final EmbeddedPostgres postgres;

    private EmbeddedDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    static EmbeddedDatabase start() throws IOException {
        return new EmbeddedDatabase(EmbeddedPostgres.builder().start());
    }

    DatabaseTarget target() {
        return DatabaseTarget.ofJdbcUrl(postgres.getJdbcUrl("postgres", "postgres"), null, null);
    }

    int port() {
        return postgres.getPort();
    }

    /** A connection to its postgres database, as the superuser. */
    Connection connect() throws SQLException {
        return postgres.getPostgresDatabase().getConnection();
    }

    @Override
    public void close() throws IOException {
        postgres.close();
    }
}
