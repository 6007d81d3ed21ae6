package dev.tandem.plan.lint;

import java.util.Locale;

/** How the linter compares table and column names: as PostgreSQL folds them, without the public schema. */
final class Names {
    private Names() {
    }

    /** A name as written (maybe quoted, maybe schema-qualified) in the form the rules compare. */
    static String table(String written) {
        if (written == null) {
            return null;
        }
        StringBuilder out = new StringBuilder();
        StringBuilder part = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        for (int i = 0; i < written.length(); i++) {
            char c = written.charAt(i);
            if (c == '"') {
                if (quoted && i + 1 < written.length() && written.charAt(i + 1) == '"') {
                    part.append('"');
                    i++;
                } else {
                    quoted = !quoted;
                    wasQuoted = true;
                }
            } else if (c == '.' && !quoted) {
                out.append(fold(part.toString(), wasQuoted)).append('.');
                part.setLength(0);
                wasQuoted = false;
            } else if (!Character.isWhitespace(c) || quoted) {
                part.append(c);
            }
        }
        out.append(fold(part.toString(), wasQuoted));
        String name = out.toString();
        return name.startsWith("public.") ? name.substring("public.".length()) : name;
    }

    /** A name from a spec field, where unquoted names are taken as written (Tandem quotes them). */
    static String specTable(String written) {
        if (written == null) {
            return null;
        }
        String name = written.contains("\"") ? table(written) : written;
        return name.startsWith("public.") ? name.substring("public.".length()) : name;
    }

    /** A column name from a spec field (a key, a mapped column), taken as written unless quoted. */
    static String specColumn(String written) {
        return written == null ? null : written.contains("\"") ? table(written) : written;
    }

    private static String fold(String part, boolean quoted) {
        return quoted ? part : part.toLowerCase(Locale.ROOT);
    }
}
