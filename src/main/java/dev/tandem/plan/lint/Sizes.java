package dev.tandem.plan.lint;

import java.util.Locale;

/** Table sizes as a reviewer reads them: "40 GB (1.2 M rows)". */
final class Sizes {
    private static final String[] BYTE_UNITS = {"bytes", "kB", "MB", "GB", "TB", "PB"};
    private static final String[] ROW_UNITS = {"", " k", " M", " G"};

    private Sizes() {
    }

    static String describe(Catalog.TableSize size) {
        return bytes(size.bytes()) + " (" + rows(size.rows()) + ")";
    }

    static String bytes(long bytes) {
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? bytes + " bytes" : number(value) + " " + BYTE_UNITS[unit];
    }

    static String rows(long rows) {
        if (rows < 0) {
            return "rows not counted yet";
        }
        double value = rows;
        int unit = 0;
        while (rows >= 10_000 && value >= 1000 && unit < ROW_UNITS.length - 1) {
            value /= 1000;
            unit++;
        }
        return (unit == 0 ? Long.toString(rows) : number(value) + ROW_UNITS[unit]) + (rows == 1 ? " row" : " rows");
    }

    private static String number(double value) {
        return value < 10 ? String.format(Locale.ROOT, "%.1f", value) : String.format(Locale.ROOT, "%.0f", value);
    }
}
