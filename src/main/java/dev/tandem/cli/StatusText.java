package dev.tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.PrintWriter;

/** The text form of {@code tandem status}: the same report as its JSON, a line per fact. */
final class StatusText {
    private StatusText() {
    }

    static void print(JsonNode r, PrintWriter out) {
        out.println("Migration " + r.path("migration").asText() + ", plan " + r.path("planHash").asText()
                + ", database " + r.path("database").asText() + " (PostgreSQL " + r.path("serverVersion").asText() + ")");
        String label = r.path("stepLabel").asText();
        out.println("  phase:        " + r.path("phase").asText() + (label.isEmpty() ? "" : " (" + label + ")")
                + (r.path("planMatches").asBoolean() ? "" : "; the database ran plan " + r.path("ledgerPlanHash").asText()));
        if (r.path("steps").isEmpty()) {
            out.println("  steps:        none yet: nothing of this migration has run in this database");
        }
        for (JsonNode s : r.path("steps")) {
            out.println("  step:         " + pad(s.path("step").asText()) + "committed " + s.path("committedAt").asText());
        }
        JsonNode b = r.path("backfill");
        if (!b.isMissingNode()) {
            out.println("  backfill:     " + (!b.path("started").asBoolean() ? "not started"
                    : b.path("percent").asInt() + "% " + b.path("rowsCopied").asLong() + " of ~"
                    + b.path("rowsEstimate").asLong() + " rows copied" + (b.path("complete").asBoolean() ? ", complete"
                    : ", " + b.path("rowsPerSecond").asLong() + " rows/s")
                    + (b.path("failedRows").asLong() > 0 ? ", " + b.path("failedRows").asLong() + " rows failed" : "")));
        }
        JsonNode v = r.path("verification");
        if (!v.isMissingNode()) {
            out.println("  verification: " + v.path("summary").asText() + (v.path("finishedAt").isNull() ? ""
                    : " (finished " + v.path("finishedAt").asText() + ")"));
        }
        for (JsonNode g : r.path("gates")) {
            String passed = g.path("passed").isNull() ? "not checked" : g.path("passed").asBoolean() ? "holds" : "does not hold";
            out.println("  gate:         " + pad(g.path("name").asText() + " (" + g.path("kind").asText() + ")") + passed
                    + (g.path("message").isNull() || g.path("message").asText().isEmpty() ? "" : ": "
                    + g.path("message").asText()));
        }
        JsonNode o = r.path("oldStorage");
        if (!o.isMissingNode()) {
            out.println("  old storage:  " + o.path("writes").asLong() + " writes since cutover (" + o.path("mode").asText()
                    + ")" + (o.path("lastWrite").isNull() ? "" : "; latest " + o.path("lastWriteTime").asText() + ": "
                    + o.path("lastWrite").asText()) + "; contract possible from " + o.path("contractPossibleTime").asText());
        }
        out.println("  next:         " + r.path("next").asText());
    }

    private static String pad(String s) {
        return s.length() >= 24 ? s + " " : s + " ".repeat(24 - s.length());
    }
}
