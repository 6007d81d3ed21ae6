package dev.tandem.cli;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tandem.api.v1alpha1.SchemaMigration;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads a SchemaMigration manifest from a YAML file. Every refusal is one line naming the file and
 * the field, in the manifest's terms (never a Java type): an unknown or misspelt field, a value of
 * the wrong kind, a key given twice (the last one would win while a reviewer may have read the
 * first), a file that is not a small regular file.
 */
public final class ManifestLoader {
    /** A manifest is a few kilobytes; anything much larger is not one. */
    static final long MAX_BYTES = 1 << 20;

    private static final ObjectMapper YAML = YAMLMapper.builder(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    private static final String LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private static final String SUBDOMAIN = LABEL + "(\\." + LABEL + ")*";

    private ManifestLoader() {
    }

    public static SchemaMigration load(Path file) throws ManifestException {
        checkFile(file);
        try {
            List<JsonNode> docs = YAML.readValues(YAML.createParser(file.toFile()), JsonNode.class).readAll();
            List<JsonNode> migrations = docs.stream()
                    .filter(d -> d != null && SchemaMigration.KIND.equals(d.path("kind").asText()))
                    .toList();
            if (migrations.size() != 1) {
                throw new ManifestException(file + ": expected exactly one document with kind: SchemaMigration, found "
                        + migrations.size());
            }
            JsonNode doc = migrations.get(0);
            if (!SchemaMigration.API_VERSION.equals(doc.path("apiVersion").asText())) {
                throw new ManifestException(file + ": apiVersion must be " + SchemaMigration.API_VERSION);
            }
            SchemaMigration m = YAML.treeToValue(doc, SchemaMigration.class);
            if (m.getMetadata() == null || m.getMetadata().getName() == null || m.getMetadata().getName().isBlank()) {
                throw new ManifestException(file + ": metadata.name is missing; name the migration");
            }
            if (m.getMetadata().getNamespace() == null) {
                m.getMetadata().setNamespace("default");
            }
            String name = m.getMetadata().getName();
            if (name.length() > 253 || !name.matches(SUBDOMAIN)) {
                throw new ManifestException(file + ": metadata.name: '" + abbreviate(name) + "' is not a Kubernetes name; "
                        + "use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at "
                        + "most 253 characters (e.g. users-full-name)");
            }
            String namespace = m.getMetadata().getNamespace();
            if (namespace.length() > 63 || !namespace.matches(LABEL)) {
                throw new ManifestException(file + ": metadata.namespace: '" + abbreviate(namespace) + "' is not a "
                        + "Kubernetes namespace; use lower-case letters, digits and '-', at most 63 characters");
            }
            return m;
        } catch (UnrecognizedPropertyException e) {
            throw new ManifestException(file + ": unknown field " + path(e) + "; check its spelling against "
                    + "'kubectl explain schemamigration.spec'");
        } catch (InvalidFormatException e) {
            throw new ManifestException(file + ": " + path(e) + ": " + invalidValue(e));
        } catch (MismatchedInputException e) {
            throw new ManifestException(file + ": " + path(e) + ": expected " + kind(e.getTargetType()) + " here");
        } catch (JsonMappingException e) {
            if (e.getCause() instanceof InputCoercionException coercion) {
                throw new ManifestException(file + ": " + path(e) + ": out of range; give " + kind(coercion.getTargetType()));
            }
            throw new ManifestException(file + ": " + path(e) + ": invalid value");
        } catch (JsonProcessingException e) {
            throw new ManifestException(file + ": " + yamlProblem(e));
        } catch (IOException e) {
            throw new ManifestException(file + ": cannot be read (" + e.getClass().getSimpleName().replace("Exception", "")
                    + ")");
        }
    }

    private static void checkFile(Path file) throws ManifestException {
        if (Files.isDirectory(file)) {
            throw new ManifestException(file + ": is a directory; give the manifest file itself (e.g. "
                    + "examples/quickstart/migration.yaml)");
        }
        if (!Files.exists(file)) {
            throw new ManifestException(file + ": no such file");
        }
        if (!Files.isRegularFile(file)) {
            throw new ManifestException(file + ": is not a regular file; give a YAML manifest");
        }
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new ManifestException(file + ": is larger than 1 MiB; a SchemaMigration manifest is a few kilobytes");
            }
        } catch (IOException e) {
            throw new ManifestException(file + ": cannot be read");
        }
    }

    private static String invalidValue(InvalidFormatException e) {
        Class<?> type = e.getTargetType();
        String value = String.valueOf(e.getValue());
        if (type != null && type.isEnum()) {
            return "'" + value + "' is not one of " + Arrays.stream(type.getEnumConstants()).map(String::valueOf)
                    .collect(Collectors.joining(", "));
        }
        return "'" + (value.length() > 40 ? value.substring(0, 40) + "…" : value) + "' is not " + kind(type);
    }

    /** What a Java type is called in a manifest. */
    private static String kind(Class<?> type) {
        if (type == null) {
            return "a valid value";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "a whole number within range";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a text value";
        }
        if (type.isEnum()) {
            return "one of " + Arrays.stream(type.getEnumConstants()).map(String::valueOf).collect(Collectors.joining(", "));
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "a list";
        }
        if (Map.class.isAssignableFrom(type)) {
            return "a mapping of names to values";
        }
        return "a mapping (fields, one per line)";
    }

    private static String yamlProblem(JsonProcessingException e) {
        String original = e.getOriginalMessage() == null ? "" : e.getOriginalMessage().lines().findFirst().orElse("");
        JsonLocation at = e.getLocation();
        String where = at == null || at.getLineNr() < 1 ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        if (original.startsWith("Duplicate field")) {
            String field = original.replaceAll(".*'([^']*)'.*", "$1");
            return "the key " + field + " is given twice" + where + "; keep one (the last one would win, and a reviewer "
                    + "may have read the first)";
        }
        String problem = original.replaceAll("\\b(com|org|java)\\.[\\w.$]+", "").strip();
        return "not valid YAML" + where + (problem.isEmpty() ? "" : ": " + problem);
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    private static String path(JsonMappingException e) {
        String p = e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
        return p.isEmpty() ? "the document" : p;
    }

    /** A manifest that cannot be used; the message names the file and the field. */
    public static final class ManifestException extends Exception {
        public ManifestException(String message) {
            super(message);
        }
    }
}
