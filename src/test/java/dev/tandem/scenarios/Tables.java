package dev.tandem.scenarios;

import dev.tandem.engine.DatabaseTarget;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The application's tables (schema public) and their sizes. */
final class Tables {
    private Tables() {
    }

    static Map<String, Long> rowCounts(DatabaseTarget db) throws SQLException {
        Map<String, Long> counts = new TreeMap<>();
        try (Connection c = db.connect("scenario"); Statement s = c.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            for (String t : tables) {
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM public." + t)) {
                    rs.next();
                    counts.put(t, rs.getLong(1));
                }
            }
        }
        return counts;
    }
}
