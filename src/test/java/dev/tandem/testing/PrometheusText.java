package dev.tandem.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A scrape in the Prometheus text exposition format (what /q/metrics serves), parsed for assertions. */
public final class PrometheusText {
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)(\\s+\\S+)?$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples = new ArrayList<>();
    private final Map<String, String> types = new LinkedHashMap<>();
    private final Map<String, String> help = new LinkedHashMap<>();

    private PrometheusText() {
    }

    public static PrometheusText parse(String text) {
        PrometheusText p = new PrometheusText();
        for (String line : text.split("\n")) {
            line = line.strip();
            if (line.startsWith("# TYPE ")) {
                String[] parts = line.substring(7).split(" ", 2);
                p.types.put(parts[0], parts[1]);
            } else if (line.startsWith("# HELP ")) {
                String[] parts = line.substring(7).split(" ", 2);
                p.help.put(parts[0], parts.length > 1 ? parts[1] : "");
            } else if (!line.isEmpty() && !line.startsWith("#")) {
                Matcher m = SAMPLE.matcher(line);
                if (!m.matches()) {
                    throw new AssertionError("not a Prometheus sample line: " + line);
                }
                Map<String, String> labels = new LinkedHashMap<>();
                if (m.group(3) != null) {
                    Matcher l = LABEL.matcher(m.group(3));
                    while (l.find()) {
                        labels.put(l.group(1), l.group(2));
                    }
                }
                p.samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(4))));
            }
        }
        return p;
    }

    public List<Sample> samples() {
        return samples;
    }

    /** Every sample name (with _total, _bucket, _count, ... as served). */
    public Set<String> names() {
        Set<String> names = new TreeSet<>();
        samples.forEach(s -> names.add(s.name()));
        return names;
    }

    /** Metric families declared by # TYPE, with their type (counter, gauge, histogram, summary). */
    public Map<String, String> types() {
        return types;
    }

    public Map<String, String> help() {
        return help;
    }

    /** The sum of the samples of {@code name} whose labels include {@code labels} (k1, v1, k2, v2, ...). */
    public double value(String name, String... labels) {
        double sum = 0;
        boolean found = false;
        for (Sample s : samples) {
            if (s.name().equals(name) && matches(s.labels(), labels)) {
                sum += s.value();
                found = true;
            }
        }
        if (!found) {
            throw new AssertionError("no sample " + name + " " + List.of(labels) + " in the scrape; names: " + names());
        }
        return sum;
    }

    /** Like {@link #value} but 0 where no sample matches. */
    public double valueOrZero(String name, String... labels) {
        return samples.stream().filter(s -> s.name().equals(name) && matches(s.labels(), labels))
                .mapToDouble(Sample::value).sum();
    }

    private static boolean matches(Map<String, String> have, String... want) {
        for (int i = 0; i + 1 < want.length; i += 2) {
            if (!want[i + 1].equals(have.get(want[i]))) {
                return false;
            }
        }
        return true;
    }
}
