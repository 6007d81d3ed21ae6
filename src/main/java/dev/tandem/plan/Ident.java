package dev.tandem.plan;

import java.util.ArrayList;
import java.util.List;

/** SQL identifiers as written in a spec, quoted for generated SQL. */
public final class Ident {
    private Ident() {
    }

    /** Quotes one identifier exactly as written: my"col → "my""col". */
    public static String quote(String name) {
        if (name == null || name.isEmpty() || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("invalid SQL identifier");
        }
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    /** schema.table or table, each part quoted; a part written in double quotes is kept as it is. */
    public static String qualified(String name) {
        List<String> parts = parts(name);
        List<String> quoted = new ArrayList<>();
        for (String p : parts) {
            quoted.add(p.startsWith("\"") ? p : quote(p));
        }
        return String.join(".", quoted);
    }

    /** The last part (the table name) unquoted. */
    public static String last(String name) {
        List<String> parts = parts(name);
        String p = parts.get(parts.size() - 1);
        return p.startsWith("\"") ? p.substring(1, p.length() - 1).replace("\"\"", "\"") : p;
    }

    /** The schema part, quoted, with a trailing dot; empty when unqualified. */
    public static String schemaPrefix(String name) {
        List<String> parts = parts(name);
        if (parts.size() < 2) {
            return "";
        }
        String p = parts.get(0);
        return (p.startsWith("\"") ? p : quote(p)) + ".";
    }

    private static List<String> parts(String name) {
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '"') {
                if (quoted && i + 1 < name.length() && name.charAt(i + 1) == '"') {
                    current.append("\"\"");
                    i++;
                    continue;
                }
                quoted = !quoted;
                current.append(c);
            } else if (c == '.' && !quoted) {
                parts.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        parts.add(current.toString());
        if (quoted || parts.size() > 2 || parts.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("'" + name + "' is not a table name (table or schema.table)");
        }
        return parts;
    }
}
